"""Judging pages: the organiser's rounds, judges, assignment, progress, closing, results and
exports; the judge's own list and scoring page (staff judges signed in, external judges through
their personal link); the chief judge's outlier flags; the public results page.

Load and check: a contest outside the viewer's subtree is a 404 (scoped manager), one they see but
do not organise a 403. A judge reaches only their own assignments (404 for anything else).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from jinguo.contests import judging, rules, scoring
from jinguo.contests.forms_judging import AWARD_CHOICES, JudgeForm, ReasonForm, RoundForm
from jinguo.contests.judging import JudgingError
from jinguo.contests.models import Assignment, Award, Contest, Judge, Round, Score
from jinguo.lib.excel import Caption, xlsx_response
from jinguo.lib.ranges import ranged_file_response
from jinguo.lib.scoping import scopes_disabled
from jinguo.lib.views import int_or_none, page_of

ENTRY_PAGE_SIZE = 50


# ---------------------------------------------------------------------------------------------
# Loading and checking (organiser)


def _contest_for_organiser(request: HttpRequest, pk: int) -> Contest:
    # Scoped: a contest outside the viewer's subtree (and not shared down to it) is a 404.
    contest = get_object_or_404(Contest.objects.select_related("owner"), pk=pk)
    if not rules.is_organiser(request.user, contest):
        raise PermissionDenied
    return contest


def _round_for_organiser(request: HttpRequest, pk: int) -> Round:
    round_ = get_object_or_404(Round.objects.select_related("contest", "contest__owner"), pk=pk)
    if not rules.is_organiser(request.user, round_.contest):
        raise PermissionDenied
    return round_


def _judge_for_organiser(request: HttpRequest, pk: int) -> Judge:
    # Judges are the organiser's rows: anyone else gets a 404 from the scoped manager.
    judge = get_object_or_404(Judge.objects.select_related("contest", "contest__owner", "user", "org"), pk=pk)
    if not rules.is_organiser(request.user, judge.contest):
        raise PermissionDenied
    return judge


def _back(round_: Round) -> HttpResponse:
    return redirect("contests:round_detail", round_.pk)


# ---------------------------------------------------------------------------------------------
# Rounds and judges (organiser)


@login_required
def judging_setup(request: HttpRequest, contest_pk: int) -> HttpResponse:
    contest = _contest_for_organiser(request, contest_pk)
    rounds = list(contest.rounds.order_by("number"))
    judges = list(contest.judges.select_related("user", "org").prefetch_related("rounds", "conflicts"))
    return render(
        request,
        "contests/judging/setup.html",
        {"contest": contest, "rounds": rounds, "judges": judges, "new_token": request.session.pop("judge_link", None)},
    )


def _round_form_view(request: HttpRequest, contest: Contest, round_: Round | None) -> HttpResponse:
    if request.method == "POST":
        form = RoundForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                round_ = judging.save_round(
                    contest,
                    round_,
                    by=request.user,
                    name=data["name"],
                    judges_per_entry=data["judges_per_entry"],
                    aggregation=data["aggregation"],
                    names_visible=data["names_visible"],
                    peer_scores=data["peer_scores"],
                    advance_rule=data["advance_rule"],
                    advance_value=data["advance_value"],
                    deadline=data["deadline"],
                    criteria=data["criteria"],
                )
            except JudgingError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, f"轮次“{round_.name}”已保存。")
                return redirect("contests:judging_setup", contest.pk)
    elif round_ is not None:
        form = RoundForm(
            initial={
                "name": round_.name,
                "criteria": RoundForm.criteria_text(round_),
                "judges_per_entry": round_.judges_per_entry,
                "aggregation": round_.aggregation,
                "names_visible": round_.names_visible,
                "peer_scores": round_.peer_scores,
                "advance_rule": round_.advance_rule,
                "advance_value": round_.advance_value,
                "deadline": round_.deadline,
            }
        )
    else:
        number = contest.rounds.count() + 1
        form = RoundForm(
            initial={
                "name": {1: "初评", 2: "复评"}.get(number, "终评"),
                "criteria": "内容 50\n结构 25\n语言 25",
                "judges_per_entry": 3,
                "aggregation": Round.Aggregation.TRIMMED,
                "peer_scores": Round.PeerScores.NEVER,
                "advance_rule": Round.AdvanceRule.TOP_N_PER_CATEGORY,
                "advance_value": 10,
            }
        )
    return render(request, "contests/judging/round_form.html", {"contest": contest, "round": round_, "form": form})


@login_required
def round_create(request: HttpRequest, contest_pk: int) -> HttpResponse:
    return _round_form_view(request, _contest_for_organiser(request, contest_pk), None)


@login_required
def round_edit(request: HttpRequest, pk: int) -> HttpResponse:
    round_ = _round_for_organiser(request, pk)
    if round_.status != Round.Status.SETUP:
        messages.info(request, "评审已开始的轮次不能再修改设置。")
        return _back(round_)
    return _round_form_view(request, round_.contest, round_)


def _judge_form_view(request: HttpRequest, contest: Contest, judge: Judge | None) -> HttpResponse:
    if request.method == "POST":
        form = JudgeForm(request.POST, contest=contest)
        if form.is_valid():
            data = form.cleaned_data
            try:
                judging.save_judge(
                    contest,
                    judge,
                    by=request.user,
                    name=data["name"],
                    affiliation=data["affiliation"],
                    user=data["user"],
                    is_chief=data["is_chief"],
                    rounds=data["rounds"],
                    conflicts=data["conflicts"],
                )
            except JudgingError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, "评委已保存。")
                return redirect("contests:judging_setup", contest.pk)
    else:
        initial = {"kind": JudgeForm.KIND_EXTERNAL, "rounds": list(contest.rounds.all())}
        if judge is not None:
            initial = {
                "kind": JudgeForm.KIND_STAFF if judge.user_id else JudgeForm.KIND_EXTERNAL,
                "username": judge.user.username if judge.user_id else "",
                "name": judge.name,
                "affiliation": judge.affiliation,
                "is_chief": judge.is_chief,
                "rounds": list(judge.rounds.all()),
                "conflicts": list(judge.conflicts.all()),
            }
        form = JudgeForm(initial=initial, contest=contest)
    return render(request, "contests/judging/judge_form.html", {"contest": contest, "judge": judge, "form": form})


@login_required
def judge_create(request: HttpRequest, contest_pk: int) -> HttpResponse:
    return _judge_form_view(request, _contest_for_organiser(request, contest_pk), None)


@login_required
def judge_edit(request: HttpRequest, pk: int) -> HttpResponse:
    judge = _judge_for_organiser(request, pk)
    return _judge_form_view(request, judge.contest, judge)


@login_required
@require_POST
def judge_link(request: HttpRequest, pk: int) -> HttpResponse:
    judge = _judge_for_organiser(request, pk)
    try:
        token = judging.issue_judge_link(judge, by=request.user)
    except JudgingError as exc:
        messages.error(request, str(exc))
    else:
        # Shown once, on the next page only: the session carries it there, nothing stores it.
        request.session["judge_link"] = {
            "judge": judge.name,
            "url": request.build_absolute_uri(reverse("contests:ext_home", args=[token])),
        }
    return redirect("contests:judging_setup", judge.contest_id)


@login_required
@require_POST
def judge_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    judge = _judge_for_organiser(request, pk)
    judging.revoke_judge_link(judge, by=request.user)
    messages.success(request, f"{judge.name} 的专用链接已作废。")
    return redirect("contests:judging_setup", judge.contest_id)


# ---------------------------------------------------------------------------------------------
# A round (organiser): assignment, progress, entries, closing, advancing


@login_required
def round_detail(request: HttpRequest, pk: int) -> HttpResponse:
    round_ = _round_for_organiser(request, pk)
    page = page_of(request, judging.round_entries_for_list(round_), ENTRY_PAGE_SIZE)
    lines = judging.entry_lines(round_, list(page))
    advancements = {}
    if round_.status == Round.Status.CLOSED:
        with scopes_disabled():  # the organiser's round
            advancements = {a.entry_id: a for a in round_.advancements.filter(entry__in=[e.entry for e in lines])}
    return render(
        request,
        "contests/judging/round_detail.html",
        {
            "contest": round_.contest,
            "round": round_,
            "progress": judging.progress(round_),
            "page": page,
            "advancements": advancements,
            "rows": [(line, advancements.get(line.entry.pk)) for line in lines],
            "criteria": judging.rubric(round_),
            "total_entries": page.paginator.count,
        },
    )


def _run(request: HttpRequest, round_: Round, action, success: str) -> HttpResponse:
    try:
        result = action()
    except JudgingError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, success.format(result=result))
    return _back(round_)


@login_required
@require_POST
def round_assign(request: HttpRequest, pk: int) -> HttpResponse:
    round_ = _round_for_organiser(request, pk)
    return _run(
        request, round_, lambda: judging.assign_round(round_, by=request.user), "已自动分配 {result} 份评审任务。"
    )


@login_required
@require_POST
def round_open(request: HttpRequest, pk: int) -> HttpResponse:
    round_ = _round_for_organiser(request, pk)
    return _run(
        request,
        round_,
        lambda: judging.open_round(round_, by=request.user),
        "评审已开始，已通知 {result} 位工作人员评委。",
    )


@login_required
@require_POST
def round_remind(request: HttpRequest, pk: int) -> HttpResponse:
    round_ = _round_for_organiser(request, pk)
    return _run(
        request, round_, lambda: judging.remind_judges(round_, by=request.user), "已提醒 {result} 位未完成的评委。"
    )


@login_required
@require_POST
def round_close(request: HttpRequest, pk: int) -> HttpResponse:
    round_ = _round_for_organiser(request, pk)
    return _run(
        request,
        round_,
        lambda: len(judging.close_round(round_, by=request.user)),
        "本轮已结束，{result} 件作品已排名，请确认晋级名单。",
    )


@login_required
@require_POST
def round_advance(request: HttpRequest, pk: int) -> HttpResponse:
    round_ = _round_for_organiser(request, pk)
    # The page shows one page of entries: those not on it keep what they have.
    shown = {int_or_none(v) for v in request.POST.getlist("shown")} - {None}
    chosen = {int_or_none(v) for v in request.POST.getlist("advanced")} - {None}
    with scopes_disabled():  # the organiser's round
        kept = set(
            round_.advancements.filter(advanced=True).exclude(entry_id__in=shown).values_list("entry_id", flat=True)
        )
    chosen = (chosen & shown) | kept
    return _run(
        request,
        round_,
        lambda: judging.confirm_advancement(
            round_, by=request.user, advanced=chosen, reason=request.POST.get("reason", "")
        ),
        "晋级名单已确认。",
    )


@login_required
def round_entry(request: HttpRequest, pk: int, entry_pk: int) -> HttpResponse:
    """One entry's judges in a round, each with their score, and a swap form."""
    round_ = _round_for_organiser(request, pk)
    with scopes_disabled():  # the organiser's round: the entry may come from any unit
        assignments = list(
            Assignment.objects.filter(round=round_, entry_id=entry_pk).select_related("judge", "entry", "score")
        )
        if not assignments:
            raise Http404
        judges = list(round_.judges.order_by("id"))
    entry = assignments[0].entry
    if request.method == "POST":
        assignment = next((a for a in assignments if a.pk == int_or_none(request.POST.get("assignment"))), None)
        to = next((j for j in judges if j.pk == int_or_none(request.POST.get("to"))), None)
        if assignment is None or to is None:
            messages.error(request, "请选择要更换的评委和新评委。")
        else:
            try:
                judging.swap_judge(assignment, to=to, by=request.user, reason=request.POST.get("reason", ""))
            except JudgingError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, f"已将 {entry.code} 改由 {to.name} 评审。")
                return redirect("contests:round_entry", round_.pk, entry.pk)
    flagged = judging.outlier_flags(round_)
    return render(
        request,
        "contests/judging/round_entry.html",
        {
            "contest": round_.contest,
            "round": round_,
            "entry": entry,
            "assignments": [(a, getattr(a, "score", None), (entry.pk, a.judge_id) in flagged) for a in assignments],
            "others": [j for j in judges if j.pk not in {a.judge_id for a in assignments}],
        },
    )


