"""Issue 11: nothing in the migrations gate asks "what comes later" or "which line is this" by
scanning from each operation (or from the start of the text): that was quadratic in what a PR
controls (12,000 statements: 7-12 s of CPU; 50,000 in one 2 MiB file: minutes). Each case here
runs at n and at 4n statements; linear work grows about 4 times, quadratic 16 times."""

from __future__ import annotations

import resource
from collections.abc import Callable
from pathlib import Path

import pytest

import factories
from readiness.gates.migrations import GATE

SMALL, LARGE = 3_000, 12_000


def _drop_and_recreate_views(n: int) -> dict[str, str]:
    return {"V1__m.sql": "".join(f"DROP VIEW v{i};\n" for i in range(n)) + "CREATE VIEW v0 AS SELECT 1;\n"}


def _drop_defaults_of_not_null_columns(n: int) -> dict[str, str]:
    return {"V0__table.sql": "CREATE TABLE t (" + ", ".join(f"c{i} int NOT NULL DEFAULT 0" for i in range(n)) + ");\n",
            "V1__m.sql": "".join(f"ALTER TABLE t ALTER COLUMN c{i} DROP DEFAULT;\n" for i in range(n))}


def _enum_values_in_one_transaction(n: int) -> dict[str, str]:
    return {"V1__m.sql": "".join(f"ALTER TYPE mood ADD VALUE 'v{i}';\n" for i in range(n)) + "SELECT 'v0'::mood;\n"}


def _commits_in_changesets(n: int) -> dict[str, str]:
    return {"changelog.sql": "--liquibase formatted sql\n" + "".join(
        f"--changeset dev:{i}\nBEGIN;\nSELECT 1;\nCOMMIT;\nSELECT 2;\n" for i in range(n))}


def _wide_table_with_non_ascii_names(n: int) -> dict[str, str]:
    return {"V1__m.sql": "CREATE TABLE t (" + ", ".join(f'"ç{i}" int' for i in range(n)) + ");\n"}


def _cpu() -> float:
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _judge(root: Path, files: dict[str, str]) -> float:
    for name, text in files.items():
        factories.write_file(root, f"db/migrations/{name}", text)
    ctx = factories.gate_context(root, "migrations", {"replay": "off"})
    start = _cpu()
    out = GATE.run(ctx)
    assert out.items, "the migration was not judged"
    return _cpu() - start


@pytest.mark.parametrize("make", [_drop_and_recreate_views, _drop_defaults_of_not_null_columns,
                                  _enum_values_in_one_transaction, _commits_in_changesets,
                                  _wide_table_with_non_ascii_names],
                         ids=lambda f: f.__name__.strip("_"))
def test_what_comes_later_is_looked_up_not_scanned(tmp_path: Path, make: Callable[[int], dict[str, str]]) -> None:
    small = _judge(tmp_path / "small", make(SMALL))
    large = _judge(tmp_path / "large", make(LARGE))
    assert large < 8 * small + 1.0, f"{SMALL:,} statements: {small:.2f} s of CPU; {LARGE:,}: {large:.2f} s"
