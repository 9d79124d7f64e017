"""Third (independent) review: goose runs migrations written in Go beside its SQL ones, Flyway runs
Java and Kotlin ones; a PR that adds one (`tx.ExecContext(ctx, "DROP TABLE users")`) was passed over in
silence. Such a migration is now reported as not judged (`migrations/dynamic-sql`), like SQL built at
run time; an ordinary Go or Java file is not."""

from __future__ import annotations

from pathlib import Path

import pytest
from sec_support import PrRepo, assert_no_defect, check

GOOSE = ('package migrations\n\nimport (\n\t"context"\n\t"database/sql"\n\n\t"github.com/pressly/goose/v3"\n)\n\n'
         "func init() { goose.AddMigrationContext(upDrop, downDrop) }\n\n"
         'func upDrop(ctx context.Context, tx *sql.Tx) error {\n\t_, err := tx.ExecContext(ctx, "DROP TABLE users")\n'
         "\treturn err\n}\n\nfunc downDrop(ctx context.Context, tx *sql.Tx) error { return nil }\n")
FLYWAY = ("package db.migration;\n\nimport org.flywaydb.core.api.migration.BaseJavaMigration;\n"
          "import org.flywaydb.core.api.migration.Context;\n\npublic class V2__Drop extends BaseJavaMigration {\n"
          "    public void migrate(Context context) throws Exception {\n"
          '        context.getConnection().createStatement().execute("DROP TABLE users");\n    }\n}\n')
CASES = {
    "goose beside SQL": ({"db/migrations/00001_init.sql": "-- +goose Up\nCREATE TABLE users (id int);\n"},
                         "db/migrations/00002_drop.go", GOOSE, 10),
    "goose only": ({"README.md": "x\n"}, "internal/db/00002_drop.go", GOOSE, 10),
    "flyway java": ({"src/main/resources/db/migration/V1__init.sql": "CREATE TABLE users (id int);\n"},
                    "src/main/java/db/migration/V2__Drop.java", FLYWAY, 6),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_migration_written_in_code_is_reported_as_not_judged(tmp_path: Path, case: str) -> None:
    base, rel, text, line = CASES[case]
    repo = PrRepo.make(tmp_path / "ws", base, {rel: text})
    done = check(repo.path, "--base", repo.base, "--gates", "migrations", home=tmp_path)
    assert_no_defect(done)
    hits = [(f["path"], f["line"], f["introduced"]) for f in done.findings("migrations/dynamic-sql")]
    assert hits == [(rel, line, True)], done.findings()


def test_ordinary_code_beside_migrations_is_not_reported(tmp_path: Path) -> None:
    embed = 'package migrations\n\nimport "embed"\n\n//go:embed *.sql\nvar FS embed.FS\n'
    main = 'package main\n\nfunc main() { println("goose") }\n'
    repo = PrRepo.make(tmp_path / "ws", {"db/migrations/00001_init.sql": "-- +goose Up\nCREATE TABLE t (id int);\n"},
                       {"db/migrations/embed.go": embed, "cmd/main.go": main})
    done = check(repo.path, "--base", repo.base, "--gates", "migrations", home=tmp_path)
    assert_no_defect(done)
    assert done.findings("migrations/dynamic-sql") == []


def test_a_full_scan_reports_them_below_a_migrations_directory(tmp_path: Path) -> None:
    repo = PrRepo.make(tmp_path / "ws", {"db/migrations/00002_drop.go": GOOSE}, {})
    done = check(repo.path, "--gates", "migrations", home=tmp_path)
    assert_no_defect(done)
    assert [f["path"] for f in done.findings("migrations/dynamic-sql")] == ["db/migrations/00002_drop.go"]


# Sixth review, R6a-18: the registration was matched by one spelling on the raw text, so an import
# alias, a dot import, a line break after `goose.`, goose's NewGoMigration API, a fully qualified or
# commented `extends`, an `implements JavaMigration` or a class extending the team's own base class
# passed with no finding at all.
GO_HEAD = 'package migrations\n\nimport (\n\t"context"\n\t"database/sql"\n\t{imp}\n)\n\nfunc init() {{\n\t{reg}\n}}\n\n'
GO_BODY = ('func up(ctx context.Context, tx *sql.Tx) error {\n\t_, err := tx.ExecContext(ctx, "DROP TABLE users")\n'
           "\treturn err\n}\n")
JAVA = ("package db.migration;\n\nimport org.flywaydb.core.api.migration.Context;\n\npublic class V2__Drop {ext} {{\n"
        "    public void migrate(Context context) throws Exception {{\n"
        '        context.getConnection().createStatement().execute("DROP TABLE users");\n    }}\n}}\n')
SPELLINGS = {
    "a goose import alias": ("db/migrations/00002_drop.go", GO_HEAD.format(
        imp='g "github.com/pressly/goose/v3"', reg="g.AddMigrationContext(up, nil)") + GO_BODY),
    "a goose dot import": ("db/migrations/00002_drop.go", GO_HEAD.format(
        imp='. "github.com/pressly/goose/v3"', reg="AddMigrationContext(up, nil)") + GO_BODY),
    "a line break after goose.": ("db/migrations/00002_drop.go", GO_HEAD.format(
        imp='"github.com/pressly/goose/v3"', reg="goose. // register\n\t\tAddMigrationContext(up, nil)") + GO_BODY),
    "goose's NewGoMigration": ("db/migrations/00002_drop.go", GO_HEAD.format(
        imp='"github.com/pressly/goose/v3"',
        reg="goose.SetGlobalMigrations(goose.NewGoMigration(2, &goose.GoFunc{RunTx: up}, nil))") + GO_BODY),
    "a helper package registers it": ("db/migrations/00002_drop.go", GO_HEAD.format(
        imp='"example.com/app/migrate"', reg="migrate.Register(up)") + GO_BODY),
    "a qualified extends": ("src/main/java/db/migration/V2__Drop.java",
                            JAVA.format(ext="extends org.flywaydb.core.api.migration.BaseJavaMigration")),
    "a comment in extends": ("src/main/java/db/migration/V2__Drop.java",
                             JAVA.format(ext="extends /* x */ BaseJavaMigration")),
    "implements JavaMigration": ("src/main/java/db/migration/V2__Drop.java",
                                 JAVA.format(ext="implements org.flywaydb.core.api.migration.JavaMigration")),
    "the team's own base class": ("src/main/java/db/migration/V2__Drop.java", JAVA.format(ext="extends AppMigration")),
}


@pytest.mark.parametrize("case", sorted(SPELLINGS))
def test_every_spelling_of_a_code_migration_is_reported(tmp_path: Path, case: str) -> None:
    rel, text = SPELLINGS[case]
    repo = PrRepo.make(tmp_path / "ws", {"README.md": "x\n"}, {rel: text})
    done = check(repo.path, "--base", repo.base, "--gates", "migrations", home=tmp_path)
    assert_no_defect(done)
    assert [f["path"] for f in done.findings("migrations/dynamic-sql")] == [rel], done.findings()
    assert done.code == 1


def test_a_test_class_named_like_a_migration_is_not(tmp_path: Path) -> None:
    test = "package db.migration;\n\npublic class V2__DropTest {\n    void drops() {}\n}\n"
    repo = PrRepo.make(tmp_path / "ws", {"README.md": "x\n"}, {"src/test/java/db/migration/V2__DropTest.java": test})
    done = check(repo.path, "--base", repo.base, "--gates", "migrations", home=tmp_path)
    assert_no_defect(done)
    assert done.findings("migrations/dynamic-sql") == []
