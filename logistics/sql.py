"""INSERT ... SELECT from an ORM queryset: set-based writes in one statement, whatever the row count.

`bulk_create` needs the rows in Python and splits them into batches of at most 999 parameters on
SQLite, so its query count grows with the rows; an alert scan over 200k parcels must not.
"""

from django.db import connection


def _max_params() -> int:
    if connection.vendor == "sqlite":
        import sqlite3

        connection.ensure_connection()
        return connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    return 65535


def value_converters(model, field_names):
    """Per column, a fast Python -> database value function (what bulk_create's per-value
    get_db_prep_save does, without its per-call overhead: that overhead dominated the import)."""
    from datetime import UTC

    from django.db import models

    converters = []
    for name in field_names:
        field = model._meta.get_field(name)
        if isinstance(field, models.DateTimeField):
            if connection.vendor == "sqlite":
                # What the SQLite backend stores: naive UTC as text.
                converters.append(lambda v: None if v is None else str(v.astimezone(UTC).replace(tzinfo=None)))
            else:
                converters.append(None)
        elif isinstance(field, models.JSONField):
            converters.append(lambda v, f=field: f.get_db_prep_save(v, connection))
        else:
            converters.append(None)
    return converters


def convert_rows(converters, rows):
    """Apply `value_converters` to rows of Python values (in place, returns the rows)."""
    active = [(i, fn) for i, fn in enumerate(converters) if fn is not None]
    for row in rows:
        for i, fn in active:
            row[i] = fn(row[i])
    return rows


def insert_rows(model, field_names, rows, *, ignore_conflicts=False, returning_pk=False):
    """INSERT rows (lists of database values, in `field_names` order) in few statements.

    Without returning_pk: one executemany; returns the number of rows inserted (rows skipped by
    ignore_conflicts are not counted). returning_pk: one multi-row INSERT ... RETURNING per chunk;
    returns the new primary keys in row order (as Django's own bulk_create assumes on SQLite and
    PostgreSQL)."""
    if not rows:
        return [] if returning_pk else 0
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    columns = ", ".join(qn(model._meta.get_field(name).column) for name in field_names)
    one = "(" + ", ".join(["%s"] * len(field_names)) + ")"
    conflict = " ON CONFLICT DO NOTHING" if ignore_conflicts else ""
    with connection.cursor() as cursor:
        if not returning_pk:
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES {one}{conflict}", rows)
            return cursor.rowcount
        pk = qn(model._meta.pk.column)
        per_statement = max(1, _max_params() // len(field_names))
        ids = []
        for start in range(0, len(rows), per_statement):
            chunk = rows[start:start + per_statement]
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES {', '.join([one] * len(chunk))}{conflict} RETURNING {pk}",
                [value for row in chunk for value in row],
            )
            ids.extend(row[0] for row in cursor.fetchall())
        return ids


def _read_values(rows, meta, field_names, *, sqlite, naive_utc):
    """Database values -> Python: datetimes aware in UTC, or naive UTC with `naive_utc`; JSON decoded.

    Done here instead of by Django's per-value converters (costly at a million rows). On SQLite
    the datetime columns arrive as text (see `select_where_in`), parsed by C-speed fromisoformat."""
    import json
    from datetime import UTC, datetime

    from django.db import models

    fields = [meta.get_field(name) for name in field_names]
    datetimes = [i for i, field in enumerate(fields) if isinstance(field, models.DateTimeField)]
    jsons = [i for i, field in enumerate(fields) if isinstance(field, models.JSONField)]
    if not datetimes and not jsons:
        return rows
    rows = [list(row) for row in rows]
    if sqlite:
        fromiso = datetime.fromisoformat
        for row in rows:
            for i in datetimes:
                if (value := row[i]) is not None:
                    row[i] = fromiso(value) if naive_utc else fromiso(value).replace(tzinfo=UTC)
    else:
        for row in rows:
            for i in datetimes:
                if (value := row[i]) is not None:
                    value = value.astimezone(UTC)
                    row[i] = value.replace(tzinfo=None) if naive_utc else value
    for row in rows:
        for i in jsons:
            if isinstance(row[i], str):
                row[i] = json.loads(row[i])
    return rows


def select_where_in(model, field_names, *, equal=None, within=None, naive_utc=False):
    """SELECT field_names FROM model WHERE <field = value ...> AND <field IN (values) ...>, as lists.

    Hand-written because the ORM spends longer compiling an IN list of a thousand values than
    SQLite spends answering it; values are read by `_read_values`."""

    from django.db import models

    qn = connection.ops.quote_name
    meta = model._meta
    conditions, params = [], []
    for name, value in (equal or {}).items():
        conditions.append(f"{qn(meta.get_field(name).column)} = %s")
        params.append(value)
    for name, values in (within or {}).items():
        values = list(values)
        if not values:
            return []
        conditions.append(f"{qn(meta.get_field(name).column)} IN ({', '.join(['%s'] * len(values))})")
        params.extend(values)
    sqlite = connection.vendor == "sqlite"

    def column(name):
        field = meta.get_field(name)
        if sqlite and isinstance(field, models.DateTimeField):
            # An expression has no declared type, so the sqlite3 module leaves the text for our
            # C-speed fromisoformat instead of running Django's registered converter on it.
            return f"CAST({qn(field.column)} AS TEXT)"
        return qn(field.column)

    columns = ", ".join(column(name) for name in field_names)
    sql = f"SELECT {columns} FROM {qn(meta.db_table)}" + (f" WHERE {' AND '.join(conditions)}" if conditions else "")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return _read_values(rows, meta, field_names, sqlite=sqlite, naive_utc=naive_utc)