@login_required
def round_matrix_export(request: HttpRequest, pk: int) -> HttpResponse:
    round_ = _round_for_organiser(request, pk)
    header, rows = judging.score_matrix(round_)
    caption = Caption.of(f"{round_.contest.title} · {round_.name} · 评分明细", user=request.user)
    return xlsx_response(
        f"{round_.contest.title}-{round_.name}-评分明细.xlsx", [("评分明细", header, rows)], caption=caption
    )


# ---------------------------------------------------------------------------------------------
# Results and awards (organiser), public results


@login_required
def results(request: HttpRequest, contest_pk: int) -> HttpResponse:
    contest = _contest_for_organiser(request, contest_pk)
    last = judging.final_round(contest)
    with scopes_disabled():  # the organiser's contest: entries of every unit
        awards = {
            a.entry_id: a
            for a in Award.objects.filter(contest=contest).select_related("entry", "entry__author_org", "category")
        }
        ranking = (
            list(
                last.advancements.filter(rank__isnull=False)
                .select_related("entry", "entry__category", "entry__author_org")
                .order_by("entry__category__order", "entry__category_id", "rank", "entry__code")
            )
            if last
            else []
        )
    return render(
        request,
        "contests/judging/results.html",
        {
            "contest": contest,
            "final_round": last,
            "ranking": [(a, awards.get(a.entry_id)) for a in ranking],
            "has_awards": bool(awards),
            "confirmed": any(a.confirmed_at for a in awards.values()),
            "award_choices": AWARD_CHOICES,
            "quota_fields": [
                (f"quota_{level}", label, dict(scoring.DEFAULT_QUOTAS)[level]) for level, label in Award.Level.choices
            ],
            "organisations": _organisation_rows(contest),
        },
    )


