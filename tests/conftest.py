"""Test set-up shared by every test.

The data dir is chosen in tests/settings.py (a temporary folder). With
SOLIDGROUND_TEST_POSTGRES=required the session fails instead of silently running on SQLite
when the PostgreSQL URL is missing.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import pytest_django
from django.db import connection

pytest_plugins = ["tests.portfolio_fixtures"]

if os.environ.get("SOLIDGROUND_TEST_POSTGRES") == "required" and not os.environ.get(
    "SOLIDGROUND_DATABASE_URL", ""
).startswith("postgres"):
    raise RuntimeError(
        "SOLIDGROUND_TEST_POSTGRES=required but SOLIDGROUND_DATABASE_URL is not a PostgreSQL URL."
    )


@pytest.fixture(scope="session", autouse=True)
def _close_outside_connections(
    django_db_setup: None, django_db_blocker: pytest_django.DjangoDbBlocker
) -> Iterator[None]:
    """End sessions the analysis opened itself (connectorx) before the test DB is dropped.

    Outside a transaction the analysis reads through connectorx, which keeps its own
    PostgreSQL session; PostgreSQL refuses to drop a database that still has one.
    """
    yield
    with django_db_blocker.unblock():
        if connection.vendor != "postgresql":
            return
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    """Pages cache sums per analysis run (insights.selectors.common.cached); a test's store is
    rolled back afterwards and ids are reused, so no test may see another's cached figures."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
