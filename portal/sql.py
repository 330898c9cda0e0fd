"""INSERT ... SELECT from an ORM queryset: a set-based write in one statement, whatever the row count.

`bulk_create` needs the rows in Python and splits them into batches (on SQLite at most 999
parameters a statement), so its query count grows with the rows; the escalation sweep over 100k
tickets and the alert scans over 200k parcels must not. Both apps write through `insert_select`.
"""

from django.core.exceptions import EmptyResultSet
from django.db import connections, router
from django.db.models import Value


def insert_select(model, queryset, columns: dict, *, ignore_conflicts=False) -> int:
    """`INSERT INTO model (columns) SELECT <expressions> FROM queryset`: one `model` row per row
    of `queryset`, in one statement. Returns the number of rows inserted.

    `columns` maps field names (or attnames, e.g. "ticket_id") of `model` to expressions over the
    queryset's model; other non-null fields get their Python default. The queryset's own ordering
    is kept (rows are inserted in that order; its model's default ordering is dropped).
    `ignore_conflicts` adds ON CONFLICT DO NOTHING: where a unique constraint decides between
    concurrent writers, conflicting rows are skipped and not counted. A queryset that can match
    nothing (e.g. `pk__in=[]`) inserts nothing and runs no statement.
    """
    values = dict(columns)
    for field in model._meta.concrete_fields:
        if field.primary_key or field.attname in values or field.name in values or field.null:
            continue
        values[field.attname] = Value(field.get_default(), output_field=field)
    aliases = {f"insert_col_{n}": name for n, name in enumerate(values)}
    source = queryset.order_by(*queryset.query.order_by).annotate(
        **{alias: values[name] for alias, name in aliases.items()}
    )
    using = router.db_for_write(model)
    connection = connections[using]
    if ignore_conflicts and connection.vendor == "sqlite" and not source.query.where:
        # SQLite would read "... FROM t ON CONFLICT" as the ON of a join: the SELECT needs a WHERE.
        source = source.filter(pk__isnull=False)
    compiler = source.values_list(*aliases).query.get_compiler(using=using)
    try:
        select_sql, params = compiler.as_sql()
    except EmptyResultSet:
        return 0
    qn = connection.ops.quote_name
    # Name the target columns in the order the SELECT lists the expressions.
    selected = [aliases[alias] for _expression, _sql, alias in compiler.select]
    target_columns = ", ".join(qn(model._meta.get_field(name).column) for name in selected)
    sql = f"INSERT INTO {qn(model._meta.db_table)} ({target_columns}) {select_sql}"
    if ignore_conflicts:
        sql += " ON CONFLICT DO NOTHING"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount
