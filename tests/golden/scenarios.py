"""Representative reports, built directly from the frozen model, for the golden and schema tests.

Content is realistic (migrations, dependencies, config, docs) and one scenario is hostile: paths,
messages, waiver reasons and gate errors that try to break out of markdown, mention people, inject
links, forge the comment marker or drive the terminal.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from readiness.errors import CatalogError
from readiness.model import (
    Advisory,
    ChangeKind,
    Confidence,
    DependencyChange,
    FailOn,
    Finding,
    GateId,
    GateResult,
    GateStatus,
    Item,
    Location,
    Report,
    RuleId,
    Severity,
    VulnerablePackage,
    Waiver,
    fingerprint,
)
from readiness.render.markdown import LinkContext
from readiness.rules.catalog import Rule

HEAD = "9f8e7d6c5b4a39281706f5e4d3c2b1a098765432"
LINKS = LinkContext(server_url="https://github.com", repository="acme/payments-api", head_sha=HEAD)
VERSION = "0.1.0"


def _rule(rid: str, severity: Severity, summary: str, fix: str) -> Rule:
    return Rule(id=RuleId(rid), severity=severity, summary=summary, fix=fix, body="", since="0.1.0",
                meta={}, examples=())


RULES: dict[str, Rule] = {r.id: r for r in (
    _rule("migrations/rename-column", Severity.HIGH,
          "Renaming a column breaks every running instance that still reads the old name.",
          "Add the new column, dual-write, backfill, switch reads, then drop the old one (expand/contract)."),
    _rule("migrations/change-column-type", Severity.HIGH,
          "Changing a column's type rewrites the table under an ACCESS EXCLUSIVE lock.",
          "Add a new column of the new type, backfill in batches, switch reads, then drop the old column."),
    _rule("migrations/drop-column", Severity.HIGH,
          "Dropping a column breaks running code that still reads it and loses its data.",
          "Stop reading the column first, deploy, then drop it in a later release after a backup."),
    _rule("migrations/irreversible-migration", Severity.MEDIUM,
          "The migration has no working downgrade, so a bad deploy cannot be rolled back.",
          "Write a downgrade that undoes the upgrade, or document why the change is one-way."),
    _rule("deps/known-vulnerability", Severity.HIGH,
          "A pinned dependency has a published vulnerability.",
          "Upgrade to the first fixed version named in the advisory."),
    _rule("deps/unpinned-requirement", Severity.MEDIUM,
          "A requirement allows a range of versions, so builds are not reproducible.",
          "Pin an exact version (`name==1.2.3`) or install from a lock file with hashes."),
    _rule("config/schema-violation", Severity.HIGH,
          "A config file does not match its JSON Schema.",
          "Change the value to match the schema, or change the schema in the same PR."),
    _rule("config/environment-key-drift", Severity.LOW,
          "An environment's config has keys the others do not.",
          "Add the key to every environment, or remove it where it is not needed."),
    _rule("config/plaintext-secret", Severity.CRITICAL,
          "A secret is committed in plain text in a config file.",
          "Remove it, rotate it, and read it from the environment or a secret store."),
    _rule("docs/missing-document", Severity.HIGH,
          "A required operational document (README, runbook, decision records) does not exist.",
          "Add the document, or change `gates.docs.require` in `.readiness.yml`."),
    _rule("docs/alert-without-runbook", Severity.MEDIUM,
          "An alert rule has no runbook link, or links one that does not exist.",
          "Add a `runbook_url` annotation pointing at an existing runbook."),
    _rule("checklist/missing-owner", Severity.MEDIUM,
          "A readiness checklist item has no owner, so nobody answers for it.",
          "Write the team or person who answers for the item in its `owner` field."),
    _rule("checklist/done-with-failing-evidence", Severity.HIGH,
          "A checklist item is marked done while its evidence fails.",
          "Make the evidence hold again, or set the item's status back to in-progress."),
)}


def lookup(rule_id: str) -> Rule:
    """The test catalog (stable text, independent of the shipped pages)."""
    try:
        return RULES[rule_id]
    except KeyError:
        raise CatalogError(f"rule {rule_id!r} has no page") from None


def finding(rule: str, severity: Severity, path: str, message: str, *, line: int | None = None,
            column: int | None = None, end_line: int | None = None, end_column: int | None = None,
            evidence: str | None = None, introduced: bool = True, waiver: Waiver | None = None,
            confidence: Confidence = Confidence.CERTAIN, fix: str | None = "") -> Finding:
    """A finding whose fix defaults to the rule's."""
    return Finding(
        rule=RuleId(rule), severity=severity,
        location=Location(path=path, line=line, column=column, end_line=end_line, end_column=end_column),
        message=message,
        fix=(RULES[rule].fix if rule in RULES else None) if fix == "" else fix,
        fingerprint=fingerprint(rule, path, evidence or message),
        introduced=introduced, waiver=waiver, confidence=confidence,
    )


