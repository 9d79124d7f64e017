"""Django model fields as the PostgreSQL columns Django's schema editor creates for them.

Each field class (core, `django.contrib.postgres`, and the common third-party subclasses of core
fields: mptt, django-modelcluster, django-model-utils, django-extensions, taggit, phonenumber,
countries, timezone, NetBox's own, ...) maps to the column type Django emits, with its modifiers,
nullability, uniqueness, index, CHECK and foreign key. Relations take the target's primary-key
type. An AlterField is then judged by comparing the two columns with the same logic SQL migrations
get (classify: binary-coercible type changes, SET/DROP NOT NULL, unique and index changes).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, replace

from readiness.gates.migrations.ops import ColumnType
from readiness.gates.migrations.pyast import arg, call_name, const_str, truthy


@dataclass(frozen=True, slots=True, kw_only=True)
class FieldSpec:
    """A model field and the column it is in the database."""

    cls: str
    """The field class as written (`CharField`, `TreeForeignKey`)."""
    type: ColumnType | None
    """The column's PostgreSQL type and modifiers; None when not known."""
    column: str
    """The column name (`<name>_id` for a relation, or `db_column`)."""
    null: bool = False
    unique: bool = False
    index: bool = False
    """An index of its own (db_index, or the implicit one of a ForeignKey; not the unique one)."""
    primary_key: bool = False
    fk: str | None = None
    """The target model of a relation as written (`shop.Product`, `settings.AUTH_USER_MODEL`)."""
    db_constraint: bool = True
    check: bool = False
    """A CHECK (col >= 0) Django adds (Positive*Field)."""
    db_default: bool = False
    no_column: bool = False
    """ManyToMany, TaggableManager, GenericRelation: no column in the model's table."""
    m2m: bool = False
    """A ManyToMany field: a join table of its own."""
    through: bool = False
    """A ManyToMany field with a `through` model (the join table is that model's, not Django's)."""
    auto: bool = False
    """AutoField and friends: filled from a sequence or identity."""
    generated: bool = False
    """GeneratedField: a stored generated column."""


_CHAR_DEFAULTS = {"CharField": None, "EmailField": 254, "URLField": 200, "SlugField": 50, "FileField": 100,
                  "ImageField": 100, "FilePathField": 100, "CommaSeparatedIntegerField": None}
"""Core string fields and their default max_length (None: max_length is required)."""
_SIMPLE: dict[str, str] = {
    "TextField": "text", "IntegerField": "int4", "SmallIntegerField": "int2", "BigIntegerField": "int8",
    "PositiveIntegerField": "int4", "PositiveSmallIntegerField": "int2", "PositiveBigIntegerField": "int8",
    "AutoField": "int4", "SmallAutoField": "int2", "BigAutoField": "int8", "BooleanField": "bool",
    "NullBooleanField": "bool", "DateTimeField": "timestamptz", "DateField": "date", "TimeField": "time",
    "DurationField": "interval", "FloatField": "float8", "UUIDField": "uuid", "JSONField": "jsonb",
    "BinaryField": "bytea", "GenericIPAddressField": "inet", "IPAddressField": "inet",
    # django.contrib.postgres
    "HStoreField": "hstore", "CICharField": "citext", "CIEmailField": "citext", "CITextField": "citext",
    "IntegerRangeField": "int4range", "BigIntegerRangeField": "int8range", "DecimalRangeField": "numrange",
    "DateTimeRangeField": "tstzrange", "DateRangeField": "daterange", "SearchVectorField": "tsvector",
}
_POSITIVE = frozenset({"PositiveIntegerField", "PositiveSmallIntegerField", "PositiveBigIntegerField",
                       "CounterCacheField"})
