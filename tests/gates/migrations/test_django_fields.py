"""Django fields judged by the PostgreSQL column Django emits for them, against the field as the
app's earlier migrations left it (the same logic SQL migrations get)."""

from __future__ import annotations

from pathlib import Path

import pytest
from migrations_helpers import check, findings

from readiness.workspace.changes import ChangeSet

HEAD = ("from django.conf import settings\nfrom django.db import migrations, models\nimport mptt.fields\n"
        "import django_add_default_value\n\n\nclass Migration(migrations.Migration):\n    operations = [\n")
TAIL = "    ]\n"
INITIAL = HEAD + """        migrations.CreateModel(name='Region', fields=[
            ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False)),
            ('name', models.CharField(max_length=100)),
            ('code', models.CharField(max_length=10, unique=True)),
            ('count', models.PositiveIntegerField(default=0)),
            ('size', models.IntegerField()),
            ('flag', models.NullBooleanField()),
            ('note', models.TextField(blank=True)),
            ('price', models.DecimalField(max_digits=10, decimal_places=2)),
            ('parent', models.ForeignKey(null=True, on_delete=models.CASCADE, to='dcim.region')),
            ('owner', models.ForeignKey(on_delete=models.CASCADE, to=settings.AUTH_USER_MODEL)),
            ('at', models.DateTimeField(null=True)),
        ], options={'unique_together': {('name', 'parent')}}),
""" + TAIL


def _alter(tmp_path: Path, *ops: str) -> dict[str, list[str]]:
    """Rules fired by the second migration (the first creates dcim.Region), by rule -> messages."""
    files = {"dcim/migrations/0001_initial.py": INITIAL,
             "dcim/migrations/0002_change.py": HEAD + "".join(f"        {o},\n" for o in ops) + TAIL}
    pr = ChangeSet(base="main", files=frozenset({"dcim/migrations/0002_change.py"}), deleted=frozenset(),
                   source="git")
    report = check(tmp_path, files, changes=pr)
    out: dict[str, list[str]] = {}
    for f in findings(report):
        if f.location.path.endswith("0002_change.py") and f.rule != "migrations/irreversible-migration":
            out.setdefault(f.rule.split("/")[1], []).append(f.message)
    return out


def alter(name: str, field: str) -> str:
    return f"migrations.AlterField(model_name='region', name='{name}', field={field})"


@pytest.mark.parametrize("op", [
    alter("name", "models.TextField()"),                                       # varchar(100) -> text
    alter("name", "models.CharField(max_length=200)"),                         # longer varchar
    alter("name", "models.CharField(max_length=100, verbose_name='Name')"),    # no schema change
    alter("parent", "mptt.fields.TreeForeignKey(null=True, on_delete=models.CASCADE, to='dcim.region')"),
    alter("flag", "models.BooleanField(null=True)"),                           # NullBooleanField -> BooleanField
    alter("count", "models.IntegerField(default=0)"),                          # a CHECK is dropped
    alter("price", "models.DecimalField(max_digits=12, decimal_places=2)"),    # more precision, same scale
    alter("at", "models.DateTimeField(null=True, auto_now=True)"),
    alter("size", "models.IntegerField(null=True)"),                           # DROP NOT NULL
])
def test_harmless_field_changes(tmp_path: Path, op: str) -> None:
    assert _alter(tmp_path, op) == {}


def test_foreign_key_to_one_to_one_changes_only_uniqueness(tmp_path: Path) -> None:
    got = _alter(tmp_path, alter("parent", "models.OneToOneField(null=True, on_delete=models.CASCADE, "
                                           "to='dcim.region')"))
    assert "change-column-type" not in got and "unique-constraint" in got


@pytest.mark.parametrize(("op", "rule", "text"), [
    (alter("size", "models.BigIntegerField()"), "change-column-type", "from int4 to int8"),
    (alter("name", "models.CharField(max_length=50)"), "change-column-type", "from varchar(100) to varchar(50)"),
    (alter("price", "models.DecimalField(max_digits=10, decimal_places=3)"), "change-column-type", "numeric"),
    (alter("note", "models.IntegerField()"), "change-column-type", "from text to int4"),
    (alter("at", "models.DateTimeField()"), "set-not-null", "SET NOT NULL"),
    (alter("size", "models.PositiveIntegerField()"), "check-constraint-not-valid", "CHECK"),
    (alter("name", "models.CharField(max_length=100, unique=True)"), "unique-constraint", "UNIQUE"),
    (alter("name", "models.CharField(max_length=100, db_index=True)"), "create-index-non-concurrently", "index"),
    ("migrations.AlterUniqueTogether(name='region', unique_together={('name', 'parent'), ('code', 'owner')})",
     "unique-constraint", "code, owner_id"),
    ("migrations.AlterIndexTogether(name='region', index_together={('name', 'size')})",
     "create-index-non-concurrently", "name, size"),
    ("migrations.AlterModelTable(name='region', table='regions')", "rename-table", "dcim_region to regions"),
])
def test_field_changes_that_matter(tmp_path: Path, op: str, rule: str, text: str) -> None:
    got = _alter(tmp_path, op)
    assert rule in got and any(text in m for m in got[rule]), got


