"""The draft's numbers are the dashboard's: every figure of every data paragraph is compared with
what the board (and the quiz's per-unit table) shows for the same unit and campaign."""

from __future__ import annotations

import re

import pytest

from jinguo.activities.models import Activity
from jinguo.dashboard.selectors import board, board_activities, board_practices
from jinguo.quiz.selectors import unit_table
from jinguo.summaries import services
from jinguo.summaries.drafting import NO_LINE, summary_title
from jinguo.summaries.models import Paragraph, Section, Summary
from jinguo.summaries.sections import DraftParagraph, DraftSection, register_section, registered_sections


def data_paragraphs(summary: Summary) -> dict[str, list[Paragraph]]:
    found: dict[str, list[Paragraph]] = {}
    for section in Section.objects.filter(summary=summary).order_by("order"):
        found[section.key] = list(Paragraph.objects.filter(section=section).order_by("order"))
    return found


def expected_figures(viewer, campaign, unit, quiz) -> dict:
    """What the dashboard shows for ``unit``: the board's totals, plus the counts behind its
    records page (the same ``board_activities``) for lines and speakers, and the quiz's own table."""
    b = board(user=viewer, campaign=campaign, unit=unit)
    t = b.total
    figures = {
        "events": t.events, "participants": t.participants, "women": t.women,
        "targets": t.targets, "signed": t.signed, "approved": t.approved,
        "needs_raised": t.needs_raised, "needs_resolved": t.needs_resolved,
        "reports_submitted": t.reports_submitted, "reports_adopted": t.reports_adopted,
        "format_symposium": t.formats["symposium"],
        **{f"venue_{v}": n for v, n in t.venues.items()},
    }  # fmt: skip
    ledger = board_activities(family=b.family, unit=unit)
    for s in Activity.SpeakerType.values:
        figures[f"speaker_{s}"] = ledger.filter(speaker_type=s).count()
    rows, total = unit_table(quiz, unit)
    figures["quiz"] = {"participants": total.participants, "target": total.target}
    figures["practices"] = [[p.org.display_name, p.title] for p in board_practices(family=b.family, unit=unit)]
    return figures, b, ledger


def numbers_in(text: str) -> set[str]:
    return set(re.findall(r"\d+(?:\.\d+)?%?", text))


def flat_values(figures: dict) -> set[str]:
    out = set()
    for v in figures.values():
        if isinstance(v, list):
            for item in v:
                out |= flat_values({"x": item}) if isinstance(item, list) else {str(item)}
        else:
            out.add(str(v))
    return {n for value in out for n in numbers_in(value)}


@pytest.mark.parametrize("who", ["qxg", "city"])
def test_every_number_in_the_draft_is_the_dashboards(tree, users, world, who):
    unit, writer = {"qxg": (tree.qxg, users.qxg_liaison), "city": (tree.city, users.city_admin)}[who]
    summary = services.draft_summary(world.campaign, unit=unit, by=writer)
    expected, b, ledger = expected_figures(writer, world.campaign, unit, world.quiz)
    sections = data_paragraphs(summary)
    checked = 0
    for key, paragraphs in sections.items():
        for p in paragraphs:
            assert p.is_data == bool(p.figures)
            # Every number written is one of the paragraph's figures …
            assert numbers_in(p.text) <= flat_values(p.figures), (key, p.text)
            # … and every figure is the dashboard's.
            if key == "lines":
                title = p.figures["line"]
                line_ledger = ledger.filter(line__isnull=True) if title == NO_LINE else ledger.filter(line__title=title)
                assert p.figures["events"] == line_ledger.count()
                assert p.figures["participants"] == sum(line_ledger.values_list("participants_total", flat=True))
                checked += 1
            elif key == "quiz":
                assert p.figures["participants"] == expected["quiz"]["participants"]
                assert p.figures["target"] == expected["quiz"]["target"]
                checked += 1
            elif key == "reports" and "practices" in p.figures:
                assert p.figures["practices"] == expected["practices"]
                checked += 1
            else:
                for name, value in p.figures.items():
                    if name != "key_venues_reached":
                        assert value == expected[name], (key, name)
                        checked += 1
    # The lines add up to the board's events, people and women.
    lines = [p.figures for p in sections["lines"]]
    assert sum(f["events"] for f in lines) == b.total.events
    assert sum(f["participants"] for f in lines) == b.total.participants
    assert sum(f["women"] for f in lines) == b.total.women
    assert checked >= 15


