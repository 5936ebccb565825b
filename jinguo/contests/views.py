"""Pages of the contests app: set-up, entries, files, redaction checks, 推荐, exports.

Load and check: a contest or entry outside the viewer's scope is a 404 (the scoped managers), one
the viewer sees but may not change is a 403.
"""

from __future__ import annotations

import io

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from jinguo.accounts.rules import has_perm
from jinguo.audit.selectors import history_of
from jinguo.campaigns.models import ActivityLine
from jinguo.contests import selectors, services
from jinguo.contests.forms import ContestForm, EntryForm, ReasonForm, RedactionForm, ReplaceForm
from jinguo.contests.models import Contest, Entry, EntryVersion, Quota
from jinguo.contests.rules import CONTEST_WRITE, is_organiser, may_recommend, may_submit_for
from jinguo.contests.services import ContestError
from jinguo.lib.excel import Caption, xlsx_response
from jinguo.lib.masking import mask_phone
from jinguo.lib.ranges import ranged_file_response
from jinguo.lib.views import int_or_none, page_of, require_viewer_org
from jinguo.orgs.selectors import children_of, orgs_visible_to

PAGE_SIZE = 50


def _contest_for_user(request: HttpRequest, pk: int) -> Contest:
    require_viewer_org(request)
    return get_object_or_404(selectors.contests_visible_to(user=request.user), pk=pk)


def _managed_contest(request: HttpRequest, pk: int) -> Contest:
    contest = _contest_for_user(request, pk)
    if not is_organiser(request.user, contest):
        raise PermissionDenied
    return contest


def _entry_for_user(request: HttpRequest, pk: int) -> Entry:
    """An entry of the viewer's subtree, or of a contest the viewer organises; else 404."""
    require_viewer_org(request)
    return get_object_or_404(
        Entry.objects.visible_to(request.user).select_related(
            "contest__owner", "category", "author_org", "current_version"
        ),
        pk=pk,
    )


def _writable_entry(request: HttpRequest, pk: int) -> Entry:
    entry = _entry_for_user(request, pk)
    if not may_submit_for(request.user, entry.author_org):
        raise PermissionDenied
    return entry


def public_url(request: HttpRequest, contest: Contest) -> str:
    path = reverse("contests_public:submit", kwargs={"key": contest.public_key})
    base = getattr(settings, "QUIZ_PUBLIC_BASE_URL", "")
    return base.rstrip("/") + path if base else request.build_absolute_uri(path)


# ---- contests ---------------------------------------------------------------------------------


@login_required
def contest_list(request: HttpRequest) -> HttpResponse:
    org = require_viewer_org(request)
    qs = selectors.contests_visible_to(user=request.user)
    context = {"page": page_of(request, qs, 20), "can_write": has_perm(request.user, CONTEST_WRITE, at=org)}
    return render(request, "contests/contest_list.html", context)


def _lines_for(request: HttpRequest):
    return ActivityLine.objects.visible_to(request.user).select_related("campaign").order_by("campaign_id", "order")


