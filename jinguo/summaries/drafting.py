"""The draft of a summary: what the platform writes from the data, before the person edits it.

Every number comes from the selectors the pages read, never from a query of this app's own: the
board's (dashboard.selectors.board — events, people, women, venues, formats, receipts, reports,
needs; ``board_breakdown`` — the same events by activity line and speaker type;
``board_practices`` — the adopted good practices) and the quiz's per-unit table
(quiz.selectors.unit_table). The built-in sections are registered here, in the order they print;
other apps add theirs through ``jinguo.summaries.sections.register_section``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from jinguo.activities.models import Activity
from jinguo.campaigns.models import Campaign, VenueType
from jinguo.dashboard.selectors import board, board_breakdown, board_practices
from jinguo.lib.rates import format_rate, rate
from jinguo.orgs.models import Org
from jinguo.quiz.models import Quiz
from jinguo.quiz.selectors import unit_table
from jinguo.summaries.sections import DraftContext, DraftParagraph, DraftSection, draft_sections, register_section

KEY_VENUES = (VenueType.VILLAGE, VenueType.COMMUNITY, VenueType.ENTERPRISE, VenueType.SCHOOL)
NO_LINE = "其他活动"  # entries logged without an activity line
BEST_UNITS = 3
PRACTICES_QUOTED = 10
NUMERALS = "一二三四五六七八九十"


def chinese_ordinal(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二 (headings never run past a few dozen)."""
    if n <= 10:
        return NUMERALS[n - 1]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else NUMERALS[tens - 1]) + "十" + (NUMERALS[ones - 1] if ones else "")


@dataclass(frozen=True)
class UnitViewer:
    """The unit itself as the reader of its own subtree: the board's selectors take a viewer, and
    a summary reads exactly what that unit's own people see on the board."""

    org: Org


def summary_title(campaign: Campaign, unit: Org) -> str:
    core = campaign.title.strip()
    core = core.removeprefix("关于")
    for suffix in ("的通知", "通知"):
        if core.endswith(suffix):
            core = core[: -len(suffix)]
            break
    core = core.removesuffix("方案")
    return f"{unit.name}关于{core}情况的总结"


def context_for(campaign: Campaign, unit: Org, *, now: dt.datetime | None = None) -> DraftContext:
    """The figures of ``unit``'s subtree for ``campaign`` and its re-issues, read once."""
    now = now or timezone.now()
    data = board(user=UnitViewer(unit), campaign=campaign, unit=unit, now=now)
    return DraftContext(campaign=campaign, unit=unit, family=data.family, board=data, now=now)


def draft(campaign: Campaign, unit: Org, *, now: dt.datetime | None = None) -> tuple[DraftContext, list[DraftSection]]:
    ctx = context_for(campaign, unit, now=now)
    return ctx, draft_sections(ctx)


# ---------------------------------------------------------------------------------------------
# The appendix: the board's rows for the unit (本级, each child unit, 合计)

APPENDIX_HEADER = ["单位", "活动场次", "参加人数", "其中妇女", "农村", "社区", "企业", "学校", "报送信息", "采用信息"]


def _appendix_line(name: str, r) -> list[str]:
    cells = [r.events, r.participants, r.women, *(r.venues.get(v, 0) for v in KEY_VENUES)]
    return [name, *(str(n) for n in cells), str(r.reports_submitted), str(r.reports_adopted)]


def appendix(ctx: DraftContext) -> dict:
    unit = ctx.unit
    rows = [
        _appendix_line(f"{unit.display_name}（本级）" if r.own else r.org.display_name, r)
        for r in ctx.board.rows
        if not r.own or r.events or r.reports_submitted
    ]
    rows.append(_appendix_line("合计", ctx.board.total))
    return {"title": f"{unit.display_name}各单位活动情况统计表", "header": APPENDIX_HEADER, "rows": rows}


# ---------------------------------------------------------------------------------------------
# The built-in sections


def _counts(pairs) -> str:
    return "、".join(f"{label}{n}场" for label, n in pairs if n)


