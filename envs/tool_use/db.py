"""The episode database: a fresh in-memory SQLite copy of a domain's seeded base.

Each domain builds its base database once per process (schema plus the rows of a
world generated from a fixed seed); every episode gets its own copy through
SQLite's online backup (tens of microseconds), so episodes never share state and
the gold database of a task is a replay of its gold calls on another copy.

Episode connections run in autocommit mode (tools open their own transactions) and
carry an authorizer that refuses schema changes, ``ATTACH``/``DETACH`` and pragmas:
the only way to change an episode's database is a tool's parameterised SQL.

The base database carries a change log (:func:`install_change_log`): triggers
record the rowid of every row a tool inserts, updates or deletes, so comparing an
episode's database with the gold one only reads the rows either side touched.

:func:`dump` and :func:`load` turn a connection into SQL text and back (``iterdump``),
which is how an env pickles its database (connections do not pickle).

>>> conn = sqlite3.connect(":memory:", isolation_level=None)
>>> _ = conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
>>> _ = conn.execute("INSERT INTO t (v) VALUES ('a'), ('b')")
>>> copy = load(dump(conn))
>>> table_rows(copy, "t", ("id", "v"))
((1, 'a'), (2, 'b'))
>>> copy.execute("DROP TABLE t")
Traceback (most recent call last):
...
sqlite3.DatabaseError: not authorized
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

__all__ = [
    "CHANGES",
    "changed_rowids",
    "copy_database",
    "dump",
    "install_change_log",
    "load",
    "protect",
    "rows_at",
    "same_multiset",
    "same_state",
    "table_multiset",
    "table_rows",
]

#: The table where triggers log the rowid of every row a statement inserts, updates
#: or deletes (see :func:`install_change_log`).
CHANGES = "_changes"

# Actions an episode connection may not take: schema changes, attaching other
# database files, pragmas (which could, for example, switch off constraints).
_DENIED = frozenset(
    getattr(sqlite3, name)
    for name in (
        "SQLITE_ATTACH",
        "SQLITE_DETACH",
        "SQLITE_PRAGMA",
        "SQLITE_ALTER_TABLE",
        "SQLITE_CREATE_INDEX",
        "SQLITE_CREATE_TABLE",
        "SQLITE_CREATE_TEMP_INDEX",
        "SQLITE_CREATE_TEMP_TABLE",
        "SQLITE_CREATE_TEMP_TRIGGER",
        "SQLITE_CREATE_TEMP_VIEW",
        "SQLITE_CREATE_TRIGGER",
        "SQLITE_CREATE_VIEW",
        "SQLITE_CREATE_VTABLE",
        "SQLITE_DROP_INDEX",
        "SQLITE_DROP_TABLE",
        "SQLITE_DROP_TEMP_INDEX",
        "SQLITE_DROP_TEMP_TABLE",
        "SQLITE_DROP_TEMP_TRIGGER",
        "SQLITE_DROP_TEMP_VIEW",
        "SQLITE_DROP_TRIGGER",
        "SQLITE_DROP_VIEW",
        "SQLITE_DROP_VTABLE",
    )
    if hasattr(sqlite3, name)
)


def _authorizer(action: int, *_: object) -> int:
    return sqlite3.SQLITE_DENY if action in _DENIED else sqlite3.SQLITE_OK


def _allow_all(*_: object) -> int:
    return sqlite3.SQLITE_OK


def protect(conn: sqlite3.Connection) -> sqlite3.Connection:
    """Install the episode authorizer on ``conn`` (see the module docs)."""
    conn.set_authorizer(_authorizer)
    return conn


def copy_database(base: sqlite3.Connection) -> sqlite3.Connection:
    """A new protected in-memory connection holding a copy of ``base``."""
    conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
    base.backup(conn)
    return protect(conn)


def dump(conn: sqlite3.Connection) -> str:
    """The database as SQL text (schema and rows)."""
    conn.set_authorizer(_allow_all)
    try:
        return "\n".join(conn.iterdump())
    finally:
        protect(conn)


def load(script: str) -> sqlite3.Connection:
    """A protected in-memory connection rebuilt from :func:`dump`'s text."""
    conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
    conn.executescript(script)
    return protect(conn)


