"""Aggregates per unit with drill-down; cells under 5 people are "<5" for anyone without the care
role; the campaign board's care line comes from the help records."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jinguo.care import services
from jinguo.care.models import Person
from tests.care.conftest import register
from tests.factories import make_campaign, make_org

pytestmark = pytest.mark.django_db


def _people(care, org, n, **kw):
    return [register(care.qxg, org, name=f"人{org.pk}-{i}", **kw) for i in range(n)]


def _row(response, org):
    return next(r for r in response.context["rows"] if r.org == org)


def test_counts_per_unit_with_drill_down(tree, care, users, client_for):
    _people(care, tree.qxg_town, 6)
    _people(care, tree.qxg, 2, categories=("失业妇女",))
    response = client_for(care.city_admin).get("/care/stats/")
    qxg = _row(response, tree.qxg)
    assert (qxg.people, qxg.drill) == (8, True)
    assert response.context["total"]["people"] == 8
    drill = client_for(care.city_admin).get(f"/care/stats/?org={tree.qxg.pk}")
    assert [(r.org.name, r.people) for r in drill.context["rows"]] == [("七星关区妇联", 2), ("七星关区市西街道妇联", 6)]
    cats = [c.name for c in drill.context["categories"]]
    own = _row(drill, tree.qxg)
    assert own.by_category[cats.index("失业妇女")] == 2 and own.by_category[cats.index("低收入妇女")] == 0


def test_small_cells_are_hidden_from_staff_without_the_care_role(tree, care, users, client_for):
    _people(care, tree.qxg_town, 6)
    _people(care, tree.qxg, 2)
    staff = client_for(users.qxg_liaison).get(f"/care/stats/?org={tree.qxg.pk}")
    assert [(r.org.name, r.people) for r in staff.context["rows"]] == [
        ("七星关区妇联", "<5"),
        ("七星关区市西街道妇联", 6),
    ]
    assert "&lt;5" in staff.content.decode()
    worker = client_for(care.qxg).get(f"/care/stats/?org={tree.qxg.pk}")
    assert [r.people for r in worker.context["rows"]] == [2, 6]


def test_help_in_a_period_and_during_a_campaign(tree, care, users, client_for):
    campaign = make_campaign(issuer=tree.city, by=users.city_admin, targets=[tree.qxg])
    a, b = _people(care, tree.qxg_town, 2)
    services.record_help(
        a, by=care.qxg, given_on=dt.date(2023, 3, 6), kind="cash", given_by="妇联", amount=Decimal(500)
    )
    services.record_help(
        b, by=care.qxg, given_on=dt.date(2022, 5, 1), kind="goods", given_by="妇联", amount=Decimal(200)
    )
    period = client_for(care.qxg).get(f"/care/stats/?org={tree.qxg.pk}&since=2023-01-01&until=2023-12-31")
    row = _row(period, tree.qxg_town)
    assert (row.helped, row.help_count, row.help_amount) == (1, 1, Decimal(500))
    during = client_for(care.qxg).get(f"/care/stats/?org={tree.qxg.pk}&since=2000-01-01&campaign={campaign.pk}")
    assert _row(during, tree.qxg_town).help_count == 1


def test_sibling_unit_in_the_drill_down_is_404(tree, care, client_for):
    _people(care, tree.qxg_town, 6)
    assert client_for(care.dafang).get(f"/care/stats/?org={tree.qxg.pk}").status_code == 404
    own = client_for(care.dafang).get("/care/stats/")
    assert own.context["total"]["people"] == 0


def test_stats_query_count_does_not_grow_with_units(tree, care, client_for):
    _people(care, tree.qxg_town, 1)
    client = client_for(care.qxg)
    client.get(f"/care/stats/?org={tree.qxg.pk}")
    with CaptureQueriesContext(connection) as one:
        client.get(f"/care/stats/?org={tree.qxg.pk}")
    for i in range(8):
        _people(care, make_org(f"七星关区{i}号镇妇联", parent=tree.qxg), 2)
    with CaptureQueriesContext(connection) as many:
        response = client.get(f"/care/stats/?org={tree.qxg.pk}")
    assert len(response.context["rows"]) == 10
    assert len(many) == len(one)


def test_the_campaign_board_gains_the_care_line_from_help_records(tree, care, users, client_for):
    campaign = make_campaign(issuer=tree.city, by=users.city_admin, targets=[tree.qxg, tree.dafang])
    people = _people(care, tree.qxg_town, 6)
    for person in people:
        services.record_help(
            person, by=care.qxg, given_on=dt.date(2023, 3, 6), kind="cash", given_by="妇联", amount=Decimal(100)
        )
    services.record_help(
        people[0], by=care.qxg, given_on=dt.date(2021, 1, 1), kind="cash", given_by="妇联", amount=Decimal(999)
    )
    dafang = register(care.dafang, tree.dafang_town, name="大方一人")
    services.record_help(
        dafang, by=care.dafang, given_on=dt.date(2023, 3, 8), kind="goods", given_by="妇联", amount=Decimal(50)
    )
    response = client_for(users.city_admin).get("/dashboard/", {"campaign": campaign.pk, "unit": tree.city.pk})
    rows = {
        r.org.name if r.org else "合计": r.care
        for r in [*response.context["board"].rows, response.context["board"].total]
    }
    assert rows["七星关区妇联"] == {"households": 6, "help": 6, "amount": Decimal(600)}
    assert rows["大方县妇联"] == {"households": "<5", "help": "<5", "amount": "<5"}
    assert rows["合计"] == {"households": 7, "help": 7, "amount": Decimal(650)}
    assert Person.objects.count() == 7


def test_figures_equal_a_plain_count_at_every_level(tree, care, users, client_for):
    """The grouped-by-unit figures, folded into branches, against a count of the rows in Python:
    people by category, overdue follow-ups, help in the period (distinct people, records, amount)."""
    today = dt.date.today()
    deep = make_org("七星关区市西街道一村妇联", parent=tree.qxg_town)
    spread = {tree.city: 1, tree.qxg: 2, tree.qxg_town: 3, deep: 4, tree.dafang: 1, tree.dafang_town: 5}
    people = []
    for org, n in spread.items():
        by = care.dafang if org in (tree.dafang, tree.dafang_town) else care.city_admin
        for i in range(n):
            cats = ("低收入妇女", "失业妇女") if i % 2 else ("失业妇女",)
            people.append(register(by, org, name=f"计{org.pk}-{i}", categories=cats, followup_days=30))
    for i, person in enumerate(people):
        visited = today - dt.timedelta(days=40 if i % 3 == 0 else 5)
        services.record_followup(person, by=care.city_admin, visited_on=visited, way="visit")
        services.record_help(
            person,
            by=care.city_admin,
            given_on=dt.date(2023, 3, i % 28 + 1),
            kind="cash",
            given_by="妇联",
            amount=Decimal(10 * (i + 1)),
        )
        if i % 4 == 0:
            services.record_help(
                person,
                by=care.city_admin,
                given_on=dt.date(2023, 4, 1),
                kind="goods",
                given_by="妇联",
                amount=Decimal(7),
            )
    services.record_help(  # outside the period
        people[1], by=care.city_admin, given_on=dt.date(2022, 12, 31), kind="cash", given_by="妇联", amount=Decimal(1)
    )
    services.close_person(people[-1], by=care.dafang, reason="迁出")  # closed: not counted
    client = client_for(care.city_admin)

    def plain(org, own):
        def here(p):
            return p.org_id == org.pk if own else p.org.path.startswith(org.path)

        everyone = [p for p in Person.objects.all() if here(p)]
        rows = [p for p in everyone if p.status == Person.Status.ACTIVE and p.anonymised_at is None]
        # Help given in the period counts whatever became of the person since (closed included).
        helps = [
            h
            for p in everyone
            for h in p.help_records.all()
            if dt.date(2023, 1, 1) <= h.given_on <= dt.date(2023, 12, 31)
        ]
        by_cat = {}
        for p in rows:
            for c in p.categories.all():
                by_cat[c.name] = by_cat.get(c.name, 0) + 1
        return {
            "people": len(rows),
            "overdue": sum(1 for p in rows if p.next_followup_on and p.next_followup_on < today),
            "helped": len({h.person_id for h in helps}),
            "count": len(helps),
            "amount": sum((h.amount for h in helps), Decimal(0)),
            "by_cat": by_cat,
        }

    for root in (tree.city, tree.qxg, tree.qxg_town):
        response = client.get(f"/care/stats/?org={root.pk}&since=2023-01-01&until=2023-12-31")
        cats = [c.name for c in response.context["categories"]]
        for row in response.context["rows"]:
            want = plain(row.org, row.own)
            got = {
                "people": row.people,
                "overdue": row.overdue,
                "helped": row.helped,
                "count": row.help_count,
                "amount": row.help_amount,
                "by_cat": {name: n for name, n in zip(cats, row.by_category, strict=True) if n},
            }
            assert got == want, (root.name, row.org.name, row.own)
        total = response.context["total"]
        want = plain(root, own=False)
        assert (total["people"], total["overdue"], total["helped"], total["count"], total["amount"]) == (
            want["people"],
            want["overdue"],
            want["helped"],
            want["count"],
            want["amount"],
        )
    city = client.get(f"/care/stats/?org={tree.city.pk}&since=2023-01-01&until=2023-12-31")
    assert [(r.org.name, r.people) for r in city.context["rows"]] == [
        ("毕节市妇联", 1),
        ("七星关区妇联", 9),
        ("大方县妇联", 5),
        ("办公室", 0),
    ]