def gate(gid: str, status: GateStatus, ms: float, *findings: Finding, items: tuple[dict[str, object], ...] = (),
         error: str | None = None) -> GateResult:
    return GateResult(gate=GateId(gid), status=status, duration_ms=ms, error=error,
                      items=tuple(Item(dict(i)) for i in items), findings=findings)


def fail_mixed() -> Report:
    """A typical failing PR: a critical migration and a critical vulnerability block; the rest is
    below the threshold, pre-existing or waived; the docs gate errored (on_error: warn)."""
    migrations = gate(
        "migrations", GateStatus.FAIL, 41.7,
        finding("migrations/change-column-type", Severity.CRITICAL, "db/migrations/V26__payload_jsonb.sql",
                "ALTER TABLE events ALTER COLUMN payload TYPE jsonb rewrites the large table events under "
                "an ACCESS EXCLUSIVE lock.", line=1, column=1, end_line=2,
                evidence="ALTER TABLE events ALTER COLUMN payload TYPE jsonb"),
        finding("migrations/rename-column", Severity.HIGH, "db/migrations/V25__rename_email.sql",
                "Renaming users.email to email_address breaks running code that reads users.email.",
                line=3, column=1, end_line=3, end_column=55,
                evidence="ALTER TABLE users RENAME COLUMN email TO email_address"),
        finding("migrations/drop-column", Severity.HIGH, "db/migrations/V27__drop_legacy_flags.sql",
                "Dropping accounts.legacy_flags loses its data and breaks code that still reads it.",
                line=2, column=1,
                waiver=Waiver(reason="backup verified in OPS-123; column unread since v4.2", source="config",
                              expires=date(2026, 12, 31))),
        finding("migrations/irreversible-migration", Severity.MEDIUM, "alembic/versions/3f2a1c_add_slug.py",
                "downgrade() of revision 3f2a1c does nothing, so this migration cannot be rolled back.",
                line=24, column=1, confidence=Confidence.HEURISTIC),
        items=(
            {"path": "alembic/versions/3f2a1c_add_slug.py", "risk": "low", "reversible": False, "statements": 2},
            {"path": "db/migrations/V25__rename_email.sql", "risk": "high", "reversible": True, "statements": 1},
            {"path": "db/migrations/V26__payload_jsonb.sql", "risk": "critical", "reversible": True,
             "statements": 1},
            {"path": "db/migrations/V27__drop_legacy_flags.sql", "risk": "high", "reversible": False,
             "statements": 1},
        ),
    )
    deps = gate(
        "deps", GateStatus.FAIL, 812.4,
        finding("deps/known-vulnerability", Severity.CRITICAL, "requirements.txt",
                "requests 2.19.0 has PYSEC-2018-28 (CVE-2018-18074): the Authorization header leaks on "
                "redirect to another host; fixed in 2.20.0.", line=4, column=1, evidence="requests PYSEC-2018-28"),
        finding("deps/known-vulnerability", Severity.HIGH, "requirements.txt",
                "urllib3 1.26.4 has GHSA-q2q7-5pp4-w6pg: denial of service in URL parsing; fixed in 1.26.5.",
                line=9, column=1, introduced=False, evidence="urllib3 GHSA-q2q7-5pp4-w6pg"),
        finding("deps/unpinned-requirement", Severity.MEDIUM, "requirements.txt",
                "flask>=2.0 allows any version from 2.0 on.", line=7, column=1),
        items=(
            {"name": "requests", "version": "2.19.0", "source": "requirements.txt", "line": 4},
            {"name": "flask", "specifier": ">=2.0", "source": "requirements.txt", "line": 7},
            {"name": "urllib3", "version": "1.26.4", "source": "requirements.txt", "line": 9},
        ),
    )
    config = gate(
        "config", GateStatus.PASS, 23.0,
        finding("config/schema-violation", Severity.HIGH, "config/production.yaml",
                "replicas is \"three\" but schemas/app.schema.json expects an integer.",
                line=12, column=13, end_line=12, end_column=19, introduced=False),
        finding("config/environment-key-drift", Severity.LOW, "config/staging.yaml",
                "feature_flags.beta_checkout is set in staging but not in production.", line=31, column=3),
        items=(
            {"path": "config/production.yaml", "schema": "schemas/app.schema.json"},
            {"path": "config/staging.yaml", "schema": "schemas/app.schema.json"},
        ),
    )
    docs = gate("docs", GateStatus.ERROR, 3.2,
                error="could not read monitoring/alerts.yml: the file is larger than the 1 MiB limit")
    return Report(version=VERSION, fail_on=FailOn.CRITICAL, base="origin/main", head=HEAD,
                  gates=(migrations, deps, config, docs))


