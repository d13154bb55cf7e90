"""Every message has a Norwegian translation, and the shipped catalogue is current."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.test import override_settings
from django.utils import translation

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "locale" / "nb" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
SOURCES = ["manage.py", "config", "crm", "selections", "followups", "notices", "demo", "templates"]


def untranslated(po) -> list[str]:
    missing = []
    for entry in po:
        if entry.obsolete:
            continue
        if "fuzzy" in entry.flags:
            missing.append(f"fuzzy: {entry.msgid}")
        elif entry.msgid_plural:
            if not all(entry.msgstr_plural.get(i) for i in (0, 1)):
                missing.append(entry.msgid)
        elif not entry.msgstr:
            missing.append(entry.msgid)
    return missing


def test_every_message_in_the_catalogue_is_translated():
    assert untranslated(polib.pofile(str(PO))) == []


def test_the_compiled_catalogue_matches_the_po_file():
    po = {
        (e.msgid, e.msgstr, tuple(sorted(e.msgstr_plural.items())))
        for e in polib.pofile(str(PO))
        if not e.obsolete
    }
    mo = {
        (e.msgid, e.msgstr, tuple(sorted(e.msgstr_plural.items()))) for e in polib.mofile(str(MO))
    }
    assert po - mo == set(), "run: make messages"


def test_every_message_in_the_code_is_in_the_catalogue(tmp_path):
    """makemessages over a copy of the sources finds no message the catalogue lacks."""
    if shutil.which("xgettext") is None:
        if os.environ.get("CI"):
            pytest.fail("xgettext is missing: apt-get install gettext")
        pytest.skip("xgettext not installed (apt-get install gettext)")
    for name in SOURCES:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(src, tmp_path / name)
    shutil.copytree(ROOT / "locale", tmp_path / "locale")
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "nb", "--no-obsolete", "-v", "0"],
        cwd=tmp_path,
        env={**os.environ, "DEBUG": "true", "PYTHONPATH": str(tmp_path)},
        check=True,
    )
    fresh = polib.pofile(str(tmp_path / "locale" / "nb" / "LC_MESSAGES" / "django.po"))
    assert untranslated(fresh) == [], "new messages: run make messages and translate them"


@pytest.mark.parametrize(
    ("english", "norwegian"),
    [
        ("Generate follow-ups", "Generer oppfølginger"),
        ("Create only one follow-up per company", "Opprett bare én oppfølging på hvert firma"),
        ("My activity list", "Min aktivitetsliste"),
        (
            "Company owner's (our contact's) activity list",
            "Bedriftseierens (vår kontaktpersons) aktivitetsliste",
        ),
        ("Other associate", "Annen medarbeider"),
        ("Completed", "Utført"),
        ("Save", "Lagre"),
    ],
)
@override_settings(LANGUAGE_CODE="en")
def test_the_dialog_uses_the_help_pages_own_words(english, norwegian):
    with translation.override("nb"):
        assert translation.gettext(english) == norwegian
