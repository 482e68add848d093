"""The house's rules, checked on the source: imports run one way and in no circle, the shop's
rules never import aiogram, aiogram's internals are touched in one module only, and the
simulators stay out of the bot.

    bot (composition root, Telegram plumbing) -> handlers, miniapp (the front doors) -> shop
    -> storage, provider, payments_api (outside payment systems: clients and formats), webio
    (reading a web request: every door's body, bounded)

    simulators (stand-ins for the panel, Crypto Pay and SePay) <- bot/demo.py, bench, chaos, tests
"""

from __future__ import annotations

import ast
import re
import typing
from collections.abc import Iterable
from pathlib import Path

from shop.services import Services

ROOT = Path(__file__).resolve().parents[1]
LAYERS = {
    "bot": 3,
    "handlers": 2,
    "miniapp": 2,
    "reseller_api": 2,
    "shop": 1,
    "storage": 0,
    "provider": 0,
    "payments_api": 0,
    "webio": 0,
}
PATCH_MODULE = "bot.aiogram_patches"
SIMULATORS = "simulators"
# Who may use the simulators: the demo wiring of the composition root, and what tests the bot.
SIMULATOR_USERS = {"bot.demo", "bench", "chaos", "tests"}
# What the simulators may import of ours: the formats they must speak (Crypto Pay's signature).
# The panel simulator takes nothing of provider/: it is a second, independent reading of the API.
SIMULATORS_MAY_IMPORT = {"simulators", "payments_api"}
# The front doors: what a person or a reseller talks to. They call the shop's services.
FRONT_DOORS = ("handlers", "miniapp", "reseller_api")
REPOSITORY = re.compile(r"(Repository|Ledger|Database|Transaction|Books)$")


def our_packages() -> list[str]:
    """Every top-level package of the repository (a folder with an __init__.py)."""
    return sorted(path.parent.name for path in ROOT.glob("*/__init__.py"))


def modules(packages: Iterable[str] = LAYERS) -> dict[str, ast.Module]:
    found = {}
    for package in packages:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = ast.parse(path.read_text(encoding="utf-8"), str(path))
    return found


def imported(tree: ast.Module, known: set[str] | frozenset[str] = frozenset()) -> set[str]:
    """What a module imports; `from package import module` counts as the module alone."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                names.add(submodule if submodule in known else node.module)
    return names


def graph() -> dict[str, set[str]]:
    """Module -> the modules of ours it imports."""
    trees = modules()
    known = set(trees)
    return {name: imported(tree, known) & known for name, tree in trees.items()}


def package(module: str) -> str:
    return module.split(".")[0]


def test_imports_run_down_the_layers() -> None:
    upward = [
        f"{module} imports {target}"
        for module, targets in graph().items()
        for target in targets
        if package(target) != package(module) and LAYERS[package(target)] >= LAYERS[package(module)]
    ]
    assert not upward


def test_no_module_imports_itself_in_a_circle() -> None:
    edges = graph()
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> list[str] | None:
        if module in path:
            return [*path[path.index(module) :], module]
        if module in done:
            return None
        for target in sorted(edges[module]):
            circle = visit(target, [*path, module])
            if circle:
                return circle
        done.add(module)
        return None

    for module in sorted(edges):
        circle = visit(module, [])
        assert circle is None, " -> ".join(circle or [])


def test_the_shops_rules_never_import_aiogram() -> None:
    offenders = [
        name
        for name, tree in modules().items()
        if package(name) == "shop" and any(i.split(".")[0] == "aiogram" for i in imported(tree))
    ]
    assert not offenders


def test_front_doors_never_reach_a_repository() -> None:
    """A rule lives in one shop service that every door calls: a door holding a repository
    could write money around it. Records (User, OrderRecord, ...) are fine to read."""
    reached = [
        f"{name} imports {node.module}.{alias.name}"
        for name, tree in modules().items()
        if package(name) in FRONT_DOORS
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module
        for alias in node.names
        if REPOSITORY.search(alias.name)
    ]
    assert not reached


def test_the_services_front_doors_get_hold_no_repository() -> None:
    hints = typing.get_type_hints(Services)
    foreign = {
        field: hint
        for field, hint in hints.items()
        if hint is not str and getattr(hint, "__module__", "").split(".")[0] != "shop"
    }
    assert not foreign
    assert not any(REPOSITORY.search(getattr(hint, "__name__", "")) for hint in hints.values())


def test_private_attributes_of_others_only_in_the_patch_module() -> None:
    """`thing._name` on anything but self/cls, or getattr(thing, "_name"): aiogram's insides."""
    touched = []
    for name, tree in modules().items():
        if name == PATCH_MODULE:
            continue
        for node in ast.walk(tree):
            private = None
            if isinstance(node, ast.Attribute) and node.attr.startswith("_"):
                owner = node.value
                if not (isinstance(owner, ast.Name) and owner.id in {"self", "cls"}):
                    private = node.attr
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in {"getattr", "setattr", "hasattr"}
                and len(node.args) > 1
                and isinstance(node.args[1], ast.Constant)
                and str(node.args[1].value).startswith("_")
            ):
                private = str(node.args[1].value)
            if private and not (private.startswith("__") and private.endswith("__")):
                touched.append(f"{name}:{getattr(node, 'lineno', 0)} {private}")
    assert not touched


def test_only_the_demo_wiring_and_the_test_tools_import_the_simulators() -> None:
    trees = modules(our_packages())
    known = set(trees)
    offenders = [
        f"{name} imports {target}"
        for name, tree in trees.items()
        if package(name) != SIMULATORS and not {name, package(name)} & SIMULATOR_USERS
        for target in imported(tree, known)
        if package(target) == SIMULATORS
    ]
    assert SIMULATORS in trees and "bot.demo" in trees
    assert not offenders


def test_the_simulators_import_nothing_of_ours_but_the_formats_they_speak() -> None:
    trees = modules(our_packages())
    ours = set(our_packages())
    outside = [
        f"{name} imports {target}"
        for name, tree in trees.items()
        if package(name) == SIMULATORS
        for target in imported(tree)
        if package(target) in ours - SIMULATORS_MAY_IMPORT
    ]
    assert not outside
    panel_reaches_out = [
        f"{name} imports {target}"
        for name, tree in trees.items()
        if name.startswith(f"{SIMULATORS}.panel")
        for target in imported(tree)
        if package(target) in ours and not target.startswith(f"{SIMULATORS}.panel")
    ]
    assert not panel_reaches_out
