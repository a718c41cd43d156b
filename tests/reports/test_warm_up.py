"""``warm_up()``: what the web server calls at start so that the first review download does
not pay for importing WeasyPrint and starting vl-convert (issue 11)."""

from __future__ import annotations

import sys

from solidground.reports.render import warm_up


def test_warm_up_loads_the_renderers_without_the_database() -> None:
    # No django_db mark: any query would fail the test; warm_up reads no store.
    warm_up()
    assert "weasyprint" in sys.modules
    warm_up()  # a second call is harmless (serve may start several processes)
