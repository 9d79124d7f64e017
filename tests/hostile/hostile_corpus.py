"""The hostile-repository corpus: each case builds a repository in a temporary directory at test time.

Dangerous content (symlinks to /etc/shadow, alias bombs, code that would write a marker file if it
ever ran) is generated here, never committed. A case says which exit codes are acceptable, which
gates must report which path, and what must appear in the error output; the invariants that hold
for every case (no traceback, no exit 3, nothing of a symlink target, no token, no marker file)
live in `hostile_run.py`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from factories import write_file

TOKEN = "ghs_FAKEtoken0HOSTILE0abcdefghijklmnopqrstuvwx"
"""The recognisable fake token every run has in GITHUB_TOKEN / INPUT_GITHUB-TOKEN."""
ENV_CANARY = "env-canary-7f3a9c-must-never-be-printed"
"""An environment value: if /proc/self/environ were ever read, this would show up."""
COMMITTED_SECRET = "ghp_COMMITTEDsecret0HOSTILE0zyxwvutsrqpon1234"
"""A secret committed in a config file: the report may name the key, never echo the value."""

MIB = 1024 * 1024
HUGE = 3 * MIB

# Hostile file names (no `/`: that cannot be in a name). Each is used as a migration, a config file
# and a required document, so that it travels into messages and paths of every format.
NAME_NEWLINE = "evil\n::error file=INJECTED,line=1::pwned\n.sql"
NAME_DOTS = "..V3__dots...sql"
NAME_MARKDOWN = "V4__[click](https:__evil.example_x)![img](https:__evil.example_i.png).sql"
NAME_HTML = "V5__<img src=x onerror=alert(1)><script>alert(2)<_script>.sql"
NAME_MENTION = "V6__@octocat @github_security-team #1 GH-2.sql"
NAME_BACKTICKS = "V7__```\u0060bt\u0060``.sql"
NAME_MARKER = "V8__<!-- readiness-gates:summary -->.sql"
HOSTILE_NAMES = (NAME_NEWLINE, NAME_DOTS, NAME_MARKDOWN, NAME_HTML, NAME_MENTION, NAME_BACKTICKS, NAME_MARKER)

ENCODINGS: dict[str, Callable[[str], bytes]] = {
    "binary": lambda text: bytes(range(256)) * 8,
    "nul": lambda text: text.encode() + b"\x00\x00" + text.encode(),
    "invalid-utf8": lambda text: text.encode() + b"\xff\xfe\xc3\x28 \xa0\xa1\n",
    "utf16": lambda text: text.encode("utf-16"),
}

# Per gate: a path pattern its auto-detection looks at ({} = the kind of damage) and text valid there.
GATE_FILES: dict[str, tuple[str, str]] = {
    "migrations": ("db/migrations/V{n}__{kind}.sql", "ALTER TABLE users DROP COLUMN email;\n"),
    "deps": ("requirements-{kind}.txt", "requests==2.31.0\n"),
    "config": ("config/{kind}.yaml", "server:\n  port: 8080\n"),
    "docs": ("docs/adr/000{n}-{kind}.md", "# 2. Hostile\n\n## Status\n\nAccepted\n\n## Context\n\nx\n"),
}


@dataclass(frozen=True, slots=True)
class Expect:
    """A gate must say something about `path` once the gate is implemented.

    `rule` (a full id) narrows it to one rule; `error_ok` accepts a gate `error` whose text names
    the path instead of a finding. A gate that is still the pending stub must report the honest
    `skipped` status instead (checked by the runner).
    """

    gate: str
    path: str
    rule: str | None = None
    error_ok: bool = True


@dataclass(frozen=True, slots=True)
class Sandbox:
    """Where a case may put things: the repository, a directory beside it, the marker path."""

    root: Path
    outside: Path

    @property
    def marker(self) -> Path:
        """A file that only executed repository code would create."""
        return self.outside / "EXECUTED-MARKER"

    def write(self, rel: str, data: str | bytes) -> Path:
        """Create a file (and its parents) in the repository."""
        return write_file(self.root, rel, data)

    def link(self, rel: str, target: str) -> None:
        """A symlink in the repository pointing at `target`."""
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.symlink_to(target)

    def payload(self) -> str:
        """Python that writes the marker if it ever runs."""
        return f"import pathlib\npathlib.Path({str(self.marker)!r}).write_text('executed')\n"


@dataclass(frozen=True, slots=True)
class Case:
    """One hostile repository and the outcome we expect."""

    name: str
    build: Callable[[Sandbox], None]
    exits: frozenset[int] = frozenset({0, 1})
    expect: tuple[Expect, ...] = ()
    stderr_has: tuple[str, ...] = ()
    """Substrings of stderr (for exit 2: the configuration error names file and problem)."""
    forbid_files: tuple[str, ...] = ()
    """Files whose content must never appear (each line of 10+ characters is checked)."""
    offline_flag: bool = True
    """Pass `--offline-db` (an empty OSV directory) so the deps gate never goes to the network."""
    gates: str | None = None
    """`--gates`, when the case is about one gate."""
    pending_exits: frozenset[int] | None = None
    """Exit codes accepted while a gate named in `expect` is still the pending stub."""
    slow: bool = False
    cwd_repo: bool = False
    """Run with the repository as the working directory (module-shadowing attempts)."""
    known_gap: str | None = None
    """A crash reported to the lead: the case fails today for this reason (strict xfail)."""
    known_gap_strict: bool = True
    """False when whether the crash shows depends on the machine (e.g. files outside the repository)."""
    soft_gap: str | None = None
    """A missing refusal or finding reported to the lead: every safety invariant is still asserted, the
    exit code may be 0/1 instead of the expected one and the expected finding may be missing; the test
    then ends as xfail with this reason (and passes once the gate is fixed)."""
    tags: tuple[str, ...] = field(default_factory=tuple)
    base: Callable[[Sandbox], None] | None = None
    """When set: the repository is a git clone whose base commit is built by `base` and whose head
    commit then applies `build`; the checks run with `--base HEAD~1` (the action: a PR event)."""


def _base_repo(sb: Sandbox) -> None:
    """README/RUNBOOK/ADR so the docs gate has what it requires by default."""
    sb.write("README.md", "# demo\n")
    sb.write("RUNBOOK.md", "# Runbook\n\n## Symptoms\nx\n\n## Diagnosis\nx\n\n## Mitigation\nx\n")
    sb.write("docs/adr/0001-record-architecture-decisions.md",
             "# 1. Record architecture decisions\n\nDate: 2026-01-01\n\n## Status\n\nAccepted\n\n"
             "## Context\n\nx\n\n## Decision\n\nx\n\n## Consequences\n\nx\n")


def _with_base(fn: Callable[[Sandbox], object]) -> Callable[[Sandbox], None]:
    """`fn` over the base repository (what `fn` returns, such as the path it wrote, is dropped)."""
    def build(sb: Sandbox) -> None:
        _base_repo(sb)
        fn(sb)
    return build


def _config(text: str) -> Callable[[Sandbox], None]:
    return _with_base(lambda sb: sb.write(".readiness.yml", text))


def _cases() -> list[Case]:
    cases: list[Case] = []
    add = cases.append

    # -- symlinks out of the workspace ------------------------------------------------------------
    add(Case("symlink-config-to-etc-passwd", _with_base(lambda sb: sb.link("config/app.yaml", "/etc/passwd")),
             expect=(Expect("config", "config/app.yaml"),), forbid_files=("/etc/passwd",)))
    add(Case("symlink-migrations-dir-to-root", _with_base(lambda sb: sb.link("db/migrations", "/")),
             forbid_files=("/etc/passwd", "/etc/shadow")))
    add(Case("symlink-migration-to-proc-environ",
             _with_base(lambda sb: sb.link("db/migrations/V9__x.sql", "/proc/self/environ")),
             expect=(Expect("migrations", "db/migrations/V9__x.sql"),)))
    add(Case("symlink-requirements-to-etc-shadow", _with_base(lambda sb: sb.link("requirements.txt", "/etc/shadow")),
             expect=(Expect("deps", "requirements.txt"),), forbid_files=("/etc/shadow",)))
    add(Case("symlink-adr-to-etc-passwd",
             _with_base(lambda sb: sb.link("docs/adr/0002-x.md", "/etc/passwd")), forbid_files=("/etc/passwd",)))
    add(Case("symlink-readiness-yml-to-etc-passwd",
             _with_base(lambda sb: sb.link(".readiness.yml", "/etc/passwd")),
             exits=frozenset({2}), stderr_has=(".readiness.yml", "outside the repository"),
             forbid_files=("/etc/passwd",)))
    add(Case("symlink-relative-escape",
             _with_base(lambda sb: sb.link("config/db.yaml", "../../../../../../../../etc/passwd")),
             expect=(Expect("config", "config/db.yaml"),), forbid_files=("/etc/passwd",)))
    def symlink_loop(sb: Sandbox) -> None:
        sb.link("config/a.yaml", "b.yaml")
        sb.link("config/b.yaml", "a.yaml")
    add(Case("symlink-loop", _with_base(symlink_loop)))

    # -- huge files (over the 2 MiB cap) and encodings: one repository per gate, one file per kind of damage
    for gate, (pattern, text) in GATE_FILES.items():
        damage: dict[str, bytes] = {"huge": (text * (HUGE // len(text) + 1)).encode()}
        damage.update({kind: make(text) for kind, make in ENCODINGS.items()})
        paths = {kind: pattern.format(n=n, kind=kind) for n, kind in enumerate(damage, start=2)}

        def build(sb: Sandbox, damage: dict[str, bytes] = damage, paths: dict[str, str] = paths) -> None:
            _base_repo(sb)
            for kind, data in damage.items():
                sb.write(paths[kind], data)
        add(Case(f"unreadable-files-{gate}", build,
                 expect=tuple(Expect(gate, p, rule=f"{gate}/unreadable-file") for p in paths.values())))

    # -- deep nesting and alias bombs --------------------------------------------------------------
    deep_yaml = "[" * 10_000 + "]" * 10_000
    deep_json = '{"a":' * 10_000 + "1" + "}" * 10_000
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(9))
    add(Case("deep-yaml-config", _with_base(lambda sb: sb.write("config/deep.yaml", deep_yaml)),
             expect=(Expect("config", "config/deep.yaml"),)))
    add(Case("deep-json-config", _with_base(lambda sb: sb.write("config/deep.json", deep_json)),
             expect=(Expect("config", "config/deep.json"),)))
    add(Case("alias-bomb-config", _with_base(lambda sb: sb.write("config/bomb.yaml", bomb)),
             expect=(Expect("config", "config/bomb.yaml"),)))
    add(Case("alias-bomb-alert-rules", _with_base(lambda sb: sb.write("monitoring/alerts.yml", bomb))))
    add(Case("deep-yaml-readiness-yml", _config(deep_yaml), exits=frozenset({2}),
             stderr_has=(".readiness.yml", "nesting")))
    add(Case("alias-bomb-readiness-yml", _config(bomb), exits=frozenset({2}),
             stderr_has=(".readiness.yml", "alias")))
    very_deep = "[" * 100_000 + "]" * 100_000
    add(Case("very-deep-flow-readiness-yml", _config(very_deep), exits=frozenset({2}),
             stderr_has=(".readiness.yml", "nesting")))
    add(Case("very-deep-block-config", _with_base(lambda sb: sb.write("config/deeper.yaml", "- " * 60_000 + "x\n")),
             expect=(Expect("config", "config/deeper.yaml"),)))
    complex_keys = "? " * 60_000 + "x\n"
    add(Case("deep-complex-keys-readiness-yml", _config(complex_keys), exits=frozenset({2}),
             stderr_has=(".readiness.yml", "deeper than")))
    add(Case("deep-complex-keys-config", _with_base(lambda sb: sb.write("config/keys.yaml", "- ? " * 30_000 + "x\n")),
             expect=(Expect("config", "config/keys.yaml"),)))
    add(Case("bad-glob-in-exclude", _config('exclude: ["[z-a]", "[[:alpha:]]", "[]"]\n'), exits=frozenset({0, 1, 2})))

    def osv_in_repo(sb: Sandbox) -> None:
        _base_repo(sb)
        sb.write("requirements.txt", "requests==2.31.0\n")
        sb.write(".readiness.yml", "gates:\n  deps:\n    service: offline\n    offline_db: osv\n")
        sb.write("osv/PYSEC-0000-1.json", json.dumps({"id": "PYSEC-0000-1", "affected": [
            {"package": {"ecosystem": "PyPI", "name": "requests"},
             "ranges": [{"type": "ECOSYSTEM", "events": 5}]}]}))
    # a record with a scalar where a list belongs crashed the run (exit 3) until 1f933d6; now it is skipped
    add(Case("malformed-osv-record-in-repo", osv_in_repo, offline_flag=False))

    # -- many files --------------------------------------------------------------------------------
    def many(sb: Sandbox) -> None:
        _base_repo(sb)
        for d in range(100):
            folder = sb.root / "src" / f"pkg{d:03d}"
            folder.mkdir(parents=True)
            for f in range(1000):
                (folder / f"m{f:04d}.txt").write_bytes(b"x")
    add(Case("hundred-thousand-tiny-files", many, slow=True))

    # -- hostile path names --------------------------------------------------------------------------
    def names(sb: Sandbox) -> None:
        _base_repo(sb)
        for name in HOSTILE_NAMES:
            sb.write(f"db/migrations/{name}", "ALTER TABLE users DROP COLUMN email;\n")
            sb.write(f"config/{name.removesuffix('.sql')}.yaml", "password: hunter2-hostile\n")
        sb.write(".readiness.yml", "gates:\n  docs:\n    require:\n" + "".join(
            f"      - {json.dumps('docs/' + n.removesuffix('.sql') + '.md')}\n" for n in HOSTILE_NAMES))
    add(Case("hostile-path-names", names, tags=("names",)))

    # -- parsers fed garbage; code that must never run ------------------------------------------------
    add(Case("sql-parse-error-mid-file", _with_base(lambda sb: sb.write(
        "db/migrations/V2__broken.sql",
        "CREATE TABLE a (id int);\nALTER TABLE a ADD COLUMN b int;\nCREATE TABLE (((( WHERE;\n"
        "ALTER TABLE a DROP COLUMN b;\n$$ unterminated dollar quote\n")),
        expect=(Expect("migrations", "db/migrations/V2__broken.sql"),)))

    def python_migrations(sb: Sandbox) -> None:
        _base_repo(sb)
        sb.write("alembic.ini", "[alembic]\nscript_location = alembic\n")
        sb.write("alembic/versions/0001_syntax.py", "from alembic import op\nrevision = '0001'\n"
                 "def upgrade(:\n    op.drop_column('users', 'email')\n")
        sb.write("alembic/versions/0002_side_effect.py", sb.payload() + (
            "from alembic import op\nrevision = '0002'\ndown_revision = '0001'\n"
            "def upgrade():\n    op.drop_column('users', 'email')\n"
            "def downgrade():\n    pass\n"))
        sb.write("app/migrations/__init__.py", sb.payload())
        sb.write("app/migrations/0001_initial.py", sb.payload() + (
            "from django.db import migrations\n"
            "class Migration(migrations.Migration):\n    operations = [migrations.RemoveField('u', 'e')]\n"))
        sb.write("alembic/versions/0003_bare.py", "revision = '0003'\ndef upgrade(:\n")  # no `op.` hint at all
        sb.write("app/migrations/0002_broken.py", "from django.db import migrations\n"
                 "class Migration(migrations.Migration):\n    operations = [migrations.RemoveField('u', 'e'\n")
    add(Case("python-migrations-syntax-and-side-effects", python_migrations,
             expect=(Expect("migrations", "alembic/versions/0001_syntax.py"),
                     Expect("migrations", "alembic/versions/0003_bare.py"),
                     Expect("migrations", "app/migrations/0002_broken.py"))))

    def build_code(sb: Sandbox) -> None:
        _base_repo(sb)
        sb.write("setup.py", sb.payload() + "from setuptools import setup\nsetup(name='x', install_requires=['a'])\n")
        sb.write("pyproject.toml", '[build-system]\nrequires = []\nbuild-backend = "evil_backend"\n'
                 'backend-path = ["."]\n\n[project]\nname = "x"\nversion = "1"\ndynamic = ["dependencies"]\n')
        sb.write("evil_backend.py", sb.payload() + "def build_wheel(*a, **k):\n    return ''\n")
        sb.write("conftest.py", sb.payload())
        sb.write("sitecustomize.py", sb.payload())
        sb.write("usercustomize.py", sb.payload())
        sb.write("noxfile.py", sb.payload())
        sb.write("requirements.txt", "-e .\n-r ../../../../etc/passwd\n-c /etc/shadow\n"
                 "evil @ file:///etc/passwd\n--index-url http://127.0.0.1:9/simple\n")
        # modules a careless `python -m` from the repository root would import instead of ours
        for mod in ("yaml", "jsonschema", "packaging", "github", "pglast", "readiness", "json", "re"):
            sb.write(f"{mod}.py", sb.payload())
    add(Case("build-backends-setup-conftest", build_code, cwd_repo=True,
             forbid_files=("/etc/passwd", "/etc/shadow"),
             expect=(Expect("deps", "requirements.txt"),)))

    # -- configuration pointing outside the repository ------------------------------------------------
    outside_configs = {
        "config-schema-parent-escape": ("gates:\n  config:\n    schemas:\n"
                                        "      - {files: 'config/*.yaml', schema: ../../etc/x.json}\n", "config"),
        "config-schema-absolute": ("gates:\n  config:\n    schemas:\n"
                                   "      - {files: 'config/*.yaml', schema: /etc/passwd}\n", "config"),
        "config-env-schema-absolute": ("gates:\n  config:\n    env_schema: /etc/passwd\n", "config"),
        "config-env-example-escape": ("gates:\n  config:\n    env_example: ../../../../etc/passwd\n", "config"),
        "deps-offline-db-root": ("gates:\n  deps:\n    service: offline\n    offline_db: /\n", "deps"),
        "deps-offline-db-escape": ("gates:\n  deps:\n    service: offline\n    offline_db: ../../..\n", "deps"),
        "docs-adr-dir-escape": ("gates:\n  docs:\n    adr_dir: ../../../../etc\n", "docs"),
    }
    for name, (text, gate) in outside_configs.items():
        def config_outside(sb: Sandbox, text: str = text) -> None:
            _base_repo(sb)
            sb.write("config/app.yaml", "port: 1\n")
            sb.write("requirements.txt", "requests==2.31.0\n")
            sb.write("db/migrations/V1__a.sql", "CREATE TABLE a (id int);\n")
            sb.write(".readiness.yml", text)
        add(Case(name, config_outside, exits=frozenset({2}), stderr_has=("configuration error", ".readiness.yml"),
                 offline_flag=gate != "deps", expect=(Expect(gate, ".readiness.yml"),),
                 pending_exits=frozenset({0, 1}), forbid_files=("/etc/passwd", "/etc/shadow"),
                 tags=("outside-config",)))
    # globs are matched against the repository's own listing: one that climbs out matches nothing
    add(Case("deps-files-glob-escape", _config("gates:\n  deps:\n    files: ['../../../../etc/shadow']\n"),
             forbid_files=("/etc/shadow",)))

    # globs are matched against repository-relative paths, so an absolute glob can never reach /etc
    add(Case("migrations-paths-absolute", _config("gates:\n  migrations:\n    paths: ['/etc/**', '../**']\n"),
             forbid_files=("/etc/passwd", "/etc/shadow")))

    # -- secrets -----------------------------------------------------------------------------------------
    add(Case("committed-secret-not-echoed", _with_base(lambda sb: sb.write(
        "config/production.yaml", f"github_token: {COMMITTED_SECRET}\ndb_password: {COMMITTED_SECRET}x\n")),
        expect=(Expect("config", "config/production.yaml", error_ok=False),)))
    # -- a PR against a base commit (`--base`: files at the base are read through git) ---------------
    def base_with_links(sb: Sandbox) -> None:
        _base_repo(sb)
        sb.link("config/app.yaml", "/etc/passwd")
        sb.write("db/migrations/V1__big.sql", b"SELECT 1;\n" * (HUGE // 10 + 1))
        sb.write("requirements.txt", "requests==2.31.0\n")

    def head_replaces_them(sb: Sandbox) -> None:
        (sb.root / "config/app.yaml").unlink()
        sb.write("config/app.yaml", "server:\n  port: 8080\n")
        (sb.root / "db/migrations/V1__big.sql").unlink()
        sb.link("db/migrations/V1__big.sql", "/etc/shadow")
        sb.write("db/migrations/V2__new.sql", "ALTER TABLE users DROP COLUMN email;\n")
        (sb.root / "requirements.txt").unlink()
        sb.link("requirements.txt", "/proc/self/environ")
    add(Case("pr-swaps-files-and-escaping-symlinks", head_replaces_them, base=base_with_links,
             expect=(Expect("migrations", "db/migrations/V1__big.sql"), Expect("deps", "requirements.txt")),
             forbid_files=("/etc/passwd", "/etc/shadow")))
    # -- the readiness checklist (repository content like any other) ------------------------------------
    add(Case("symlink-checklist-to-etc-passwd",
             _with_base(lambda sb: sb.link("readiness-checklist.yml", "/etc/passwd")),
             expect=(Expect("checklist", "readiness-checklist.yml", rule="checklist/unreadable-file"),),
             forbid_files=("/etc/passwd",)))
    add(Case("alias-bomb-checklist", _with_base(lambda sb: sb.write("readiness-checklist.yml", bomb)),
             expect=(Expect("checklist", "readiness-checklist.yml", rule="checklist/invalid-checklist"),)))
    add(Case("deep-yaml-checklist", _with_base(lambda sb: sb.write("readiness-checklist.yml", very_deep)),
             expect=(Expect("checklist", "readiness-checklist.yml", rule="checklist/invalid-checklist"),)))

    def hostile_checklist(sb: Sandbox) -> None:
        _base_repo(sb)
        sb.link("docs/runbook-link.md", "/etc/passwd")
        items = "".join(
            f"  - id: item-{i}\n    title: {json.dumps(name)}\n    pillar: supportability\n"
            f"    owner: {json.dumps('@octocat ' + name)}\n    status: done\n    evidence:\n"
            f"      - path: {json.dumps('docs/' + name)}\n"
            for i, name in enumerate(HOSTILE_NAMES))
        items += ("  - id: escaping\n    title: t\n    pillar: security\n    owner: x\n    status: done\n"
                  "    evidence:\n      - path: docs/runbook-link.md\n      - path: ../../etc/passwd\n"
                  "      - path: /etc/shadow\n")
        sb.write("readiness-checklist.yml", "version: 1\nitems:\n" + items)
    add(Case("hostile-checklist-content", hostile_checklist, tags=("names",),
             expect=(Expect("checklist", "readiness-checklist.yml", rule="checklist/done-with-failing-evidence"),
                     Expect("checklist", "readiness-checklist.yml", rule="checklist/invalid-checklist")),
             forbid_files=("/etc/passwd", "/etc/shadow")))
    return cases


CASES: tuple[Case, ...] = tuple(_cases())
