"""INSERT ... SELECT from an ORM queryset: set-based writes in one statement, whatever the row count.

`bulk_create` needs the rows in Python and splits them into batches of at most 999 parameters on
SQLite, so its query count grows with the rows; an alert scan over 200k parcels must not.
"""

from django.db import connection
from django.db.models import Value


def insert_select(model, queryset, columns: dict, *, ignore_conflicts=False) -> int:
    """Insert one `model` row per row of `queryset`; `columns` maps field names to expressions
    over the queryset's model. Other non-null fields get their Python default. Returns the row count."""
    values = dict(columns)
    for field in model._meta.concrete_fields:
        if field.primary_key or field.attname in values or field.name in values or field.null:
            continue
        values[field.attname] = Value(field.get_default(), output_field=field)
    aliases = {f"ins_{n}": name for n, name in enumerate(values)}
    source = queryset.order_by().annotate(**{alias: values[name] for alias, name in aliases.items()})
    sql, params = source.values(*aliases).query.sql_with_params()
    qn = connection.ops.quote_name
    target_columns = ", ".join(qn(model._meta.get_field(name).column) for name in aliases.values())
    selected = ", ".join(f"src.{qn(alias)}" for alias in aliases)
    statement = (
        f"INSERT INTO {qn(model._meta.db_table)} ({target_columns}) SELECT {selected} FROM ({sql}) src WHERE 1 = 1"
    )
    if ignore_conflicts:
        statement += " ON CONFLICT DO NOTHING"
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.rowcount
