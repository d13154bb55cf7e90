"""Every translatable text reaches the catalogue: makemessages (xgettext) only knows the
usual names of the translation functions, so a text marked with another name (such as
`gettext_lazy as _lazy`) would silently stay English."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KNOWN = {"_", "gettext", "gettext_lazy", "ngettext", "ngettext_lazy", "pgettext", "pgettext_lazy"}


def test_translation_functions_keep_names_makemessages_knows():
    renamed = []
    for path in ROOT.glob("*/**/*.py"):
        if ".venv" in path.parts or "tests" in path.parts:
            continue
        for name, alias in re.findall(
            r"from django\.utils\.translation import .*?\b(\w+) as (\w+)", path.read_text()
        ):
            if alias not in KNOWN:
                renamed.append(f"{path.relative_to(ROOT)}: {name} as {alias}")
    assert not renamed
