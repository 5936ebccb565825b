"""Copy detection's pages, for the contest's organiser only: the pairs found, a pair side by side
with the shared passages marked, the verdict, and the reference corpus.

Load and check: a contest outside the viewer's scope is a 404; one the viewer sees but does not
organise is a 403 — and a 404 for a judge of the contest (a judge must not learn that the pages,
which name authors, exist).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from jinguo.accounts.rules import has_perm
from jinguo.contests import copies, documents, selectors
from jinguo.contests.copies import CopiesError
from jinguo.contests.forms_copies import REFERENCE_MAX_BYTES, ReferenceForm, VerdictForm
from jinguo.contests.models import Contest, Entry, ReferenceText
from jinguo.contests.models_copies import Overlap
from jinguo.contests.rules import CONTEST_WRITE, is_organiser
from jinguo.lib.views import page_of, require_viewer_org

PAGE_SIZE = 50
# A check of 2,000 essays takes ~30 s the first time (docs/benchmarks.md): past this many entries
# the page asks for the command instead of holding a worker past its timeout.
WEB_CHECK_MAX_ENTRIES = 1000


def _require_organiser(user, contest: Contest) -> None:
    if is_organiser(user, contest):
        return
    if copies.is_judge_of(user, contest):
        raise Http404
    raise PermissionDenied


def _organised_contest(request: HttpRequest, pk: int) -> Contest:
    require_viewer_org(request)
    contest = get_object_or_404(selectors.contests_visible_to(user=request.user), pk=pk)
    _require_organiser(request.user, contest)
    return contest


def _organised_overlap(request: HttpRequest, pk: int) -> Overlap:
    require_viewer_org(request)
    overlap = get_object_or_404(
        Overlap.objects.visible_to(request.user).select_related(
            "contest__owner",
            "entry__category",
            "entry__author_org",
            "entry__current_version",
            "other_entry__contest",
            "other_entry__author_org",
            "other_entry__current_version",
            "reference",
        ),
        pk=pk,
    )
    _require_organiser(request.user, overlap.contest)
    return overlap


@login_required
def overlap_list(request: HttpRequest, pk: int) -> HttpResponse:
    contest = _organised_contest(request, pk)
    verdict = request.GET.get("verdict", "")
    page = page_of(request, copies.overlaps_of(contest, user=request.user, verdict=verdict), PAGE_SIZE)
    rows = [(overlap, copies.other_label(overlap)) for overlap in page.object_list]
    counts = copies.verdict_counts(contest, user=request.user)
    return render(
        request,
        "contests/copies/list.html",
        {
            "contest": contest,
            "page": page,
            "rows": rows,
            "verdict": verdict,
            "verdicts": [(value, label, counts[value]) for value, label in Overlap.Verdict.choices],
        },
    )


@login_required
@require_POST
def overlap_check(request: HttpRequest, pk: int) -> HttpResponse:
    contest = _organised_contest(request, pk)
    entries = Entry.objects.filter(contest=contest).exclude(status=Entry.Status.WITHDRAWN).count()
    if entries > WEB_CHECK_MAX_ENTRIES:
        messages.error(
            request,
            f"本赛事有 {entries} 件作品，网页查重可能超时。请系统管理员在服务器上运行 "
            f"manage.py checkcopies {contest.pk}，结果会显示在本页。",
        )
        return redirect("contests:copies", pk=contest.pk)
    try:
        result = copies.check_copies(contest, by=request.user)
    except CopiesError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            f"查重完成：比对 {result.entries} 件作品、往届 {result.earlier_entries} 件、比对文本 {result.references} 篇，"
            f"疑似重复 {result.pairs} 对（新发现 {result.new} 对）。",
        )
    return redirect("contests:copies", pk=contest.pk)


@login_required
def overlap_detail(request: HttpRequest, pk: int) -> HttpResponse:
    overlap = _organised_overlap(request, pk)
    left, right = copies.texts_of(overlap)
    return render(
        request,
        "contests/copies/pair.html",
        {
            "overlap": overlap,
            "contest": overlap.contest,
            "other_label": copies.other_label(overlap),
            "view": copies.side_by_side(left, right),
            "form": VerdictForm(initial={"verdict": overlap.verdict, "note": overlap.note}),
        },
    )


@login_required
@require_POST
def overlap_decide(request: HttpRequest, pk: int) -> HttpResponse:
    overlap = _organised_overlap(request, pk)
    form = VerdictForm(request.POST)
    try:
        copies.decide_overlap(
            overlap, verdict=form.data.get("verdict", ""), note=form.data.get("note", ""), by=request.user
        )
    except CopiesError as exc:
        # The page again, with what was typed, and the reason in Chinese.
        form.is_valid()
        form.add_error(None, str(exc))
        left, right = copies.texts_of(overlap)
        context = {
            "overlap": overlap,
            "contest": overlap.contest,
            "other_label": copies.other_label(overlap),
            "view": copies.side_by_side(left, right),
            "form": form,
        }
        return render(request, "contests/copies/pair.html", context, status=400)
    messages.success(request, f"已记录核查结论：{overlap.get_verdict_display()}。")
    return redirect("contests:copies", pk=overlap.contest_id)


def _uploaded_text(upload) -> str:
    name = (upload.name or "").rsplit("/", 1)[-1]
    if upload.size and upload.size > REFERENCE_MAX_BYTES:
        raise CopiesError(f"“{name}”超过 10 MB")
    data = upload.read(REFERENCE_MAX_BYTES + 1)
    try:
        sniffed = documents.sniff(name, data, allowed=["document"])
        return documents.extract_text(sniffed, data, name)
    except documents.DocumentError as exc:
        raise CopiesError(str(exc)) from None


@login_required
def reference_list(request: HttpRequest, pk: int) -> HttpResponse:
    contest = _organised_contest(request, pk)
    form = ReferenceForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            text = form.cleaned_data["text"]
            if form.cleaned_data.get("file"):
                text = _uploaded_text(form.cleaned_data["file"])
            reference = copies.add_reference(
                contest.owner,
                title=form.cleaned_data["title"],
                text=text,
                source=form.cleaned_data["source"],
                by=request.user,
            )
        except CopiesError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"已加入比对文本库：《{reference.title}》。下次查重时一并比对。")
            return redirect("contests:references", pk=contest.pk)
    references = copies.references_for(contest.owner)
    return render(
        request,
        "contests/copies/references.html",
        {"contest": contest, "form": form, "page": page_of(request, references, PAGE_SIZE)},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def reference_delete(request: HttpRequest, pk: int) -> HttpResponse:
    require_viewer_org(request)
    reference = get_object_or_404(ReferenceText.objects.visible_to(request.user).select_related("owner"), pk=pk)
    if not has_perm(request.user, CONTEST_WRITE, at=reference.owner):
        raise PermissionDenied
    contest = request.POST.get("contest", "")
    copies.delete_reference(reference, by=request.user)
    messages.success(request, f"已从比对文本库删除《{reference.title}》。")
    if contest.isdigit():
        return redirect("contests:references", pk=int(contest))
    return redirect("contests:list")