@login_required
def contest_create(request: HttpRequest) -> HttpResponse:
    org = require_viewer_org(request)
    if not has_perm(request.user, CONTEST_WRITE, at=org):
        raise PermissionDenied
    initial = {"categories": "散文\n诗歌", "declaration_text": Contest._meta.get_field("declaration_text").default}
    form = ContestForm(request.POST or None, lines=_lines_for(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        fields = form.service_fields()
        categories = fields.pop("categories")
        try:
            contest = services.create_contest(owner=org, by=request.user, categories=categories, **fields)
        except ContestError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "已创建赛事（筹备中）。设置好推荐名额后，请“开始征集”。")
            return redirect("contests:detail", pk=contest.pk)
    return render(request, "contests/contest_form.html", {"form": form, "contest": None})


@login_required
def contest_edit(request: HttpRequest, pk: int) -> HttpResponse:
    contest = _managed_contest(request, pk)
    initial = {name: getattr(contest, name) for name in services.CONTEST_FIELDS}
    initial["allowed_media"] = contest.media_kinds
    initial["opens_at"] = timezone.localtime(contest.opens_at)
    initial["closes_at"] = timezone.localtime(contest.closes_at)
    initial["categories"] = "\n".join(c.name for c in contest.categories.all())
    form = ContestForm(request.POST or None, lines=_lines_for(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        fields = form.service_fields()
        categories = fields.pop("categories")
        try:
            services.update_contest(contest, by=request.user, categories=categories, **fields)
        except ContestError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "已保存。")
            return redirect("contests:detail", pk=contest.pk)
    return render(request, "contests/contest_form.html", {"form": form, "contest": contest})


@login_required
def contest_detail(request: HttpRequest, pk: int) -> HttpResponse:
    contest = _contest_for_user(request, pk)
    org = request.user.org
    organiser = is_organiser(request.user, contest)
    quota = selectors.quota_of(contest, org)
    context = {
        "contest": contest,
        "organiser": organiser,
        "categories": list(contest.categories.all()),
        "quota": quota,
        "can_recommend": quota is not None and may_recommend(request.user, org),
        "can_submit": contest.is_open_at(timezone.now()) and may_submit_for(request.user, org),
        "entry_count": selectors.entries_of(contest, user=request.user).count(),
        "public_url": public_url(request, contest) if contest.public_enabled else "",
        "statuses": Contest.Status,
        "history": history_of(contest)[:20] if organiser else [],
    }
    return render(request, "contests/contest_detail.html", context)


@login_required
@require_POST
def contest_set_status(request: HttpRequest, pk: int) -> HttpResponse:
    contest = _managed_contest(request, pk)
    try:
        services.set_contest_status(contest, status=request.POST.get("status", ""), by=request.user)
    except ContestError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"赛事已改为“{contest.get_status_display()}”。")
    return redirect("contests:detail", pk=contest.pk)


@login_required
def contest_qr(request: HttpRequest, pk: int) -> HttpResponse:
    contest = _contest_for_user(request, pk)
    if not contest.public_enabled:
        raise Http404
    buf = io.BytesIO()
    segno.make(public_url(request, contest), error="m").save(buf, kind="png", scale=10, border=2)
    return HttpResponse(buf.getvalue(), content_type="image/png")


@login_required
def quotas(request: HttpRequest, pk: int) -> HttpResponse:
    """The organiser's 名额 per unit directly below it (and any unit given one before)."""
    contest = _managed_contest(request, pk)
    current = {q.org_id: q for q in Quota.objects.filter(contest=contest).select_related("org")}
    units = list(children_of(contest.owner, active_only=True).order_by("path"))
    units += [q.org for q in current.values() if q.org not in units]
    if request.method == "POST":
        wanted, errors = {}, []
        for unit in units:
            raw = request.POST.get(f"quota_{unit.pk}", "").strip()
            if raw == "":
                wanted[unit] = None
            elif raw.isascii() and raw.isdigit() and int(raw) <= 1000:
                wanted[unit] = int(raw)
            else:
                errors.append(f"“{unit.name}”的名额应为 0–1000 的整数")
        if not errors:
            try:
                services.set_quotas(contest, quotas=wanted, by=request.user)
            except ContestError as exc:
                errors.append(exc.message)
            else:
                messages.success(request, "已保存推荐名额。")
                return redirect("contests:detail", pk=contest.pk)
        rows = [(u, request.POST.get(f"quota_{u.pk}", "")) for u in units]
        return render(request, "contests/quotas.html", {"contest": contest, "rows": rows, "errors": errors})
    rows = [(u, current[u.pk].max_entries if u.pk in current else "") for u in units]
    return render(request, "contests/quotas.html", {"contest": contest, "rows": rows, "errors": []})


# ---- entries -----------------------------------------------------------------------------------


@login_required
def entry_list(request: HttpRequest, pk: int) -> HttpResponse:
    contest = _contest_for_user(request, pk)
    filters = {
        "category": int_or_none(request.GET.get("category")),
        "status": request.GET.get("status", ""),
        "q": request.GET.get("q", "").strip(),
    }
    # The units one level below the viewer's own (or the organiser's, for a viewer above it).
    root = request.user.org if request.user.org.is_within(contest.owner) else contest.owner
    units = list(children_of(root).order_by("path"))
    unit = next((u for u in units if u.pk == int_or_none(request.GET.get("unit"))), None)
    qs = selectors.entries_of(contest, user=request.user, org=unit, **filters)
    organiser = is_organiser(request.user, contest)
    context = {
        "contest": contest,
        "page": page_of(request, qs, PAGE_SIZE),
        "filters": filters,
        "units": units,
        "unit": unit,
        "categories": list(contest.categories.all()),
        "statuses": Entry.Status.choices,
        "organiser": organiser,
        "can_submit": contest.is_open_at(timezone.now()) and may_submit_for(request.user, request.user.org),
    }
    return render(request, "contests/entry_list.html", context)


@login_required
def entry_create(request: HttpRequest, pk: int) -> HttpResponse:
    contest = _contest_for_user(request, pk)
    org = request.user.org
    if not may_submit_for(request.user, org):
        raise PermissionDenied
    if not org.is_within(contest.owner):
        raise PermissionDenied  # a unit above the organiser does not submit to it
    orgs = orgs_visible_to(user=request.user).filter(is_active=True).order_by("path")
    form = EntryForm(
        request.POST or None, request.FILES or None, contest=contest, orgs=orgs, initial={"author_org": org}
    )
    if not contest.is_open_at(timezone.now()):
        messages.error(request, "本赛事当前不在征集时间内。")
        return redirect("contests:detail", pk=contest.pk)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            entry = services.submit_entry(
                contest,
                category=data["category"],
                title=data["title"],
                author_name=data["author_name"],
                author_phone=data["author_phone"],
                author_org=data["author_org"],
                declared=data["declared"],
                text=data.get("text", ""),
                upload=data.get("file"),
                by=request.user,
            )
        except ContestError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"已投稿，作品编号 {entry.code}。")
            return redirect("contests:entry_detail", pk=entry.pk)
    return render(request, "contests/entry_form.html", {"form": form, "contest": contest})


