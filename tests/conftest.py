"""Test set-up shared by every test.

The data dir is chosen in tests/settings.py (a temporary folder). With
SOLIDGROUND_TEST_POSTGRES=required the session fails instead of silently running on SQLite
when the PostgreSQL URL is missing.
"""

from __future__ import annotations

import os

pytest_plugins = ["tests.portfolio_fixtures"]

if os.environ.get("SOLIDGROUND_TEST_POSTGRES") == "required" and not os.environ.get(
    "SOLIDGROUND_DATABASE_URL", ""
).startswith("postgres"):
    raise RuntimeError(
        "SOLIDGROUND_TEST_POSTGRES=required but SOLIDGROUND_DATABASE_URL is not a PostgreSQL URL."
    )
