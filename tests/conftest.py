"""Every test runs with the published demo key, so no test writes a key file into the
user's config directory (``core.privacy.default_key_file``).

Real third-party samples are never copied into this repository: tests read them from
``shared/samples/`` beside it (the repository's parent folder holds ``shared/``; its
README.md gives each file's source and licence). A test that needs one calls
:func:`sample`, which skips the test, saying why, when the file is absent."""

import os
from pathlib import Path

import pytest

from core.privacy import DEMO_KEY

os.environ.setdefault("COMMUNITYROI_PRIVACY__KEY", DEMO_KEY)

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples"


def sample(relpath: str) -> Path:
    """The real sample ``shared/samples/<relpath>``; skips the calling test (or fixture)
    when it is absent. Call it inside a test or fixture, never at import time."""
    path = SAMPLES / relpath
    if not path.exists():
        pytest.skip(
            f"real sample {relpath} not found under {SAMPLES}: this test reads the "
            "third-party samples from shared/samples/ beside the repository"
        )
    return path
