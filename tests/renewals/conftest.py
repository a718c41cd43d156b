# The browser fixture (Debian's Chromium through Playwright) of tests/browser.
from tests.browser.conftest import browser_page

__all__ = ["browser_page"]
