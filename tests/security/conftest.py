"""Fixtures of the attack replays: evidence fixtures, and a private MEDIA_ROOT per test."""

import pytest

from tests.evidence.conftest import evidence, make_evidence  # noqa: F401


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT
