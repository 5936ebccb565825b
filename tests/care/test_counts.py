"""The running totals of people 在册 (care.counts) equal a plain count at every unit after any
sequence of the registry's writes and a unit move; the rebuild and its command recompute them."""

from __future__ import annotations

import random
from collections import Counter

import pytest
from django.core.management import call_command
from django.db import transaction

from jinguo.care import counts, retention, services
from jinguo.care.importing import import_people
from jinguo.care.models import Category, CategoryCount, DuplicateReport, Person, UnitCount
from jinguo.lib.scoping import scopes_disabled
from jinguo.orgs.models import Org
from jinguo.orgs.services import move_org
from tests.care.conftest import register
from tests.factories import make_org

pytestmark = pytest.mark.django_db

NAMES = ["低收入妇女", "失业妇女", "患病妇女（含两癌）", "单亲困难母亲"]


def plain_count() -> tuple[Counter, Counter]:
    """People 在册 per unit's subtree, and per (unit's subtree, category), counted in Python."""
    units, cats = Counter(), Counter()
    with scopes_disabled():  # the whole tree, as the totals hold it
        orgs = list(Org.objects.all())
        for person in Person.objects.select_related("org").prefetch_related("categories"):
            if person.status != Person.Status.ACTIVE or person.anonymised_at is not None:
                continue
            for org in orgs:
                if person.org.path.startswith(org.path):
                    units[org.pk] += 1
                    for category in person.categories.all():
                        cats[(org.pk, category.pk)] += 1
    return units, cats


def stored() -> tuple[Counter, Counter]:
    with scopes_disabled():  # the whole tree
        units = Counter({o: n for o, n in UnitCount.objects.values_list("org_id", "people") if n})
        cats = Counter(
            {(o, c): n for o, c, n in CategoryCount.objects.values_list("org_id", "category_id", "people") if n}
        )
    assert (
        not UnitCount.objects.filter(people__lt=0).exists() and not CategoryCount.objects.filter(people__lt=0).exists()
    )
    return units, cats


def _cats(rng: random.Random) -> list[str]:
    return rng.sample(NAMES, rng.randrange(0, 3))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_counts_equal_a_plain_count_after_random_writes_and_a_move(tree, care, users, seed):
    rng = random.Random(seed)
    deep = make_org("七星关区市西街道一村妇联", parent=tree.qxg_town)
    units = [tree.city, tree.qxg, tree.dafang, tree.qxg_town, tree.dafang_town, deep]
    moved, done, n = False, set(), 0
    for _ in range(70):
        op = rng.choice(
            ["register", "register", "update", "close", "reopen", "transfer", "import", "anonymise", "move"]
        )
        with scopes_disabled():  # the test picks among every person
            people = list(Person.objects.filter(anonymised_at__isnull=True).select_related("org"))
        active = [p for p in people if p.status == Person.Status.ACTIVE]
        closed = [p for p in people if p.status == Person.Status.CLOSED]
        n += 1
        if op == "register":
            register(care.city_admin, rng.choice(units), name=f"人{n}", categories=_cats(rng))
        elif op == "update" and people:
            person = rng.choice(people)
            picked = Category.objects.filter(name__in=_cats(rng))
            services.update_person(person, by=care.city_admin, categories=picked, notes=f"改{n}")
        elif op == "close" and active:
            services.close_person(rng.choice(active), by=care.city_admin, reason="迁出")
        elif op == "reopen" and people:
            person = rng.choice(closed) if closed and rng.random() < 0.7 else rng.choice(people)
            services.reopen_person(person, by=care.city_admin)  # an active one too: no double count
        elif op == "transfer" and people:
            person = rng.choice(people)
            requester = care.dafang if person.org.is_within(Org.objects.get(pk=tree.qxg.pk)) else care.qxg
            report = services.report_duplicate(person, by=requester)
            services.transfer_person(report, by=care.city_admin)
            assert DuplicateReport.objects.get(pk=report.pk).status == DuplicateReport.Status.TRANSFERRED
        elif op == "import":
            rows = [
                {
                    "_row": i + 2,
                    "责任单位": rng.choice(["七星关区市西街道妇联", "大方县妇联", "七星关区妇联"]),
                    "姓名": f"导{n}-{i}",
                    "出生日期": "1980-05-06",
                    "性别": "女",
                    "关爱类别": "、".join(_cats(rng) or ["其他"]),
                    "处理依据": "法定职责",
                }
                for i in range(rng.randrange(1, 4))
            ]
            assert import_people(rows, by=care.city_admin, dry_run=False).written
        elif op == "anonymise" and people:
            with transaction.atomic(), scopes_disabled():  # as purgecare does, for any record
                retention.anonymise(rng.choice(people))
        elif op == "move":
            town = Org.objects.get(pk=tree.qxg_town.pk)
            move_org(town, new_parent=tree.qxg if moved else tree.dafang, by=users.city_admin)
            moved = not moved
        else:
            continue
        done.add(op)
        assert stored() == plain_count(), op
    assert done == {"register", "update", "close", "reopen", "transfer", "import", "anonymise", "move"}
    assert sum(plain_count()[0].values()) > 10  # the sequence did count people


def test_counts_by_branch_split_a_unit_into_its_own_people_and_its_children(tree, care):
    register(care.city_admin, tree.qxg, name="甲", categories=("失业妇女",))
    register(care.city_admin, tree.qxg_town, name="乙", categories=("失业妇女", "其他"))
    register(care.city_admin, tree.qxg_town, name="丙", categories=())
    unemployed = Category.objects.get(name="失业妇女").pk
    with scopes_disabled():  # the test reads the whole tree
        people, cats = counts.counts_by_branch(Org.objects.get(pk=tree.qxg.pk))
    assert people == {tree.qxg.path: {"people": 1}, tree.qxg_town.path: {"people": 2}}
    assert cats[tree.qxg.path] == {f"c{unemployed}": 1}
    assert cats[tree.qxg_town.path][f"c{unemployed}"] == 1


def test_rebuild_and_command_recompute_the_counts(tree, care, capsys):
    register(care.city_admin, tree.qxg_town, name="甲", categories=("失业妇女",))
    register(care.city_admin, tree.dafang, name="乙", categories=("其他",))
    expected = plain_count()
    with scopes_disabled():  # drift the totals on purpose
        UnitCount.objects.update(people=99)
        CategoryCount.objects.all().delete()
    call_command("rebuildcarecounts")
    assert stored() == expected
    assert "已重算在册人数汇总" in capsys.readouterr().out
    with scopes_disabled():  # drift again
        UnitCount.objects.all().delete()
        counts.rebuild_care_counts()
    assert stored() == expected
