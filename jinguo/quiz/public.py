"""The public side of a quiz: the taking page and its small JSON API, the leaderboard and the
big screen. No login: the JSON endpoints are CSRF-exempt, accept only application/json (which a
cross-site form cannot send) and are bound to one attempt by its signed token. A phone number is
not an identity: a start for a number already registered must carry that phone's device key (which
quiz.js keeps in localStorage) or, on a quiz that uses them, an SMS code (``taking.start_attempt``).

API (all answers JSON; errors are {"error": "<Chinese message>", "code": "<code>"}):
  GET  /quiz/p/<slug>/units?q=<text>&parent=<id>   units to pick from
  POST /quiz/p/<slug>/code      {"phone"}                 SMS code (open quizzes that use codes; capped)
  POST /quiz/p/<slug>/start     {"phone","name","unit","device","code"?}  -> attempt, token, paper, deadline
  POST /quiz/p/<slug>/attempts/<id>/answers  {"token","answers","tab_switches","events"}
  POST /quiz/p/<slug>/attempts/<id>/submit   {"token","answers","tab_switches","events","full"?}
       -> attempt, status, score, rank, time_used (lean); "full": true -> the result below
  GET  /quiz/p/<slug>/attempts/<id>/result   header X-Attempt-Token (or ?token=)
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import ipaddress
import re
import secrets

import orjson
import segno
from django.conf import settings
from django.core.cache import cache
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from jinguo.lib.client_ip import client_ip
from jinguo.lib.phones import MOBILE_RE, normalize_phone
from jinguo.lib.scoping import scopes_disabled
from jinguo.lib.sms import send_sms
from jinguo.orgs.models import SEGMENT_WIDTH, Org
from jinguo.quiz import limits, memory, paper, ranking, taking
from jinguo.quiz.memory import QuizSnapshot
from jinguo.quiz.models import Attempt, Participant, Quiz
from jinguo.quiz.selectors import format_ms
from jinguo.quiz.services import QuizError

CODE_TTL = 300
# Wrong codes a number may try before its code is void (a new one must be sent): with the start's
# per-number rate limit alone, a 6-digit code could be guessed ~100 times in its 5 minutes.
CODE_MAX_TRIES = 5
SMS_PER_PHONE_PER_DAY = 5  # codes one number may be sent a day: no one's phone is flooded


def public(view):
    """A page or endpoint of the public quiz. It has no signed-in viewer (a staff member taking a
    staff quiz still reads the whole quiz): the view runs with scoping disabled."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        with scopes_disabled():  # the public quiz: its whole unit tree, its participants, its ranking
            return view(request, *args, **kwargs)

    return wrapper


def _snapshot(slug: str) -> QuizSnapshot:
    snap = memory.quiz_by_slug(slug)
    if snap is None or not snap.is_published:
        raise Http404
    return snap


def _address(request: HttpRequest) -> str:
    """The bucket of the client's address (``client_ip``: X-Forwarded-For only from our proxies).
    An IPv6 client is counted by its /64, which one subscriber usually holds whole: stepping
    through its addresses must not give a fresh count each time."""
    ip = client_ip(request)
    if ":" in ip:
        try:
            return f"{ipaddress.IPv6Network(f'{ip}/64', strict=False).network_address}/64"
        except ValueError:
            return ip
    return ip


def _check_rate(request: HttpRequest, phone: str = "") -> None:
    buckets = [(f"ip:{_address(request)}", settings.QUIZ_RATE_PER_IP)]
    if phone:
        buckets.append((f"phone:{phone}", settings.QUIZ_RATE_PER_PHONE))
    over = limits.over_limits(buckets)
    if over[0]:
        raise QuizError("请求过于频繁，请稍后再试", code="rate_limited", status=429)
    if phone and over[1]:
        raise QuizError("该手机号操作过于频繁，请一分钟后再试", code="rate_limited", status=429)


_UTF8 = {"ensure_ascii": False, "separators": (",", ":")}  # Chinese as UTF-8: half the bytes of \uXXXX


