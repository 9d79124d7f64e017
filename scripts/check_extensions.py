"""Import every compiled extension module under a site-packages directory.

    python scripts/check_extensions.py SITE_PACKAGES

The image build strips the debug symbols of the extension modules it installs (`strip
--strip-unneeded`, as Debian's packaging does); this proves each one still loads, in the
interpreter that will run it. Prints one line per module; exits 1 if any fails to import.
Libraries that auditwheel bundled (`<name>.libs/`) are loaded by the modules, not imported.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import sys
from pathlib import Path

SUFFIXES = tuple(importlib.machinery.EXTENSION_SUFFIXES)
LOADED_THROUGH = {"psycopg_binary": "psycopg"}
"""Packages that refuse to be imported before the package that loads them."""


def module_name(site: Path, path: Path) -> str | None:
    """The import name of an extension module file, or None when it is not one."""
    rel = path.relative_to(site)
    if any(part.endswith(".libs") or "." in part for part in rel.parts[:-1]):
        return None
    suffix = next((s for s in SUFFIXES if rel.name.endswith(s)), None)
    if suffix is None:
        return None
    parts = [*rel.parts[:-1], rel.name[: -len(suffix)]]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts) if parts and all(p.isidentifier() for p in parts) else None


def extension_modules(site: Path) -> list[str]:
    """Import names of every extension module under `site`, sorted."""
    names = {module_name(site, p) for p in site.rglob("*.so")}
    return sorted(n for n in names if n is not None)


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not Path(argv[0]).is_dir():
        print("usage: check_extensions.py SITE_PACKAGES", file=sys.stderr)
        return 2
    site = Path(argv[0]).resolve()
    failed = 0
    names = extension_modules(site)
    for name in names:
        try:
            first = LOADED_THROUGH.get(name.split(".", 1)[0])
            if first is not None:
                importlib.import_module(first)
            importlib.import_module(name)
        except Exception as exc:  # noqa: BLE001 - report every module, then fail once
            failed += 1
            print(f"FAIL {name}: {type(exc).__name__}: {exc}")
        else:
            print(f"ok   {name}")
    print(f"{len(names) - failed} of {len(names)} extension modules import")
    return 1 if failed or not names else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
