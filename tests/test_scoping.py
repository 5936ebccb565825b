import re
from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command

from jinguo.accounts.models import User
from jinguo.campaigns.models import ActivityLine, Campaign, CampaignTarget
from jinguo.lib.scoping import ScopedManager, ScopeError, _current, scope
from jinguo.orgs.models import Org
from tests.factories import PASSWORD, make_campaign


@pytest.fixture
def no_scope():
    token = _current.set(None)
    yield
    _current.reset(token)


def test_scoped_query_without_scope_raises(tree, no_scope):
    with pytest.raises(ScopeError):
        list(Org.objects.all())


def test_scope_limits_orgs_to_subtree(tree):
    with scope(org=tree.qxg):
        assert list(Org.objects.all()) == [tree.qxg, tree.qxg_town]


def test_subtree_check_is_a_string_comparison(tree):
    assert tree.qxg_town.is_within(tree.qxg)
    assert tree.qxg_town.is_within(tree.city)
    assert not tree.dafang_town.is_within(tree.qxg)
    assert not tree.city.is_within(tree.qxg)


def test_target_unit_sees_campaign_but_not_sibling_receipts(tree, users):
    campaign = make_campaign(issuer=tree.city, by=users.city_admin, targets=[tree.qxg, tree.dafang])
    with scope(org=tree.qxg):
        assert list(Campaign.objects.all()) == [campaign]
        assert [t.org for t in CampaignTarget.objects.all()] == [tree.qxg]
    with scope(org=tree.qxg_town):
        assert list(Campaign.objects.all()) == []


def test_home_requires_login_and_renders_for_user(tree, users, client):
    assert client.get("/").status_code == 302
    from tests.conftest import login

    response = login(users.qxg_liaison).get("/")
    assert response.status_code == 200
    assert "七星关区妇联" in response.content.decode()


# ---------------------------------------------------------------------------------------------
# One door: every org-owned model is scoped by its only manager, and every bypass says why.

# Models that hang off the tree without being scoped by it, each with the reason.
NOT_SCOPED = {
    "accounts.ApiToken": "found by its key's hash before any scope exists; pages read the viewer's own (user=)",
    "notifications.Notification": "a user's own inbox: every read filters recipient=the viewer",
    "quiz.ScoreBucket": "the public ranking's histogram: counts per quiz, no person and no unit",
    "quiz.ScoreMinute": "the public ranking's per-minute sums: counts per quiz, no person and no unit",
}
JINGUO = Path(__file__).resolve().parent.parent / "jinguo"


def _reaches_org(model, depth: int = 0) -> bool:
    if model is Org:
        return True
    if depth > 5:
        return False
    return any(
        _reaches_org(f.related_model, depth + 1)
        for f in model._meta.get_fields()
        if (f.many_to_one or f.one_to_one) and f.concrete and f.related_model is not None
    )


def _org_owned_models():
    return [m for m in apps.get_models() if _reaches_org(m) and m._meta.label not in NOT_SCOPED]


def test_every_model_with_a_path_to_an_org_has_one_declared_scoped_manager():
    models = _org_owned_models()
    assert len(models) >= 20  # the walk finds the org-owned models (it is not vacuous)
    for model in models:
        managers = model._meta.managers
        assert [m.name for m in managers if not isinstance(m, ScopedManager)] == [], model._meta.label
        assert len(managers) == 1, f"{model._meta.label} has a second manager: {[m.name for m in managers]}"
        assert model._default_manager.is_declared, f"{model._meta.label} does not declare org= or via="


def test_exempted_models_still_exist_and_reach_the_tree():
    labels = {m._meta.label for m in apps.get_models() if _reaches_org(m)}
    assert set(NOT_SCOPED) <= labels


def _python_files():
    return sorted(p for p in JINGUO.rglob("*.py") if "migrations" not in p.parts)


def test_no_unscoped_twin_manager_anywhere():
    offenders = [
        f"{p.relative_to(JINGUO)}:{n}"
        for p in _python_files()
        if p.name != "scoping.py"
        for n, line in enumerate(p.read_text().splitlines(), 1)
        if "all_objects" in line or re.search(r"^\s+\w+ = models\.Manager\(\)", line)
    ]
    assert offenders == []


def test_every_bypass_says_why():
    bare = [
        f"{p.relative_to(JINGUO)}:{n}"
        for p in _python_files()
        if p.name != "scoping.py"
        for n, line in enumerate(p.read_text().splitlines(), 1)
        if re.search(r"with scopes_disabled\(\):", line) and not re.search(r"\):\s+# \S.{8,}", line)
    ]
    assert bare == []


def test_campaign_sent_to_two_units_of_a_subtree_is_listed_once(tree, users):
    campaign = make_campaign(issuer=tree.city, by=users.city_admin, targets=[tree.qxg, tree.qxg_town])
    with scope(org=tree.qxg):
        assert list(Campaign.objects.all()) == [campaign]
    with scope(org=tree.dafang):
        assert list(Campaign.objects.all()) == []


def test_via_scope_follows_the_parent_row(tree, users):
    campaign = make_campaign(issuer=tree.city, by=users.city_admin, targets=[tree.qxg], lines=1)
    line = ActivityLine.objects.get(campaign=campaign)
    with scope(org=tree.qxg):
        assert list(ActivityLine.objects.all()) == [line]
    with scope(org=tree.dafang):
        assert list(ActivityLine.objects.all()) == []


def test_users_are_scoped_like_every_org_owned_model(tree, users):
    with scope(org=tree.qxg):
        assert sorted(u.username for u in User.objects.all()) == ["qxg_admin", "qxg_liaison"]
    with scope(org=tree.dafang):
        assert not User.objects.filter(pk=users.qxg_liaison.pk).exists()


def test_users_need_a_scope_but_login_does_not(tree, users, no_scope, client):
    with pytest.raises(ScopeError):
        User.objects.count()
    response = client.post("/accounts/login/", {"username": "qxg_liaison", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_visible_to_narrows_to_the_viewer_even_with_scoping_off(tree, users):
    mine = make_campaign(issuer=tree.qxg, by=users.qxg_admin, title="七星关活动")
    make_campaign(issuer=tree.dafang, by=users.dafang_admin, title="大方活动")
    assert list(Campaign.objects.visible_to(users.qxg_liaison)) == [mine]


def test_empty_queryset_needs_no_scope(no_scope):
    assert list(Org.objects.none()) == []


@pytest.mark.parametrize(
    "command, args",
    [
        ("createadmin", ["--org-code", "520502", "--username", "new_admin", "--password", "Jinguo-pw-2026!"]),
        ("rebuildrollups", []),
        ("sendreminders", []),
    ],
)
def test_commands_name_their_scope(tree, users, no_scope, command, args):
    call_command(command, *args, stdout=StringIO())