@dataclass(frozen=True)
class OrganisationRow:
    name: str
    submitted: int
    recommended: int
    points: int
    rank: int
    proposed: bool


def _organisation_rows(contest: Contest) -> list[OrganisationRow]:
    from jinguo.orgs.models import Org

    proposals = judging.organisation_tallies(contest)
    with scopes_disabled():  # the units directly below the organiser, named for its results page
        names = dict(Org.objects.filter(pk__in=[p.unit for p in proposals]).values_list("pk", "name"))
    return [OrganisationRow(names[p.unit], p.submitted, p.recommended, p.points, p.rank, p.proposed) for p in proposals]


@login_required
@require_POST
def awards_propose(request: HttpRequest, contest_pk: int) -> HttpResponse:
    contest = _contest_for_organiser(request, contest_pk)
    quotas = []
    for level, default in scoring.DEFAULT_QUOTAS:
        text = request.POST.get(f"quota_{level}", "").strip()
        number = int_or_none(text)
        if text and (number is None or number > 999):
            messages.error(request, "名额请填写 0 到 999 的整数（优秀奖留空表示其余排名作品全部获奖）。")
            return redirect("contests:results", contest.pk)
        # Left empty: the default (2 / 5 / 8), and for 优秀奖 every remaining ranked entry.
        quotas.append((level, number if text else default))
    try:
        awards = judging.propose_contest_awards(contest, by=request.user, quotas=quotas)
    except JudgingError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"已按名额生成 {len(awards)} 个获奖建议，请核对后确认。")
    return redirect("contests:results", contest.pk)


