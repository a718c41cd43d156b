"""The child process that reads a SQLite store for the analysis (run as ``python -m``).

Why a child process: the ADBC SQLite driver reads straight into Arrow, several times faster
than anything through Python's ``sqlite3`` module, but it brings its own SQLite library. Two
SQLite libraries in one process break each other's POSIX locks on a WAL store (measured: stale
reads, then "disk I/O error"); in a process of its own the driver has its own locks and always
reads the latest commit. See ``readers.SqliteProcessReader`` (the parent side) and
docs/decisions/0004-fast-reads-sqlite-in-a-child-process.md.

Protocol: the parent writes one JSON object to stdin::

    {"database": "/path/store.sqlite3",
     "queries": [{"sql": "...", "params": [1, 2], "out": "/tmp/.../0.arrow"}, ...]}

The child runs every query inside one read transaction (one snapshot of the store) and writes
each result as an Arrow IPC file to its ``out`` path. On failure it prints one line to stderr
and exits with status 1; nothing is written to the store (the connection is read-only).

This module imports neither Django nor Polars: the child starts in a fraction of a second.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def _read(request: dict[str, Any]) -> None:
    import adbc_driver_sqlite.dbapi as adbc
    import pyarrow.feather as feather

    database = Path(request["database"]).resolve()
    # Read-only: the child can never change the store. autocommit off keeps one transaction
    # open from the first query to the last, so every result comes from the same snapshot.
    connection = adbc.connect(f"file:{database.as_posix()}?mode=ro", autocommit=False)
    try:
        cursor = connection.cursor()
        try:
            # Larger batches than the driver's 1,024 rows: less work per row handed over.
            cursor.adbc_statement.set_options(**{"adbc.sqlite.query.batch_rows": "65536"})
            for query in request["queries"]:
                cursor.execute(query["sql"], query["params"] or None)
                feather.write_feather(
                    cursor.fetch_arrow_table(), query["out"], compression="uncompressed"
                )
        finally:
            cursor.close()
        connection.rollback()
    finally:
        connection.close()


def main() -> int:
    try:
        _read(json.load(sys.stdin))
    except Exception as exc:  # one line for the parent's error message
        print(f"{type(exc).__name__}: {exc}".replace("\n", " "), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
