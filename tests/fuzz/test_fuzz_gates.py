"""Property tests of each gate's parsers: garbage in, values (findings, problems, issues) out, and only the
documented error types. A gate whose module has not landed is skipped with that reason."""

from __future__ import annotations

import importlib
import json
import re
from types import ModuleType
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from strategies import YAML_TEXT, lines_of, texty


def gate_module(name: str) -> ModuleType:
    """A gate module, or a skip naming it while its gate is still being built."""
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        pytest.skip(f"{name} has not landed: {exc}")


# -- migrations: SQL splitting and classification ----------------------------------------------------
SQL_TEXT = texty("();,'\"$-/*\n \t:[]=<>", max_size=300, words=(
    "ALTER TABLE ", "users ", "DROP COLUMN ", "ADD COLUMN ", "RENAME ", "TO ", "CREATE INDEX ", "CONCURRENTLY ",
    "ON ", "BEGIN;", "COMMIT;", "$$", "$tag$", "-- readiness: ignore migrations/drop-column -- ok", "/*", "*/",
    "SET lock_timeout = '1s';", "NOT NULL", "DEFAULT now()", "int", "text", "E'\\''", "VACUUM FULL ",
    "CREATE TABLE ", "INSERT INTO x SELECT 1;", "UPDATE x SET a = 1;", "-- migrate:up\n", "-- +goose Up\n",
    "-- migrate:down\n", "-- +goose StatementBegin\n", "\\connect x\n", "COPY x FROM stdin;\n1\n\\.\n"))


@given(SQL_TEXT)
@example("CREATE TABLE (((( WHERE;\nALTER TABLE a DROP COLUMN b;")
@example("$$ unterminated")
@example("'" * 3 + ";" * 3)
@example("/* /* nested */")
def test_sql_parse_never_raises_and_lines_are_in_the_text(text: str) -> None:
    sql = gate_module("readiness.gates.migrations.sql")
    ops = gate_module("readiness.gates.migrations.pgtree")
    statements, errors = sql.parse(text)
    nlines = max(text.count("\n") + 1, 1)
    for s in statements:
        assert 1 <= s.line <= s.end_line <= nlines + 1, (s.line, s.end_line, nlines)
        assert s.column >= 1
        sql.normalize(s.text)
        for op in ops.from_statement(s):
            assert op is not None
    for e in errors:
        assert 1 <= e.line <= nlines + 1 and e.column >= 1


@given(SQL_TEXT, st.sampled_from(["transactional", "none", "single"]), st.booleans())
def test_sql_classification_never_raises(text: str, mode: str, large: bool) -> None:
    sql = gate_module("readiness.gates.migrations.sql")
    ops_mod = gate_module("readiness.gates.migrations.pgtree")
    classify = gate_module("readiness.gates.migrations.classify")
    statements, _errors = sql.parse(text)
    ops = [op for s in statements for op in ops_mod.from_statement(s)]
    modes = list(classify.TxMode)
    tx = next((m for m in modes if m.value == mode), modes[0])
    ctx = classify.Context(mode=tx, large={"users": 10**7} if large else {})
    for hit in classify.judge(ops, ctx, statements=len(statements)):
        assert hit is not None


COLUMN_NAME = st.text(alphabet="abcxyzé中_", min_size=1, max_size=6).map(lambda n: f'"{n}"')
GAP = st.sampled_from([" ", "\n", "\n  ", "\r\n\t", " -- é\n", " /* ü */ "])


@given(st.lists(st.tuples(GAP, COLUMN_NAME), min_size=1, max_size=5, unique_by=lambda t: t[1]), GAP,
       st.integers(min_value=1, max_value=3), st.integers(min_value=1, max_value=9))
