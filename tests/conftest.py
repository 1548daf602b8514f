"""Every test runs with the published demo key, so no test writes a key file into the
user's config directory (``core.privacy.default_key_file``)."""

import os

from core.privacy import DEMO_KEY

os.environ.setdefault("COMMUNITYROI_PRIVACY__KEY", DEMO_KEY)
