# readiness-gates GitHub Action image.
# BASE_IMAGE is swapped for a locally built Debian bookworm + python3 base in CI (see .ci/run);
# both are Python 3.11 on bookworm. GitHub runs Docker actions as root with the workspace
# mounted from the runner, so there is deliberately no USER and no WORKDIR.
ARG BASE_IMAGE=python:3.11-slim-bookworm

# Stage 1: build the wheel with the build backend from a hash-checked lock (no build isolation, so
# nothing is fetched unchecked); only the wheel leaves this stage.
FROM ${BASE_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore
COPY requirements-build.lock /tmp/requirements-build.lock
RUN python3 -m pip install --no-cache-dir --require-hashes --no-deps -r /tmp/requirements-build.lock
COPY pyproject.toml README.md /src/
COPY src /src/src
COPY checks /src/checks
RUN python3 -m pip wheel --no-cache-dir --no-deps --no-build-isolation --wheel-dir /wheels /src

# Stage 2: the runtime image.
FROM ${BASE_IMAGE}
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore
# git: the tool diffs against the PR base. The mounted workspace belongs to the runner's uid: only that
# path is named safe (the tool itself passes --git-dir/--work-tree and never discovers a repository).
RUN apt-get update \
    && apt-get install -y --no-install-recommends git \
    && apt-get clean \
    && rm -rf /var/lib/apt/lists/* \
    && git config --system --add safe.directory /github/workspace
# Runtime dependencies: exact versions with hashes, nothing resolved at build time.
COPY requirements.lock /tmp/requirements.lock
RUN python3 -m pip install --no-cache-dir --require-hashes --no-deps -r /tmp/requirements.lock \
    && rm /tmp/requirements.lock
# The package itself (its rule pages ship inside the wheel); the wheel file is ~100 kB.
COPY --from=build /wheels /tmp/wheels
RUN python3 -m pip install --no-cache-dir --no-deps /tmp/wheels/readiness_gates-*.whl \
    && rm -rf /tmp/wheels \
    && readiness --version
ENTRYPOINT ["/usr/local/bin/readiness"]
CMD ["action"]
