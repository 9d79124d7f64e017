"""sql.parse: one parse per file, statement positions in characters (libpg_query counts UTF-8 bytes)."""

from __future__ import annotations

from readiness.gates.migrations.sql import Origin, _raw_statements, parse


def _positions(text: str, origin: Origin | None = None) -> list[tuple[str, int, int, int]]:
    stmts, errors = parse(text, origin)
    assert errors == []
    return [(s.text, s.line, s.column, s.end_line) for s in stmts]


def test_positions_after_multibyte_characters() -> None:
    text = "SELECT 'é€😀';  ALTER TABLE \"tä\" RENAME COLUMN a TO b;\n-- ü\n  CREATE INDEX i ON t (x);"
    assert _positions(text) == [
        ("SELECT 'é€😀'", 1, 1, 1),
        ('ALTER TABLE "tä" RENAME COLUMN a TO b', 1, 16, 1),
        ("CREATE INDEX i ON t (x)", 3, 3, 3),
    ]


def test_positions_mapped_through_an_origin_and_crlf() -> None:
    text = "ALTER TABLE t\r\n  DROP COLUMN c;\r\nDROP TABLE u"
    assert _positions(text, Origin(line=5, column=7, continuation_column=3)) == [
        ("ALTER TABLE t\r\n  DROP COLUMN c", 5, 7, 6),
        ("DROP TABLE u", 7, 3, 7),
    ]


def test_trees_only_for_statements_a_rule_reads() -> None:
    stmts, _ = parse("CREATE VIEW v AS SELECT 1; UPDATE t SET a = 1; INSERT INTO t VALUES (1); "
                     "INSERT INTO t SELECT * FROM u; DO $$ BEGIN END $$;")
    assert [(s.text.split()[0], s.node is not None) for s in stmts] == [
        ("CREATE", False), ("UPDATE", True), ("INSERT", False), ("INSERT", True), ("DO", False)]
    assert stmts[1].node is not None and "UpdateStmt" in stmts[1].node


def test_empty_and_comment_only_text() -> None:
    assert parse("") == ([], [])
    assert parse("  -- nothing here\n/* nor here */;;\n") == ([], [])


def test_statement_split_survives_json_look_alikes_in_strings() -> None:
    tricky = 'SELECT \'},{"stmt":{"X":1},"stmt_len":3}\'; DROP TABLE "a,{""stmt"":"; UPDATE t SET a = 1'
    assert [s[0] for s in _positions(tricky)] == [
        'SELECT \'},{"stmt":{"X":1},"stmt_len":3}\'', 'DROP TABLE "a,{""stmt"":"', "UPDATE t SET a = 1"]


def test_unexpected_json_shape_falls_back_to_a_full_decode() -> None:
    odd = '{"version":1,"stmts":[{"stmt":{"SelectStmt":{}},"stmt_len":8,"extra":1}]}'
    assert _raw_statements(odd) == ([({"SelectStmt": {}}, 0, 8)], False)
    assert _raw_statements('{"version":1}') == ([], False)
