"""The benchmarks' throw-away PostgreSQL databases (a helper module, not a benchmark).

The server is SOLIDGROUND_BENCH_POSTGRES_URL (default: the test server); a benchmark's database
is dropped and created again before its run and dropped after it.
"""

from __future__ import annotations

import os


def admin_url() -> str:
    return os.environ.get("SOLIDGROUND_BENCH_POSTGRES_URL", "postgresql://127.0.0.1:5432/test")


def reachable() -> bool:
    try:
        import psycopg

        psycopg.connect(admin_url(), connect_timeout=3).close()
    except Exception:
        return False
    return True


def recreate(name: str) -> str:
    """An empty database ``name``; its URL."""
    import psycopg

    with psycopg.connect(admin_url(), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    return admin_url().rsplit("/", 1)[0] + "/" + name


def drop(name: str) -> None:
    import psycopg

    with psycopg.connect(admin_url(), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
