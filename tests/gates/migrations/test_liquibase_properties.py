"""Liquibase changelog properties (lbprops): which values `${name}` may have on PostgreSQL."""

from __future__ import annotations

from readiness.gates.migrations import lbdoc
from readiness.gates.migrations.lbprops import MAX_VALUES, Definition, Properties, definitions

XML = ('<databaseChangeLog>\n'
       '  <property name="t" value="users"/>\n'
       '  <property name="ft" value="float4" dbms="postgresql"/>\n'
       '  <property name="ft" value="float" dbms="mysql"/>\n'
       '  <property name="c" value="a" context="dev"/>\n'
       '  <property name="c" value="b" context="prod"/>\n'
       '  <property name="own" value="x" global="false"/>\n'
       '  <property name="nested" value="${t}"/>\n'
       '  <property file="db.properties"/>\n'
       '</databaseChangeLog>\n')


def _props() -> Properties:
    props = Properties()
    props.add(definitions(lbdoc.parse_xml(XML).kids, "db/master.xml"))
    return props


def test_one_value_is_substituted_and_several_are_named() -> None:
    props = _props()
    text, several = props.expand("SELECT ${t}, ${ft}, ${c}, ${nested}, ${unset}, ${T}", "db/other.xml")
    assert text == "SELECT users, float4, ${c}, ${nested}, ${unset}, users"
    assert several == ["c", "nested"]  # a value made of another property: not settled here


def test_a_local_property_is_its_own_changelogs() -> None:
    props = _props()
    assert props.expand("${own}", "db/master.xml")[0] == "x"
    assert props.expand("${own}", "db/other.xml")[0] == "${own}"


def test_definitions_are_bounded() -> None:
    props = Properties()
    props.add(Definition(name=f"p{i}", value="v", path="a.xml") for i in range(MAX_VALUES + 10))
    assert sum(len(v) for v in props.by_name.values()) == MAX_VALUES


def test_database_contexts_pick_postgresqls_value() -> None:
    """fineract's master changelog: `current_date` per database context."""
    props = Properties()
    props.add(definitions(lbdoc.parse_xml(
        '<databaseChangeLog><property name="d" value="CURDATE()" context="mysql"/>'
        '<property name="d" value="CURRENT_DATE" context="postgresql"/>'
        '<property name="e" value="1" context="mysql"/><property name="e" value="2" context="dev"/>'
        '</databaseChangeLog>').kids, "m.xml"))
    assert props.expand("${d} ${e}", "m.xml") == ("CURRENT_DATE ${e}", ["e"])
