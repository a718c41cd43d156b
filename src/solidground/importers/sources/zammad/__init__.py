"""Zammad REST API connector: organizations, users, tickets, state history, time accounting."""