@login_required
def entry_detail(request: HttpRequest, pk: int) -> HttpResponse:
    entry = _entry_for_user(request, pk)
    contest = entry.contest
    organiser = is_organiser(request.user, contest)
    now = timezone.now()
    can_write = may_submit_for(request.user, entry.author_org)
    context = {
        "entry": entry,
        "contest": contest,
        "version": entry.current_version,
        "versions": list(entry.versions.order_by("-number")),
        "organiser": organiser,
        "can_change": can_write and entry.status == Entry.Status.SUBMITTED and contest.is_open_at(now),
        "can_disqualify": organiser and entry.status == Entry.Status.SUBMITTED,
        "phone": entry.author_phone if (organiser or can_write) else mask_phone(entry.author_phone),
        "reason_form": ReasonForm(),
        "history": history_of(entry)[:20],
    }
    return render(request, "contests/entry_detail.html", context)


@login_required
def entry_replace(request: HttpRequest, pk: int) -> HttpResponse:
    entry = _writable_entry(request, pk)
    form = ReplaceForm(request.POST or None, request.FILES or None, initial={"title": entry.title})
    if request.method == "POST" and form.is_valid():
        try:
            version = services.replace_entry(
                entry,
                by=request.user,
                text=form.cleaned_data["text"],
                upload=form.cleaned_data["file"],
                title=form.cleaned_data["title"],
            )
        except ContestError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"已更换为第 {version.number} 版，之前的版本仍保留。")
            return redirect("contests:entry_detail", pk=entry.pk)
    return render(request, "contests/entry_replace.html", {"form": form, "entry": entry, "contest": entry.contest})


@login_required
@require_POST
def entry_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    entry = _writable_entry(request, pk)
    try:
        services.withdraw_entry(entry, by=request.user)
    except ContestError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已撤回作品 {entry.code}。")
    return redirect("contests:entry_detail", pk=entry.pk)


@login_required
@require_POST
def entry_disqualify(request: HttpRequest, pk: int) -> HttpResponse:
    entry = _entry_for_user(request, pk)
    if not is_organiser(request.user, entry.contest):
        raise PermissionDenied
    form = ReasonForm(request.POST)
    try:
        services.disqualify_entry(entry, reason=form.data.get("reason", ""), by=request.user)
    except ContestError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已取消作品 {entry.code} 的参赛资格。")
    return redirect("contests:entry_detail", pk=entry.pk)


FILE_KINDS = ("original", "redacted", "thumbnail")


@login_required
def version_file(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """A version's file, through the scope check, with range requests for audio and video."""
    require_viewer_org(request)
    if kind not in FILE_KINDS:
        raise Http404
    version = get_object_or_404(EntryVersion.objects.select_related("entry"), pk=pk)
    if kind == "original":
        stored, content_type = version.file, version.content_type or "application/octet-stream"
    elif kind == "redacted":
        stored, content_type = version.redacted_file, version.content_type or "application/octet-stream"
    else:
        stored, content_type = version.thumbnail, "image/jpeg"
    if not stored:
        raise Http404
    inline = version.media_kind in ("image", "audio", "video") or content_type == "application/pdf"
    filename = version.original_name if kind == "original" else f"{version.entry.code}{_suffix(version)}"
    return ranged_file_response(request, stored, content_type=content_type, filename=filename, attachment=not inline)


def _suffix(version: EntryVersion) -> str:
    name = version.original_name
    return "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""


@login_required
def redaction(request: HttpRequest, pk: int) -> HttpResponse:
    """The organiser checks (and corrects) what judges will read of an entry."""
    entry = _entry_for_user(request, pk)
    if not is_organiser(request.user, entry.contest):
        raise PermissionDenied
    version = entry.current_version
    if version is None:
        raise Http404
    form = RedactionForm(request.POST or None, initial={"redacted_text": version.redacted_text})
    if request.method == "POST" and form.is_valid():
        try:
            services.correct_redaction(version, redacted_text=form.cleaned_data["redacted_text"], by=request.user)
        except ContestError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "已确认评审用正文。")
            return redirect("contests:entry_detail", pk=entry.pk)
    context = {"entry": entry, "contest": entry.contest, "version": version, "form": form}
    return render(request, "contests/redaction.html", context)


