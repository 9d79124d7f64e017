"""Every place that tells users how to reference the action names a ref that exists (README "Which ref").

No release is tagged while CHANGELOG.md has only `[Unreleased]`: a `uses:` line, pre-commit `rev:` or
`tool-ref` default that names a version must name one CHANGELOG lists as released; `main` and a full
commit sha always resolve. The GitLab job's image tag is the version a release publishes: until then,
the example says so.
"""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DOCUMENTS = ("README.md", ".pre-commit-hooks.yaml", "examples/workflows/readiness-pr.yml",
             "examples/workflows/readiness-publish.yml", "examples/gitlab/.gitlab-ci.yml",
             ".github/workflows/readiness-org.yml", "CONTRIBUTING.md")
REFERENCES = re.compile(
    r"readiness-gates/readiness-gates(?:/\.github/workflows/[\w.-]+)?@(?P<uses>[\w.-]+)"  # uses: lines
    r"|^\s*#?\s*rev:\s*(?P<rev>[\w.-]+)"                                                 # pre-commit
    r"|^\s*(?:default|tool-ref):\s*(?P<tool>v\d[\w.-]*)",                                 # tool-ref
    re.MULTILINE)


def released_versions() -> set[str]:
    changelog = (REPO / "CHANGELOG.md").read_text(encoding="utf-8")
    return {f"v{v}" for v in re.findall(r"^## \[(\d+\.\d+\.\d+[\w.-]*)\]", changelog, re.MULTILINE)}


def test_every_documented_ref_resolves() -> None:
    released = released_versions()
    wrong = []
    seen = 0
    for name in DOCUMENTS:
        text = (REPO / name).read_text(encoding="utf-8")
        for m in REFERENCES.finditer(text):
            ref = next(v for v in m.groupdict().values() if v)
            seen += 1
            if ref == "main" or re.fullmatch(r"[0-9a-f]{40}", ref) or ref in released:
                continue
            if not re.fullmatch(r"v\d.*", ref):  # a hook id or a placeholder is not a version
                continue
            line = text.count("\n", 0, m.start()) + 1
            wrong.append(f"{name}:{line}: {ref} (released: {sorted(released) or 'none'})")
    assert seen >= 7, "the pattern no longer finds the references it guards"
    assert not wrong, "references to a version that is not released:\n" + "\n".join(wrong)


def test_the_gitlab_image_is_the_package_version_and_says_when_it_is_unpublished() -> None:
    version = re.search(r'^version = "([^"]+)"', (REPO / "pyproject.toml").read_text(encoding="utf-8"), re.MULTILINE)
    assert version is not None
    text = (REPO / "examples/gitlab/.gitlab-ci.yml").read_text(encoding="utf-8")
    tags = re.findall(r"ghcr\.io/readiness-gates/readiness-gates:(v[\w.-]+)", text)
    assert tags == [f"v{version[1]}"]
    if tags[0] not in released_versions():
        assert f"The first release ({tags[0]})" in text and "publishes it" in text
