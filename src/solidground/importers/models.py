"""Import runs (built out in the importers issue)."""