def pass_clean() -> Report:
    """Everything passes; one gate has nothing to judge."""
    return Report(
        version=VERSION, fail_on=FailOn.HIGH, base="origin/main", head=HEAD,
        gates=(
            gate("migrations", GateStatus.PASS, 12.5, items=(
                {"path": "db/migrations/V28__add_slug.sql", "risk": "low", "reversible": True, "statements": 1},
            )),
            gate("deps", GateStatus.PASS, 420.0, items=(
                {"name": "requests", "version": "2.32.3", "source": "requirements.txt", "line": 1},
            )),
            gate("config", GateStatus.SKIPPED, 0.4,
                 error="no config files matched config/**/*.yaml and there is no .env.example"),
            gate("docs", GateStatus.PASS, 2.1, items=(
                {"path": "RUNBOOK.md", "document": "runbook", "state": "present"},
                {"path": "docs/adr", "document": "adr", "state": "present"},
            )),
        ),
    )


def preexisting_only() -> Report:
    """A PR that adds nothing new: the findings are all in files it does not touch; passes."""
    return Report(
        version=VERSION, fail_on=FailOn.MEDIUM, base="4c3b2a19", head=HEAD,
        gates=(
            gate("migrations", GateStatus.PASS, 5.0,
                 finding("migrations/rename-column", Severity.HIGH, "db/migrations/V3__rename.sql",
                         "Renaming orders.total to amount breaks running code that reads orders.total.",
                         line=1, introduced=False)),
            gate("deps", GateStatus.SKIPPED, 0.0, error="not selected with --gates"),
            gate("config", GateStatus.SKIPPED, 0.0, error="not selected with --gates"),
            gate("docs", GateStatus.PASS, 1.0,
                 finding("docs/missing-document", Severity.HIGH, "RUNBOOK.md",
                         "RUNBOOK.md (a runbook) does not exist.", introduced=False)),
        ),
    )


HOSTILE_PATHS = (
    "db/migrations/V1__x\n## Injected heading\n@octocat.sql",
    "db/migrations/V2__`close``fence```.sql",
    "db/migrations/<script>alert(1)</script>.sql",
    "db/migrations/[click](javascript:alert(1)).sql",
    "config/@acme/platform-team.yaml",
    "config/<!-- readiness-gates:summary -->.yaml",
    "docs/see #123 and https://evil.example/x?a=1&b=2.md",
    "config/\x1b[31mred\x1b[0m\u202eevil.yaml",
    "config/pipe|table|cells.yaml",
    "docs/**bold** _em_ ~~strike~~ $x$ ![img](http://x/y.png).md",
)