def api(view):
    """JSON in, JSON out; a QuizError becomes its Chinese message with its status. Public and
    session-free: ``PublicApiMiddleware`` serves these without the session when no cookie comes."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        body = {}
        if request.method == "POST":
            if request.content_type != "application/json":
                return JsonResponse({"error": "请求格式错误", "code": "bad_request"}, status=415)
            try:
                body = orjson.loads(request.body or b"{}")  # stricter than json: no NaN, valid UTF-8 only
            except ValueError:
                return JsonResponse({"error": "请求格式错误", "code": "bad_request"}, status=400)
            if not isinstance(body, dict):
                return JsonResponse({"error": "请求格式错误", "code": "bad_request"}, status=400)
        try:
            out = view(request, body, *args, **kwargs)
        except QuizError as exc:
            return JsonResponse({"error": exc.message, "code": exc.code}, status=exc.status)
        except Http404:
            return JsonResponse({"error": "没有找到", "code": "not_found"}, status=404)
        return out if isinstance(out, HttpResponse) else JsonResponse(out, json_dumps_params=_UTF8)

    wrapped = csrf_exempt(never_cache(public(wrapper)))
    wrapped.session_free = True
    return wrapped


def _iso(value) -> str:
    # The site's time zone (no view activates another): what timezone.localtime gives, without
    # its lookups of the active zone in asgiref's local on every call (start and submit use it).
    return value.astimezone(timezone.get_default_timezone()).isoformat()


@functools.cache
def _status_label(status: str) -> str:
    # Once per status: the site has one language (no view activates another), and asking for the
    # active one is a miss in asgiref's local, an exception each time (~30 µs in a submit).
    return str(Attempt.Status(status).label)


@public
@require_GET
def take(request: HttpRequest, slug: str) -> HttpResponse:
    snap = _snapshot(slug)
    # Participants open the page in the minutes before a synchronised start: by then every worker
    # has the bank, the papers' pieces and the unit tree in memory (dictionary lookups once there).
    memory.warm_quiz(snap)
    staff_ok = snap.audience != Quiz.Audience.STAFF or (
        request.user.is_authenticated
        and request.user.org is not None
        and request.user.org.path.startswith(snap.owner_path)
    )
    context = {
        "snap": snap,
        "staff_ok": staff_ok,
        "now": timezone.now(),
        "rule_text": "排名规则：每人以最好的一次成绩参加排名；得分高者在前，得分相同用时少者在前，再相同则先交卷者在前。",
    }
    return render(request, "quiz/take.html", context)


@api
@require_GET
def units(request: HttpRequest, body: dict, slug: str) -> dict:
    """Units a participant may pick: children of ``parent`` (default: the organiser's unit), or a
    search by name anywhere below it. Each comes with its path under the organiser's unit."""
    snap = _snapshot(slug)
    # Each keystroke of a search is a request (and a cache entry): limited per address like a start.
    if limits.over_limits([(f"units:{_address(request)}", settings.QUIZ_RATE_UNITS_PER_IP)])[0]:
        raise QuizError("请求过于频繁，请稍后再试", code="rate_limited", status=429)
    q = request.GET.get("q", "").strip()[:30]
    parent = request.GET.get("parent", "")
    key = f"quiz:units:{snap.owner_id}:{parent}:{q}"
    data = cache.get(key)
    if data is None:
        root = Org.objects.filter(pk=snap.owner_id).only("pk", "path", "name").get()
        qs = Org.objects.filter(root.subtree_q(), is_active=True)
        if q:
            qs = qs.filter(name__icontains=q).order_by("depth", "path")[:30]
        else:
            parent_org = root
            if parent.isdigit():
                parent_org = qs.filter(pk=int(parent)).first() or root
            qs = qs.filter(parent=parent_org).order_by("path")[:300]
        found = list(qs.annotate(child_count=Count("children")).only("pk", "name", "path"))
        wanted = {o.path[:i] for o in found for i in range(len(root.path) + SEGMENT_WIDTH, len(o.path), SEGMENT_WIDTH)}
        names = dict(Org.objects.filter(path__in=wanted).values_list("path", "name"))
        data = {
            "root": {"id": root.pk, "name": root.name},
            "units": [
                {
                    "id": o.pk,
                    "name": o.name,
                    "path": " / ".join(
                        names.get(o.path[:i], "")
                        for i in range(len(root.path) + SEGMENT_WIDTH, len(o.path), SEGMENT_WIDTH)
                    ),
                    "has_children": o.child_count > 0,
                }
                for o in found
            ],
        }
        cache.set(key, data, 60)
    return data


@api
@require_POST
def send_code(request: HttpRequest, body: dict, slug: str) -> dict:
    """Send a start's SMS code: only for a quiz that uses codes and is open now, and within the
    caps (per address and per number each day, one a minute per number, and the site's daily
    total, counted last so that refused requests do not use it up). Each message costs money."""
    snap = _snapshot(slug)
    if not snap.uses_sms_code:
        raise QuizError("本竞赛不需要短信验证码", code="no_code", status=404)
    taking.check_open(snap, timezone.now())
    phone = normalize_phone(str(body.get("phone", "")))
    if not MOBILE_RE.match(phone):
        raise QuizError("请填写正确的 11 位手机号", code="bad_phone")
    address = _address(request)
    _check_rate(request, phone)
    if limits.over_limits([(f"sms-minute:{phone}", 1)])[0]:
        raise QuizError("验证码已发送，请一分钟后再试", code="rate_limited", status=429)
    per_address, per_phone = limits.over_limits(
        [
            (f"sms-day:ip:{address}", settings.QUIZ_SMS_PER_IP_PER_DAY),
            (f"sms-day:phone:{phone}", SMS_PER_PHONE_PER_DAY),
        ],
        window=limits.DAY,
    )
    if per_address:
        raise QuizError("您所在的网络今天获取验证码的次数已达上限，请明天再试", code="sms_limit", status=429)
    if per_phone:
        raise QuizError("该手机号今天获取验证码的次数已达上限，请明天再试", code="sms_limit", status=429)
    if limits.over_limits([("sms-day:all", settings.QUIZ_SMS_PER_DAY)], window=limits.DAY)[0]:
        raise QuizError("今天的短信验证码已发完，请联系主办单位", code="sms_limit", status=429)
    code = f"{secrets.randbelow(1_000_000):06d}"
    cache.set(f"quiz:code:{snap.id}:{phone}", code, CODE_TTL)
    cache.delete(f"quiz:code-tries:{snap.id}:{phone}")
    send_sms(phone, f"【巾帼】您参加“{snap.title}”的验证码是 {code}，5 分钟内有效。")
    return {"sent": True}


def _check_code(snap: QuizSnapshot, phone: str, code) -> None:
    key, tries_key = f"quiz:code:{snap.id}:{phone}", f"quiz:code-tries:{snap.id}:{phone}"
    expected = cache.get(key)
    if expected and secrets.compare_digest(str(code or "").strip(), expected):
        return
    if expected and code:
        cache.add(tries_key, 0, CODE_TTL)
        if cache.incr(tries_key) >= CODE_MAX_TRIES:
            cache.delete_many([key, tries_key])
            raise QuizError("验证码错误次数过多，已失效，请重新获取", code="bad_code")
    raise QuizError("短信验证码不正确或已过期", code="bad_code")


DEVICE_KEY_RE = re.compile(r"[A-Za-z0-9_-]{16,64}")


def device_hash(raw) -> str:
    """The stored form of the device key a phone's quiz page sends (random, kept in its
    localStorage): its SHA-256. "" when none (or not one the page would make) came."""
    if not isinstance(raw, str) or DEVICE_KEY_RE.fullmatch(raw) is None:
        return ""
    return hashlib.sha256(raw.encode()).hexdigest()


def _attempt_payload(snap: QuizSnapshot, started: taking.Started) -> HttpResponse:
    """The start's answer, the paper spliced in from pieces cached per bank version (UTF-8)."""
    a = started.attempt
    bank = started.bank
    now = timezone.now()
    head = {
        "attempt": a.pk,
        "token": started.token,
        "number": a.number,
        "resumed": started.resumed,
        "started_at": _iso(a.started_at),
        "deadline": _iso(a.deadline),
        "server_now": _iso(now),
        "seconds_left": max(0, int((a.deadline - now).total_seconds())),
        "answers": a.answers if started.resumed else {},
        "max_score": paper.max_score(a.paper, bank, snap.points),
    }
    body = paper.with_member(head, "paper", paper.public_paper_json(a.paper, bank))
    return HttpResponse(body, content_type="application/json")


@api
@require_POST
def start(request: HttpRequest, body: dict, slug: str) -> HttpResponse:
    snap = _snapshot(slug)
    user = None
    if snap.audience == Quiz.Audience.STAFF:
        user = request.user
        if not user.is_authenticated or user.org is None or not user.org.path.startswith(snap.owner_path):
            raise QuizError("本竞赛只限本系统工作人员参加，请先登录", code="login_required", status=403)
        phone, name, unit = user.phone, user.display_name, user.org_id
        _check_rate(request)
        verified = True  # signed in: the login is the identity
    else:
        phone = normalize_phone(str(body.get("phone", "")))
        name, unit = str(body.get("name", "")), body.get("unit")
        _check_rate(request, phone)
        verified = snap.uses_sms_code
        if verified:
            _check_code(snap, phone, body.get("code"))
    started = taking.start_attempt(
        snap,
        phone=phone,
        name=name,
        unit_id=unit,
        user=user,
        device=device_hash(body.get("device")),
        verified=verified,
        ip=client_ip(request) or None,
    )
    return _attempt_payload(snap, started)


def _token(request: HttpRequest, body: dict, snap: QuizSnapshot, attempt_id: int) -> taking.AttemptToken:
    raw = body.get("token") or request.headers.get("X-Attempt-Token") or request.GET.get("token", "")
    token = taking.read_token(str(raw), attempt_id=attempt_id)
    if token.quiz_id != snap.id:  # an attempt of another quiz asked under this quiz's link
        raise QuizError("没有找到这份答卷", code="not_found", status=404)
    return token


@api
@require_POST
def save(request: HttpRequest, body: dict, slug: str, attempt_id: int) -> dict:
    snap = _snapshot(slug)
    token = _token(request, body, snap, attempt_id)
    saved = taking.save_answers(
        token, answers=body.get("answers"), tab_switches=body.get("tab_switches"), events=body.get("events")
    )
    return {"saved": saved, "server_now": _iso(timezone.now())}


_RESULT_FIELDS = (
    "status", "score", "correct_count", "time_used_ms", "submitted_at", "paper", "answers",
    "participant__name", "participant__best_score", "participant__best_time_ms",
    "participant__best_submitted_at", "participant__attempts_count",
    "started_at", "participant__day", "participant__day_count",
)  # fmt: skip


def may_retry(snap: QuizSnapshot, *, used: int, day: dt.date | None, day_count: int) -> bool:
    """Is another attempt left for this participant, today? (Offered as 再答一次 only then.)"""
    if used >= snap.max_attempts:
        return False
    per_day = snap.max_attempts_per_day
    return not per_day or day != timezone.localdate() or day_count < per_day


def _may_retry_after_submit(snap: QuizSnapshot, token: taking.AttemptToken, *, used: int) -> bool:
    """``may_retry`` on the submit's hot path, without a query in the common cases: fewer attempts
    in all than a day allows leaves one today; with one a day, the attempt just closed was the
    day's if it started today. Only past those, one PK lookup of the participant's day count."""
    per_day = snap.max_attempts_per_day
    if used >= snap.max_attempts or not per_day or used < per_day:
        return may_retry(snap, used=used, day=None, day_count=0)
    if per_day == 1:
        return may_retry(snap, used=used, day=timezone.localdate(token.started_at), day_count=1)
    day, count = Participant.objects.filter(pk=token.participant_id).values_list("day", "day_count").get()
    return may_retry(snap, used=used, day=day, day_count=count)


def _result_response(snap: QuizSnapshot, head: dict, drawn, answers, *, with_paper: bool = True) -> HttpResponse:
    review = paper.review_json(drawn, answers or {}, memory.bank_for(snap), snap.points, with_paper=with_paper)
    return HttpResponse(paper.with_member(head, "review", review), content_type="application/json")


def _result_head(
    snap: QuizSnapshot,
    *,
    attempt_id: int,
    status: str,
    name: str,
    score: int,
    max_score: int,
    correct: int,
    total: int,
    time_ms: int,
    submitted_at,
    best,
    used: int,
    retry: bool,
    rank: int | None = None,
) -> dict:
    """What the result card shows; ``best`` is the participant's (score, time ms, submitted at);
    ``rank`` of that best if the caller knows it already (else looked up)."""
    best_score = None if best is None else best[0]
    if rank is None and best_score is not None:
        rank = ranking.rank_of(quiz_id=snap.id, score=best[0], time_ms=best[1], submitted_at=best[2])
    return {
        "attempt": attempt_id,
        "status": status,
        "status_label": _status_label(status),
        "name": name,
        "score": score,
        "max_score": max_score,
        "correct": correct,
        "total": total,
        "time_used_ms": time_ms,
        "time_used": format_ms(time_ms),
        "submitted_at": _iso(submitted_at),
        "best_score": best_score,
        "best_time": format_ms(None if best is None else best[1]),
        "rank": rank,
        # The total is a few seconds old: never fewer than the rank just computed ("第 362 名（共 361 人）").
        "participants": max(ranking.public_totals(quiz_id=snap.id)["ranked"], rank or 0),
        "attempts_used": used,
        "attempts_allowed": snap.max_attempts,
        "may_retry": retry,
    }


def _result_payload(snap: QuizSnapshot, *, attempt_id: int, participant_id: int) -> HttpResponse:
    """Score, time, rank and the reviewed paper: only ever for a closed attempt. One query for the
    attempt and its participant, one for the rank; the review is joined from cached JSON pieces."""
    rows = Attempt.objects.filter(pk=attempt_id, participant_id=participant_id).values_list(*_RESULT_FIELDS)
    row = rows.first()
    if row is None:
        raise Http404
    if row[0] == Attempt.Status.OPEN:
        closed = taking.close_attempt(Attempt.objects.get(pk=attempt_id), snap=snap)
        if closed is None:
            raise QuizError("答卷尚未提交", code="open", status=409)
        row = rows.first()
    status, score, correct, time_ms, submitted_at, drawn, answers, name, best, best_ms, best_at, used = row[:12]
    day, day_count = row[13], row[14]
    head = _result_head(
        snap,
        attempt_id=attempt_id,
        status=status,
        name=name,
        score=score,
        max_score=paper.max_score(drawn, memory.bank_for(snap), snap.points),
        correct=correct,
        total=len(drawn),
        time_ms=time_ms,
        submitted_at=submitted_at,
        best=None if best is None else (best, best_ms, best_at),
        used=used,
        retry=may_retry(snap, used=used, day=day, day_count=day_count),
    )
    return _result_response(snap, head, drawn, answers)


def _best_rank(snap: QuizSnapshot, outcome: taking.Outcome) -> int | None:
    """The participant's rank (of their best attempt), from the best the submit saw: one query."""
    if outcome.rank is not None:
        return outcome.rank
    best = outcome.best
    if best is None:  # a repeated submit: the attempt was closed before
        best = (
            Participant.objects.filter(pk=outcome.participant_id)
            .values_list("best_score", "best_time_ms", "best_submitted_at")
            .get()
        )
    if best[0] is None:
        return None
    return ranking.rank_of(quiz_id=snap.id, score=best[0], time_ms=best[1], submitted_at=best[2])


@api
@require_POST
def submit(request: HttpRequest, body: dict, slug: str, attempt_id: int) -> dict:
    """Hand in. With ``"full": true`` (what quiz.js sends) the answer is the whole result, the
    reviewed paper with the explanations included: built from what the submit just graded, so a
    phone on a weak network needs no second request. With ``"paper_kept": true`` as well (quiz.js
    holds the paper it was given) the review leaves out the stems and options: a third fewer
    bytes. Without "full", a lean answer (score, rank, time)."""
    snap = _snapshot(slug)
    token = _token(request, body, snap, attempt_id)
    outcome = taking.submit_attempt(
        snap, token, answers=body.get("answers"), tab_switches=body.get("tab_switches"), events=body.get("events")
    )
    if body.get("full") is True:
        if outcome.answers is None:  # a repeated submit: the result as stored by the first
            return _result_payload(snap, attempt_id=token.attempt_id, participant_id=token.participant_id)
        with_paper = body.get("paper_kept") is not True
        head = _result_head(
            snap,
            attempt_id=outcome.attempt_id,
            status=outcome.status,
            name=outcome.name,
            score=outcome.score,
            max_score=outcome.max_score,
            correct=outcome.correct,
            total=len(token.paper),
            time_ms=outcome.time_used_ms,
            submitted_at=outcome.submitted_at,
            best=outcome.best,
            used=outcome.attempts_used,
            retry=_may_retry_after_submit(snap, token, used=outcome.attempts_used),
            rank=outcome.rank,
        )
        return _result_response(snap, head, token.paper, outcome.answers, with_paper=with_paper)
    return {
        "attempt": outcome.attempt_id,
        "status": outcome.status,
        "score": outcome.score,
        "max_score": outcome.max_score,
        "correct": outcome.correct,
        "rank": _best_rank(snap, outcome),
        "time_used_ms": outcome.time_used_ms,
        "time_used": format_ms(outcome.time_used_ms),
        "submitted_at": _iso(outcome.submitted_at),
    }


@api
@require_GET
def result(request: HttpRequest, body: dict, slug: str, attempt_id: int) -> dict:
    snap = _snapshot(slug)
    token = _token(request, body, snap, attempt_id)
    return _result_payload(snap, attempt_id=token.attempt_id, participant_id=token.participant_id)


@public
@require_GET
def board(request: HttpRequest, slug: str) -> HttpResponse:
    snap = _snapshot(slug)
    context = {
        "snap": snap,
        "rows": ranking.leaderboard(quiz_id=snap.id, size=snap.leaderboard_size),
        "totals": ranking.public_totals(quiz_id=snap.id),
        "as_of": timezone.now(),
    }
    return render(request, "quiz/board.html", context)


@public
@require_GET
def screen(request: HttpRequest, slug: str) -> HttpResponse:
    snap = _snapshot(slug)
    url = public_url(request, slug)
    return render(request, "quiz/screen.html", {**_screen_context(snap), "take_url": url, "qr": _qr_data_uri(url)})


@public
@require_GET
def screen_rows(request: HttpRequest, slug: str) -> HttpResponse:
    snap = _snapshot(slug)
    return render(request, "quiz/_screen_rows.html", _screen_context(snap))


def public_url(request: HttpRequest, slug: str) -> str:
    """The taking page's address for links and QR codes (``QUIZ_PUBLIC_BASE_URL`` when set)."""
    path = reverse("quiz:take", kwargs={"slug": slug})
    base = settings.QUIZ_PUBLIC_BASE_URL
    return base.rstrip("/") + path if base else request.build_absolute_uri(path)


# Rows on the big screen: what fits 1920x1080 beside the QR code, with the figures above.
SCREEN_ROWS = 14


@functools.lru_cache(maxsize=64)
def _qr_data_uri(url: str) -> str:
    return segno.make(url, error="m").svg_data_uri(scale=8, border=2, dark="#000", light="#fff")


def _screen_context(snap: QuizSnapshot) -> dict:
    return {
        "snap": snap,
        "rows": ranking.leaderboard(quiz_id=snap.id, size=min(snap.leaderboard_size, SCREEN_ROWS)),
        "totals": ranking.public_totals(quiz_id=snap.id),
        "as_of": timezone.now(),
    }