def test_the_county_draft_in_figures(tree, users, world):
    """The same draft, in exact numbers (so a change on both sides cannot pass unnoticed)."""
    summary = services.draft_summary(world.campaign, unit=tree.qxg, by=users.qxg_liaison)
    s = data_paragraphs(summary)
    assert (
        s["overview"][0].text
        == "活动期间，七星关区妇联及下属各级组织共开展各类活动4场次，参加125人次，其中妇女100人次。"
    )
    assert [(p.figures["line"], p.figures["events"], p.figures["participants"]) for p in s["lines"]] == [
        ("活动1", 1, 50),
        ("活动2", 2, 55),
        (NO_LINE, 1, 20),
    ]
    assert (
        s["coverage"][0].text
        == "深入开展“进农村、进社区、进企业、进学校”活动：进农村1场，进社区1场，进企业1场，进学校1场，“四进”覆盖4类场所。"
    )
    assert s["coverage"][1].text == "宣讲队伍多元：领导干部宣讲1场，先进典型宣讲1场，巾帼志愿宣讲队宣讲1场。"
    assert s["symposiums"][0].text == "召开座谈交流会1场，收集妇女群众所需所盼2件，已办结1件。"
    assert s["quiz"][0].figures == {
        "quiz": "妇女权益保障法知识竞赛", "participants": 7, "target": 15, "rate": "46.7%",
        "best": [["七星关区市西街道妇联", 4, "80.0%"]],
    }  # fmt: skip
    assert s["reports"][0].text == "报送活动信息2篇，被采用1篇。"
    assert (
        s["reports"][1].text
        == "总结提炼典型经验，被采用的有：七星关区市西街道妇联的《市西街道“巾帼宣讲进万家”的做法》。"
    )
    assert s["next"] == []
    assert summary.title == summary_title(world.campaign, tree.qxg) == "七星关区妇联关于开展维权周活动情况的总结"
    assert summary.to_org == tree.city
    assert summary.appendix["rows"][-1] == ["合计", "4", "125", "100", "1", "1", "1", "1", "2", "1"]


def test_a_sibling_countys_data_is_not_in_the_draft(tree, users, world):
    summary = services.draft_summary(world.campaign, unit=tree.qxg, by=users.qxg_liaison)
    text = "".join(Paragraph.objects.filter(section__summary=summary).values_list("text", flat=True))
    assert "大方" not in text
    assert "大方" not in str(summary.appendix)


def test_a_registered_section_from_another_app_is_drafted_in_its_place(tree, users, world):
    """The hook for contests and care: a provider registered by key and order lands in the draft."""

    @register_section("test_contests", order=55)
    def contests(ctx):
        return DraftSection(heading="比赛情况", paragraphs=[DraftParagraph(f"共收到作品 {3} 件。", {"entries": 3})])

    try:
        summary = services.draft_summary(world.campaign, unit=tree.qxg, by=users.qxg_liaison)
        keys = list(Section.objects.filter(summary=summary).order_by("order").values_list("key", flat=True))
        assert keys == ["overview", "lines", "coverage", "symposiums", "quiz", "test_contests", "reports", "next"]
    finally:
        from jinguo.summaries import sections

        sections._PROVIDERS.pop("test_contests")
    assert "test_contests" not in [r.key for r in registered_sections()]
