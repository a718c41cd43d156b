"""Settings for the test run: the product's settings with a throw-away data dir.

pytest-django imports the settings before any conftest runs, so the data dir is chosen here;
tests never touch a user's store or secret key.
"""

import os
import tempfile

os.environ.setdefault("SOLIDGROUND_DATA_DIR", tempfile.mkdtemp(prefix="solidground-test-"))

from solidground.config.settings import *  # noqa: F403
