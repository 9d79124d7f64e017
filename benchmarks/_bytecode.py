"""Bytecode for the package under measurement, written before anything is timed.

An installed wheel has its `.pyc` files (pip compiles at install time, and so does the image
build). A source checkout run with PYTHONDONTWRITEBYTECODE=1 (set on the development VMs and in
many CI images) has none for the files it edited, so every timed run would compile those modules
from source first: 30-80 ms of start-up that no user pays. Each benchmark that times the CLI calls
`compile_package()` first, so it measures what an installed copy does.
"""

from __future__ import annotations

import compileall
import importlib.util
from pathlib import Path


def compile_package(name: str = "readiness") -> Path | None:
    """Compile the package that `import name` would load (a checkout or a worktree); its directory."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    root = Path(next(iter(spec.submodule_search_locations)))
    compileall.compile_dir(root, quiet=1)
    return root