@register_section("overview", order=10)
def overview(ctx: DraftContext) -> DraftSection:
    t = ctx.board.total
    paragraphs = [
        DraftParagraph(
            f"活动期间，{ctx.unit.display_name}及下属各级组织共开展各类活动{t.events}场次，"
            f"参加{t.participants}人次，其中妇女{t.women}人次。",
            {"events": t.events, "participants": t.participants, "women": t.women},
        )
    ]
    if t.targets:
        paragraphs.append(
            DraftParagraph(
                f"通知下发本单位及下级单位共{t.targets}个，已签收{t.signed}个，方案已备案{t.approved}个。",
                {"targets": t.targets, "signed": t.signed, "approved": t.approved},
            )
        )
    return DraftSection(heading="总体情况", paragraphs=paragraphs)


def _lines(ctx: DraftContext) -> list[dict]:
    """The board's events per activity line, in the campaign's order (cached on the context)."""
    if "lines" not in ctx.extra:
        order = {title: i for i, title in enumerate(ctx.campaign.lines.values_list("title", flat=True))}
        lines: dict[str, dict] = {}
        for g in board_breakdown(family=ctx.family, unit=ctx.unit):
            title = g["line"] or NO_LINE
            line = lines.setdefault(
                title,
                {"title": title, "events": 0, "participants": 0, "women": 0, "formats": {}, "venues": {}},
            )
            for k in ("events", "participants", "women"):
                line[k] += g[k]
            line["formats"][g["format"]] = line["formats"].get(g["format"], 0) + g["events"]
            line["venues"][g["venue_type"]] = line["venues"].get(g["venue_type"], 0) + g["events"]
            speakers = ctx.extra.setdefault("speakers", {})
            if g["speaker_type"]:
                speakers[g["speaker_type"]] = speakers.get(g["speaker_type"], 0) + g["events"]
        ctx.extra["lines"] = sorted(lines.values(), key=lambda x: (order.get(x["title"], len(order)), x["title"]))
        ctx.extra.setdefault("speakers", {})
    return ctx.extra["lines"]


@register_section("lines", order=20)
def activity_lines(ctx: DraftContext) -> DraftSection | None:
    lines = _lines(ctx)
    if not lines:
        return None
    formats, venues = Activity.Format, VenueType
    paragraphs = []
    for i, line in enumerate(lines, start=1):
        by_format = _counts((formats(f).label, line["formats"].get(f, 0)) for f in formats.values)
        by_venue = _counts((venues(v).label, line["venues"].get(v, 0)) for v in venues.values)
        text = (
            f"（{chinese_ordinal(i)}）{line['title']}。共开展{line['events']}场次，参加{line['participants']}人次，"
            f"其中妇女{line['women']}人次。按活动形式：{by_format}；按场所：{by_venue}。"
        )
        figures = {"line": line["title"], "events": line["events"], "participants": line["participants"]}
        figures |= {"women": line["women"]}
        figures |= {f"format_{f}": n for f, n in line["formats"].items() if n}
        figures |= {f"venue_{v}": n for v, n in line["venues"].items() if n}
        paragraphs.append(DraftParagraph(text, figures))
    return DraftSection(heading="各项活动开展情况", paragraphs=paragraphs)


@register_section("coverage", order=30)
def coverage(ctx: DraftContext) -> DraftSection | None:
    t = ctx.board.total
    if not t.events:
        return None
    venues = {v: t.venues.get(v, 0) for v in KEY_VENUES}
    reached = sum(1 for n in venues.values() if n)
    text = (
        "深入开展“进农村、进社区、进企业、进学校”活动："
        + "，".join(f"进{VenueType(v).label}{n}场" for v, n in venues.items())
        + f"，“四进”覆盖{reached}类场所。"
    )
    paragraphs = [DraftParagraph(text, {f"venue_{v}": n for v, n in venues.items()} | {"key_venues_reached": reached})]
    _lines(ctx)
    speakers = ctx.extra["speakers"]
    if speakers:
        kinds = Activity.SpeakerType
        by_speaker = "，".join(f"{kinds(s).label}宣讲{speakers[s]}场" for s in kinds.values if speakers.get(s))
        paragraphs.append(
            DraftParagraph(f"宣讲队伍多元：{by_speaker}。", {f"speaker_{s}": n for s, n in speakers.items() if n})
        )
    return DraftSection(heading="“四进”覆盖和宣讲情况", paragraphs=paragraphs)


