"""The image is as small as its dependencies allow and starts without compiling anything.

`make container-test` builds it on a base without any .pyc file, like python:3.11-slim (whose
Dockerfile deletes them), so these tests see what a GitHub runner sees: a start that imports a
module without its bytecode would compile it on every run (PYTHONDONTWRITEBYTECODE keeps nothing).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from container_helpers import REPO, demo_workspace

pytestmark = pytest.mark.container

_PROBE = r"""
import importlib.machinery, importlib.util, json, os, struct, sys
from readiness.cli import main
codes = [main(["check", "/github/workspace", "--format", fmt, "--output", "/tmp/report." + fmt])
         for fmt in ("text", "json", "markdown", "sarif", "gitlab")]
import importlib, pkgutil, readiness
for info in pkgutil.walk_packages(readiness.__path__, "readiness."):
    importlib.import_module(info.name)  # every module of the tool, whichever path a run takes
import github, pip_audit._cli, pglast, psycopg
def problem(mod):
    spec = getattr(mod, "__spec__", None)
    if spec is None or not isinstance(spec.loader, importlib.machinery.SourceFileLoader):
        return None  # built-in, frozen, extension or namespace module: nothing to compile
    source = spec.origin
    try:
        head = open(importlib.util.cache_from_source(source), "rb").read(16)
    except OSError:
        return "no .pyc"
    if head[:4] != importlib.util.MAGIC_NUMBER:
        return "wrong magic"
    flags = struct.unpack("<I", head[4:8])[0]
    if flags == 0:
        st = os.stat(source)
        if struct.unpack("<II", head[8:16]) != (int(st.st_mtime) & 0xFFFFFFFF, st.st_size & 0xFFFFFFFF):
            return "stale timestamp .pyc"
    elif flags == 3:
        return "checked-hash .pyc (hashes the source on every import)"
    return None
bad = {name: why for name, mod in list(sys.modules.items()) if (why := problem(mod))}
print(json.dumps({"codes": codes, "modules": len(sys.modules), "bad": bad,
                  "dont_write": sys.flags.dont_write_bytecode}))
"""


def _run(image: str, *args: str, volumes: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    cmd = ["podman", "run", "--rm", "--network", "none"]
    for v in volumes:
        cmd += ["-v", v]
    return subprocess.run([*cmd, "--entrypoint", args[0], image, *args[1:]],
                          capture_output=True, text=True, timeout=180, check=False)


def test_every_imported_module_is_precompiled(image: str, tmp_path: Path) -> None:
    workspace, _ = demo_workspace(tmp_path / "ws")
    done = _run(image, "python3", "-c", _PROBE, volumes=(f"{workspace}:/github/workspace",))
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["codes"] == [0, 0, 0, 0, 0]
    assert out["modules"] > 300, "the probe imported too little to mean anything"
    assert out["bad"] == {}, f"modules a container start would compile: {out['bad']}"
    assert out["dont_write"] == 1


def test_every_extension_module_imports_after_stripping(image: str) -> None:
    script = (REPO / "scripts" / "check_extensions.py").read_text(encoding="utf-8")
    site = "/opt/readiness/lib/python3.11/site-packages"
    done = _run(image, "python3", "-c", script.replace("sys.exit(main(sys.argv[1:]))", f"sys.exit(main([{site!r}]))"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "pglast.parser" in done.stdout and "psycopg_binary._psycopg" in done.stdout, done.stdout


_INVENTORY = r"""
import glob, json, os, shutil, struct, sys, sysconfig
site = sysconfig.get_paths()["purelib"]
def sections(path):
    # section names of a 64-bit little-endian ELF file, as `readelf -S` lists them
    with open(path, "rb") as f:
        data = f.read()
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    def header(i):
        return struct.unpack_from("<IIQQQQ", data, shoff + i * shentsize)
    strtab_off = header(shstrndx)[4]
    names = []
    for i in range(shnum):
        start = strtab_off + header(i)[0]
        names.append(data[start:data.index(b"\0", start)].decode())
    return names
def unstripped():
    return [path for path in glob.glob("/opt/readiness/**/*.so", recursive=True)
            if ".libs/" not in path and {".symtab", ".debug_info"} & set(sections(path))]
print(json.dumps({
    "prefix": sys.prefix,
    "tools": [t for t in ("gcc", "cc", "make", "strip", "ld") if shutil.which(t)],
    "caches": [p for p in ("/root/.cache/pip", "/root/.cache") if os.path.exists(p)],
    "wheels": [w for d in ("/opt", "/tmp", "/root", "/usr/local", "/wheels", "/src")
               for w in glob.glob(d + "/**/*.whl", recursive=True)],
    "build_packages": sorted(d for d in os.listdir(site)
                             if d.split("-")[0].lower() in ("setuptools", "wheel", "hatchling", "_distutils_hack")),
    "sources": glob.glob(site + "/**/*.[ch]", recursive=True) + glob.glob(site + "/**/*.pyx", recursive=True),
    "unstripped": unstripped(),
    "apt_lists": os.listdir("/var/lib/apt/lists") if os.path.isdir("/var/lib/apt/lists") else [],
    "locale_sources": os.path.exists("/usr/share/i18n/locales"),
}))
"""


def test_no_build_tools_caches_or_sources_in_the_image(image: str) -> None:
    done = _run(image, "python3", "-c", _INVENTORY)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["prefix"] == "/opt/readiness"
    assert out["tools"] == []
    assert out["caches"] == []
    assert out["wheels"] == []
    assert out["build_packages"] == []
    assert out["sources"] == []
    assert out["unstripped"] == []
    assert [f for f in out["apt_lists"] if f not in ("lock", "partial", "auxfiles")] == []
    assert out["locale_sources"] is False
