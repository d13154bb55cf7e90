"""The apps are layers that point one way: crm is the base and imports none of the apps
built on it; selections imports neither follow-ups nor notices; no app imports the demo
data. Read from the source (every .py, migrations included), so an import inside a
function counts too."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Each app, and the apps it must not import.
LAYERS = {
    "crm": {"selections", "followups", "notices", "demo"},
    "selections": {"followups", "notices", "demo"},
    "followups": {"demo"},
    "notices": {"demo"},
}


def imported(path: Path) -> set[str]:
    """The top-level package of every absolute import in the file."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and (node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id)
            == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            names.add(node.args[0].value.split(".")[0])
    return names


def violations(app: str, forbidden: set[str]) -> list[str]:
    files = sorted((ROOT / app).rglob("*.py"))
    assert files, f"no Python files in {app}/"
    return [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in files
        for name in sorted(imported(path) & forbidden)
    ]


@pytest.mark.parametrize("app", LAYERS)
def test_an_app_imports_no_app_above_it(app):
    assert violations(app, LAYERS[app]) == []


def test_the_check_sees_every_kind_of_import(tmp_path):
    (tmp_path / "views.py").write_text(
        "import followups.lists\n"
        "from notices import feed\n"
        "from . import dates\n"
        "def later():\n"
        "    from selections.models import Selection\n"
        "    return importlib.import_module('demo.factories')\n"
    )
    assert imported(tmp_path / "views.py") == {"followups", "notices", "selections", "demo"}


# A crm template that includes, extends or links to another app's screens depends on it
# as much as an import does.
OTHER_APP_IN_TEMPLATE = re.compile(
    r"""{%\s*(?:include|extends)\s+["'](?:selections|followups|notices)/"""
    r"""|{%\s*url\s+["'](?:selections|followups|notices):"""
)


def test_the_crm_templates_name_no_app_above_crm():
    templates = sorted((ROOT / "templates" / "crm").rglob("*.html"))
    assert templates
    assert [
        str(path.relative_to(ROOT))
        for path in templates
        if OTHER_APP_IN_TEMPLATE.search(path.read_text(encoding="utf-8"))
    ] == []
