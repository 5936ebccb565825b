"""Organiser pages: question banks, quizzes, results, per-unit participation and exports."""

from __future__ import annotations

from functools import partial

import segno
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
from jinguo.lib.excel import Caption, xlsx_response
from jinguo.lib.importflow import ImportFlow
from jinguo.lib.masking import mask_phone
from jinguo.lib.views import page_of, require_viewer_org
from jinguo.orgs.models import Org
from jinguo.orgs.selectors import ancestors_of
from jinguo.quiz import importing, public, ranking, selectors, services
from jinguo.quiz.forms import BankForm, ImportForm, QuestionForm, QuizForm, posted_rules
from jinguo.quiz.models import Difficulty, Kind, Question, QuestionBank, Quiz, Topic
from jinguo.quiz.rules import BANK_WRITE, QUIZ_WRITE, RESULT_READ, is_organiser
from jinguo.quiz.services import QuizError

PAGE_SIZE = 50
IMPORTS = ImportFlow("quiz")  # a question bank's import: the kept upload is tagged with the bank


def _bank_for_user(request: HttpRequest, pk: int) -> QuestionBank:
    require_viewer_org(request)
    return get_object_or_404(QuestionBank.objects.select_related("owner"), pk=pk)


def _writable_bank(request: HttpRequest, pk: int) -> QuestionBank:
    bank = _bank_for_user(request, pk)
    if not has_perm(request.user, BANK_WRITE, at=bank.owner):
        raise PermissionDenied
    return bank


def _quiz_for_user(request: HttpRequest, pk: int) -> Quiz:
    """A quiz of the viewer's subtree, or a published one that units of it take part in; else 404."""
    require_viewer_org(request)
    quiz = get_object_or_404(selectors.quizzes_visible_to(user=request.user), pk=pk)
    if not has_perm(request.user, RESULT_READ, at=request.user.org):
        raise PermissionDenied
    return quiz


def _managed_quiz(request: HttpRequest, pk: int) -> Quiz:
    quiz = _quiz_for_user(request, pk)
    if not is_organiser(request.user, quiz):
        raise PermissionDenied
    return quiz


def _public_url(request: HttpRequest, quiz: Quiz) -> str:
    return public.public_url(request, quiz.slug)


# ---- banks and questions --------------------------------------------------------------------


@login_required
def bank_list(request: HttpRequest) -> HttpResponse:
    org = require_viewer_org(request)
    page = page_of(request, selectors.banks_visible_to(user=request.user).order_by("-created_at", "-id"), 20)
    can_write = has_perm(request.user, BANK_WRITE, at=org)
    return render(request, "quiz/bank_list.html", {"page": page, "can_write": can_write})


@login_required
def bank_create(request: HttpRequest) -> HttpResponse:
    org = require_viewer_org(request)
    if not has_perm(request.user, BANK_WRITE, at=org):
        raise PermissionDenied
    form = BankForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        bank = services.create_bank(owner=org, by=request.user, **form.cleaned_data)
        messages.success(request, f"已新建题库“{bank.name}”，可以逐题添加或批量导入试题。")
        return redirect("quiz:bank_detail", pk=bank.pk)
    return render(request, "quiz/bank_form.html", {"form": form, "bank": None})


@login_required
def bank_edit(request: HttpRequest, pk: int) -> HttpResponse:
    bank = _writable_bank(request, pk)
    form = BankForm(request.POST or None, initial={"name": bank.name, "description": bank.description})
    if request.method == "POST" and form.is_valid():
        services.update_bank(bank, by=request.user, **form.cleaned_data)
        messages.success(request, "已保存。")
        return redirect("quiz:bank_detail", pk=bank.pk)
    return render(request, "quiz/bank_form.html", {"form": form, "bank": bank})


def _choice(value: str, choices) -> str:
    return value if value in choices else ""


@login_required
def bank_detail(request: HttpRequest, pk: int) -> HttpResponse:
    bank = _bank_for_user(request, pk)
    filters = {
        "q": request.GET.get("q", "").strip(),
        "topic": _choice(request.GET.get("topic", ""), Topic.values),
        "kind": _choice(request.GET.get("kind", ""), Kind.values),
        "difficulty": _choice(request.GET.get("difficulty", ""), Difficulty.values),
        "status": _choice(request.GET.get("status", ""), ("inactive", "all")),
    }
    page = page_of(request, selectors.questions_of(bank, **filters), 30)
    context = {
        "bank": bank,
        "page": page,
        "filters": filters,
        "filtered": any(filters.values()),
        "topics": Topic.choices,
        "kinds": Kind.choices,
        "difficulties": Difficulty.choices,
        "can_write": has_perm(request.user, BANK_WRITE, at=bank.owner),
        "total": bank.questions.filter(is_active=True).count(),
    }
    return render(request, "quiz/bank_detail.html", context)


