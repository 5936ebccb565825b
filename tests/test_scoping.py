import pytest

from jinguo.campaigns.models import Campaign, CampaignTarget
from jinguo.lib.scoping import ScopeError, _current, scope
from jinguo.orgs.models import Org
from tests.factories import make_campaign


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
