"""Demo data of copy detection: a reference text in the city's corpus (a published essay that one
demo entry leans on) and the essay contest checked once, so that its two planted copies are on the
organiser's page from the start. Called by ``loaddemo`` after the contests are loaded."""

from __future__ import annotations

from jinguo.accounts.models import User
from jinguo.contests import copies
from jinguo.contests.models import Contest, Entry


def load_demo_copies() -> None:
    contest = Contest.objects.filter(kind=Contest.Kind.ESSAY).order_by("pk").first()
    if contest is None:
        return
    admin = User.objects.filter(org=contest.owner, is_active=True).order_by("pk").first()
    # A "published" text: most of one entry, as if its author had leaned on an article in the paper.
    entry = Entry.objects.filter(contest=contest).order_by("-number").exclude(current_version=None)[5]
    paragraphs = entry.current_version.text.split("\n")
    published = "\n".join(paragraphs[: max(2, len(paragraphs) * 2 // 3)])
    copies.add_reference(
        contest.owner,
        title="乌蒙山里的“娘家人”（《毕节日报》2022 年 3 月 8 日）",
        text=published,
        source="《毕节日报》2022 年 3 月 8 日第 3 版",
        by=admin,
    )
    copies.check_copies(contest, by=admin)