@login_required
@require_POST
def awards_confirm(request: HttpRequest, contest_pk: int) -> HttpResponse:
    contest = _contest_for_organiser(request, contest_pk)
    overrides = {}
    for key, level in request.POST.items():
        entry_pk = int_or_none(key.removeprefix("level_")) if key.startswith("level_") else None
        if entry_pk is not None:
            overrides[entry_pk] = (level, request.POST.get(f"reason_{entry_pk}", ""))
    with scopes_disabled():  # the organiser's contest
        current = dict(Award.objects.filter(contest=contest).values_list("entry_id", "level"))
    overrides = {pk: value for pk, value in overrides.items() if current.get(pk) != value[0]}
    try:
        judging.confirm_awards(contest, by=request.user, overrides=overrides)
    except JudgingError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, "获奖名单已确认。" + (f"其中 {len(overrides)} 项调整已记录理由。" if overrides else "")
        )
    return redirect("contests:results", contest.pk)


@login_required
@require_POST
def results_publish(request: HttpRequest, contest_pk: int) -> HttpResponse:
    contest = _contest_for_organiser(request, contest_pk)
    try:
        judging.publish_results(contest, by=request.user)
    except JudgingError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "评选结果已公布。")
    return redirect("contests:results", contest.pk)


RESULTS_HEADER = ["组别", "名次", "作品编号", "标题", "作者", "单位", "得分", "建议奖项", "奖项", "调整理由"]


