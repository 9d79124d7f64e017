"""Vendored code and other projects' test data are skipped by every gate unless `include` names
them, and the report says what was skipped and how to include it."""

from __future__ import annotations

import json
from pathlib import Path

from jsonschema import Draft202012Validator

from readiness.config import Config, load_config
from readiness.engine import RunOptions, run
from readiness.model import FailOn
from readiness.render.json_report import render_json
from readiness.render.markdown import render_summary
from readiness.render.text import render_text
from readiness.schemas import report_schema
from readiness.workspace import Workspace

DROP = "ALTER TABLE users DROP COLUMN email;\n"
FILES = {
    "db/migrations/V1__init.sql": "CREATE TABLE users (id bigint);\n",
    "vendor/github.com/acme/lib/migrations/V2__drop.sql": DROP,
    "oryx/popx/stub/migrations/V3__drop.sql": DROP,
    "internal/migrations/testdata/V4__drop.sql": DROP,
    "third_party/pkg/db/migrations/V5__drop.sql": DROP,
    "Vendor/x/migrations/V6__drop.sql": DROP,
    "services/stubs/migrations/V7__drop.sql": DROP,
}


def _repo(root: Path) -> Path:
    for rel, text in FILES.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


def test_every_gate_skips_vendored_code_and_test_data(tmp_path: Path) -> None:
    ws = Workspace(_repo(tmp_path))
    assert ws.files() == ["db/migrations/V1__init.sql"]
    assert sorted(ws.skipped) == ["Vendor/", "internal/migrations/testdata/", "oryx/popx/stub/",
                                  "services/stubs/", "third_party/", "vendor/"]
    assert ws.skipped_count == 6


def test_include_brings_them_back(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    assert Workspace(root, include=["**"]).files() == sorted(FILES)
    some = Workspace(root, include=["vendor/", "**/testdata"]).files()
    assert some == ["db/migrations/V1__init.sql", "internal/migrations/testdata/V4__drop.sql",
                    "vendor/github.com/acme/lib/migrations/V2__drop.sql"]
    (root / ".readiness.yml").write_text("version: 1\ninclude: [third_party/]\n", encoding="utf-8")
    assert load_config(root / ".readiness.yml").include == ("third_party/",)


def test_the_report_says_what_was_skipped_and_how_to_include_it(tmp_path: Path) -> None:
    report = run(RunOptions(root=_repo(tmp_path), config=Config(), fail_on=FailOn.CRITICAL, gates=("migrations",)))
    assert not report.findings or {f.location.path for f in report.findings} == {"db/migrations/V1__init.sql"}
    assert report.excluded_count == 6
    data = json.loads(render_json(report))
    Draft202012Validator(report_schema()).validate(data)
    assert data["excluded"] == {"count": 6, "paths": list(report.excluded)}
    text = render_text(report)
    assert "not read (vendored code or other projects' test data): Vendor/, internal/migrations/testdata/" in text
    assert "and 1 more; to judge them, list them under include: in .readiness.yml" in text
    assert "list them under `include:` in `.readiness.yml`" in render_summary(report)
    everything = run(RunOptions(root=tmp_path, config=Config(include=("**",)), fail_on=FailOn.CRITICAL,
                                gates=("migrations",)))
    assert everything.excluded_count == 0 and "excluded" not in json.loads(render_json(everything))
    assert len({f.location.path for f in everything.findings if f.rule == "migrations/drop-column"}) == 6
