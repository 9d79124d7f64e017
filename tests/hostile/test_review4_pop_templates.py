"""A pop/popx migration must not hide SQL in the Go template actions the runner renders first.

pop and ory's popx render every `.sql` migration as a Go text/template before running it. Before, the
gate replaced every printing action by a quoted identifier naming it, so `{{ `a; DROP TABLE users` }}`
(a raw string constant) was read as the identifier "{a; DROP TABLE users}", and a statement inside
`{{ define }}` or on the line of another statement (see test_review4_same_line_replay.py) slipped
through: the PR passed. Now a string constant prints its value, control actions keep every branch's
text, a reference to the program's data stays an identifier, and anything else that prints
(`printf` of constants, a variable, `{{ template }}` of an unknown template, an action the reader
cannot delimit) is `migrations/dynamic-sql`, critical in a file the PR adds.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sec_support import PrRepo, assert_no_defect, check

GOMOD = "module example.com/x\n\ngo 1.21\n\nrequire github.com/ory/x v0.0.600\n"
M = "persistence/sql/migrations/"
BASE = {"go.mod": GOMOD, M + "20200101000000_init.up.sql": "CREATE TABLE users (id int primary key, email text);\n",
        M + "20200101000000_init.down.sql": "DROP TABLE users;\n"}


def _run(tmp_path: Path, up: str) -> tuple[int, list[tuple[str, str]]]:
    repo = PrRepo.make(tmp_path / "ws", BASE, {M + "20200102000000_x.up.sql": up,
                                              M + "20200102000000_x.down.sql": "SELECT 1;\n"})
    done = check(repo.path, "--base", repo.base, "--gates", "migrations", "--replay", "off", home=tmp_path)
    assert_no_defect(done)
    return done.code, [(f["rule"], f["severity"]) for f in done.findings() if f["severity"] == "critical"]


RENDERED = [  # the SQL the runner renders is judged: a constant prints its value, every branch counts
    '{{ "DROP TABLE users" }};\n',
    "SELECT 1 AS {{ `a; DROP TABLE users` }};\n",
    '{{ define "t" }}DROP TABLE users;{{ end }}SELECT 1;\n',
    '{{ if false }}DROP TABLE users;{{ else }}SELECT 1;{{ end }}\n',
    'SELECT 1 AS "x{{ `" ; DROP TABLE users; --` }}";\n',
]
UNKNOWN = [  # what an action prints cannot be known: fail closed
    'SELECT 1;\n{{ printf "%s %s users" "DROP" "TABLE" }};\n',
    '{{ $x := "DROP TABLE users" }}{{ $x }};\n',
    '{{ with "DROP TABLE users" }}{{ . }}{{ end }};\n',
    'SELECT 1;\n{{ template "cleanup" }}\n',
    'SELECT 1 AS {{ "a" | printf "%s; DROP TABLE users" }};\n',
    'SELECT 1;\n{{ .X\n}}\n',
]


@pytest.mark.parametrize(("up", "rule"), [*((u, "migrations/drop-table") for u in RENDERED),
                                          *((u, "migrations/dynamic-sql") for u in UNKNOWN)])
def test_a_template_cannot_hide_what_it_renders(tmp_path: Path, up: str, rule: str) -> None:
    code, critical = _run(tmp_path, up)
    assert (rule, "critical") in critical, critical
    assert code == 1


@pytest.mark.parametrize("up", [
    "CREATE TABLE {{ identifier .Parameters.tableName }} (id int primary key);\n",
    "{{ if .IsCockroach }}CREATE TABLE a (id int primary key);{{ else }}CREATE TABLE a (id int);{{ end }}\n",
    'CREATE TABLE "{{ index .Options "Namespace" }}_flows" (id int primary key);\n',
    "{{/* a comment */}}CREATE TABLE b (id int primary key);\n",
])
def test_ordinary_popx_templates_still_pass(tmp_path: Path, up: str) -> None:
    code, critical = _run(tmp_path, up)
    assert critical == [] and code == 0, critical
