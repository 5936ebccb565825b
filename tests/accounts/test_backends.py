"""``user.has_perm(perm, unit)``: the door lower apps (orgs) use to ask ``accounts.rules``."""

from __future__ import annotations

from jinguo.accounts.rules import has_perm


def test_has_perm_on_a_unit_answers_as_the_rules(tree, users):
    asked = [
        (users.city_admin, tree.qxg),
        (users.qxg_admin, tree.qxg_town),
        (users.qxg_admin, tree.dafang),
        (users.qxg_liaison, tree.qxg),
        (users.city_reviewer, tree.city),
    ]
    answers = [u.has_perm("orgs.units:write", at) for u, at in asked]
    assert answers == [True, True, False, False, False]
    assert answers == [has_perm(u, "orgs.units:write", at=at) for u, at in asked]


def test_has_perm_without_a_unit_is_no(users):
    assert users.city_admin.has_perm("orgs.units:write") is False
