"""Test set-up shared by every test.

The data dir (SQLite store, generated secret key) goes to a temporary folder so tests never
touch a user's store. With SOLIDGROUND_TEST_POSTGRES=required the session fails instead of
silently running on SQLite when the PostgreSQL URL is missing.
"""

from __future__ import annotations

import os
import tempfile

_data_dir = tempfile.mkdtemp(prefix="solidground-test-")
os.environ.setdefault("SOLIDGROUND_DATA_DIR", _data_dir)

if os.environ.get("SOLIDGROUND_TEST_POSTGRES") == "required" and not os.environ.get(
    "SOLIDGROUND_DATABASE_URL", ""
).startswith("postgres"):
    raise RuntimeError(
        "SOLIDGROUND_TEST_POSTGRES=required but SOLIDGROUND_DATABASE_URL is not a PostgreSQL URL."
    )