@login_required
def question_create(request: HttpRequest, pk: int) -> HttpResponse:
    bank = _writable_bank(request, pk)
    form = QuestionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_question(bank, by=request.user, **form.service_fields())
        except QuizError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "已添加试题。")
            if "add_another" in request.POST:
                return redirect("quiz:question_create", pk=bank.pk)
            return redirect("quiz:bank_detail", pk=bank.pk)
    return render(request, "quiz/question_form.html", {"form": form, "bank": bank, "question": None})


def _writable_question(request: HttpRequest, pk: int) -> Question:
    require_viewer_org(request)
    question = get_object_or_404(Question.objects.select_related("bank__owner"), pk=pk)
    if not has_perm(request.user, BANK_WRITE, at=question.bank.owner):
        raise PermissionDenied
    return question


@login_required
def question_edit(request: HttpRequest, pk: int) -> HttpResponse:
    question = _writable_question(request, pk)
    options = list(question.options) + [""] * 5
    initial = {
        "kind": question.kind,
        "topic": question.topic,
        "difficulty": question.difficulty,
        "stem": question.stem,
        "answer": question.answer_display,
        "explanation": question.explanation,
        "source": question.source,
        "basis": question.basis,
        **{f"option_{c}": options[i] for i, c in enumerate("abcde")},
    }
    form = QuestionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_question(question.bank, by=request.user, question=question, **form.service_fields())
        except QuizError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "已保存试题。")
            return redirect("quiz:bank_detail", pk=question.bank_id)
    context = {"form": form, "bank": question.bank, "question": question, "history": history_of(question)[:20]}
    return render(request, "quiz/question_form.html", context)


@login_required
@require_POST
def question_set_active(request: HttpRequest, pk: int, active: bool) -> HttpResponse:
    question = _writable_question(request, pk)
    services.set_question_active(question, active=active, by=request.user)
    messages.success(request, "已启用试题。" if active else "已停用试题：之后的试卷不会再抽到它。")
    return redirect("quiz:bank_detail", pk=question.bank_id)


@login_required
def bank_export(request: HttpRequest, pk: int) -> HttpResponse:
    bank = _bank_for_user(request, pk)
    rows = (importing.question_row(q) for q in Question.objects.filter(bank=bank, is_active=True).order_by("id"))
    caption = Caption.of(f"题库 · {bank.name}", user=request.user)
    return xlsx_response(f"题库-{bank.name}.xlsx", [("试题", importing.HEADER, rows)], caption=caption)


@login_required
def import_template(request: HttpRequest) -> HttpResponse:
    require_viewer_org(request)
    examples = [
        [
            "单选",
            "示例：国家采取必要措施，促进男女平等，消除对妇女一切形式的歧视，禁止排斥、限制妇女依法享有和行使各项权益。这一规定出自哪部法律？",
            "《民法典》",
            "《妇女权益保障法》",
            "《反家庭暴力法》",
            "",
            "",
            "B",
            "见《妇女权益保障法》第二条。",
            "《妇女权益保障法》第二条",
            "妇女权益保障法",
            "易",
            "国家采取必要措施，促进男女平等，消除对妇女一切形式的歧视，禁止排斥、限制妇女依法享有和行使各项权益。",
        ],
        [
            "多选",
            "示例：（请替换）下列哪些属于……？",
            "选项一",
            "选项二",
            "选项三",
            "选项四",
            "",
            "ACD",
            "解析（可不填）",
            "《反家庭暴力法》第二条",
            "反家庭暴力法",
            "中",
            "法条原文",
        ],
        [
            "判断",
            "示例：（请替换）……。",
            "",
            "",
            "",
            "",
            "",
            "正确",
            "",
            "《家庭教育促进法》第十四条",
            "家庭教育促进法",
            "易",
            "法条原文",
        ],
    ]
    notes = [
        ["题型", "单选、多选、判断"],
        ["题干", "必填；同一题库中不能重复。"],
        ["选项A–E", "选择题至少填 A、B，从 A 开始连续填写；判断题不填（固定为“正确”“错误”）。"],
        [
            "答案",
            "单选填一个字母，如 B；多选填两个以上字母，如 ACD（顺序不限，可用顿号、逗号分隔）；判断题填“正确”或“错误”。",
        ],
        ["解析", "可不填；交卷后显示给答题人。"],
        ["出处", "如：《妇女权益保障法》第四十五条"],
        ["主题", "、".join(str(label) for label in Topic.labels)],
        ["难度", "易、中、难（不填为“中”）"],
        ["依据", "法条原文，交卷后与解析一起显示。"],
    ]
    return xlsx_response(
        "试题导入模板.xlsx", [("试题", importing.HEADER, examples), ("填写说明", ["列", "说明"], notes)]
    )


