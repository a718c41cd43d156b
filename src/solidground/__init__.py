"""Solidground: reliability, satisfaction, the service trap and profitability for MSPs."""

__version__ = "0.1.0"