@login_required
def results_export(request: HttpRequest, contest_pk: int) -> HttpResponse:
    contest = _contest_for_organiser(request, contest_pk)
    last = judging.final_round(contest)
    labels = dict(Award.Level.choices)
    rows = []
    if last is not None:
        with scopes_disabled():  # the organiser's export of their contest
            awards = {a.entry_id: a for a in Award.objects.filter(contest=contest)}
            ranking = (
                last.advancements.filter(rank__isnull=False)
                .select_related("entry", "entry__category", "entry__author_org")
                .order_by("entry__category__order", "entry__category_id", "rank", "entry__code")
            )
            for a in ranking:
                award = awards.get(a.entry_id)
                rows.append(
                    [
                        a.entry.category.name,
                        a.rank,
                        a.entry.code,
                        a.entry.title,
                        a.entry.author_name,
                        a.entry.author_org.name,
                        float(a.score),
                        str(labels.get(award.proposed_level, "")) if award else "",
                        str(labels.get(award.level, "")) if award else "",
                        award.override_reason if award else "",
                    ]
                )
    caption = Caption.of(f"{contest.title} · 评选结果", user=request.user)
    return xlsx_response(f"{contest.title}-评选结果.xlsx", [("评选结果", RESULTS_HEADER, rows)], caption=caption)


def public_results(request: HttpRequest, public_key: str) -> HttpResponse:
    """The published results: winners' names and units only (no phones, scores or judges)."""
    with scopes_disabled():  # the public page of a contest, found by its unguessable key
        contest = Contest.objects.filter(public_key=public_key, results_published_at__isnull=False).first()
    if contest is None:
        raise Http404
    awards = judging.awards_of(contest, published_only=True)
    return render(request, "contests/judging/public_results.html", {"contest": contest, "awards": awards})


# ---------------------------------------------------------------------------------------------
# The judge's pages: staff judges signed in (``judge/<pk>/``), external ones by link (``j/<token>/``)


@dataclass(frozen=True)
class JudgeAccess:
    judge: Judge
    token: str = ""

    def url(self, name: str, *args) -> str:
        if self.token:
            return reverse(f"contests:ext_{name}", args=[self.token, *args])
        return reverse(f"contests:judge_{name}", args=[self.judge.pk, *args])


