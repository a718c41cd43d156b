from __future__ import annotations

import pytest

from tests.importers.sync_support import Sleeps


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()
