"""The one permission check: every app's table registered, names written once, the subtree bounds."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.auth.models import AnonymousUser

from jinguo.accounts.models import User
from jinguo.accounts.rules import (
    PERMISSION_RE,
    UnknownPermission,
    has_perm,
    has_perm_here,
    holds_perm,
    register_permissions,
    registered_permissions,
)

ROOT = Path(__file__).resolve().parents[2]
ADMIN, REVIEWER, LIAISON, CARE = User.Role.ADMIN, User.Role.REVIEWER, User.Role.LIAISON, User.Role.CARE
CHECKS = {"has_perm", "has_perm_here", "holds_perm"}

# Who may do what, as the product has always granted it; a change here is a change of policy.
EXPECTED = {
    "orgs.units:write": {ADMIN},
    "accounts.users:write": {ADMIN},
    "campaigns.campaigns:write": {ADMIN},
    "campaigns.plans:review": {ADMIN, REVIEWER},
    "campaigns.plans:write": {ADMIN, LIAISON},
    "campaigns.receipts:sign": {ADMIN, LIAISON},
    "reports.reports:write": {ADMIN, LIAISON},
    "reports.reports:review": {ADMIN, REVIEWER},
    "reports.reports:void": {ADMIN},
    "reports.reports:restore": {ADMIN},
    "activities.activities:write": {ADMIN, LIAISON},
    "activities.needs:write": {ADMIN, LIAISON},
    "activities.voided:restore": {ADMIN},
    "quiz.quizzes:write": {ADMIN},
    "quiz.banks:write": {ADMIN},
    "quiz.results:read": {ADMIN, REVIEWER, LIAISON},
    "summaries.summaries:write": {ADMIN, LIAISON},
    "summaries.summaries:review": {ADMIN, REVIEWER},
    "contests.contests:write": {ADMIN},
    "contests.entries:write": {ADMIN, LIAISON},
    "contests.entries:recommend": {ADMIN, REVIEWER},
    # The care registry: people for 关爱工作者 only; counts for everyone; a care admin is ADMIN + CARE.
    "care.people:read": {CARE},
    "care.people:write": {CARE},
    "care.counts:read": {ADMIN, REVIEWER, LIAISON, CARE},
    "care.registry:administer": {ADMIN},
}


def _rules_modules():
    """Each jinguo app's ``rules`` module, by app label."""
    found = {}
    for config in apps.get_app_configs():
        if config.name.startswith("jinguo.") and (Path(config.path) / "rules.py").exists():
            found[config.label] = importlib.import_module(f"{config.name}.rules")
    return found


def _declared(module) -> dict[str, str]:
    """The permission constants a rules module defines itself (not those it imports)."""
    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    names = {}
    for node in tree.body:
        value = node.value.value if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) else None
        if isinstance(value, str) and PERMISSION_RE.match(value):
            names[node.targets[0].id] = value
    return names


def _source_files():
    for folder in ("jinguo", "bench"):
        yield from sorted((ROOT / folder).rglob("*.py"))


def _user(role: str, org, **extra) -> User:
    flag = {ADMIN: "is_org_admin", REVIEWER: "is_reviewer", LIAISON: "is_liaison", CARE: "is_care_worker"}[role]
    return User(username=f"{role}_{org.pk}", org=org, is_active=True, **{flag: True}, **extra)


def test_registered_permissions_are_exactly_the_granted_table():
    assert {perm: set(roles) for perm, roles in registered_permissions().items()} == EXPECTED


def test_every_rules_module_declares_its_own_permissions_and_each_is_registered():
    modules = _rules_modules()
    assert sorted(modules) == [
        "accounts",
        "activities",
        "campaigns",
        "care",
        "contests",
        "orgs",
        "quiz",
        "reports",
        "summaries",
    ]
    declared = {}
    for label, module in modules.items():
        for name, perm in _declared(module).items():
            assert perm.split(".")[0] == label, f"{label}.rules.{name} names another app's permission {perm}"
            assert perm in registered_permissions(), f"{label}.rules.{name} = {perm!r} is granted to no role"
            declared[perm] = f"{label}.rules.{name}"
    assert sorted(declared) == sorted(registered_permissions())


def test_permission_names_are_written_only_in_rules_modules():
    retyped = []
    for path in _source_files():
        if path.name == "rules.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and PERMISSION_RE.match(node.value):
                retyped.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.value}")
    assert retyped == []