def test_column_positions_point_at_the_column_name(columns: list[tuple[str, str]], lead: str, first_col: int,
                                                   cont: int) -> None:
    sql = gate_module("readiness.gates.migrations.sql")
    ops = gate_module("readiness.gates.migrations.pgtree")
    text = f"SELECT 'é';{lead}CREATE TABLE t (" + ",".join(f"{g}{n} int" for g, n in columns) + ");"
    origin = sql.Origin(line=5, column=first_col, continuation_column=cont)
    statements, errors = sql.parse(text, origin)
    assert not errors
    [table] = [op for st_ in statements for op in ops.from_statement(st_) if op.action == "create_table"]
    lines = text.split("\n")
    at = {c.name: c.at for c in table.columns}
    for _gap, quoted in columns:
        line, col = at[quoted[1:-1]]
        row = lines[line - 5]
        start = col - (first_col if line == 5 else cont)  # back to an index in the text's own line
        assert row[start:start + len(quoted)] == quoted, (row, start, quoted)


LIQUIBASE_TEXT = texty("();,'\"$-/*\n \t:!", max_size=300, words=(
    "--liquibase formatted sql\n", "--changeset a:1", "-- changeset b:2 ", "runInTransaction:false", "dbms:",
    "postgresql", "!postgresql", "oracle", ",", "\n--rollback ", "empty", "not required", "/* liquibase rollback\n",
    "*/", "ALTER TABLE users DROP COLUMN a;", "ALTER TABLE users ADD COLUMN a text;",
    "CREATE INDEX CONCURRENTLY i ON t (a);", "UPDATE users SET a = 1;", "BEGIN;", "COMMIT;", "\r\n"))


@given(LIQUIBASE_TEXT)
@example("--liquibase formatted sql\n--changeset a:1\n/* liquibase rollback")
@example("--liquibase formatted sql\n--changeset a:1 dbms:,,,!\n--rollback */ /*")
def test_liquibase_changesets_are_in_the_file_and_their_rollback_keeps_its_lines(text: str) -> None:
    lb = gate_module("readiness.gates.migrations.liquibase")
    sql = gate_module("readiness.gates.migrations.sql")
    nlines = text.count("\n") + 1
    last = 0
    for cs in lb.changesets(text):
        assert last < cs.line < cs.sql_line <= nlines + 1
        last = cs.line
        assert cs.rollback_state in ("present", "empty", "missing")
        if cs.rollback:
            assert cs.rollback.count("\n") == cs.sql.count("\n")  # same layout as the body
            statements, errors = sql.parse(cs.rollback, sql.Origin(line=cs.sql_line))
            for st_ in statements:
                assert cs.sql_line <= st_.line <= st_.end_line <= nlines + 1
            for e in errors:
                assert cs.sql_line <= e.line <= nlines + 1


# -- deps: requirements, lock files, pyproject, OSV ranges -------------------------------------------
REQ_LINE = texty("=<>~!;[],.@#\\ -/:'\"*", max_size=60, words=(
    "requests", "==", ">=", "~=", "===", "2.31.0", "1.0.*", "; python_version < '3.8'", " --hash=sha256:",
    "-r ", "-c ", "-e ", "../", "/etc/passwd", "git+https://x/y.git#egg=z", "file:///etc/passwd", "[security]",
    "--index-url ", "-i ", "--extra-index-url ", " \\", "#", "@ https://x/y.whl", "-r requirements.txt",
    "--requirement=", "%", "\x00"))


@given(lines_of(REQ_LINE))
@example("-r requirements.txt\n")
@example("-r ../../../etc/passwd\n-c /etc/shadow\n")
@example("a==1 \\\n")
@example("x===\n" + "a" * 20000)
def test_requirements_parse_to_values(text: str) -> None:
    req = gate_module("readiness.gates.deps.requirements")
    model = gate_module("readiness.gates.deps.model")
    files = {"requirements.txt": text, "base.txt": "a==1\n-r requirements.txt\n"}

    def read(rel: str) -> str:
        from readiness.workspace import FileProblem

        if rel not in files:
            raise FileProblem(rel, "file does not exist")
        return files[rel]

    out = model.empty_parsed()
    req.parse_requirements_file("requirements.txt", read, out)
    req.parse_requirements_file("base.txt", read, out)
    nlines = max(len(text.splitlines()), 1)
    for d in out.deps:
        assert d.name and d.line >= 1
        if d.source == "requirements.txt":
            assert d.line <= nlines
        d.item()
    for p in out.problems:
        assert p.path in files or p.unreadable
    assert not any(f.startswith(("/", "..")) for f in out.files), out.files


