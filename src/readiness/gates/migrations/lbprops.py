"""Liquibase changelog properties: `<property name="t" value="users"/>` (XML) and `- property:`
(YAML, JSON) substituted for `${t}` before Liquibase runs a change, as Liquibase substitutes them.

Liquibase expands `${name}` in a changelog's attributes, its SQL (`<sql>`, a formatted-SQL changeset,
an `sqlFile`) from the properties the changelog tree defines. A property is global (every changelog
of the run sees it) unless it says `global="false"`; one whose `dbms` leaves PostgreSQL out is not set
on PostgreSQL; one with a `context` or `labels` is set only when the run's contexts match, which the
repository does not say. So, for each name, the values of its definitions that may apply on
PostgreSQL are gathered from every changelog of the repository:

- one value: `${name}` is that value (a `DROP TABLE ${t}` is a DROP of the table `t` names, and a
  value that is SQL, `1; DROP TABLE users`, is read as the SQL it makes);
  (A project that selects properties by a database context, `context="postgresql"` beside
  `context="mysql"`, runs PostgreSQL with PostgreSQL's: the other database's are left out.)
- several values (per context, several changelogs, a value that is itself a `${...}`): what runs cannot
  be known, so the change that uses it is reported as not read (`migrations/dynamic-sql`: fails closed);
- no value: the runner's own (`-D`/`--property`, `liquibase.properties`, Spring's
  `spring.liquibase.parameters`): left as a name standing for it, as before (`sql.fill_placeholders`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from readiness.gates.migrations.liquibase import _runs_on_postgres

_REF = re.compile(r"\$\{([^{}\n]{1,200})\}")
_POSTGRES = frozenset({"postgresql", "postgres", "pgsql", "pg"})
MAX_VALUES = 1000
"""Property definitions kept per run, at most (a bound on what a pull request can make the gate hold)."""


@dataclass(frozen=True, slots=True)
class Definition:
    """One `property` of a changelog."""

    name: str
    value: str
    path: str
    """The changelog that defines it."""
    local: bool = False
    """`global="false"`: only its own changelog sees it."""
    database_context: str | None = None
    """`postgres` or `other` when its `context`/`labels` name a database (`context="mysql"`): projects
    that select properties by a database context run PostgreSQL with PostgreSQL's."""


@dataclass(slots=True)
class Properties:
    """The properties of a repository's changelogs, by name."""

    by_name: dict[str, list[Definition]] = field(default_factory=dict)

    def add(self, defs: Iterable[Definition]) -> None:
        count = sum(len(v) for v in self.by_name.values())
        for d in defs:
            if count >= MAX_VALUES:
                return
            self.by_name.setdefault(d.name, []).append(d)
            count += 1

    def values(self, name: str, here: str) -> set[str]:
        """The values `${name}` may have in the changelog `here`."""
        defs = self.by_name.get(name)
        if defs is None:  # Liquibase looks a name up as written, then without regard to case
            low = name.lower()
            defs = [d for k, ds in self.by_name.items() if k.lower() == low for d in ds]
        mine = [d for d in defs if not d.local or d.path == here]
        if any(d.database_context == "postgres" for d in mine):  # the project picks them by database context
            mine = [d for d in mine if d.database_context != "other"]
        return {d.value for d in mine}

    def expand(self, text: str, here: str) -> tuple[str, list[str]]:
        """`text` with each `${name}` that has one value replaced by it, and the names that have
        several (left as written: the caller fails closed on them)."""
        if "${" not in text or not self.by_name:
            return text, []
        several: list[str] = []

        def one(m: re.Match[str]) -> str:
            values = self.values(m.group(1), here)
            if len(values) == 1 and "${" not in (value := next(iter(values))):
                return value
            if values:
                several.append(m.group(1))
            return m.group(0)

        return _REF.sub(one, text), several


def several_values(name: str) -> str:
    """What a `dynamic-sql` finding says of a property with several values."""
    return f"the Liquibase property ${{{name}}} (it has several values: per context, database or changelog)"


def definitions(kids: Iterable[object], path: str) -> list[Definition]:
    """The `property` entries among a changelog's top-level nodes (lbdoc.Node) that may apply on
    PostgreSQL; a definition with a `context` or `labels` may (the run's contexts are not known)."""
    from readiness.gates.migrations.lbdoc import other_database_context

    out = []
    for node in kids:
        kind, attrs = getattr(node, "kind", ""), getattr(node, "attrs", {})
        if kind != "property" or "name" not in attrs or "value" not in attrs:
            continue  # a `file=` of properties is read by the runner from its classpath: the runner's own
        if not _runs_on_postgres(attrs.get("dbms")):
            continue
        context = " ".join(attrs.get(k, "") for k in ("context", "contextFilter", "labels")).strip()
        words = set(re.findall(r"[a-z0-9]+", context.lower()))
        kind = "other" if other_database_context(context) else "postgres" if words & _POSTGRES else None
        out.append(Definition(name=attrs["name"], value=attrs["value"], path=path, database_context=kind,
                              local=attrs.get("global", "true").strip().lower() == "false"))
    return out