def hostile() -> Report:
    """Every string the repository controls tries to escape."""
    msgs = [
        "Renaming `users`.`email` </details><details open> to <b>x</b> @octocat breaks code",
        "ALTER TABLE \"]( javascript:alert(1) )\" ADD COLUMN x text; -- see https://evil.example and #42",
        "```\n</summary>\n<!-- readiness-gates:summary -->\n```",
    ]
    findings = []
    for i, path in enumerate(HOSTILE_PATHS):
        rule = ("migrations/rename-column" if path.startswith("db/") else
                "config/plaintext-secret" if path.startswith("config/") else "docs/alert-without-runbook")
        sev = (Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW, Severity.INFO)[i % 5]
        waiver = None
        if i == 4:
            waiver = Waiver(reason="@acme/security-team said ok in #99 <img src=x onerror=alert(1)>",
                            source="inline", location=Location(path=path, line=2))
        findings.append(finding(rule, sev, path, msgs[i % len(msgs)], line=i + 1, column=1, waiver=waiver,
                                fix="Use `x`] (https://evil.example) instead @here"))
    by_gate: dict[str, list[Finding]] = {}
    for f in findings:
        by_gate.setdefault(f.gate, []).append(f)
    return Report(
        version=VERSION, fail_on=FailOn.HIGH, base="feature/@octocat <!-- x -->", head=HEAD,
        errored_gates_fail=(GateId("deps"),),
        gates=(
            gate("migrations", GateStatus.FAIL, 1.0, *by_gate["migrations"],
                 items=({"path": HOSTILE_PATHS[0], "risk": "high", "reversible": True, "statements": 1},)),
            gate("deps", GateStatus.ERROR, 2.0,
                 error="pip-audit failed on requirements.txt line 3: `evil @ https://x` <!-- --> @octocat\n"
                       "## heading"),
            gate("config", GateStatus.FAIL, 3.0, *by_gate["config"]),
            gate("docs", GateStatus.PASS, 4.0, *by_gate["docs"]),
        ),
    )


def _item(item_id: str, pillar: str, state: str, *, owner: str | None = "@acme/orders",
          evidence: tuple[tuple[str, str, str], ...] = ()) -> dict[str, object]:
    status = {"open": "in-progress", "not-applicable": "not-applicable"}.get(state, "done")
    return {"path": "readiness-checklist.yml", "line": 3, "id": item_id, "title": f"{item_id} holds",
            "pillar": pillar, "owner": owner, "status": status, "state": state,
            "evidence": [e[0] for e in evidence], "evidence_state": [e[1] for e in evidence],
            "evidence_detail": [e[2] for e in evidence]}


def scorecard() -> Report:
    """A repository with a readiness checklist: the scorecard section in every format. A finding's
    path and an item's failing evidence carry markup that must stay inert."""
    runbook = ("path RUNBOOK.md", "fails", "does not exist")
    items = (
        _item("migration-strategy", "reliability", "proven", evidence=(("gate migrations", "holds", "ok"),)),
        _item("backup-restore-verified", "reliability", "claimed", evidence=(("link https://x.example", "claimed",
                                                                             "recorded, not fetched"),)),
        _item("rate-limiting", "security", "open", owner=None),
        _item("no-known-vulnerabilities", "security", "proven", evidence=(("rule deps/known-vulnerability",
                                                                          "holds", "no unwaived finding"),)),
        _item("alerts-have-runbooks", "observability", "open", evidence=(("rule docs/alert-without-runbook",
                                                                         "fails", "1 unwaived finding"),)),
        _item("runbook", "supportability", "contradicted", evidence=(runbook,)),
        _item("readme", "supportability", "proven", evidence=(("path README.md", "holds", "exists"),)),
        _item("local-setup", "supportability", "not-applicable"),
    )
    return Report(
        version=VERSION, fail_on=FailOn.HIGH, base=None, head=HEAD,
        gates=(
            gate("migrations", GateStatus.FAIL, 12.0,
                 finding("migrations/rename-column", Severity.HIGH, "db/migrations/V4__rename_total.sql",
                         "Renaming orders.total_cents breaks running code that still reads it.", line=2)),
            gate("deps", GateStatus.PASS, 8.0,
                 finding("deps/unpinned-requirement", Severity.MEDIUM, "pyproject.toml",
                         "flask is not pinned (>=3.1) and no lock file fixes its version.", line=7)),
            gate("config", GateStatus.SKIPPED, 0.5, error="no config files found"),
            gate("docs", GateStatus.PASS, 5.0,
                 finding("docs/alert-without-runbook", Severity.MEDIUM, "monitoring/<b>alerts</b> @team.yml",
                         "Alert OrdersQueueBacklog has no runbook_url annotation.", line=12)),
            gate("checklist", GateStatus.FAIL, 3.0,
                 finding("checklist/missing-owner", Severity.MEDIUM, "readiness-checklist.yml",
                         "Item 'rate-limiting' (security) has no owner.", line=20, column=5),
                 finding("checklist/done-with-failing-evidence", Severity.HIGH, "readiness-checklist.yml",
                         "Item 'runbook' is marked done, but its evidence path RUNBOOK.md fails: does not exist.",
                         line=40, column=9),
                 items=items),
        ),
    )