# ---- 推荐 ---------------------------------------------------------------------------------------


@login_required
def recommend(request: HttpRequest, pk: int) -> HttpResponse:
    """A unit with a quota reviews its subtree's entries: recommend up to its 名额, or decline."""
    contest = _contest_for_user(request, pk)
    org = request.user.org
    quota = selectors.quota_of(contest, org)
    if quota is None:
        raise Http404
    if not may_recommend(request.user, org):
        raise PermissionDenied
    show = request.GET.get("show", "")
    qs = selectors.with_decision(selectors.recommendable_entries(contest, org=org), org=org, decision=show)
    page = page_of(request, qs, 30)
    decisions = selectors.decisions_by_entry(page.object_list, org=org)
    context = {
        "contest": contest,
        "quota": quota,
        "page": page,
        "rows": [(entry, decisions.get(entry.pk)) for entry in page.object_list],
        "used": selectors.recommended_count(contest, org),
        "show": show,
        "filters": selectors.DECISION_FILTERS,
        "open": contest.status == Contest.Status.OPEN,
    }
    return render(request, "contests/recommend.html", context)


@login_required
@require_POST
def recommend_decide(request: HttpRequest, pk: int) -> HttpResponse:
    entry = _entry_for_user(request, pk)
    org = request.user.org
    if selectors.quota_of(entry.contest, org) is None:
        raise Http404
    if not may_recommend(request.user, org):
        raise PermissionDenied
    recommend_it = request.POST.get("decision") == "recommend"
    try:
        services.decide_recommendation(
            entry, org=org, recommend=recommend_it, reason=request.POST.get("reason", ""), by=request.user
        )
    except ContestError as exc:
        messages.error(request, f"{entry.code}：{exc.message}")
    else:
        messages.success(request, f"{entry.code}：{'已推荐' if recommend_it else '不推荐'}。")
    back = request.POST.get("next", "")
    if not back.startswith(reverse("contests:recommend", args=[entry.contest_id])):
        back = reverse("contests:recommend", args=[entry.contest_id])
    return redirect(f"{back}#entry-{entry.pk}")


@login_required
def recommendation_status(request: HttpRequest, pk: int) -> HttpResponse:
    contest = _managed_contest(request, pk)
    rows = selectors.recommendation_status(contest)
    return render(request, "contests/recommendation_status.html", {"contest": contest, "rows": rows})


# ---- export ------------------------------------------------------------------------------------

EXPORT_HEADER = [
    "作品编号",
    "组别",
    "标题",
    "作者",
    "联系电话",
    "作者单位",
    "来源",
    "汉字数",
    "状态",
    "已推荐",
    "投稿时间",
]


@login_required
def entries_export(request: HttpRequest, pk: int) -> HttpResponse:
    """The entries the viewer sees (the organiser: all; a county: its subtree's), phones in full
    only for those who may change the entries."""
    contest = _contest_for_user(request, pk)
    organiser = is_organiser(request.user, contest)
    full_phones = organiser or may_submit_for(request.user, request.user.org)
    rows = (
        [
            e.code,
            e.category.name,
            e.title,
            e.author_name,
            e.author_phone if full_phones else mask_phone(e.author_phone),
            e.author_org.name,
            e.get_source_display(),
            e.current_version.char_count if e.current_version else 0,
            e.get_status_display(),
            "是" if e.recommended else "",
            timezone.localtime(e.created_at),
        ]
        for e in selectors.entries_of(contest, user=request.user).iterator(chunk_size=500)
    )
    scope = "全部" if organiser else request.user.org.name
    caption = Caption.of(f"{contest.title} · 参赛作品（{scope}）", user=request.user)
    return xlsx_response(f"{contest.title}-参赛作品.xlsx", [("参赛作品", EXPORT_HEADER, rows)], caption=caption)