_AUTO = frozenset({"AutoField", "SmallAutoField", "BigAutoField"})
_FK = frozenset({"ForeignKey", "TreeForeignKey", "ParentalKey", "OneToOneField", "TreeOneToOneField"})
_ONE_TO_ONE = frozenset({"OneToOneField", "TreeOneToOneField"})
_M2M = frozenset({"ManyToManyField", "TreeManyToManyField", "ParentalManyToManyField", "SortedManyToManyField"})
_NO_COLUMN = frozenset({"TaggableManager", "GenericRelation", "GenericForeignKey", "RestrictedGenericForeignKey",
                        "ClusterTaggableManager"})
_SUBCLASSES: dict[str, tuple[str, int | None]] = {
    # django-model-utils
    "AutoCreatedField": ("DateTimeField", None), "AutoLastModifiedField": ("DateTimeField", None),
    "MonitorField": ("DateTimeField", None), "StatusField": ("CharField", 100), "SplitField": ("TextField", None),
    # django-extensions
    "CreationDateTimeField": ("DateTimeField", None), "ModificationDateTimeField": ("DateTimeField", None),
    "AutoSlugField": ("SlugField", 50), "RandomCharField": ("CharField", None), "ShortUUIDField": ("CharField", 22),
    # phonenumber_field, django-countries, django-timezone-field, rich text editors
    "PhoneNumberField": ("CharField", 128), "PossiblePhoneNumberField": ("CharField", 128),
    "CountryField": ("CharField", 2), "TimeZoneField": ("CharField", 63), "RichTextField": ("TextField", None),
    "RichTextUploadingField": ("TextField", None), "HTMLField": ("TextField", None),
    "MarkdownxField": ("TextField", None), "MarkdownField": ("TextField", None),
    # NetBox and wagtail fields built on core ones
    "CounterCacheField": ("PositiveIntegerField", None), "NaturalOrderingField": ("CharField", 100),
    "ASNField": ("BigIntegerField", None), "SanitizedJSONField": ("JSONField", None),
    "CachedValueField": ("CharField", None), "VersionSlugField": ("SlugField", 255),
    "WagtailImageField": ("ImageField", 100), "WebhookURLField": ("URLField", 200),
    "AutoLastModified": ("DateTimeField", None), "ChoiceSetField": ("ArrayField", None),
}
"""Third-party field classes -> the core field they store as, and their default max_length."""
_OTHER_TYPES = {"MACAddressField": "macaddr", "IPNetworkField": "cidr", "WWNField": "macaddr8",
                "ArrayField": "", "StreamField": ""}


def spec(node: ast.expr | None, name: str) -> FieldSpec | None:
    """The column of the field `node` (a `models.XField(...)` call) named `name`; None when `node`
    is not a field call."""
    if not isinstance(node, ast.Call):
        return None
    cls = call_name(node)
    if not cls:
        return None
    core, default_len = _SUBCLASSES.get(cls, (cls, None))
    db_column = const_str(arg(node, -1, "db_column"))
    null = truthy(arg(node, -1, "null")) is True or core == "NullBooleanField"
    unique = bool(truthy(arg(node, -1, "unique")))
    primary_key = bool(truthy(arg(node, -1, "primary_key")))
    db_index = truthy(arg(node, -1, "db_index"))
    db_default = arg(node, -1, "db_default") is not None
    base = FieldSpec(cls=cls, type=None, column=db_column or name, null=null, unique=unique or primary_key,
                     primary_key=primary_key, db_default=db_default)
    if core in _M2M or cls in _M2M:
        return replace(base, column=name, no_column=True, m2m=True, through=arg(node, -1, "through") is not None)
    if core in _NO_COLUMN:
        return replace(base, column=name, no_column=True)
    if core in _FK or _looks_like(cls, ("ForeignKey", "OneToOneField")):
        one = core in _ONE_TO_ONE or cls.endswith("OneToOneField")
        return replace(base, column=db_column or f"{name}_id", fk=_target(arg(node, 0, "to")),
                       db_constraint=truthy(arg(node, -1, "db_constraint")) is not False,
                       index=db_index is not False and not one and not unique, unique=unique or one or primary_key)
    if core == "GeneratedField":
        return replace(base, generated=True)
    auto = core in _AUTO
    return replace(base, type=_type(node, cls, core, default_len),
                   index=bool(db_index) or (core == "SlugField" and db_index is not False), check=core in _POSITIVE,
                   auto=auto, primary_key=primary_key or auto, unique=base.unique or auto)


