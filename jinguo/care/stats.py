"""Aggregates of the registry per unit, with drill-down. Counts only; a count under ``SMALL_CELL``
people is shown as "<5" to anyone without the care role, so a village's figure cannot point at a
person. People and people per category are read from the running totals (``care.counts``); overdue
follow-ups and help, which depend on today and the period, are one grouped query each
(``orgs.selectors.totals_by_branch``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Sum
from django.utils import timezone

from jinguo.accounts.models import User
from jinguo.campaigns.models import Campaign
from jinguo.care.counts import counts_by_branch
from jinguo.care.models import Category, HelpRecord, Person
from jinguo.care.rules import SMALL_CELL, sees_small_cells
from jinguo.care.selectors import help_during_campaign_q
from jinguo.orgs.models import Org
from jinguo.orgs.selectors import branches, totals_by_branch

SMALL = "<5"


def shown(value: int, *, exact: bool):
    """A count as a viewer without the care role may see it: 1–4 become "<5"."""
    if exact or not value or value >= SMALL_CELL:
        return value
    return SMALL


@dataclass
class Row:
    org: Org
    own: bool
    drill: bool
    people: object
    by_category: list
    helped: object
    help_count: object
    help_amount: object
    overdue: object


def _date(text: str | None, default: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat(text) if text else default
    except ValueError:
        return default


def figures(*, org: Org, since: dt.date, until: dt.date, campaign: Campaign | None, today: dt.date):
    """Raw figures of ``org``'s subtree per branch: people by category, help, overdue follow-ups."""
    categories = list(Category.objects.all())
    # People and people per category from the running totals (care.counts): the two passes over
    # the wide person rows were most of the page (0.38 s on PostgreSQL at 200,000 people).
    people_fig, cat_fig = counts_by_branch(org)
    overdue = Person.objects.filter(
        org.subtree_q("org"), status=Person.Status.ACTIVE, anonymised_at__isnull=True, next_followup_on__lt=today
    )
    for branch, row in totals_by_branch(overdue, root=org, overdue=Count("pk")).items():
        people_fig.setdefault(branch, {})["overdue"] = row["overdue"]
    helps = HelpRecord.objects.filter(org.subtree_q("person__org"), given_on__gte=since, given_on__lte=until)
    if campaign is not None:
        helps = helps.filter(help_during_campaign_q(campaign))
    help_fig = totals_by_branch(
        helps,
        root=org,
        path_field="person__org__path",
        helped=Count("person", distinct=True),
        count=Count("pk"),
        amount=Sum("amount"),
    )
    return categories, people_fig, cat_fig, help_fig


def dashboard_context(*, user: User, org: Org, params) -> dict:
    today = timezone.localdate()
    since = _date(params.get("since"), today.replace(month=1, day=1))
    until = _date(params.get("until"), today)
    campaign = None
    if params.get("campaign", "").isdigit():
        campaign = Campaign.objects.filter(pk=int(params["campaign"])).first()
    exact = sees_small_cells(user, at=org)
    categories, people_fig, cat_fig, help_fig = figures(
        org=org, since=since, until=until, campaign=campaign, today=today
    )
    rows, total = [], {"people": 0, "overdue": 0, "helped": 0, "count": 0, "amount": Decimal(0)}
    cat_total = {c.pk: 0 for c in categories}
    for branch in branches(org, people_fig, cat_fig, help_fig):
        p, c, h = people_fig.get(branch.path, {}), cat_fig.get(branch.path, {}), help_fig.get(branch.path, {})
        helped = h.get("helped", 0)
        few_helped = not exact and 0 < helped < SMALL_CELL
        rows.append(
            Row(
                org=branch.org,
                own=branch.own,
                drill=branch.has_children,
                people=shown(p.get("people", 0), exact=exact),
                by_category=[shown(c.get(f"c{cat.pk}", 0), exact=exact) for cat in categories],
                helped=shown(helped, exact=exact),
                help_count=SMALL if few_helped else h.get("count", 0),
                help_amount=SMALL if few_helped else (h.get("amount") or Decimal(0)),
                overdue=shown(p.get("overdue", 0), exact=exact),
            )
        )
        total["people"] += p.get("people", 0)
        total["overdue"] += p.get("overdue", 0)
        total["helped"] += helped
        total["count"] += h.get("count", 0)
        total["amount"] += h.get("amount") or Decimal(0)
        for cat in categories:
            cat_total[cat.pk] += c.get(f"c{cat.pk}", 0)
    few_total = not exact and 0 < total["helped"] < SMALL_CELL
    shown_total = {
        "people": shown(total["people"], exact=exact),
        "overdue": shown(total["overdue"], exact=exact),
        "helped": shown(total["helped"], exact=exact),
        "count": SMALL if few_total else total["count"],
        "amount": SMALL if few_total else total["amount"],
        "by_category": [shown(cat_total[c.pk], exact=exact) for c in categories],
    }
    trail = list(Org.objects.filter(path__in=org.ancestor_paths(), depth__gte=user.org.depth).order_by("path"))
    campaigns = Campaign.objects.exclude(status=Campaign.Status.DRAFT).order_by("-published_at")[:50]
    return {
        "org": org,
        "rows": rows,
        "total": shown_total,
        "categories": categories,
        "since": since,
        "until": until,
        "campaign": campaign,
        "campaigns": campaigns,
        "trail": trail,
        "exact": exact,
        "as_of": timezone.now(),
    }


def care_cells(row, *, exact: bool) -> dict:
    """The campaign board's care line for one row, as ``shown`` to the viewer: households visited;
    help count and amount hidden too where fewer than 5 households would be singled out."""
    few = not exact and 0 < row.care_households < SMALL_CELL
    return {
        "households": shown(row.care_households, exact=exact),
        "help": SMALL if few else row.care_help,
        "amount": SMALL if few else row.care_amount,
    }
