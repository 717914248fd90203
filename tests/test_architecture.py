"""Rules about the code's shape that keep it the way the style guide describes."""

import ast
import re
from pathlib import Path

import pytest

from feedback import create_app
from feedback.config import TestConfig

ROOT = Path(__file__).resolve().parents[1]
PURE_PACKAGES = [ROOT / "feedback" / "analysis", ROOT / "sms"]
FORBIDDEN = ("flask", "flask_babel", "flask_sqlalchemy", "sqlalchemy", "feedback.models")


@pytest.fixture(scope="module")
def bare_app():
    return create_app(TestConfig(database_url="sqlite://"))


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize(
    "path", [p for package in PURE_PACKAGES for p in package.rglob("*.py")],
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_analysis_and_sms_import_neither_flask_nor_sqlalchemy(path):
    bad = {n for n in imports_of(path) if n.split(".")[0] in FORBIDDEN or n in FORBIDDEN}
    assert not bad, f"{path} imports {bad}"


def test_pure_packages_exist():
    for package in PURE_PACKAGES:
        assert (package / "__init__.py").exists()


def test_every_blueprint_has_an_access_guard(bare_app):
    for name in bare_app.blueprints:
        guards = [f for f in bare_app.before_request_funcs.get(name, [])
                  if getattr(f, "is_access_guard", False)]
        assert guards, f"blueprint {name} has no access guard"


def test_urls_are_kebab_case_with_typed_parameters(bare_app):
    for rule in bare_app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        fixed = re.sub(r"<[^>]+>", "", rule.rule)
        assert re.fullmatch(r"[a-z0-9/\-]*", fixed), f"{rule.rule} is not kebab-case"
        for converter, name in re.findall(r"<(?:(\w+):)?(\w+)>", rule.rule):
            if name not in ("slug", "token"):  # strings by nature
                assert converter, f"{rule.rule}: <{name}> needs a typed converter"


def test_endpoints_are_snake_case(bare_app):
    for rule in bare_app.url_map.iter_rules():
        assert re.fullmatch(r"[a-z_]+(\.[a-z_]+)?", rule.endpoint), rule.endpoint


def test_views_neither_commit_nor_enqueue():
    for path in (ROOT / "feedback" / "views").glob("*.py"):
        source = path.read_text()
        assert ".commit(" not in source, f"{path.name} commits"
        assert "enqueue(" not in source, f"{path.name} enqueues"


def test_importing_the_package_does_no_work():
    source = (ROOT / "wsgi.py").read_text()
    assert "create_app()" in source
    tree = ast.parse((ROOT / "feedback" / "__init__.py").read_text())
    top_level_calls = [n for n in tree.body if isinstance(n, ast.Expr)
                       and isinstance(n.value, ast.Call)]
    assert not top_level_calls
