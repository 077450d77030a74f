"""The French catalogue is complete and keeps every placeholder of the English text."""

import re
from pathlib import Path

import polib

CATALOGUE = Path(__file__).resolve().parents[2] / "locale/fr/LC_MESSAGES/django.po"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\w*\}")


def _entries():
    return [e for e in polib.pofile(str(CATALOGUE)) if not e.obsolete]


def test_every_french_message_is_translated_and_reviewed():
    missing = [e.msgid for e in _entries() if not e.translated() or "fuzzy" in e.flags]
    assert missing == []


def test_french_messages_keep_the_placeholders_of_the_english_ones():
    wrong = []
    for entry in _entries():
        expected = sorted(PLACEHOLDER.findall(entry.msgid))
        translations = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
        for text in translations:
            found = sorted(PLACEHOLDER.findall(text))
            # A French singular may spell out the number ("une entrée") instead of %(n)s.
            if found != expected and not (entry.msgid_plural and set(found) <= set(expected)):
                wrong.append((entry.msgid, text))
    assert wrong == []


def test_every_message_of_the_code_and_templates_is_in_the_french_catalogue(tmp_path):
    """``makemessages`` run on a copy of the code finds nothing the catalogue lacks."""
    import os
    import shutil
    import subprocess
    import sys

    import pytest

    if shutil.which("xgettext") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("GNU gettext (xgettext) is missing: .ci/test-suite installs it")
        pytest.skip("GNU gettext (xgettext) is not installed")
    root = CATALOGUE.parents[3]
    for name in ("accounts", "coordination", "incidents", "templates", "locale"):
        shutil.copytree(
            root / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__", "*.mo")
        )
    shutil.copy(root / "manage.py", tmp_path)
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "fr", "--no-obsolete"],
        cwd=tmp_path, check=True, capture_output=True,
        env={**os.environ, "DEBUG": "true"},
    )  # fmt: skip

    extracted = polib.pofile(str(tmp_path / "locale/fr/LC_MESSAGES/django.po"))
    missing = [e.msgid for e in extracted if not e.obsolete and
               (not e.translated() or "fuzzy" in e.flags)]  # fmt: skip
    assert missing == []
