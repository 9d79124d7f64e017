"""Point action.yml at a prebuilt image by digest, for a release commit.

    python scripts/pin_action_image.py --image ghcr.io/OWNER/readiness-gates --digest sha256:HEX [--action action.yml]

On main, `runs.image` is `Dockerfile`: the runner builds the image on every job, which is what
main's own self-test needs. A release instead points at the image the release workflow built,
tested and pushed, by digest (`docker://ghcr.io/OWNER/readiness-gates@sha256:...`), so users pull
exactly that image and nothing is built. Only the value of `runs.image` changes: the file is edited
as text (comments and layout stay), then parsed again to prove that nothing else moved. Prints the
new reference; exits 2 with a message on a bad digest, image name or action.yml.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

import yaml

DIGEST_RE = re.compile(r"^sha256:[0-9a-f]{64}$")
# A registry host, then lower-case path components (the OCI distribution spec's name grammar).
IMAGE_RE = re.compile(r"^[a-z0-9]+(?:[.-][a-z0-9]+)*(?::[0-9]+)?(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)+$")
_IMAGE_LINE = re.compile(r"^(?P<indent>[ \t]+)image:[ \t]*(?P<value>[^#\n]*?)[ \t]*(?P<comment>#[^\n]*)?$", re.M)


class PinError(Exception):
    """What is wrong with the input, in words for the release log."""


def image_ref(image: str, digest: str) -> str:
    """`docker://IMAGE@DIGEST`, after checking both."""
    if not DIGEST_RE.fullmatch(digest):
        raise PinError(f"digest {digest!r} is not sha256:<64 lower-case hex digits>")
    if not IMAGE_RE.fullmatch(image) or "/" not in image or "." not in image.split("/", 1)[0]:
        raise PinError(f"image {image!r} is not REGISTRY/NAME in lower case (e.g. ghcr.io/owner/readiness-gates)")
    return f"docker://{image}@{digest}"


def _runs(meta: Any) -> dict[str, Any]:
    if not isinstance(meta, dict) or not isinstance(meta.get("runs"), dict):
        raise PinError("action.yml has no `runs:` mapping")
    runs: dict[str, Any] = meta["runs"]
    if runs.get("using") != "docker":
        raise PinError(f"action.yml runs using {runs.get('using')!r}, not docker")
    return runs


def pin(text: str, ref: str) -> str:
    """action.yml `text` with `runs.image` set to `ref`; everything else unchanged."""
    before = yaml.safe_load(text)
    runs = _runs(before)
    image = runs.get("image")
    if not isinstance(image, str) or not (image == "Dockerfile" or image.startswith("docker://")):
        raise PinError(f"runs.image is {image!r}: expected Dockerfile or a docker:// reference")
    runs_line = re.search(r"^runs:[ \t]*(#[^\n]*)?$", text, re.M)
    if runs_line is None:
        raise PinError("`runs:` is not a block mapping at the top level of action.yml")
    body_end = re.search(r"^\S", text[runs_line.end():], re.M)
    end = runs_line.end() + (body_end.start() if body_end else len(text) - runs_line.end())
    block = text[runs_line.end():end]
    lines = list(_IMAGE_LINE.finditer(block))
    indents = {len(m.group(1)) for m in re.finditer(r"^([ \t]+)\S", block, re.M)}
    lines = [m for m in lines if len(m.group("indent")) == min(indents, default=0)]
    if len(lines) != 1:
        raise PinError(f"expected one `image:` line directly under `runs:`, found {len(lines)}")
    m = lines[0]
    comment = f"  {m.group('comment')}" if m.group("comment") else ""
    new_line = f"{m.group('indent')}image: {ref}{comment}"
    start = runs_line.end() + m.start()
    result = text[:start] + new_line + text[runs_line.end() + m.end():]
    after = yaml.safe_load(result)
    expected = dict(before)
    expected["runs"] = {**runs, "image": ref}
    if after != expected:
        raise PinError("rewriting runs.image changed something else in action.yml; refusing")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--image", required=True, help="registry/name, e.g. ghcr.io/owner/readiness-gates")
    parser.add_argument("--digest", required=True, help="sha256:<64 hex>, as the registry reported it")
    parser.add_argument("--action", default="action.yml", type=Path, help="the file to rewrite (default: action.yml)")
    args = parser.parse_args(argv)
    try:
        ref = image_ref(args.image, args.digest.strip())
        text = args.action.read_text(encoding="utf-8")
        args.action.write_text(pin(text, ref), encoding="utf-8")
    except (PinError, OSError, yaml.YAMLError) as exc:
        print(f"pin_action_image: {exc}", file=sys.stderr)
        return 2
    print(ref)
    return 0


if __name__ == "__main__":
    sys.exit(main())
