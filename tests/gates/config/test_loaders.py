"""Position-keeping loads: YAML (merge keys, aliases), the JSON scanner, the TOML line scan."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from readiness.gates.config.loaders import ParseProblem, parse
from readiness.yamlpos import Pos, YamlError, load_all, load_one

BENCH = Path(__file__).resolve().parents[3] / "benchmarks"


def test_yaml_merge_keys_are_positioned_at_their_anchor_and_explicit_keys_win() -> None:
    text = "base: &b\n  host: a\n  port: 1\nprod:\n  <<: *b\n  port: 2\n"
    doc = load_one(text)
    assert doc.value["prod"] == {"host": "a", "port": 2}
    assert doc.values[("prod", "host")] == Pos(2, 9)   # merged: where it is written
    assert doc.values[("prod", "port")] == Pos(6, 9)   # explicit key wins, and its position
    assert doc.keys[("prod", "port")] == Pos(6, 3)


def test_yaml_without_positions_gives_the_same_values_and_duplicates() -> None:
    text = "a: &x {k: 1}\nb: *x\nc:\n  <<: *x\n  d: 1\n  d: 2\n---\n- 2024-01-01\n"
    fast, slow = load_all(text, positions=False), load_all(text)
    assert [d.value for d in fast] == [d.value for d in slow]
    assert fast[1].value == ["2024-01-01"]
    assert fast[0].values == {} and slow[0].values
    assert fast[0].duplicates == slow[0].duplicates == [(("c", "d"), Pos(5, 3), Pos(6, 3))]


def test_yaml_nesting_guard_reports_the_line() -> None:
    with pytest.raises(YamlError) as err:
        load_all("a: 1\nb: " + "[" * 2000 + "]" * 2000)
    assert err.value.line == 2


def test_json_scanner_positions_and_duplicates() -> None:
    text = '{\n  "a": {"b": [1, {"c": "\\u00e9x"}]},\n  "d": null,\n  "d": true\n}'
    pf = parse("x.json", text, "json")
    assert pf.docs == [{"a": {"b": [1, {"c": "éx"}]}, "d": True}]
    pos = pf.positions()
    assert pos.of_key(("a",)) == Pos(2, 3)
    assert pos.of_value(("a", "b", 1, "c")) == Pos(2, 24)
    assert pos.of_value(("a", "b", 0)) == Pos(2, 15)
    assert [(d.path, d.first, d.again) for d in pf.duplicates] == [(("d",), Pos(3, 3), Pos(4, 3))]


def test_json_errors_carry_line_and_column() -> None:
    with pytest.raises(ParseProblem) as err:
        parse("x.json", '{\n  "a": 1\n  "b": 2\n}', "json")
    assert (err.value.line, err.value.column) == (3, 3)


def test_toml_line_scan_tables_arrays_of_tables_dotted_and_multiline() -> None:
    text = "\n".join([
        'title = "x"',                 # 1
        'desc = """',                  # 2
        'port = "not a key"',          # 3 (inside the string)
        '"""',                         # 4
        "[server]",                    # 5
        "  tls.enabled = true",        # 6
        "[[fruit]]",                   # 7
        'name = "apple"',              # 8
        "[[fruit.variety]]",           # 9
        'name = "red"',                # 10
        "[[fruit]]",                   # 11
        'name = "pear"',               # 12
        'inline = { a = 1, b = 2 }',   # 13
        "[\"quoted key\".sub]",        # 14
        "v = 1",                       # 15
    ]) + "\n"
    pf = parse("x.toml", text, "toml")
    assert pf.docs[0]["fruit"][1]["name"] == "pear"
    pos = pf.positions()
    assert pos.of_value(("title",)) == Pos(1, 9)
    assert pos.of_key(("server", "tls", "enabled")) == Pos(6, 3)
    assert pos.of_value(("fruit", 0, "variety", 0, "name")) == Pos(10, 8)
    assert pos.of_value(("fruit", 1, "name")) == Pos(12, 8)
    assert pos.of_value(("fruit", 1, "inline", "b")) == Pos(13, 10)  # limit: the holding key's value
    assert pos.of_value(("quoted key", "sub", "v")) == Pos(15, 5)
    assert ("port",) not in pos.keys


def test_toml_errors_carry_line_and_column() -> None:
    with pytest.raises(ParseProblem) as err:
        parse("x.toml", "a = 1\na = 2\n", "toml")
    assert err.value.line == 2


def test_benchmark_corpus_smoke(tmp_path: Path) -> None:
    """The benchmark's generator and planted-error check, on 40 files, in-process."""
    sys.path.insert(0, str(BENCH))
    try:
        import config_vs_check_jsonschema as bench  # benchmarks/, on sys.path here
    finally:
        sys.path.remove(str(BENCH))
    from readiness.config import load_config
    from readiness.engine import RunOptions, run
    from readiness.model import FailOn
    from readiness.render.json_report import render_json

    planted = bench.generate(tmp_path, 40, seed=7)
    assert planted
    cfg = load_config(tmp_path / ".readiness.yml", display=".readiness.yml")
    report = run(RunOptions(root=tmp_path, config=cfg, fail_on=FailOn.NEVER, gates=("config",)))
    import json

    data = json.loads(render_json(report))
    assert bench.check_planted(data, planted) == []
    gate = [g for g in data["gates"] if g["id"] == "config"][0]
    assert len(gate["items"]) == 40


def test_yaml_positions_count_lines_like_github_not_like_yaml_1_1() -> None:
    # libyaml also breaks lines at U+2028, U+2029, NEL and a lone CR; GitHub counts "\n" only
    doc = load_one('x: "a\u2028b\x85c"\ny: 1\r\nz: [1,\r 2]\n')
    assert doc.keys[("y",)] == Pos(2, 1)
    assert doc.values[("z", 1)] == Pos(3, 9)
    with pytest.raises(YamlError) as err:
        load_all('x: "a\u2028b"\ny: [1\n')
    assert err.value.line == 3


@pytest.mark.parametrize("expr", ["'? ' * 60000 + 'x'", "'- ? ' * 30000 + 'x'", "'- ' * 60000 + 'x'",
                                  "'[' * 100000 + ']' * 100000"])
def test_deep_one_line_nesting_is_refused_in_a_child_process(expr: str) -> None:
    """A regression here would crash libyaml's C composer (segmentation fault), hence the child."""
    import subprocess

    code = ("from readiness.yamlpos import load_all, YamlError\n"
            f"try:\n    load_all({expr})\n    print('loaded')\nexcept YamlError:\n    print('refused')\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert (done.returncode, done.stdout.strip()) == (0, "refused")
