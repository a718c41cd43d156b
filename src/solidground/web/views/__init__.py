"""Dashboard views, one module per page: thin readers of stored results through selectors."""