def judge_view(view):
    """Resolves the judge from the signed-in user (``judge_pk``) or from the link (``token``);
    anything else is a 404, so a link or id that is not yours reveals nothing."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, judge_pk: int | None = None, token: str = "", **kwargs):
        if token:
            judge = judging.judge_for_token(token)
        elif request.user.is_authenticated:
            judge = judging.judge_of_user(request.user, judge_pk)
        else:
            return redirect(f"{reverse('accounts:login')}?next={request.path}")
        if judge is None:
            raise Http404
        return view(request, JudgeAccess(judge, token), *args, **kwargs)

    return wrapper


@login_required
def judging_home(request: HttpRequest) -> HttpResponse:
    """A staff user's judgeships; with one, straight to its list."""
    judgeships = judging.judgeships_of(request.user)
    if len(judgeships) == 1:
        return redirect("contests:judge_home", judgeships[0].pk)
    return render(request, "contests/judging/judging_home.html", {"judgeships": judgeships})


@judge_view
def judge_home(request: HttpRequest, access: JudgeAccess) -> HttpResponse:
    assignments = judging.judge_assignments(access.judge)
    rows = [(a, access.url("score", a.pk)) for a in assignments]
    return render(
        request,
        "contests/judging/judge_home.html",
        {
            "access": access,
            "judge": access.judge,
            "contest": access.judge.contest,
            "rows": rows,
            "done": sum(1 for a in assignments if _submitted(a)),
            "flags_url": access.url("flags") if access.judge.is_chief else "",
        },
    )


def _submitted(assignment: Assignment) -> bool:
    score = getattr(assignment, "score", None)
    return score is not None and score.status == Score.Status.SUBMITTED


@judge_view
def judge_score(request: HttpRequest, access: JudgeAccess, pk: int) -> HttpResponse:
    assignment = judging.assignment_of_judge(access.judge, pk)
    if assignment is None:
        raise Http404
    round_ = assignment.round
    criteria = judging.rubric(round_)
    score = judging.own_score(assignment)
    typed = None
    error = ""
    if request.method == "POST":
        typed = request.POST
        submit = "submit" in request.POST
        try:
            points = judging.parse_points(request.POST, criteria)
            score = judging.save_score(
                assignment, judge=access.judge, points=points, comment=request.POST.get("comment", ""), submit=submit
            )
        except JudgingError as exc:
            error = str(exc)
        else:
            messages.success(request, "评分已提交。" if submit else "草稿已保存。")
            if submit:
                following = _next_unscored(access, assignment)
                return redirect(following or access.url("home"))
            return redirect(access.url("score", assignment.pk))
    values = {}
    for c in criteria:
        if typed is not None:
            values[c.id] = typed.get(f"points_{c.id}", "")
        elif score is not None and str(c.id) in score.points:
            values[c.id] = f"{score.points[str(c.id)]:g}"
        else:
            values[c.id] = ""
    locked = score is not None and score.status == Score.Status.SUBMITTED
    show_peers = judging.peer_scores_allowed(assignment, score)
    version = assignment.entry.current_version
    return render(
        request,
        "contests/judging/judge_score.html",
        {
            "access": access,
            "judge": access.judge,
            "contest": round_.contest,
            "round": round_,
            "assignment": assignment,
            "entry": assignment.entry,
            "version": version,
            "names_visible": round_.names_visible,
            "author_org": _author_org_name(assignment) if round_.names_visible else "",
            "fields": [(c, values[c.id]) for c in criteria],
            "comment": typed.get("comment", "") if typed is not None else (score.comment if score else ""),
            "score": score,
            "locked": locked,
            "editable": not locked and round_.status == Round.Status.OPEN,
            "error": error,
            "peers": judging.peer_scores(assignment) if show_peers else None,
            "home_url": access.url("home"),
            "action_url": access.url("score", assignment.pk),
            "file_url": access.url("file", assignment.pk)
            if version and (version.redacted_file or version.media_kind in ("image", "audio", "video"))
            else "",
        },
    )