@register_section("symposiums", order=40)
def symposiums(ctx: DraftContext) -> DraftSection | None:
    t = ctx.board.total
    held = t.formats.get(Activity.Format.SYMPOSIUM, 0)
    if not held and not t.needs_raised:
        return None
    text = f"召开座谈交流会{held}场，收集妇女群众所需所盼{t.needs_raised}件，已办结{t.needs_resolved}件。"
    figures = {"format_symposium": held, "needs_raised": t.needs_raised, "needs_resolved": t.needs_resolved}
    return DraftSection(heading="座谈交流和所需所盼办理情况", paragraphs=[DraftParagraph(text, figures)])


def quizzes_in_period(campaign: Campaign, unit: Org):
    """The published quizzes a unit's people could take during the campaign: held by the unit, a
    unit above it or one below it, open at some time in the campaign's period."""
    starts = timezone.make_aware(dt.datetime.combine(campaign.starts_on, dt.time.min))
    ends = timezone.make_aware(dt.datetime.combine(campaign.ends_on, dt.time.max))
    return (
        Quiz.objects.filter(unit.subtree_q("owner") | Q(owner__path__in=unit.ancestor_paths()))
        .filter(is_published=True, opens_at__lte=ends, closes_at__gte=starts)
        .order_by("opens_at", "pk")
    )


def quiz_figures(quiz: Quiz, unit: Org) -> dict:
    """A quiz in ``unit``'s subtree, from the quiz's own per-unit table: participants, target,
    rate and the best child units (by rate against their target, then participants)."""
    rows, total = unit_table(quiz, unit)
    ranked = [r for r in rows if r.org is not None and r.participants]
    ranked.sort(key=lambda r: (-(r.rate or 0), -r.participants, r.org.path))
    return {
        "participants": total.participants,
        "target": total.target or 0,
        "rate": format_rate(rate(total.participants, total.target or 0)),
        "best": [
            (r.org.display_name, r.participants, format_rate(rate(r.participants, r.target or 0))) for r in ranked
        ],
    }


@register_section("quiz", order=50)
def quiz(ctx: DraftContext) -> DraftSection | None:
    paragraphs = []
    for q in quizzes_in_period(ctx.campaign, ctx.unit):
        f = quiz_figures(q, ctx.unit)
        if not f["participants"] and not f["target"]:
            continue
        text = f"组织参加“{q.title}”，共{f['participants']}人参赛"
        figures = {"quiz": q.title, "participants": f["participants"]}
        if f["target"]:
            text += f"，应参与{f['target']}人，参与率{f['rate']}"
            figures |= {"target": f["target"], "rate": f["rate"]}
        best = f["best"][:BEST_UNITS]
        if best:
            text += "。参与较好的单位：" + "、".join(
                f"{name}（{n}人{'，' + r if r != '—' else ''}）" for name, n, r in best
            )
            figures["best"] = [[name, n, r] for name, n, r in best]
        paragraphs.append(DraftParagraph(text + "。", figures))
    if not paragraphs:
        return None
    return DraftSection(heading="知识竞赛情况", paragraphs=paragraphs)


@register_section("reports", order=60)
def reports(ctx: DraftContext) -> DraftSection | None:
    t = ctx.board.total
    if not t.reports_submitted:
        return None
    text = f"报送活动信息{t.reports_submitted}篇，被采用{t.reports_adopted}篇。"
    paragraphs = [
        DraftParagraph(text, {"reports_submitted": t.reports_submitted, "reports_adopted": t.reports_adopted})
    ]
    practices = list(board_practices(family=ctx.family, unit=ctx.unit)[:PRACTICES_QUOTED])
    if practices:
        quoted = "；".join(f"{p.org.display_name}的《{p.title}》" for p in practices)
        paragraphs.append(
            DraftParagraph(
                f"总结提炼典型经验，被采用的有：{quoted}。",
                {"practices": [[p.org.display_name, p.title] for p in practices]},
            )
        )
    return DraftSection(heading="信息报送和典型经验", paragraphs=paragraphs)


@register_section("next", order=90)
def next_steps(ctx: DraftContext) -> DraftSection:
    # The person's own words: a heading to write under, nothing drafted.
    return DraftSection(heading="存在的问题和下一步打算", paragraphs=[])
