"""The demo world, generated stage by stage (``demo.generator.generate`` runs them in order).

Each stage is a module with one entry function that takes the random generator and the
frozen results of the stages before it, and returns its own frozen result (plus the frames of
the tables it owns). The stages draw from one shared ``numpy.random.Generator``, so their
order, and the order of the draws inside each, is part of the output: reordering anything
changes every demo store.

1. ``customers``: who the customers are (archetype, size, contract kind, service level,
   cancellations), then ``planted``: each customer's planted parameters (a data table), then
   the names, contacts and technicians.
2. ``calendars``: business calendars, SLA policies and targets (no random draws).
3. ``tickets``: volume, arrival, nature and texts of the tickets.
4. ``timings``: business durations against the SLA targets, placed on the calendars.
5. ``statuses``: each ticket's status history.
6. ``time_entries``: agent time, maintenance and the goodwill quota.
7. ``contracts`` and ``revenue``: fees, contract events, contracts and revenue lines.
8. ``interactions`` (contact log and highlights) and ``surveys``.
"""