def _author_org_name(assignment: Assignment) -> str:
    with scopes_disabled():  # shown to the judge only when the round makes names visible
        return assignment.entry.author_org.name


def _next_unscored(access: JudgeAccess, current: Assignment) -> str:
    for a in judging.judge_assignments(access.judge, current.round):
        if a.pk != current.pk and not _submitted(a) and a.round.status == Round.Status.OPEN:
            return access.url("score", a.pk)
    return ""


@judge_view
def judge_file(request: HttpRequest, access: JudgeAccess, pk: int) -> HttpResponse:
    """The judges' copy of an assigned entry's file, named by its code: the redacted document, or a
    picture (stored re-encoded without metadata), audio or video, streamed with range requests."""
    assignment = judging.assignment_of_judge(access.judge, pk)
    version = assignment.entry.current_version if assignment else None
    if version is None:
        raise Http404
    if version.redacted_file:
        stored = version.redacted_file
    elif version.media_kind in ("image", "audio", "video"):
        stored = version.file
    else:
        raise Http404  # a document with no clean copy: the judge reads its redacted text
    inline = version.media_kind in ("image", "audio", "video") or version.content_type == "application/pdf"
    suffix = "." + stored.name.rsplit(".", 1)[-1] if "." in stored.name else ""
    return ranged_file_response(
        request,
        stored,
        content_type=version.content_type or "application/octet-stream",
        filename=f"{assignment.entry.code}{suffix}",
        attachment=not inline,
    )


@judge_view
def judge_flags(request: HttpRequest, access: JudgeAccess) -> HttpResponse:
    """The chief judge's view of outliers in the open rounds, with the unlock form."""
    judge = access.judge
    if not judge.is_chief:
        raise Http404
    with scopes_disabled():  # the chief judge reads the scores of their own contest
        rounds = list(Round.objects.filter(contest=judge.contest, status=Round.Status.OPEN).order_by("number"))
        flagged_rows = []
        for round_ in rounds:
            flags = judging.outlier_flags(round_)
            if not flags:
                continue
            entry_pks = {e for e, _ in flags}
            scores = (
                Score.objects.filter(assignment__round=round_, assignment__entry_id__in=entry_pks)
                .select_related("assignment__entry", "assignment__judge")
                .order_by("assignment__entry__number", "assignment__judge_id")
            )
            for s in scores:
                flagged_rows.append((round_, s, (s.assignment.entry_id, s.assignment.judge_id) in flags))
        submitted = list(
            Score.objects.filter(assignment__round__in=rounds, status=Score.Status.SUBMITTED)
            .select_related("assignment__entry", "assignment__judge")
            .order_by("assignment__entry__number", "assignment__judge_id")
        )
    return render(
        request,
        "contests/judging/judge_flags.html",
        {
            "access": access,
            "judge": judge,
            "contest": judge.contest,
            "flagged_rows": flagged_rows,
            "submitted": [(s, access.url("unlock", s.pk)) for s in submitted],
            "home_url": access.url("home"),
            "form": ReasonForm(),
        },
    )


@require_POST
@judge_view
def judge_unlock(request: HttpRequest, access: JudgeAccess, pk: int) -> HttpResponse:
    judge = access.judge
    if not judge.is_chief:
        raise Http404
    with scopes_disabled():  # the chief judge acts on a score of their own contest only
        score = (
            Score.objects.filter(pk=pk, assignment__round__contest=judge.contest)
            .select_related("assignment__round__contest__owner", "assignment__entry")
            .first()
        )
    if score is None:
        raise Http404
    try:
        judging.unlock_score(score, chief=judge, reason=request.POST.get("reason", ""))
    except JudgingError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{score.assignment.entry.code} 的评分已解锁，评委可重新修改后提交。")
    return redirect(access.url("flags"))
