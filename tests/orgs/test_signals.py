"""What the tree announces: ``org_moved`` (the ledger's running totals follow it, see
``tests/activities/test_rollups.py``)."""

from __future__ import annotations

from jinguo.orgs.services import move_org
from jinguo.orgs.signals import org_moved


def test_move_org_announces_the_ancestors_before_and_after(tree, users):
    heard = []

    def listen(sender, **kwargs):
        heard.append((kwargs["org"].pk, kwargs["org"].parent_id, kwargs["old_ancestors"], kwargs["new_ancestors"]))

    org_moved.connect(listen)
    try:
        move_org(tree.qxg_town, new_parent=tree.dafang, by=users.city_admin)
    finally:
        org_moved.disconnect(listen)

    town, old, new = tree.qxg_town, [tree.city.pk, tree.qxg.pk], [tree.city.pk, tree.dafang.pk]
    assert [(pk, parent, sorted(a), sorted(b)) for pk, parent, a, b in heard] == [(town.pk, tree.dafang.pk, old, new)]


def test_move_to_the_same_parent_announces_nothing(tree, users):
    heard = []
    org_moved.connect(heard.append)  # called with sender first: any call would append
    try:
        move_org(tree.qxg_town, new_parent=tree.qxg, by=users.city_admin)
    finally:
        org_moved.disconnect(heard.append)
    assert heard == []
