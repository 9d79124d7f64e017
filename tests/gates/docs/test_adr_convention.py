"""Decision records: a folder with only a README and a template holds none, and a status outside
the repository's own convention gets a low note."""

from __future__ import annotations

from pathlib import Path

from test_units import CLEAN, findings, make, rules

NYGARD = ("# {n}. Decision {n}\n\nDate: 2026-01-0{n}\n\n## Status\n\n{status}\n\n## Context\n\nc\n\n"
          "## Decision\n\nd\n\n## Consequences\n\ne\n")


def _adrs(statuses: list[str]) -> dict[str, str]:
    base = {k: v for k, v in CLEAN.items() if not k.startswith("docs/adr/")}
    return {**base, **{f"docs/adr/000{i}-d.md": NYGARD.format(n=i, status=s) for i, s in enumerate(statuses, start=1)}}


def test_a_folder_with_only_readme_and_template_has_no_decision_records(tmp_path: Path) -> None:
    files = {k: v for k, v in CLEAN.items() if not k.startswith("docs/adr/")}
    make(tmp_path, {**files, "docs/adr/README.md": "# Decisions\n\nWe record decisions here.\n",
                    "docs/adr/template.md": NYGARD.format(n=0, status="Proposed")})
    found = findings(tmp_path)
    assert rules(found) == {("docs/missing-document", "docs/adr/", None)}
    assert "holds only README.md, template.md" in found[0].message
    configured = findings(tmp_path, {"require": ["README.md", "docs/adr/"]})
    assert rules(configured) == {("docs/missing-document", "docs/adr/", None)}


def test_a_synonym_the_other_records_do_not_use_gets_a_low_note(tmp_path: Path) -> None:
    make(tmp_path, _adrs(["Accepted", "Accepted", "Approved", "Superceded by [5. Decision 5](0005-d.md)", "Proposed"]))
    found = findings(tmp_path)
    assert rules(found) == {("docs/adr-unknown-status", "docs/adr/0003-d.md", 7)}
    assert found[0].severity.value == "low"
    assert "is not a status this repository's records use" in found[0].message
    assert found[0].message.endswith("it is read as Accepted.")


def test_the_repositorys_own_status_words_are_its_convention(tmp_path: Path) -> None:
    make(tmp_path, _adrs(["Approved", "Approved", "Approved", "Accepted", "Implemented"]))
    # "Approved" is this repository's word (3 of 5 records); "Implemented" once is outside it
    assert rules(findings(tmp_path)) == {("docs/adr-unknown-status", "docs/adr/0005-d.md", 7)}


def test_log4brains_draft_is_standard_there(tmp_path: Path) -> None:
    files = {k: v for k, v in CLEAN.items() if not k.startswith("docs/adr/")}
    make(tmp_path, {**files, ".log4brains.yml": "project:\n  adrFolder: ./docs/adr\n",
                    "docs/adr/20260101-a.md": ("# A\n\n- Status: draft\n- Date: 2026-01-01\n\n"
                                               "## Context and Problem Statement\n\nc\n\n"
                                               "## Decision Outcome\n\nd\n\n## Considered Options\n\no\n")})
    assert rules(findings(tmp_path)) == set()


MADR = "---\ndate: 2026-01-0{n}\n{status}---\n\n# Decision {n}\n\n## Context and Problem Statement\n\nc\n\n" \
       "## Considered Options\n\no\n\n## Decision Outcome\n\nd\n"


def _madr(statuses: list[str]) -> dict[str, str]:
    base = {k: v for k, v in CLEAN.items() if not k.startswith("docs/adr/")}
    return {**base, **{f"docs/decisions/000{i}-d.md": MADR.format(n=i, status=s)
                       for i, s in enumerate(statuses, start=1)}}


def test_a_status_most_records_leave_out_is_not_required(tmp_path: Path) -> None:
    # MADR makes the status optional: a decision log that does not use it is not told to
    make(tmp_path, _madr(["", "", "status: accepted\n", ""]))
    assert rules(findings(tmp_path)) == set()


def test_a_record_without_the_status_the_others_have_is_reported(tmp_path: Path) -> None:
    make(tmp_path, _madr(["status: accepted\n", "status: accepted\n", "", "status: proposed\n"]))
    assert rules(findings(tmp_path)) == {("docs/adr-missing-status", "docs/decisions/0003-d.md", 5)}


def test_sections_follow_the_repository_convention_unless_configured(tmp_path: Path) -> None:
    free_form = "# {n}. Decision {n}\n\nDate: 2026-01-0{n}\n\n## Status\n\nAccepted\n\n## Context\n\nc\n\n" \
                "## Decision\n\nd\n"
    base = {k: v for k, v in CLEAN.items() if not k.startswith("docs/adr/")}
    make(tmp_path, {**base, **{f"docs/adr/000{i}-d.md": free_form.format(n=i) for i in range(1, 5)}})
    assert rules(findings(tmp_path)) == set()          # none of the four has Consequences: not their template
    configured = findings(tmp_path, {"adr_sections": ["Context", "Decision", "Consequences"]})
    assert {r for r, _p, _l in rules(configured)} == {"docs/adr-missing-section"} and len(configured) == 4


def test_dates_follow_the_repository_convention(tmp_path: Path) -> None:
    # saleor's docs/adr: nine records, none with a date. Demanding one of each is noise.
    undated = NYGARD.replace("Date: 2026-01-0{n}\n\n", "")
    base = {k: v for k, v in CLEAN.items() if not k.startswith("docs/adr/")}
    make(tmp_path / "a", {**base, **{f"docs/adr/000{i}-d.md": undated.format(n=i, status="Accepted")
                                     for i in range(1, 5)}})
    assert rules(findings(tmp_path / "a")) == set()
    # one undated record among dated ones still is reported
    dated = {f"docs/adr/000{i}-d.md": NYGARD.format(n=i, status="Accepted") for i in range(1, 4)}
    make(tmp_path / "b", {**base, **dated, "docs/adr/0004-d.md": undated.format(n=4, status="Accepted")})
    found = findings(tmp_path / "b")
    assert rules(found) == {("docs/adr-missing-date", "docs/adr/0004-d.md", 1)}
    assert "most of this repository's records carry one" in found[0].message
