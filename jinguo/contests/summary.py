"""The contests section of a campaign summary (registered into summaries' section registry from
``ContestsConfig.ready()``; contests may import summaries, summaries never imports contests).

For the unit's subtree and the campaign with its re-issues: per contest, the entries submitted and
recommended (the figures the contest's entry list shows for that unit under 已投稿 and 已推荐) and,
once the results are published, the awards by level, naming each awarded entry's title and unit.
Never an author's phone or name: a summary travels up the tree and is printed.
"""

from __future__ import annotations

from django.db.models import Count, Q

from jinguo.contests.judging import AWARD_ORDER, awards_of
from jinguo.contests.models import Award, Contest, Entry
from jinguo.lib.scoping import scopes_disabled
from jinguo.summaries.sections import DraftContext, DraftParagraph, DraftSection, register_section

AWARDS_QUOTED = 20


def contest_figures(contest: Contest, unit) -> dict:
    """Entries of ``unit``'s subtree in ``contest``: submitted, recommended, and published awards."""
    with scopes_disabled():  # the unit's own subtree of a contest that may be held by a unit above it
        counts = (
            Entry.objects.filter(contest=contest, status=Entry.Status.SUBMITTED)
            .filter(unit.subtree_q("author_org"))
            .aggregate(submitted=Count("pk"), recommended=Count("pk", filter=Q(recommended=True)))
        )
    awards = []
    if contest.results_published_at is not None:
        awards = [a for a in awards_of(contest, published_only=True) if a.entry.author_org.is_within(unit)]
    by_level = {level: sum(1 for a in awards if a.level == level) for level in AWARD_ORDER}
    return {"submitted": counts["submitted"], "recommended": counts["recommended"], "awards": awards,
            "by_level": by_level}  # fmt: skip


@register_section("contests", order=55)
def contests_section(ctx: DraftContext) -> DraftSection | None:
    with scopes_disabled():  # contests of the campaign held anywhere; entries are narrowed to the unit below
        contests = list(Contest.objects.filter(campaign_id__in=ctx.family).order_by("opens_at", "pk"))
    paragraphs = []
    for contest in contests:
        f = contest_figures(contest, ctx.unit)
        if not f["submitted"] and not f["awards"]:
            continue
        name = contest.title if "“" in contest.title else f"“{contest.title}”"  # no quotes inside quotes
        verb = "举办" if contest.owner_id == ctx.unit.pk else "参加"
        text = f"{verb}{name}，报送作品{f['submitted']}件，获推荐{f['recommended']}件"
        figures = {"contest": contest.title, "submitted": f["submitted"], "recommended": f["recommended"]}
        if f["awards"]:
            won = "、".join(f"{Award.Level(lv).label}{n}件" for lv, n in f["by_level"].items() if n)
            quoted = "；".join(
                f"{a.entry.author_org.display_name}《{a.entry.title}》（{a.get_level_display()}）"
                for a in f["awards"][:AWARDS_QUOTED]
            )
            text += f"。获奖{len(f['awards'])}件：{won}。获奖作品：{quoted}"
            figures |= {"awarded": len(f["awards"])} | {f"award_{lv}": n for lv, n in f["by_level"].items() if n}
            figures["awarded_entries"] = [
                [a.entry.author_org.display_name, a.entry.title, a.level] for a in f["awards"][:AWARDS_QUOTED]
            ]
        paragraphs.append(DraftParagraph(text + "。", figures))
    if not paragraphs:
        return None
    return DraftSection(heading="征文、作品比赛情况", paragraphs=paragraphs)
