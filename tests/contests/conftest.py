"""A city essay contest (散文 / 诗歌) with quotas for 七星关区 and 大方县, and an entry helper."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from jinguo.contests.models import Category, Contest, Entry, EntryVersion, Quota


def make_contest(owner, *, by=None, kind=Contest.Kind.ESSAY, status=Contest.Status.OPEN, **fields) -> Contest:
    now = timezone.now()
    values = {
        "title": "“巾帼心向党 奋进新征程”征文比赛",
        "kind": kind,
        "opens_at": now - dt.timedelta(days=1),
        "closes_at": now + dt.timedelta(days=10),
        "max_chars": 3000,
        "code_prefix": "ZW" if kind == Contest.Kind.ESSAY else "WY",
        "allowed_media": "" if kind == Contest.Kind.ESSAY else "image,audio,video",
        "status": status,
        "created_by": by,
    }
    values.update(fields)
    return Contest.objects.create(owner=owner, **values)


def make_entry(contest, *, org, category=None, author_name="王芳", author_phone="13800138000", text="正文", **fields):
    """An entry with one typed version, written straight to the database (services test themselves)."""
    category = category or contest.categories.first()
    number = (contest.entries.count() or 0) + 1
    entry = Entry.objects.create(
        contest=contest,
        category=category,
        number=number,
        code=f"{contest.code_prefix}-{number:04d}",
        title=fields.pop("title", f"作品{number}"),
        author_name=author_name,
        author_phone=author_phone,
        author_org=org,
        declared_at=timezone.now(),
        **fields,
    )
    version = EntryVersion.objects.create(entry=entry, number=1, text=text, char_count=len(text), redacted_text=text)
    entry.current_version = version
    entry.save(update_fields=["current_version"])
    return entry


@pytest.fixture
def contest(tree, users):
    contest = make_contest(tree.city, by=users.city_admin)
    Category.objects.create(contest=contest, name="散文", order=1)
    Category.objects.create(contest=contest, name="诗歌", order=2)
    Quota.objects.create(contest=contest, org=tree.qxg, max_entries=2)
    Quota.objects.create(contest=contest, org=tree.dafang, max_entries=2)
    return contest
