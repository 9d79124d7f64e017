"""scripts/pin_action_image.py: the release commit's action.yml points at the tested image by digest."""

from __future__ import annotations

import difflib
import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
IMAGE = "ghcr.io/readiness-gates/readiness-gates"
DIGEST = "sha256:" + "0123456789abcdef" * 4
OTHER = "sha256:" + "f" * 64


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("pin_action_image", REPO / "scripts" / "pin_action_image.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


pin_mod = _load()


def test_the_real_action_yml_changes_in_one_line_only(tmp_path: Path) -> None:
    text = (REPO / "action.yml").read_text(encoding="utf-8")
    pinned = pin_mod.pin(text, pin_mod.image_ref(IMAGE, DIGEST))
    changed = [line for line in difflib.unified_diff(text.splitlines(), pinned.splitlines(), lineterm="", n=0)
               if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    assert changed == ["-  image: Dockerfile", f"+  image: docker://{IMAGE}@{DIGEST}"]
    meta = yaml.safe_load(pinned)
    assert meta["runs"] == {"using": "docker", "image": f"docker://{IMAGE}@{DIGEST}", "args": ["action"]}
    out = tmp_path / "action.yml"
    out.write_text(pinned, encoding="utf-8")
    tool = Path(sys.executable).parent / "check-jsonschema"
    done = subprocess.run([str(tool), "--builtin-schema", "vendor.github-actions", str(out)],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_pinning_again_replaces_the_digest() -> None:
    text = (REPO / "action.yml").read_text(encoding="utf-8")
    once = pin_mod.pin(text, pin_mod.image_ref(IMAGE, DIGEST))
    twice = pin_mod.pin(once, pin_mod.image_ref(IMAGE, OTHER))
    assert yaml.safe_load(twice)["runs"]["image"] == f"docker://{IMAGE}@{OTHER}"
    assert twice.count("image:") == once.count("image:")


def test_only_the_image_directly_under_runs_moves() -> None:
    text = """name: x
description: y
inputs:
  image:
    description: an input that happens to be called image
    default: Dockerfile
runs:
  using: docker
  image: "Dockerfile"   # built on every job
  env:
    image: not this one
  args: [action]
"""
    pinned = pin_mod.pin(text, pin_mod.image_ref(IMAGE, DIGEST))
    meta = yaml.safe_load(pinned)
    assert meta["runs"]["image"] == f"docker://{IMAGE}@{DIGEST}"
    assert meta["inputs"]["image"]["default"] == "Dockerfile"
    assert meta["runs"]["env"] == {"image": "not this one"}
    assert f"  image: docker://{IMAGE}@{DIGEST}  # built on every job\n" in pinned


@pytest.mark.parametrize(("image", "digest"), [
    (IMAGE, "sha256:abc"),
    (IMAGE, DIGEST.upper().replace("SHA256", "sha256")),
    (IMAGE, "sha512:" + "0" * 128),
    (IMAGE, DIGEST + "\n"),
    ("ghcr.io/Readiness-Gates/readiness-gates", DIGEST),
    ("readiness-gates/readiness-gates", DIGEST),
    (IMAGE + ":v1.2.3", DIGEST),
    (IMAGE + "@" + DIGEST, DIGEST),
    ("ghcr.io/owner/name; rm -rf /", DIGEST),
])
def test_bad_image_or_digest_is_refused(image: str, digest: str) -> None:
    with pytest.raises(pin_mod.PinError):
        pin_mod.image_ref(image, digest)


@pytest.mark.parametrize(("text", "says"), [
    ("name: x\nruns:\n  using: node20\n  main: index.js\n", "not docker"),
    ("name: x\nruns: {using: docker, image: Dockerfile}\n", "block mapping"),
    ("name: x\nruns:\n  using: docker\n  image: ghcr.io/o/n:latest\n", "expected Dockerfile"),
    ("name: x\n", "no `runs:`"),
])
def test_unexpected_action_yml_is_refused(text: str, says: str) -> None:
    with pytest.raises(pin_mod.PinError, match=says):
        pin_mod.pin(text, pin_mod.image_ref(IMAGE, DIGEST))


def test_cli_rewrites_the_file_and_prints_the_reference(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    action = tmp_path / "action.yml"
    action.write_text((REPO / "action.yml").read_text(encoding="utf-8"), encoding="utf-8")
    assert pin_mod.main(["--image", IMAGE, "--digest", DIGEST, "--action", str(action)]) == 0
    assert capsys.readouterr().out == f"docker://{IMAGE}@{DIGEST}\n"
    assert yaml.safe_load(action.read_text(encoding="utf-8"))["runs"]["image"] == f"docker://{IMAGE}@{DIGEST}"


def test_cli_error_leaves_the_file_alone(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    action = tmp_path / "action.yml"
    original = (REPO / "action.yml").read_text(encoding="utf-8")
    action.write_text(original, encoding="utf-8")
    assert pin_mod.main(["--image", IMAGE, "--digest", "sha256:nope", "--action", str(action)]) == 2
    assert "pin_action_image: digest 'sha256:nope'" in capsys.readouterr().err
    assert action.read_text(encoding="utf-8") == original
