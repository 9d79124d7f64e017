"""benchmarks/scale.py at a tiny size: the generator and the measurement still work (the figures
themselves come from running the script, not from the test suite)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "scale.py"


def test_scale_benchmark_runs_at_a_tiny_size(capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    spec = importlib.util.spec_from_file_location("scale_benchmark", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # dataclasses look their module up there
    monkeypatch.syspath_prepend(str(SCRIPT.parent))  # as when run as a script: its helper modules import
    spec.loader.exec_module(module)
    assert module.main(["--scale", "0.001", "0.002", "--fresh"]) == 0
    out = capsys.readouterr().out
    assert "| 0.001x | 100 |" in out and "| 0.002x | 200 |" in out
    assert "growth 0.001x -> 0.002x (input x2.0)" in out