def deps_review() -> Report:
    """A PR that downgrades Django in two files, adds a package whose advisory has no published severity,
    upgrades one and removes one: one finding per pin per file, and the changes (issue 14)."""
    def adv(vid: str, sev: Severity | None, source: str, fix: str, *aliases: str, introduced: bool = True,
            score: float | None = None) -> Advisory:
        return Advisory(id=vid, aliases=aliases, severity=sev, severity_source=source,
                        ranked=sev or Severity.CRITICAL, score=score, fixed=(fix,), fix=fix, introduced=introduced)

    django = VulnerablePackage(
        name="django", version="5.2.1", base_version="6.1", fix="5.2.16", fix_in_line="5.2.16",
        advisories=(
            adv("PYSEC-2025-106", Severity.CRITICAL, "CVSS_V3 base score 9.8 on PYSEC-2025-106", "5.2.7",
                "GHSA-hpr9-3m2g-3j9p", "CVE-2025-59681", score=9.8),
            adv("PYSEC-2025-47", None, "no severity published (no GitHub label, no CVSS vector)", "5.2.2",
                "GHSA-7xr5-9hcq-chf9", "CVE-2025-48432"),
            adv("PYSEC-2026-43", Severity.HIGH, "CVSS_V3 base score 7.5 on PYSEC-2026-43", "5.2.11",
                "GHSA-33mw-q7rj-mjwj", "CVE-2025-14550", score=7.5),
            adv("PYSEC-2026-2092", Severity.MEDIUM, "CVSS_V4 base score 6.3 on PYSEC-2026-2092", "5.2.16",
                "CVE-2026-53878", score=6.3),
        ))
    message = ("django 5.2.1 (was 6.1 on the base) is affected by 4 known advisories; worst severity critical "
               "(CVSS_V3 base score 9.8 on PYSEC-2025-106); 1 advisory with no severity published, treated as "
               "critical by policy (unknown_severity); 5.2.16 fixes all of them (same 5.2.x release line). ")
    hostile_id = Advisory(id="EVIL-1](javascript:alert(1))", severity=None, severity_source="no severity published",
                          ranked=Severity.HIGH)
    celery = VulnerablePackage(name="celery", version="5.2.1", fix="5.2.2", fix_in_line="5.2.2", advisories=(
        adv("PYSEC-2021-858", None, "no severity published (no GitHub label, no CVSS vector)", "5.2.2",
            "GHSA-q4xr-rc97-m4xx", "CVE-2021-23727"), hostile_id))
    requests = VulnerablePackage(name="requests", version="2.32.4", fix="2.33.0", advisories=(
        adv("PYSEC-2026-2275", Severity.MEDIUM, "CVSS_V3 base score 5.5 on PYSEC-2026-2275", "2.33.0",
            "GHSA-gc5v-m9x4-r6x2", "CVE-2026-25645", introduced=False, score=5.5),))

    def vuln(path: str, line: int, pkg: VulnerablePackage, sev: Severity, text: str,
             introduced: bool = True) -> Finding:
        f = finding("deps/known-vulnerability", sev, path, text + pkg.advisory_list(), line=line,
                    evidence=f"{pkg.name}=={pkg.version}", introduced=introduced,
                    fix=f"Upgrade {pkg.name} to {pkg.fix} or later and re-lock.")
        return replace(f, package=pkg)

    changes = (
        DependencyChange(kind=ChangeKind.DOWNGRADED, name="django", path="requirements.txt", line=1, old="6.1",
                         new="5.2.1", introduces=tuple(a.id for a in django.advisories)),
        DependencyChange(kind=ChangeKind.DOWNGRADED, name="django", path="requirements/prod|live.txt", line=1,
                         old="6.1", new="5.2.1", introduces=tuple(a.id for a in django.advisories)),
        DependencyChange(kind=ChangeKind.ADDED, name="celery", path="requirements.txt", line=3, new="5.2.1",
                         introduces=("PYSEC-2021-858", "EVIL-1](javascript:alert(1))")),
        DependencyChange(kind=ChangeKind.UPGRADED, name="urllib3", path="poetry.lock", line=812, old="2.0.3",
                         new="2.5.0", resolves=("PYSEC-2023-192", "PYSEC-2023-212", "PYSEC-2024-1", "PYSEC-2025-9")),
        DependencyChange(kind=ChangeKind.CHANGED, name="flask", path="pyproject.toml", line=9, old=">=2,<3",
                         new=">=3.1"),
        DependencyChange(kind=ChangeKind.REMOVED, name="six", path="requirements.txt", old="1.16.0"),
    )
    deps = GateResult(
        gate=GateId("deps"), status=GateStatus.FAIL, duration_ms=88.0, dependency_changes=changes,
        items=(Item({"name": "django", "version": "5.2.1", "source": "requirements.txt", "line": 1}),),
        findings=(
            vuln("requirements.txt", 1, django, Severity.CRITICAL, message),
            vuln("requirements/prod|live.txt", 1, django, Severity.CRITICAL, message),
            vuln("requirements.txt", 3, celery, Severity.CRITICAL,
                 "celery 5.2.1 is affected by 2 known advisories; no severity published; treated as critical by "
                 "policy (unknown_severity); 5.2.2 fixes all of them (same 5.2.x release line). "),
            vuln("requirements.txt", 2, requests, Severity.MEDIUM,
                 "requests 2.32.4 is affected by a known advisory (it already affected the base); worst severity "
                 "medium (CVSS_V3 base score 5.5 on PYSEC-2026-2275); no 2.32.x release fixes it; 2.33.0 is the "
                 "lowest that does. ", introduced=False),
        ))
    return Report(version=VERSION, fail_on=FailOn.CRITICAL, base="origin/main", head=HEAD,
                  gates=(gate("migrations", GateStatus.SKIPPED, 0.0, error="no migrations found"), deps,
                         gate("config", GateStatus.SKIPPED, 0.0, error="not selected with --gates"),
                         gate("docs", GateStatus.SKIPPED, 0.0, error="not selected with --gates")))


