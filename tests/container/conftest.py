"""Fixture for the container tests: the built action image, or skip/fail with the reason."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from container_helpers import IMAGE, unavailable


@pytest.fixture(scope="session")
def image() -> str:
    """The built action image, or skip/fail with the reason it cannot be used."""
    if shutil.which("podman") is None:
        unavailable("podman is not installed (see ../shared/CONTAINER.md; `make container-test` sets it up)")
    probe = subprocess.run(["podman", "image", "exists", IMAGE], capture_output=True, text=True, check=False)
    if probe.returncode != 0:
        unavailable(f"image {IMAGE} is not built (run `make container-test`; "
                    f"CONTAINERS_CONF={os.environ.get('CONTAINERS_CONF', 'unset')}): {probe.stderr.strip()}")
    return IMAGE
