"""Read side of the insights: what pages, exports, the API, reports and the CLI show.

One module per page or subject. Every selector that returns customer data takes a ``Viewer``
(``solidground.accounts.selectors``) and filters with it, so that an account manager sees only
their customers everywhere: pages, charts, CSV exports, search results and counts.
"""