def table_rows(
    conn: sqlite3.Connection, table: str, columns: Sequence[str]
) -> tuple[tuple[object, ...], ...]:
    """The rows of ``table`` restricted to ``columns``, sorted (a multiset view, so
    rows whose generated ids differ only by insertion order compare equal when the
    id column is left out). ``table`` and ``columns`` come from the domain's schema,
    never from model text."""
    cols = ", ".join(columns)
    return tuple(conn.execute(f"SELECT {cols} FROM {table} ORDER BY {cols}").fetchall())


def install_change_log(conn: sqlite3.Connection, tables: Iterable[str]) -> None:
    """Create the :data:`CHANGES` table and triggers that log, for each of
    ``tables``, the rowid of every inserted, updated or deleted row. Run on a base
    database after it is populated, so only episode changes are logged; copies
    carry the triggers along.

    Two copies of one base then hold the same rows in a table exactly when they
    hold the same rows among the rowids either of them logged: every other row is
    still the base's row in both.
    """
    conn.execute(f"CREATE TABLE {CHANGES} (tbl TEXT NOT NULL, rid INTEGER NOT NULL)")
    for t in tables:
        for event, ref in (("INSERT", "NEW"), ("UPDATE", "OLD"), ("DELETE", "OLD")):
            conn.execute(
                f"CREATE TRIGGER {CHANGES}_{t}_{event.lower()} AFTER {event} ON {t} "
                f"BEGIN INSERT INTO {CHANGES} VALUES ('{t}', {ref}.rowid); END"
            )
        # An update that changes an INTEGER PRIMARY KEY moves the row: log both ids.
        conn.execute(
            f"CREATE TRIGGER {CHANGES}_{t}_moved AFTER UPDATE ON {t} WHEN NEW.rowid != OLD.rowid "
            f"BEGIN INSERT INTO {CHANGES} VALUES ('{t}', NEW.rowid); END"
        )


def changed_rowids(conn: sqlite3.Connection) -> dict[str, set[int]]:
    """Per table, the rowids logged in :data:`CHANGES`."""
    out: dict[str, set[int]] = {}
    for table, rid in conn.execute(f"SELECT tbl, rid FROM {CHANGES}"):
        out.setdefault(table, set()).add(rid)
    return out


def rows_at(
    conn: sqlite3.Connection, table: str, columns: Sequence[str], rowids: Iterable[int]
) -> dict[int, tuple[object, ...]]:
    """The rows of ``table`` (restricted to ``columns``) at ``rowids`` that exist."""
    ids = sorted(rowids)
    if not ids:
        return {}
    marks = ", ".join("?" * len(ids))
    sql = f"SELECT rowid, {', '.join(columns)} FROM {table} WHERE rowid IN ({marks})"
    return {row[0]: tuple(row[1:]) for row in conn.execute(sql, ids)}


def table_multiset(
    conn: sqlite3.Connection, table: str, columns: Sequence[str]
) -> Counter[tuple[object, ...]]:
    """The rows of ``table`` restricted to ``columns``, as a multiset (no sorting)."""
    return Counter(conn.execute(f"SELECT {', '.join(columns)} FROM {table}"))


def same_multiset(a: Counter[tuple[object, ...]], b: Counter[tuple[object, ...]]) -> bool:
    """Multiset equality at C speed (``Counter.__eq__`` loops in Python; counters
    built from rows hold no zero counts, so plain dict equality is exact)."""
    return dict.__eq__(a, b)


def same_state(
    a: sqlite3.Connection,
    b: sqlite3.Connection,
    tables: Iterable[str],
    columns: Mapping[str, Sequence[str]],
) -> bool:
    """Whether ``a`` and ``b`` hold the same rows in ``tables`` (compared as
    multisets on each table's ``columns``)."""
    return all(
        same_multiset(table_multiset(a, t, columns[t]), table_multiset(b, t, columns[t]))
        for t in tables
    )