TOML_TEXT = texty("[]=\"'.{}#,\n -", max_size=300, words=(
    "[[package]]\n", "name = ", "version = ", '"requests"', '"2.31.0"', "[metadata]\n", "[project]\n",
    "dependencies = [", "]", '"a>=1"', "[tool.poetry.dependencies]\n", "python = ", "[build-system]\n",
    "requires = ", "[[packages]]\n", "source = ", "{ registry = ", "[project.optional-dependencies]\n"))


@given(TOML_TEXT, st.sampled_from(["poetry.lock", "uv.lock", "pylock.toml", "pdm.lock"]))
@example('[[package]]\nname = 1\nversion = []\n', "poetry.lock")
@example('package = "x"\n', "uv.lock")
def test_lock_files_parse_to_values(text: str, name: str) -> None:
    locks = gate_module("readiness.gates.deps.locks")
    model = gate_module("readiness.gates.deps.model")
    out = model.empty_parsed()
    locks.parse_lock(name, text, out)
    for d in out.deps:
        assert d.line >= 1


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=10),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
                        st.sampled_from(["default", "develop", "version", "hashes", "_meta", "x", "markers",
                                         "requests", "git", "ref"]), inner, max_size=4), max_leaves=20))
def test_pipfile_lock_parses_to_values(value: Any) -> None:
    locks = gate_module("readiness.gates.deps.locks")
    model = gate_module("readiness.gates.deps.model")
    out = model.empty_parsed()
    locks.parse_lock("Pipfile.lock", json.dumps(value), out)


@given(TOML_TEXT)
@example('[project]\ndependencies = "x"\n')
@example('[project]\ndependencies = [1, {a = 2}]\n')
@example('[tool.poetry.dependencies]\nx = {version = 3}\n')
def test_pyproject_parses_to_values(text: str) -> None:
    pyproject = gate_module("readiness.gates.deps.pyproject")
    model = gate_module("readiness.gates.deps.model")
    out = model.empty_parsed()
    pyproject.parse_pyproject("pyproject.toml", text, out)


VERSION = st.one_of(
    st.builds(lambda parts: ".".join(map(str, parts)), st.lists(st.integers(0, 20), min_size=1, max_size=4)),
    st.sampled_from(["0", "1.0a1", "1.0.post1", "1.0.dev0", "2!1.0", "1.0+local", "not-a-version", "", "1.0.*",
                     "99999999999999999999999999", "1" * 500]),
)


@given(st.lists(st.fixed_dictionaries({}, optional={"introduced": VERSION, "fixed": VERSION,
                                                     "last_affected": VERSION, "limit": VERSION}), max_size=5),
       st.lists(VERSION, max_size=4), VERSION, st.sampled_from(["ECOSYSTEM", "GIT", "SEMVER", None]))
@example([{"introduced": "0"}, {"fixed": "1.0"}], [], "0.9", "ECOSYSTEM")
def test_osv_evaluate_never_raises(events: list[dict[str, str]], versions: list[str], version: str,
                                   kind: str | None) -> None:
    osv = gate_module("readiness.gates.deps.osv_offline")
    parsed = osv.parse_version(version)
    if parsed is None:
        return
    record = {"id": "PYSEC-0000-1", "affected": [
        {"package": {"ecosystem": "PyPI", "name": "demo"}, "versions": versions,
         "ranges": [{"type": kind, "events": events}]}]}
    m = osv.evaluate(record, "demo", parsed, version, notes=[])
    assert isinstance(m.affected, bool)