SCENARIOS = {
    "fail_mixed": fail_mixed,
    "pass_clean": pass_clean,
    "preexisting_only": preexisting_only,
    "hostile": hostile,
    "scorecard": scorecard,
    "deps_review": deps_review,
}


def many_findings(n: int = 5000) -> Report:
    """`n` findings spread over files, severities and buckets, for the size budgets."""
    sevs = (Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW, Severity.INFO)
    per_gate: dict[str, list[Finding]] = {"migrations": [], "deps": [], "config": [], "docs": []}
    rules = ("migrations/rename-column", "deps/known-vulnerability", "config/schema-violation",
             "docs/alert-without-runbook")
    for i in range(n):
        rule = rules[i % 4]
        path = f"{rule.split('/')[0]}/dir{i % 37}/file_{i % 911}_ünïcødé_名前.txt"
        per_gate[rule.split("/")[0]].append(finding(
            rule, sevs[i % 5], path,
            f"Finding number {i} about <thing_{i}> in `{path}` with some words to make it realistic " * 2,
            line=i + 1, column=1, introduced=i % 7 != 0,
            waiver=Waiver(reason=f"accepted risk {i}", source="config") if i % 11 == 0 else None))
    return Report(version=VERSION, fail_on=FailOn.HIGH, base="origin/main", head=HEAD,
                  gates=tuple(gate(g, GateStatus.FAIL, 1.0, *fs) for g, fs in per_gate.items()))
