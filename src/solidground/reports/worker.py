"""What the worker processes of ``solidground report --all`` run.

A spawned worker imports this module before Django is set up, so it imports no model at the
top: ``setup`` sets Django up from the parent's environment, then ``render_file`` imports
the renderer. Workers only render; the parent reads every review from the store, so no
worker opens a database connection.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from solidground.reports.render import Format
    from solidground.reports.selectors import CustomerReview


def setup() -> None:
    import django

    django.setup()


def render_file(review: CustomerReview, language: str, fmt: Format) -> bytes:
    from solidground.reports.render import customer_file

    return customer_file(review, language, fmt)
