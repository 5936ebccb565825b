"""The public side of a contest: the submission page at ``/c/<public_key>/`` (no account: name,
phone, the unit picked from the organiser's tree) and its unit search. Both run unscoped (there is
no viewer) and are rate-limited per client address (and per phone for submissions) with the quiz's
limiter; what is submitted ends in the same ``Entry`` as a liaison's, marked 群众投稿."""

from __future__ import annotations

import functools

from django.conf import settings
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from jinguo.contests import services
from jinguo.contests.forms import EntryForm
from jinguo.contests.models import Contest, Entry
from jinguo.contests.services import ContestError
from jinguo.lib.client_ip import client_ip
from jinguo.lib.phones import normalize_phone
from jinguo.lib.scoping import SEGMENT_WIDTH, scopes_disabled
from jinguo.orgs.models import Org
from jinguo.quiz import limits

# Submissions per client address a minute (a village office's NAT is many people) and per
# phone a day (nobody submits more than a few works).
SUBMITS_PER_ADDRESS_PER_MINUTE = 10
SUBMITS_PER_PHONE_PER_DAY = 10


def public(view):
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        with scopes_disabled():  # the public submission page: no viewer, the contest's whole tree
            return view(request, *args, **kwargs)

    return wrapper


def _contest(key: str) -> Contest:
    contest = (
        Contest.objects.select_related("owner")
        .filter(public_key=key, public_enabled=True)
        .exclude(status=Contest.Status.DRAFT)
        .first()
    )
    if contest is None:
        raise Http404
    return contest


def _unit(contest: Contest, raw: str) -> Org | None:
    if not (raw.isascii() and raw.isdigit()):
        return None
    return Org.objects.filter(contest.owner.subtree_q(), pk=int(raw), is_active=True).first()


@public
def submit(request: HttpRequest, key: str) -> HttpResponse:
    contest = _contest(key)
    now = timezone.now()
    form = EntryForm(request.POST or None, request.FILES or None, contest=contest)
    unit = _unit(contest, request.POST.get("unit", "")) if request.method == "POST" else None
    done = None
    if request.method == "POST" and contest.is_open_at(now):
        phone = normalize_phone(request.POST.get("author_phone", ""))
        over = limits.over_limits([(f"contest-submit:ip:{client_ip(request)}", SUBMITS_PER_ADDRESS_PER_MINUTE)])
        over_phone = phone and limits.over_limits(
            [(f"contest-submit:phone:{phone}", SUBMITS_PER_PHONE_PER_DAY)], window=limits.DAY
        )
        if over[0] or (over_phone and over_phone[0]):
            form.is_valid()
            form.add_error(None, "提交过于频繁，请稍后再试")
        elif form.is_valid():
            if unit is None:
                form.add_error(None, "请搜索并选择所在单位")
            else:
                data = form.cleaned_data
                try:
                    done = services.submit_entry(
                        contest,
                        category=data["category"],
                        title=data["title"],
                        author_name=data["author_name"],
                        author_phone=data["author_phone"],
                        author_org=unit,
                        declared=data["declared"],
                        text=data.get("text", ""),
                        upload=data.get("file"),
                        source=Entry.Source.PUBLIC,
                        now=now,
                    )
                except ContestError as exc:
                    form.add_error(None, exc.message)
    context = {
        "contest": contest,
        "form": form,
        "unit": unit,
        "done": done,
        "open": contest.is_open_at(now),
        "not_yet": now < contest.opens_at,
        "units_url": request.path + "units",
    }
    return render(request, "contests/public_submit.html", context, status=200)


@public
@require_GET
def units(request: HttpRequest, key: str) -> JsonResponse:
    """Units an author may pick: children of ``parent`` (default: the organiser's unit), or a
    search by name below it, each with its path under the organiser's unit."""
    contest = _contest(key)
    if limits.over_limits([(f"contest-units:{client_ip(request)}", settings.QUIZ_RATE_UNITS_PER_IP)])[0]:
        return JsonResponse({"error": "请求过于频繁，请稍后再试"}, status=429)
    root = contest.owner
    q = request.GET.get("q", "").strip()[:30]
    parent = request.GET.get("parent", "")
    qs = Org.objects.filter(root.subtree_q(), is_active=True)
    if q:
        qs = qs.filter(name__icontains=q).order_by("depth", "path")[:30]
    else:
        parent_org = root
        if parent.isascii() and parent.isdigit():
            parent_org = qs.filter(pk=int(parent)).first() or root
        qs = qs.filter(parent=parent_org).order_by("path")[:300]
    found = list(qs.annotate(child_count=Count("children")).only("pk", "name", "path"))
    steps = lambda o: range(len(root.path) + SEGMENT_WIDTH, len(o.path), SEGMENT_WIDTH)  # noqa: E731
    names = dict(Org.objects.filter(path__in={o.path[:i] for o in found for i in steps(o)}).values_list("path", "name"))
    data = {
        "root": {"id": root.pk, "name": root.name},
        "units": [
            {
                "id": o.pk,
                "name": o.name,
                "path": " / ".join(names.get(o.path[:i], "") for i in steps(o)),
                "has_children": o.child_count > 0,
            }
            for o in found
        ],
    }
    return JsonResponse(data, json_dumps_params={"ensure_ascii": False})
