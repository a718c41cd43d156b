from __future__ import annotations

import pytest

from solidground.importers import actions
from tests.importers.sync_support import Sleeps


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def analysis_calls(monkeypatch: pytest.MonkeyPatch) -> list[list[int]]:
    """The analysis is another app's; record that it would run after an import, and for whom.

    Not autouse: the file-import tests opt in (``pytestmark``); the sync and job tests run the
    real re-analysis after their imports.
    """
    calls: list[list[int]] = []
    monkeypatch.setattr(actions, "after_import", lambda ids: calls.append(list(ids)))
    return calls