@login_required
def import_upload(request: HttpRequest, pk: int) -> HttpResponse:
    bank = _writable_bank(request, pk)
    form = ImportForm(request.POST or None, request.FILES or None)
    if token := IMPORTS.upload(request, form, tag=str(bank.pk)):
        return redirect("quiz:import_preview", pk=bank.pk, token=token)
    return render(request, "quiz/import_upload.html", {"form": form, "bank": bank})


@login_required
def import_preview(request: HttpRequest, pk: int, token: str) -> HttpResponse:
    """GET: the dry run of the kept upload. POST: import it for real."""
    bank = _writable_bank(request, pk)
    run = IMPORTS.run(request, token, partial(importing.import_questions, bank, by=request.user), tag=str(bank.pk))
    if run is None:
        return redirect("quiz:import", pk=bank.pk)
    if run.written:
        messages.success(request, f"已导入 {len(run.result.created)} 道试题。")
        return redirect("quiz:bank_detail", pk=bank.pk)
    context = run.preview_context(created=run.result.created) | {"bank": bank}
    return render(request, "quiz/import_preview.html", context)


# ---- quizzes --------------------------------------------------------------------------------


@login_required
def quiz_list(request: HttpRequest) -> HttpResponse:
    org = require_viewer_org(request)
    q = request.GET.get("q", "").strip()
    qs = selectors.quizzes_visible_to(user=request.user)
    if q:
        qs = qs.filter(title__icontains=q)
    context = {"page": page_of(request, qs, 20), "q": q, "can_write": has_perm(request.user, QUIZ_WRITE, at=org)}
    context["now"] = timezone.now()
    return render(request, "quiz/quiz_list.html", context)


def _quiz_form_context(form: QuizForm, quiz: Quiz | None) -> dict:
    rules = form.rules or [{"topic": "", "kind": "single", "difficulty": "", "count": 10}]
    return {
        "form": form,
        "quiz": quiz,
        "rules": rules,
        "topics": Topic.choices,
        "kinds": Kind.choices,
        "difficulties": Difficulty.choices,
    }


def _save_quiz(request: HttpRequest, form: QuizForm, quiz: Quiz | None) -> Quiz | None:
    rules, errors = posted_rules(request.POST)
    form.rules, form.rule_errors = rules, errors
    if not form.is_valid():
        return None
    fields = {k: form.cleaned_data[k] for k in services.QUIZ_FIELDS if k != "paper_rules"}
    try:
        if quiz is None:
            return services.create_quiz(owner=request.user.org, by=request.user, paper_rules=rules, **fields)
        services.update_quiz(quiz, by=request.user, paper_rules=rules, **fields)
        return quiz
    except QuizError as exc:
        form.add_error(None, exc.message)
        return None


@login_required
def quiz_create(request: HttpRequest) -> HttpResponse:
    org = require_viewer_org(request)
    if not has_perm(request.user, QUIZ_WRITE, at=org):
        raise PermissionDenied
    banks = QuestionBank.objects.all()
    form = QuizForm(request.POST or None, banks=banks)
    if request.method == "POST":
        quiz = _save_quiz(request, form, None)
        if quiz is not None:
            messages.success(request, "已创建竞赛（未发布）。检查无误后请发布，再分享链接或二维码。")
            return redirect("quiz:detail", pk=quiz.pk)
    return render(request, "quiz/quiz_form.html", _quiz_form_context(form, None))