@given(VERSION, VERSION, VERSION)
def test_osv_single_interval_semantics(lo: str, hi: str, version: str) -> None:
    """`introduced: lo, fixed: hi` affects exactly lo <= v < hi (PEP 440 order)."""
    osv = gate_module("readiness.gates.deps.osv_offline")
    vlo, vhi, v = osv.parse_version(lo), osv.parse_version(hi), osv.parse_version(version)
    if None in (vlo, vhi, v) or not vlo < vhi:
        return
    record = {"id": "X", "affected": [{"package": {"ecosystem": "PyPI", "name": "demo"},
                                       "ranges": [{"type": "ECOSYSTEM",
                                                   "events": [{"introduced": lo}, {"fixed": hi}]}]}]}
    assert osv.evaluate(record, "demo", v, version).affected == (vlo <= v < vhi)


@given(st.recursive(st.none() | st.integers() | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
                        st.sampled_from(["affected", "package", "ecosystem", "name", "ranges", "type", "events",
                                         "versions", "introduced", "fixed", "id"]), inner, max_size=4),
                    max_leaves=25))
def test_osv_compile_record_takes_any_json(record: Any) -> None:
    """Records come from an OSV directory that may sit in the repository: any JSON must be judged or
    skipped, never crash the run."""
    osv = gate_module("readiness.gates.deps.osv_offline")
    if not isinstance(record, dict):
        record = {"affected": record}
    v = osv.parse_version("1.0")
    osv.evaluate(record, "demo", v, "1.0", notes=[])


OSV_CRASHERS = [
    {"id": "PYSEC-X", "affected": 1},
    {"id": "PYSEC-X", "affected": [{"package": {"ecosystem": "PyPI", "name": "demo"}, "versions": 7}]},
    {"id": "PYSEC-X", "affected": [{"package": {"ecosystem": "PyPI", "name": "demo"},
                                    "ranges": [{"type": "ECOSYSTEM", "events": 5}]}]},
]


@pytest.mark.parametrize("record", OSV_CRASHERS, ids=["affected-int", "versions-int", "events-int"])
def test_regression_osv_record_with_scalar_where_a_list_belongs(record: dict[str, Any]) -> None:
    """Found by fuzzing: compile_record iterated scalars (TypeError, `readiness check` exit 3); fixed in 1f933d6."""
    osv = gate_module("readiness.gates.deps.osv_offline")
    assert osv.evaluate(record, "demo", osv.parse_version("1.0"), "1.0", notes=[]).affected is False


# -- config: dotenv, secret scanning, config file loaders --------------------------------------------
DOTENV = lines_of(texty("=#'\"$\\{}: \t-\n", max_size=50, words=(
    "export ", "KEY", "DATABASE_URL", "=", "'single'", '"double"', "${OTHER}", "\\n", "# comment",
    "postgres://u:p4ss@h/db", "ghp_" + "a" * 36, "AKIA" + "B" * 16)))


@given(DOTENV)
@example('A="unterminated\nB=2')
@example("export\n=\n==\n'")
def test_dotenv_parse_never_raises(text: str) -> None:
    env = gate_module("readiness.gates.config.envfiles")
    bindings, issues = env.parse_dotenv(text)
    nlines = max(len(text.splitlines()), 1) + 1
    for b in bindings:
        assert 1 <= b.key.line <= nlines and 1 <= b.value_pos.line <= nlines, (b, nlines)
    for i in issues:
        assert 1 <= i.line <= nlines, (i, nlines)


def test_regression_dotenv_positions_with_crlf_after_a_bad_line() -> None:
    """Found by fuzzing: after an unparsable line in a CRLF file CR and LF counted as two lines (fixed in 2891cc4)."""
    env = gate_module("readiness.gates.config.envfiles")
    bindings, issues = env.parse_dotenv("=\r\n=\r\nA=1\r\n")
    assert [i.line for i in issues] == [1, 2] and [b.key.line for b in bindings] == [3]