def test_every_permission_checked_in_code_is_registered():
    """Each check names its permission by a constant that resolves to a registered name (or passes a
    parameter through); a check on an unregistered or re-typed permission fails here, not in a request."""
    checked, bad = set(), []
    for path in _source_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        module_name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            if getattr(node.func, "id", None) in CHECKS:
                arg = node.args[1] if len(node.args) > 1 else None
            elif isinstance(node.func, ast.Attribute) and node.func.attr == "has_perm":
                arg = node.args[0] if node.args else None  # user.has_perm(perm, unit), for apps below accounts
            else:
                continue
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            if isinstance(arg, ast.Name) and arg.id.isupper():
                value = _resolve(module_name, path, arg.id)
                if value not in registered_permissions():
                    bad.append(f"{where} {arg.id}={value!r}")
                checked.add(value)
            elif not (isinstance(arg, ast.Name) and arg.id.islower()):
                bad.append(f"{where} {ast.unparse(arg) if arg else 'no permission'}")
    assert bad == []
    # Every registered permission is checked somewhere (a table entry nothing asks for is dead).
    assert sorted(checked) == sorted(EXPECTED)


def _resolve(module_name: str, path: Path, name: str) -> str | None:
    """The value of ``name`` in a module; for names local to a function (bench), its import."""
    if path.parts[-2] != "bench":
        return getattr(importlib.import_module(module_name), name, None)
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and any(alias.name == name for alias in node.names):
            return getattr(importlib.import_module(node.module), name, None)
    return None


@pytest.mark.parametrize("check", [has_perm, has_perm_here])
def test_an_unknown_permission_raises_for_anyone(tree, check):
    admin = _user(ADMIN, tree.city)
    for user in (admin, AnonymousUser()):
        with pytest.raises(UnknownPermission):
            check(user, "campaigns.plan:review", at=tree.city)
        with pytest.raises(UnknownPermission):
            check(user, "campaigns.plans:review ", at=None)
    with pytest.raises(UnknownPermission):
        holds_perm(admin, "reports.report:review")


@pytest.mark.parametrize("role", [ADMIN, REVIEWER, LIAISON])
def test_each_role_gets_its_permissions_in_its_subtree_and_nothing_outside(tree, role):
    user = _user(role, tree.qxg)
    for perm, roles in EXPECTED.items():
        granted = role in roles
        assert has_perm(user, perm, at=tree.qxg) is granted, perm
        assert has_perm(user, perm, at=tree.qxg_town) is granted, perm
        assert holds_perm(user, perm) is granted, perm
        assert has_perm_here(user, perm, at=tree.qxg) is granted, perm
        # Acting "here" is for the user's own unit only, not the units below it.
        assert has_perm_here(user, perm, at=tree.qxg_town) is False, perm
        # Outside the subtree: the parent, a sibling, a sibling's child, the parent's department.
        for outside in (tree.city, tree.dafang, tree.dafang_town, tree.office, None):
            assert has_perm(user, perm, at=outside) is False, (perm, outside)
            assert has_perm_here(user, perm, at=outside) is False, (perm, outside)


def test_a_user_above_reaches_every_unit_below(tree):
    admin = _user(ADMIN, tree.city)
    for unit in (tree.city, tree.qxg, tree.dafang, tree.qxg_town, tree.dafang_town, tree.office):
        assert has_perm(admin, "orgs.units:write", at=unit) is True, unit


def test_no_permission_without_an_active_user_with_a_unit(tree):
    inactive = _user(ADMIN, tree.qxg)
    inactive.is_active = False
    unitless = User(username="nobody", org=None, is_active=True, is_org_admin=True, is_reviewer=True, is_liaison=True)
    roleless = User(username="plain", org=tree.qxg, is_active=True)
    for perm in EXPECTED:
        for user in (inactive, unitless, roleless, AnonymousUser()):
            assert has_perm(user, perm, at=tree.qxg) is False, (perm, user)
            assert has_perm_here(user, perm, at=tree.qxg) is False, (perm, user)
            assert holds_perm(user, perm) is False, (perm, user)


def test_register_rejects_an_unknown_role_or_a_badly_named_permission():
    before = registered_permissions()
    with pytest.raises(ValueError, match="unknown role 'chair'"):
        register_permissions({"chair": {"campaigns.plans:review"}})
    with pytest.raises(ValueError, match="not named app.resource:action"):
        register_permissions({ADMIN: {"review plans"}})
    assert registered_permissions() == before


def test_user_has_perm_on_a_unit_follows_the_rules_for_a_superuser_too(tree, users):
    from jinguo.orgs.rules import UNIT_WRITE

    users.qxg_liaison.is_superuser = True
    assert users.qxg_liaison.has_perm(UNIT_WRITE, tree.qxg_town) is False  # a liaison's roles decide
    assert users.qxg_admin.has_perm(UNIT_WRITE, tree.qxg_town) is True
    assert users.qxg_admin.has_perm(UNIT_WRITE, tree.dafang_town) is False