@login_required
def quiz_edit(request: HttpRequest, pk: int) -> HttpResponse:
    quiz = _managed_quiz(request, pk)
    initial = {name: getattr(quiz, name) for name in services.QUIZ_FIELDS if name != "paper_rules"}
    initial["opens_at"] = timezone.localtime(quiz.opens_at)
    initial["closes_at"] = timezone.localtime(quiz.closes_at)
    banks = QuestionBank.objects.all()
    form = QuizForm(request.POST or None, banks=banks, initial=initial, rules=quiz.paper_rules)
    if request.method == "POST" and _save_quiz(request, form, quiz) is not None:
        messages.success(request, "已保存。新开始的答卷按新设置组卷，已开始的答卷不受影响。")
        return redirect("quiz:detail", pk=quiz.pk)
    return render(request, "quiz/quiz_form.html", _quiz_form_context(form, quiz))


@login_required
def quiz_detail(request: HttpRequest, pk: int) -> HttpResponse:
    quiz = _quiz_for_user(request, pk)
    organiser = is_organiser(request.user, quiz)
    stats = ranking.public_totals(quiz_id=quiz.pk) if organiser else None
    context = {
        "quiz": quiz,
        "organiser": organiser,
        "stats": stats,
        "public_url": _public_url(request, quiz),
        "rule_rows": _rule_rows(quiz),
        "bank_errors": services.check_paper_rules(quiz.paper_rules, quiz.bank) if organiser else [],
        "history": history_of(quiz)[:20] if organiser else [],
        "now": timezone.now(),
    }
    return render(request, "quiz/quiz_detail.html", context)


def _rule_rows(quiz: Quiz) -> list[dict]:
    rows = []
    for rule in quiz.paper_rules:
        rows.append(
            {
                "topic": Topic(rule["topic"]).label if rule.get("topic") else "全部主题",
                "kind": Kind(rule["kind"]).label,
                "difficulty": Difficulty(rule["difficulty"]).label if rule.get("difficulty") else "全部难度",
                "count": rule["count"],
                "points": quiz.points[rule["kind"]],
            }
        )
    return rows


@login_required
@require_POST
def quiz_set_published(request: HttpRequest, pk: int, published: bool) -> HttpResponse:
    quiz = _managed_quiz(request, pk)
    try:
        services.set_quiz_published(quiz, published=published, by=request.user)
    except QuizError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "已发布：可以分享链接和二维码了。" if published else "已撤回发布：链接暂时不能答题。")
    return redirect("quiz:detail", pk=quiz.pk)


@login_required
def quiz_qr(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    quiz = _quiz_for_user(request, pk)
    qr = segno.make(_public_url(request, quiz), error="m")
    import io

    buf = io.BytesIO()
    if kind == "svg":
        qr.save(buf, kind="svg", scale=8, border=2, dark="#000", light="#fff")
        content_type = "image/svg+xml"
    else:
        qr.save(buf, kind="png", scale=12, border=2)
        content_type = "image/png"
    response = HttpResponse(buf.getvalue(), content_type=content_type)
    if request.GET.get("download"):
        from urllib.parse import quote

        response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(f'{quiz.title}-二维码.{kind}')}"
    return response


def _results_root(request: HttpRequest, quiz: Quiz) -> Org:
    """The viewer's own unit, or the quiz's owner when the viewer sits above it."""
    return request.user.org if request.user.org.is_within(quiz.owner) else quiz.owner


@login_required
def results(request: HttpRequest, pk: int) -> HttpResponse:
    quiz = _quiz_for_user(request, pk)
    organiser = is_organiser(request.user, quiz)
    q = request.GET.get("q", "").strip()
    qs = ranking.ranked_participants(quiz)
    if q:
        qs = qs.filter(selectors.participant_search_q(q, phones=organiser))
    page = page_of(request, qs, PAGE_SIZE)
    ranks = ranking.global_ranks(quiz, [p.pk for p in page.object_list])
    rows = [
        (
            ranks.get(p.pk),
            p,
            p.phone if organiser else mask_phone(p.phone),
            selectors.format_ms(p.best_time_ms),
        )
        for p in page.object_list
    ]
    context = {"quiz": quiz, "page": page, "rows": rows, "q": q, "root": _results_root(request, quiz)}
    context["sees_phones"] = organiser
    return render(request, "quiz/results.html", context)


