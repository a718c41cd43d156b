"""The steps of an analysis, in the order ``insights.actions.analyze`` runs them.

1. ``read``: the input frames and what the store already knows (the last full analysis, the
   stored scope mappings, the cancelled customers, the SLA policies and, for a full
   analysis, the stored results to compare with);
2. ``compute``: the engine calls, returning one ``AnalysisResult``;
3. ``rows``: the result rows to store, as frames in the tables' columns;
4. ``write``: the locked write of those rows, the whale curve and the run's record.

Start reading at ``insights.actions.analyze``: it calls these steps in this order.
"""

from __future__ import annotations

from collections.abc import Callable

# Told each stage's name as the analysis reaches it (the command line prints them).
Progress = Callable[[str], None]
