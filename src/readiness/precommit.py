"""`readiness-pre-commit`: the entry of the pre-commit hook (`.pre-commit-hooks.yaml`).

Runs `readiness check .` from the repository root, judged against what the change adds:

- `PRE_COMMIT_FROM_REF` when pre-commit sets it (a `pre-push` hook: the remote's commit;
  `pre-commit run --from-ref X --to-ref Y`): the pushed commits;
- else `HEAD`: the commit being made (pre-commit has stashed what is not staged);
- else, in a repository without a commit yet, every file.

Findings that were there before do not block, as in a pull request. Any other `readiness check`
option comes from the hook's `args` (`--fail-on high`, `--offline-db DIR`, `--gates ...`); a
`--base` there replaces the choice above.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

ZERO_SHA = "0" * 40


def choose_base(root: Path, env: Mapping[str, str]) -> str | None:
    """The git ref to judge against, or None for every file (see the module docstring)."""
    from readiness.workspace.git import GitRepo, GitUnavailable

    from_ref = env.get("PRE_COMMIT_FROM_REF", "").strip()
    if from_ref and from_ref != ZERO_SHA:
        return from_ref
    try:
        GitRepo.find(root).commit("HEAD")
    except GitUnavailable:
        return None
    return "HEAD"


def check_args(root: Path, user_args: Sequence[str], env: Mapping[str, str]) -> list[str]:
    """The `readiness` arguments the hook runs."""
    args = ["check", str(root)]
    if not any(a == "--base" or a.startswith("--base=") for a in user_args):
        base = choose_base(root, env)
        if base is not None:
            args += ["--base", base]
    return [*args, *user_args]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `readiness-pre-commit` console script."""
    from readiness.cli import main as cli_main

    user_args = list(sys.argv[1:] if argv is None else argv)
    return cli_main(check_args(Path("."), user_args, os.environ))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