@login_required
def results_export(request: HttpRequest, pk: int) -> HttpResponse:
    quiz = _quiz_for_user(request, pk)
    organiser = is_organiser(request.user, quiz)
    participants = list(ranking.ranked_participants(quiz))
    ranks = ranking.global_ranks(quiz, [p.pk for p in participants])

    def phone(value: str) -> str:
        return value if organiser else mask_phone(value)

    ranked = (
        (
            ranks.get(p.pk),
            p.name,
            phone(p.phone),
            p.unit.name,
            p.best_score,
            selectors.format_ms(p.best_time_ms),
            p.best_submitted_at,
            p.attempts_count,
        )
        for p in participants
    )
    attempts = (
        (
            a.participant.name,
            phone(a.participant.phone),
            a.unit.name,
            a.number,
            a.get_status_display(),
            a.score if a.score is not None else "",
            selectors.format_ms(a.time_used_ms) if a.time_used_ms is not None else "",
            a.started_at,
            a.submitted_at or "",
            a.tab_switches,
        )
        for a in selectors.attempts_for(quiz).iterator(chunk_size=2000)
    )
    return xlsx_response(
        f"{quiz.title}-成绩.xlsx",
        caption=Caption.of(f"知识竞赛成绩 · {quiz.title}", user=request.user),
        sheets=[
            ("成绩排名", ["名次", "姓名", "手机号", "单位", "最好成绩", "用时", "交卷时间", "答题次数"], ranked),
            (
                "全部答卷",
                ["姓名", "手机号", "单位", "第几次", "状态", "得分", "用时", "开始时间", "交卷时间", "切屏次数"],
                attempts,
            ),
        ],
    )


def _table_root(request: HttpRequest, quiz: Quiz) -> Org:
    default = _results_root(request, quiz)
    raw = request.GET.get("unit") or request.POST.get("unit") or ""
    if not raw.isdigit():
        return default
    org = get_object_or_404(Org.objects, pk=int(raw))
    if not org.is_within(quiz.owner):
        raise Http404
    return org


@login_required
def unit_table(request: HttpRequest, pk: int) -> HttpResponse:
    quiz = _quiz_for_user(request, pk)
    root = _table_root(request, quiz)
    rows, total = selectors.unit_table(quiz, root)
    top = _results_root(request, quiz)
    crumbs = [a for a in ancestors_of(root) if a.is_within(top)]
    context = {
        "quiz": quiz,
        "root": root,
        "rows": rows,
        "total": total,
        "crumbs": crumbs,
        "can_set_targets": is_organiser(request.user, quiz),
        "as_of": timezone.now(),
    }
    return render(request, "quiz/unit_table.html", context)


@login_required
@require_POST
def unit_targets(request: HttpRequest, pk: int) -> HttpResponse:
    quiz = _managed_quiz(request, pk)
    root = _table_root(request, quiz)
    allowed = set(Org.objects.filter(parent=root).values_list("pk", flat=True)) | {root.pk}
    targets: dict[int, int | None] = {}
    for key, value in request.POST.items():
        if not key.startswith("target_"):
            continue
        unit_id = key.removeprefix("target_")
        if not unit_id.isdigit() or int(unit_id) not in allowed:
            continue
        value = value.strip()
        if value and (not value.isdigit() or int(value) > 10_000_000):
            messages.error(request, "应参与人数应为不小于 0 的整数，未保存。")
            return redirect(f"{reverse('quiz:units', kwargs={'pk': quiz.pk})}?unit={root.pk}")
        targets[int(unit_id)] = int(value) if value else None
    services.set_unit_targets(quiz, targets=targets, by=request.user, at=root)
    messages.success(request, "已保存应参与人数。")
    return redirect(f"{reverse('quiz:units', kwargs={'pk': quiz.pk})}?unit={root.pk}")


@login_required
def unit_table_export(request: HttpRequest, pk: int) -> HttpResponse:
    quiz = _quiz_for_user(request, pk)
    root = _table_root(request, quiz)
    rows, total = selectors.unit_table(quiz, root)

    def line(r):
        return (
            r.label,
            r.participants,
            r.attempts,
            round(r.avg_score, 1) if r.avg_score is not None else "",
            r.target or "",
            f"{r.rate:.1f}%" if r.rate is not None else "",
        )

    header = ["单位", "参与人数", "答卷数", "平均分（每人最好成绩）", "应参与人数", "参与率"]
    return xlsx_response(
        f"{quiz.title}-{root.name}-参与情况.xlsx",
        [("参与情况", header, [*map(line, rows), line(total)])],
        caption=Caption.of(f"知识竞赛参与情况 · {quiz.title} · {root.name}", user=request.user),
    )
