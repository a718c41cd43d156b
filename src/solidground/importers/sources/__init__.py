"""Import sources: one package per tool (client, mapping, fixtures, doc.md).

``apiclient`` (HTTP with retries and one-sentence errors) and ``common`` (name-to-status,
priority, billing and channel rules, lifecycle from a status history, the sync outcome) are
shared by the API connectors.
"""
