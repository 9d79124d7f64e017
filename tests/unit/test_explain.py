"""`readiness explain`: an unknown id is a usage error that names the rule the user meant."""

from __future__ import annotations

import pytest

from readiness.cli import main, rule_suggestions
from readiness.rules.catalog import catalog

IDS = sorted(r.id for r in catalog().all())


def explain(capsys: pytest.CaptureFixture[str], rule_id: str) -> tuple[int, str, str]:
    code = main(["explain", rule_id])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(("typed", "meant"), [
    ("rename-column", ["migrations/rename-column"]),               # gate prefix left out
    ("docs/rename-column", ["migrations/rename-column"]),          # wrong gate
    ("Migrations/Rename-Column", ["migrations/rename-column"]),    # letter case
    ("migrations/rename-colum", ["migrations/rename-column"]),     # typo: the nearest only
    ("renam-column", ["migrations/rename-column"]),
    ("docs/alert-without-runbok", ["docs/alert-without-runbook"]),
    ("deps/known-vuln", ["deps/known-vulnerability"]),             # a prefix of the name
    ("migrations/parse-eror", ["migrations/parse-error"]),         # the gate given wins a tie
    ("parse-error", ["config/parse-error", "migrations/parse-error"]),  # several gates: each
    ("xyz", []),
    ("migrations/" + "x" * 500, []),
])
def test_suggestions(typed: str, meant: list[str]) -> None:
    assert rule_suggestions(typed, IDS) == meant


def test_every_id_without_its_gate_is_found_again() -> None:
    for rid in IDS:
        assert rid in rule_suggestions(rid.split("/", 1)[1], IDS)


def test_unknown_id_names_the_rule_meant(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = explain(capsys, "rename-column")
    assert code == 2 and out == ""
    assert err == ("readiness: unknown rule 'rename-column'; did you mean migrations/rename-column? "
                   "`readiness rules` lists them\n")


def test_unknown_id_with_several_candidates_lists_them(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = explain(capsys, "parse-error")
    assert code == 2
    assert "did you mean config/parse-error or migrations/parse-error?" in err


def test_unknown_id_without_a_near_rule_says_where_to_look(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = explain(capsys, "no-such-thing-at-all")
    assert code == 2
    assert err == "readiness: unknown rule 'no-such-thing-at-all'; `readiness rules` lists them\n"


def test_known_id_prints_the_page(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = explain(capsys, "migrations/rename-column")
    assert code == 0 and out.startswith("migrations/rename-column  (") and "## Why it matters" in out