def _looks_like(cls: str, suffixes: tuple[str, ...]) -> bool:
    return cls.endswith(suffixes)


def _target(to: ast.expr | None) -> str | None:
    """`"shop.Product"`, `settings.AUTH_USER_MODEL`: the target as written; swapper's
    `get_model_name("wagtailcore", "Page")` as `wagtailcore.Page`."""
    value = const_str(to)
    if isinstance(to, ast.Call) and call_name(to) == "get_model_name" and len(to.args) == 2:
        app, model = const_str(to.args[0]), const_str(to.args[1])
        if app and model:
            return f"{app}.{model}"
    if value is None and isinstance(to, ast.expr):
        value = ast.unparse(to)
    return value or None


def _int(node: ast.expr | None) -> int | None:
    return node.value if isinstance(node, ast.Constant) and type(node.value) is int else None


def _type(node: ast.Call, cls: str, core: str, default_len: int | None) -> ColumnType | None:
    if core in _CHAR_DEFAULTS or (core not in _SIMPLE and _looks_like(cls, ("CharField", "SlugField"))):
        given = arg(node, -1, "max_length")
        if given is not None:
            length = _int(given)
            return ("varchar", (length,)) if length is not None else None
        length = default_len if default_len is not None else _CHAR_DEFAULTS.get(core)
        if length is None:
            return ("varchar", ()) if core == "CharField" and cls == "CharField" else None
        return "varchar", (length,)
    if core == "DecimalField" or cls.endswith("DecimalField"):
        digits, places = _int(arg(node, -1, "max_digits")), _int(arg(node, -1, "decimal_places"))
        return ("numeric", (digits, places)) if digits is not None and places is not None else ("numeric", ())
    if core in _SIMPLE:
        return _SIMPLE[core], ()
    if core in _OTHER_TYPES:
        if core == "ArrayField":
            base = spec(arg(node, 0, "base_field"), "x")
            return (base.type[0] + "[]", base.type[1]) if base is not None and base.type is not None else None
        if core == "StreamField":  # wagtail: JSON since use_json_field (the default from wagtail 6)
            return ("text", ()) if truthy(arg(node, -1, "use_json_field")) is False else ("jsonb", ())
        return _OTHER_TYPES[core], ()
    for suffix, pg in (("TextField", "text"), ("BooleanField", "bool"), ("DateTimeField", "timestamptz"),
                       ("UUIDField", "uuid"), ("JSONField", "jsonb"), ("BigIntegerField", "int8"),
                       ("IntegerField", "int4"), ("DateField", "date")):
        if cls.endswith(suffix):
            return pg, ()
    return None


def with_target_type(field: FieldSpec, pk_types: dict[str, ColumnType]) -> FieldSpec:
    """A relation's column takes its target's primary-key type, when that is known."""
    if field.fk is None or field.type is not None:
        return field
    target = field.fk.lower()
    return replace(field, type=pk_types.get(target) or pk_types.get(target.rsplit(".", 1)[-1]))


def same_column_type(old: FieldSpec, new: FieldSpec) -> bool | None:
    """True when the column type stays, False when it changes, None when unknown."""
    if old.fk is not None and new.fk is not None and old.fk.lower() == new.fk.lower():
        return True  # ForeignKey <-> OneToOneField <-> TreeForeignKey to the same model: the same column
    if old.type is None or new.type is None:
        return True if old.cls == new.cls and old.fk is None and new.fk is None else None
    return old.type == new.type