def test_removing_a_unique_together_is_not_adding_one(tmp_path: Path) -> None:
    got = _alter(tmp_path, "migrations.AlterUniqueTogether(name='region', unique_together=set())")
    assert "unique-constraint" not in got


def test_null_boolean_field_is_nullable_and_add_default_value_keeps_the_default(tmp_path: Path) -> None:
    got = _alter(tmp_path,
                 "migrations.AddField(model_name='region', name='legacy', field=models.NullBooleanField())",
                 "migrations.AddField(model_name='region', name='level', field=models.IntegerField(default=1))",
                 "django_add_default_value.AddDefaultValue(model_name='region', name='level', value=1)")
    assert "add-column-not-null" not in got and "drop-default-not-null" not in got
    got = _alter(tmp_path,
                 "migrations.AddField(model_name='region', name='level', field=models.IntegerField(default=1))")
    assert "drop-default-not-null" in got  # without AddDefaultValue Django drops it


def test_partial_unique_constraint_is_a_unique_index(tmp_path: Path) -> None:
    got = _alter(tmp_path, "migrations.AddConstraint(model_name='region', constraint=models.UniqueConstraint("
                           "fields=('name',), condition=models.Q(parent__isnull=True), name='uniq_root_name'))")
    assert "unique-constraint" not in got and "create-index-non-concurrently" in got


def test_relations_take_the_target_primary_key_type(tmp_path: Path) -> None:
    files = {"shop/migrations/0001_initial.py": HEAD + """        migrations.CreateModel(name='Item', fields=[
            ('id', models.UUIDField(primary_key=True)),
        ]),
        migrations.CreateModel(name='Order', fields=[
            ('id', models.BigAutoField(primary_key=True)),
            ('ref', models.ForeignKey(on_delete=models.CASCADE, to='shop.order')),
        ]),
""" + TAIL, "shop/migrations/0002_x.py": HEAD + """        migrations.AlterField(model_name='order', name='ref',
            field=models.ForeignKey(on_delete=models.CASCADE, to='shop.item')),
""" + TAIL}
    report = check(tmp_path, files)
    [f] = findings(report, "change-column-type")
    assert "from int8 to uuid" in f.message


def test_the_app_history_is_replayed_once_in_order(tmp_path: Path) -> None:
    files = {"dcim/migrations/0001_initial.py": INITIAL}
    for i in range(2, 40):  # each widens the name a little: never a rewrite, known at every step
        wider = alter("name", f"models.CharField(max_length={100 + i})")
        files[f"dcim/migrations/{i:04d}_x.py"] = HEAD + f"        {wider},\n" + TAIL
    report = check(tmp_path, files)
    assert not findings(report, "change-column-type")


def test_renaming_a_many_to_many_field_renames_its_join_table(tmp_path: Path) -> None:
    files = {"shop/migrations/0001_initial.py": HEAD + """        migrations.CreateModel(name='Item', fields=[
            ('id', models.BigAutoField(primary_key=True)),
            ('tags', models.ManyToManyField(to='shop.tag')),
            ('owners', models.ManyToManyField(to='shop.owner', through='shop.Ownership')),
        ]),
""" + TAIL, "shop/migrations/0002_x.py": HEAD + """        migrations.RenameField(model_name='item', old_name='tags',
            new_name='labels'),
        migrations.RenameField(model_name='item', old_name='owners',
            new_name='holders'),
""" + TAIL}
    report = check(tmp_path, files)
    assert [f.message.split(" takes")[0] for f in findings(report, "rename-table")] == [
        "Renaming table shop_item_tags to shop_item_labels"]
    assert not findings(report, "rename-column")


def test_postgres_not_valid_constraints_and_order_with_respect_to(tmp_path: Path) -> None:
    got = _alter(tmp_path,
                 "AddConstraintNotValid(model_name='region', constraint=models.CheckConstraint("
                 "check=models.Q(size__gte=0), name='size_positive'))",
                 "ValidateConstraint(model_name='region', name='size_positive')",
                 "migrations.AlterOrderWithRespectTo(name='region', order_with_respect_to='parent')")
    assert "check-constraint-not-valid" not in got and "drop-default-not-null" in got  # _order keeps no default
