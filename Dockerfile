# readiness-gates GitHub Action image.
# BASE_IMAGE is swapped for a locally built Debian bookworm + python3 base in CI (see .ci/run);
# both are Python 3.11 on bookworm. GitHub runs Docker actions as root with the workspace
# mounted from the runner, so there is deliberately no USER and no WORKDIR.
ARG BASE_IMAGE=python:3.11-slim-bookworm

# Stage 1: build the wheel, and the application's virtual environment, /opt/readiness. Only that
# directory leaves this stage: no build backend, binutils, pip cache or wheel file reaches the image.
FROM ${BASE_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore PIP_NO_CACHE_DIR=1
# binutils: `strip`, for the extension modules below.
RUN apt-get update \
    && apt-get install -y --no-install-recommends binutils \
    && rm -rf /var/lib/apt/lists/*
# The wheel, with the build backend from a hash-checked lock (no build isolation, so nothing is
# fetched unchecked).
COPY requirements-build.lock /tmp/requirements-build.lock
RUN python3 -m pip install --require-hashes --no-deps -r /tmp/requirements-build.lock
COPY pyproject.toml README.md /src/
COPY src /src/src
COPY checks /src/checks
RUN python3 -m pip wheel --no-deps --no-build-isolation --wheel-dir /wheels /src
# The venv: runtime dependencies at exact versions with hashes (pip itself included: pip-audit
# runs it), then the package. `--without-pip` keeps ensurepip's setuptools out; the base's pip
# installs into the venv with --python.
COPY requirements.lock /tmp/requirements.lock
RUN python3 -m venv --without-pip /opt/readiness \
    && python3 -m pip --python /opt/readiness/bin/python install --no-compile --require-hashes --no-deps \
         -r /tmp/requirements.lock \
    && /opt/readiness/bin/python -m pip install --no-compile --no-deps /wheels/readiness_gates-*.whl
# Slim the venv: extension modules lose their debug symbols (pglast's parser alone goes from 28 to
# 4 MB; libraries auditwheel bundled under *.libs/ are left alone), C and Cython sources that wheels
# ship are dropped, and every extension module must still import. Then all of it is compiled to
# bytecode now, so no start of the container compiles anything: unchecked-hash .pyc files are
# used as they are, whatever the files' timestamps (the image never changes after the build).
COPY scripts/check_extensions.py /tmp/check_extensions.py
RUN site=$(/opt/readiness/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])') \
    && find /opt/readiness -name '*.so' -not -path '*.libs/*' -exec strip --strip-unneeded {} + \
    && find "$site" \( -name '*.c' -o -name '*.h' -o -name '*.pyx' -o -name '*.pxd' \) -type f -delete \
    && /opt/readiness/bin/python /tmp/check_extensions.py "$site" >/dev/null \
    && find /opt/readiness -name __pycache__ -type d -prune -exec rm -rf {} + \
    && /opt/readiness/bin/python -m compileall -q -j 0 --invalidation-mode unchecked-hash /opt/readiness/lib

# Stage 2: the runtime image.
FROM ${BASE_IMAGE}
# The release workflow names the tag the image is built from: rule links in the comment point at the
# pages of that tag when the runner does not say which ref the action runs from (readiness.render.links).
ARG RELEASE_DOCS_URL=""
ENV READINESS_RELEASE_DOCS_URL=${RELEASE_DOCS_URL}
# PYTHONDONTWRITEBYTECODE: everything the tool imports is compiled at build time (the venv above,
# the standard library below), and a container's writable layer is thrown away after each run, so
# a cache written at run time would only cost time.
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore PIP_NO_CACHE_DIR=1 \
    PATH=/opt/readiness/bin:$PATH
# git: the tool diffs against the PR base. The mounted workspace belongs to the runner's uid: only that
# path is named safe (the tool itself passes --git-dir/--work-tree and never discovers a repository).
RUN apt-get update \
    && apt-get install -y --no-install-recommends git \
    && apt-get clean \
    && rm -rf /var/lib/apt/lists/* \
    && git config --system --add safe.directory /github/workspace
# PostgreSQL server programs, for replaying SQL migrations (readiness.replay): each run starts its own
# throwaway server (initdb on a temporary directory, unix socket only, as the unprivileged `postgres`
# user the package creates) and removes it. The package's default cluster is dropped, so nothing
# listens and nothing runs until a replay starts. The JIT compiler's files (LLVM, Z3 and the
# server's bitcode: ~160 MB, most of the package's size) are deleted: replay runs with jit=off and
# nothing else in the image loads them. So are the locale sources the `locales` dependency brings
# (/usr/share/i18n, 17 MB; they only feed locale-gen, and replay runs initdb with --locale=C).
# apt still works in later layers.
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql \
    && for conf in /etc/postgresql/*/*/; do \
         [ -d "$conf" ] || continue; \
         pg_dropcluster --stop "$(basename "$(dirname "$conf")")" "$(basename "$conf")"; \
       done \
    && for pkg in $(dpkg-query -W -f='${Package} ' 'libllvm*' 'libz3-*' 2>/dev/null); do \
         for f in $(dpkg -L "$pkg"); do [ -d "$f" ] || rm -f "$f"; done; \
       done \
    && rm -rf /usr/lib/postgresql/*/lib/bitcode /usr/lib/postgresql/*/lib/llvmjit* \
              /usr/share/i18n/locales /usr/share/i18n/charmaps \
    && apt-get clean \
    && rm -rf /var/lib/apt/lists/* \
    && ls /usr/lib/postgresql/*/bin/initdb
# The base image's own pip, setuptools and wheel are build tools the tool never runs (the venv has
# the locked pip): python:*-slim installs them with pip, so pip removes them. A base where they came
# from Debian packages (the local test base) keeps them.
RUN if python3 -c 'import pip, sys; sys.exit(not pip.__file__.startswith("/usr/local/"))' 2>/dev/null; then \
      python3 -m pip uninstall -y -q pip setuptools wheel; \
    fi
COPY --from=build /opt/readiness /opt/readiness
# The standard library as well: python:*-slim deletes its .pyc files, so without this every start
# would compile json, email, http and the rest again. Tests and the GUI and 2to3 packages stay as
# they are (never imported).
RUN python3 -m compileall -q -j 0 --invalidation-mode unchecked-hash \
      -x '/(test|tests|idlelib|tkinter|turtledemo|lib2to3|ensurepip)/' \
      "$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])')" \
    && readiness --version
ENTRYPOINT ["/opt/readiness/bin/readiness"]
CMD ["action"]
