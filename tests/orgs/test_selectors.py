"""The per-unit table's skeleton (本级 / child units / 合计) shared by the board, the ledger's
coverage, the report ranking and the quiz."""

from __future__ import annotations

from django.db.models import Count

from jinguo.orgs.models import Org
from jinguo.orgs.selectors import Branch, branches, totals_by_branch
from jinguo.orgs.services import set_org_active
from tests.factories import make_org


def _units_by_branch(root: Org) -> dict[str, dict]:
    """Units per branch: the tree is itself rows with a path, so it can be counted like any source."""
    return totals_by_branch(Org.objects.filter(root.subtree_q()), root=root, path_field="path", units=Count("pk"))


def test_totals_by_branch_keys_the_root_and_each_child_subtree(tree):
    got = _units_by_branch(tree.city)

    assert got == {
        tree.city.path: {"units": 1},  # the root's own row, 本级
        tree.qxg.path: {"units": 2},  # 七星关区 and its township
        tree.dafang.path: {"units": 2},
        tree.office.path: {"units": 1},
    }


def test_branches_list_own_first_then_children_in_tree_order(tree):
    assert branches(tree.city) == [
        Branch(org=tree.city, own=True),
        Branch(org=tree.qxg, has_children=True),
        Branch(org=tree.dafang, has_children=True),
        Branch(org=tree.office),
    ]


def test_branches_keep_an_inactive_child_only_while_it_holds_figures(tree):
    set_org_active(tree.dafang, active=False)
    set_org_active(tree.qxg_town, active=False)
    figures = {tree.dafang.path: {"n": 3}}

    with_figures = [(b.org.name, b.has_children) for b in branches(tree.city, figures)]
    without = [(b.org.name, b.has_children) for b in branches(tree.city, {})]

    assert with_figures == [("毕节市妇联", False), ("七星关区妇联", False), ("大方县妇联", False), ("办公室", False)]
    assert without == [("毕节市妇联", False), ("七星关区妇联", False), ("办公室", False)]


def test_branches_of_a_leaf_are_its_own_row(tree):
    make_org("村妇联", Org.Kind.VILLAGE, tree.qxg_town)

    assert [(b.org.name, b.own, b.has_children) for b in branches(tree.qxg)] == [
        ("七星关区妇联", True, False),
        ("七星关区市西街道妇联", False, True),
    ]
    assert branches(tree.office) == [Branch(org=tree.office, own=True)]
