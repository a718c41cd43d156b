# The hand-made portfolio fixture lives in tests/portfolio_fixtures.py (registered for every
# test in tests/conftest.py); these names stay importable from here.
from tests.portfolio_fixtures import SmallPortfolio, at

__all__ = ["SmallPortfolio", "at"]
