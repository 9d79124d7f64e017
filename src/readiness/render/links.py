"""Where rule links point: the rule's page in the repository, at the ref the tool actually runs from.

In order:
1. `READINESS_DOCS_URL`: the user's override (a step `env:`), the base URL that `checks/<gate>/<rule>.md`
   is appended to, e.g. `https://ghe.example.com/mirrors/readiness-gates/blob/v1/`.
2. `GITHUB_ACTION_REPOSITORY` at `GITHUB_ACTION_REF` on `GITHUB_SERVER_URL`: the action's own repository
   and ref as the runner set them for the step (`uses: owner/readiness-gates@v1` links to `v1`; a sha
   to the sha). Both must look like a repository and a ref, or neither is used.
3. `READINESS_RELEASE_DOCS_URL`: set in the released image by the release workflow, to the tag it was
   built from (a tag that exists: the workflow runs because it was pushed).
4. The default branch of the project, `main`: a local install from source has no release tag to
   point at, and a link to a tag that does not exist would be a dead link in every comment.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from urllib.parse import quote

from readiness import lazyre

PROJECT_REPOSITORY = "readiness-gates/readiness-gates"
DEFAULT_DOCS_BASE = f"https://github.com/{PROJECT_REPOSITORY}/blob/main/"
"""Where rule pages are linked when nothing says which ref the tool runs from."""

_REPO_RE = lazyre.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}$")
_REF_RE = lazyre.compile(r"^(?!.*\.\.)[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$")
_URL_RE = lazyre.compile(r"^https?://[^\s<>\"'`()\[\]]{1,400}/$")


def docs_base(env: Mapping[str, str] | None = None) -> str:
    """The base URL rule pages are linked under (ends with `/`); see the module's order."""
    env = os.environ if env is None else env
    given = env.get("READINESS_DOCS_URL", "").strip()
    if given:
        given = given if given.endswith("/") else given + "/"
        if _URL_RE.match(given):
            return given
    repo = env.get("GITHUB_ACTION_REPOSITORY", "").strip()
    ref = env.get("GITHUB_ACTION_REF", "").strip()
    if _REPO_RE.match(repo) and _REF_RE.match(ref):
        server = (env.get("GITHUB_SERVER_URL") or "https://github.com").strip().rstrip("/")
        if _URL_RE.match(server + "/"):
            return f"{server}/{quote(repo, safe='/')}/blob/{quote(ref, safe='/')}/"
    released = env.get("READINESS_RELEASE_DOCS_URL", "").strip()
    if released and _URL_RE.match(released):
        return released
    return DEFAULT_DOCS_BASE


def rule_url(rule: str, base: str | None = None) -> str:
    """The rule's page: `base` (default: `docs_base()`) + `checks/<gate>/<name>.md`."""
    return (base if base is not None else docs_base()) + quote(f"checks/{rule}.md", safe="/")


def repository_home(base: str) -> str:
    """The repository a docs base points into (`https://github.com/owner/name`), for SARIF's informationUri."""
    return base.split("/blob/", 1)[0]