SECRET_VALUE = texty("abcdefABCDEF0123456789+/=_-:@.", max_size=80, words=(
    "ghp_", "ghs_", "AKIA", "xoxb-", "sk_live_", "-----BEGIN RSA PRIVATE KEY-----", "postgres://", "user:pw@",
    "changeme", "${SECRET}", "<redacted>"))
TREE = st.recursive(st.none() | st.integers() | st.booleans() | SECRET_VALUE,
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
                        st.sampled_from(["password", "api_key", "token", "db", "url", "secret_file", "x",
                                         "client_secret", "passphrase", "name"]), inner, max_size=4),
                    max_leaves=25)


@given(TREE)
def test_secret_scan_never_echoes_whole_secrets(tree: Any) -> None:
    secrets = gate_module("readiness.gates.config.secrets")
    for hit in secrets.scan(tree):
        shown = " ".join(str(v) for v in getattr(hit, "__dict__", {}).values()) if hasattr(hit, "__dict__") else ""
        for slot in getattr(type(hit), "__slots__", ()):
            shown += " " + str(getattr(hit, slot))
        assert shown is not None
    for value in ("ghp_" + "Z" * 36, "AKIA" + "Q" * 16):
        redacted = secrets.redact(value)
        assert value not in redacted


CONFIG_TEXT = st.one_of(YAML_TEXT, texty('{}[]":,0123456789.eE+-tfnul \n\\', max_size=200, words=(
    "true", "false", "null", '"a"', '"\\u0000"', '"\\ud800"', "1e999", "-0", "NaN", "Infinity")), TOML_TEXT)


@given(CONFIG_TEXT, st.sampled_from(["yaml", "json", "toml"]))
@example('{"a":' * 3000 + "1" + "}" * 3000, "json")
@example('{"a": 1, "a": 2}', "json")
@example("a = 1\na = 2\n", "toml")
@example('"\\ud800"', "json")
def test_config_loaders_raise_only_parse_problem(text: str, fmt: str) -> None:
    loaders = gate_module("readiness.gates.config.loaders")
    try:
        pf = loaders.parse("config/x." + fmt, text, fmt)
    except loaders.ParseProblem as exc:
        line = getattr(exc, "line", None)
        # YAML 1.1 also breaks lines at U+0085, U+2028, U+2029 (see the regression test in test_fuzz_core)
        breaks = len(re.findall("\r\n|[\r\n\x85\u2028\u2029]", text))
        assert line is None or 1 <= line <= breaks + 2
        return
    for i in range(len(pf.docs)):
        pf.positions(i)


# -- docs: markdown, front matter, ADR parsing --------------------------------------------------------
MD_TEXT = lines_of(texty("#*_[]()<>!`-=|:~\\ \t", max_size=60, words=(
    "# ", "## ", "Status", "Accepted", "Superseded by [ADR-2](0002-x.md)", "Date: 2026-01-01", "---", "title: ",
    "](#anchor)", "](../x.md)", "<a name='x'>", "```", "    code", "| a | b |", "|---|---|", "[ref]: ", "<!-- ",
    " -->", "# 1. Record", "* [ ] ", "&amp;", "{{ template }}")))


@given(MD_TEXT)
@example("---\n---\n")
@example("---\na: [\n---\n# x\n")
@example("# " + "#" * 5000)
def test_markdown_parse_never_raises_and_headings_are_in_the_text(text: str) -> None:
    md = gate_module("readiness.gates.docs.markdown")
    doc = md.parse(text)
    nlines = max(len(text.splitlines()), 1)
    for h in doc.headings:
        assert 1 <= h.line <= nlines, (h, nlines)
        md.github_slug(h.text)
    doc.title()


@given(st.text(max_size=80), st.text(alphabet="0123456789-abcdefADR_./", max_size=30))
def test_adr_helpers_never_raise(status: str, name: str) -> None:
    adr = gate_module("readiness.gates.docs.adr")
    assert adr.classify_status(status) is None or isinstance(adr.classify_status(status), str)
    n = adr.number_of(f"docs/adr/{name}")
    assert n is None or n >= 0
