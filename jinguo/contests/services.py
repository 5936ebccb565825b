"""Writes of the contests app: set-up, entries and their versions, redaction, the 推荐 step.

Every function checks its preconditions, then changes rows and writes the audit entry inside one
transaction. Refusals are ``ContestError`` with a Chinese message for the page.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.files.base import ContentFile, File
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from jinguo.audit.services import log_action
from jinguo.contests import documents
from jinguo.contests.models import Category, Contest, Entry, EntryVersion, Quota, Recommendation
from jinguo.lib.images import PhotoError, clean_photo
from jinguo.lib.phones import is_valid_phone, normalize_phone
from jinguo.lib.scoping import ancestor_paths, scopes_disabled
from jinguo.orgs.models import Org

CONTEST_FIELDS = (
    "title",
    "kind",
    "line",
    "rules",
    "opens_at",
    "closes_at",
    "max_chars",
    "max_file_mb",
    "allowed_media",
    "code_prefix",
    "declaration_text",
    "public_enabled",
)
# Typed text is capped even where a contest sets no limit (a page is not a book).
TYPED_MAX_CHARS = 50_000


class ContestError(Exception):
    """A refusal with a Chinese message for the organiser, the liaison or the public."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# ---- set-up -----------------------------------------------------------------------------------


def _check_window(opens_at: dt.datetime, closes_at: dt.datetime) -> None:
    if closes_at <= opens_at:
        raise ContestError("征集截止时间必须晚于开始时间")


def create_contest(*, owner: Org, by, categories: list[str], **fields) -> Contest:
    """A new contest in 筹备中 with its categories; audited ``contests.contest.created``."""
    _check_window(fields["opens_at"], fields["closes_at"])
    if not categories:
        raise ContestError("至少要设一个组别")
    line = fields.get("line")
    with transaction.atomic():
        contest = Contest.objects.create(owner=owner, created_by=by, campaign=line.campaign if line else None, **fields)
        for order, name in enumerate(categories, 1):
            Category.objects.create(contest=contest, name=name, order=order)
        log_action(contest, "contests.contest.created", by=by, org=owner, to_state=contest.status)
    return contest


def update_contest(contest: Contest, *, by, categories: list[str], **fields) -> None:
    """Change a contest's settings and categories. A category that has entries cannot be removed;
    audited ``contests.contest.updated`` with the names of the changed fields."""
    _check_window(fields["opens_at"], fields["closes_at"])
    if not categories:
        raise ContestError("至少要设一个组别")
    if "kind" in fields and fields["kind"] != contest.kind:
        with scopes_disabled():  # any entry of the contest, whoever submitted it
            if Entry.objects.filter(contest=contest).exists():
                raise ContestError("赛事已有作品，不能再更改类型")
    with transaction.atomic():
        changed = [name for name, value in fields.items() if getattr(contest, name) != value]
        for name, value in fields.items():
            setattr(contest, name, value)
        if "line" in fields:
            contest.campaign = fields["line"].campaign if fields["line"] else None
        contest.save()
        existing = {c.name: c for c in contest.categories.all()}
        for name, category in existing.items():
            if name not in categories:
                with scopes_disabled():  # every entry of the contest counts, whoever submitted it
                    used = Entry.objects.filter(category=category).exists()
                if used:
                    raise ContestError(f"组别“{name}”已有作品，不能删除")
                category.delete()
                changed.append(f"category-:{name}")
        for order, name in enumerate(categories, 1):
            if name in existing:
                if existing[name].order != order:
                    Category.objects.filter(pk=existing[name].pk).update(order=order)
            else:
                Category.objects.create(contest=contest, name=name, order=order)
                changed.append(f"category+:{name}")
        log_action(contest, "contests.contest.updated", by=by, org=contest.owner, data={"changed": changed})


def set_contest_status(contest: Contest, *, status: str, by) -> None:
    """Move a contest along 筹备中 → 征集中 → 评审中 → 已结束 (or back one step, to reopen
    submissions); audited ``contests.contest.status_changed``."""
    order = list(Contest.Status.values)
    if status not in order:
        raise ContestError("状态无效")
    if abs(order.index(status) - order.index(contest.status)) != 1:
        raise ContestError(f"赛事不能从“{contest.get_status_display()}”直接改为“{Contest.Status(status).label}”")
    if status == Contest.Status.OPEN and not contest.categories.exists():
        raise ContestError("请先设置组别")
    with transaction.atomic():
        old = contest.status
        contest.status = status
        contest.save(update_fields=["status", "updated_at"])
        log_action(
            contest, "contests.contest.status_changed", by=by, org=contest.owner, from_state=old, to_state=status
        )


def set_quotas(contest: Contest, *, quotas: dict[Org, int | None], by) -> None:
    """Each unit's 推荐名额 (``None`` removes it). Units must lie below the organiser; a quota
    cannot drop below what the unit has already recommended. Audited ``contests.quota.set``."""
    with transaction.atomic():
        current = {q.org_id: q for q in Quota.objects.filter(contest=contest)}
        for org, value in quotas.items():
            if not org.is_within(contest.owner) or org.pk == contest.owner_id:
                raise ContestError(f"“{org.name}”不在本赛事主办单位之下，不能分配名额")
            quota = current.get(org.pk)
            if value is None:
                if quota is not None:
                    quota.delete()
                    log_action(contest, "contests.quota.set", by=by, org=contest.owner, data={"org": org.pk})
                continue
            used = _recommended_count(contest, org)
            if value < used:
                raise ContestError(f"“{org.name}”已推荐 {used} 件，名额不能少于 {used}")
            if quota is None:
                Quota.objects.create(contest=contest, org=org, max_entries=value)
            elif quota.max_entries != value:
                quota.max_entries = value
                quota.save(update_fields=["max_entries"])
            else:
                continue
            log_action(contest, "contests.quota.set", by=by, org=contest.owner, data={"org": org.pk, "max": value})


# ---- entries --------------------------------------------------------------------------------


@dataclass
class Prepared:
    """A work ready to be stored: the file (if any), its text, its judges' copy."""

    text: str
    char_count: int
    data: bytes = b""
    name: str = ""
    content_type: str = ""
    extension: str = ""
    kind: str = ""
    thumbnail: bytes = b""
    stream: object = None  # audio and video: the upload itself, copied to storage without reading it whole
    size: int = 0


def prepare_work(contest: Contest, *, text: str = "", upload=None) -> Prepared:
    """Check and read one work: typed text, or an uploaded file (type by its bytes, size, the
    contest's kinds), with its text and 汉字 count. Raises ``ContestError`` in Chinese."""
    if upload is not None:
        name = (upload.name or "").rsplit("/", 1)[-1]
        limit = contest.max_file_mb * 1024 * 1024
        if upload.size is not None and upload.size > limit:
            raise ContestError(f"“{name}”超过大小上限（最大 {contest.max_file_mb} MB）")
        allowed = ["document"] if contest.kind == Contest.Kind.ESSAY else contest.media_kinds
        ext = ("." + name.rsplit(".", 1)[-1].lower()) if "." in name else ""
        if documents.MEDIA_TYPES.get(ext, ("",))[0] in ("audio", "video") and upload.size is not None:
            # A video may be hundreds of MB: its type is in its first bytes, the rest is copied as it comes.
            upload.seek(0)
            head = upload.read(64)
            upload.seek(0)
            try:
                sniffed = documents.sniff(name, head, allowed=allowed)
            except documents.DocumentError as exc:
                raise ContestError(str(exc)) from None
            return Prepared(
                text="", char_count=0, name=name, content_type=sniffed.content_type, extension=sniffed.extension,
                kind=sniffed.kind, stream=upload, size=upload.size,
            )  # fmt: skip
        upload.seek(0)
        data = upload.read(limit + 1)
        if len(data) > limit:
            raise ContestError(f"“{name}”超过大小上限（最大 {contest.max_file_mb} MB）")
        try:
            sniffed = documents.sniff(name, data, allowed=allowed)
            body = documents.extract_text(sniffed, data, name) if sniffed.kind == "document" else ""
        except documents.DocumentError as exc:
            raise ContestError(str(exc)) from None
        prepared = Prepared(
            text=body,
            char_count=documents.han_count(body),
            data=data,
            name=name,
            content_type=sniffed.content_type,
            extension=sniffed.extension,
            kind=sniffed.kind,
        )
        if sniffed.kind == "image":
            fmt = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}[sniffed.content_type]
            try:
                photo = clean_photo(data, fmt, name)  # no EXIF or GPS of the author's phone
            except PhotoError as exc:
                raise ContestError(str(exc)) from None
            prepared.data, prepared.thumbnail = photo.image, photo.thumbnail
    else:
        if contest.kind != Contest.Kind.ESSAY:
            raise ContestError("请上传作品文件")
        body = (text or "").replace("\r\n", "\n").strip()
        if not body:
            raise ContestError("请粘贴正文或上传文件")
        if len(body) > TYPED_MAX_CHARS:
            raise ContestError(f"正文太长（最多 {TYPED_MAX_CHARS} 字），请上传文件")
        prepared = Prepared(text=body, char_count=documents.han_count(body))
    if contest.kind == Contest.Kind.ESSAY and contest.max_chars and prepared.char_count > contest.max_chars:
        raise ContestError(f"作品共 {prepared.char_count} 个汉字，超过本赛事的字数上限（{contest.max_chars} 字）")
    return prepared


def unit_names_for(entry: Entry) -> list[str]:
    """The names of the author's unit and of the units above it, up to (not including) the organiser:
    all of them point to the author."""
    owner_depth = len(entry.contest.owner.path)
    paths = [p for p in ancestor_paths(entry.author_org.path) if len(p) > owner_depth]
    with scopes_disabled():  # the names of the units above a public author's unit, to mask them
        orgs = list(Org.objects.filter(path__in=paths))
    return [name for org in orgs for name in (org.name, org.short_name) if name]


def _identity_terms(entry: Entry) -> list[str]:
    return documents.identity_terms(
        author_name=entry.author_name, unit_names=unit_names_for(entry), phone=entry.author_phone
    )


def _store_version(entry: Entry, prepared: Prepared, *, by) -> EntryVersion:
    terms = _identity_terms(entry)
    number = (entry.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = EntryVersion(
        entry=entry,
        number=number,
        original_name=prepared.name[:200],
        content_type=prepared.content_type,
        size=prepared.size or len(prepared.data),
        text=prepared.text,
        char_count=prepared.char_count,
        redacted_text=documents.redact_text(prepared.text, terms),
        created_by=by if getattr(by, "is_authenticated", False) else None,
    )
    if prepared.stream is not None:
        version.file.save(f"work{prepared.extension}", File(prepared.stream), save=False)
    elif prepared.data:
        version.file.save(f"work{prepared.extension}", ContentFile(prepared.data), save=False)
        redacted = None
        if prepared.extension == ".docx":
            redacted = documents.redact_docx(prepared.data, terms)
        elif prepared.extension == ".pdf" and not documents.contains_identity(prepared.text, terms):
            # A PDF's pages cannot be masked: judges get the file only when its text names nobody.
            redacted = documents.strip_pdf(prepared.data)
        if redacted is not None:
            version.redacted_file.save(f"redacted{prepared.extension}", ContentFile(redacted), save=False)
        if prepared.thumbnail:
            version.thumbnail.save("thumb.jpg", ContentFile(prepared.thumbnail), save=False)
    version.save()
    entry.current_version = version
    entry.save(update_fields=["current_version", "updated_at"])
    return version


def _check_author(*, contest: Contest, category: Category, author_name: str, author_phone: str, author_org: Org):
    if category.contest_id != contest.pk:
        raise ContestError("组别无效")
    if not author_org.is_within(contest.owner):
        raise ContestError("作者单位不在本赛事的征集范围内")
    if not author_name:
        raise ContestError("请填写作者姓名")
    if not is_valid_phone(author_phone):
        raise ContestError("联系电话格式不正确：请填写 11 位手机号或带区号的座机号")


def _existing_entry(category: Category, author_name: str, author_phone: str) -> Entry | None:
    with scopes_disabled():  # the one-entry rule holds across the contest, whoever submitted the other
        return (
            Entry.objects.filter(category=category, author_name=author_name, author_phone=author_phone)
            .exclude(status=Entry.Status.WITHDRAWN)
            .first()
        )


def submit_entry(
    contest: Contest,
    *,
    category: Category,
    title: str,
    author_name: str,
    author_phone: str,
    author_org: Org,
    declared: bool,
    by=None,
    source: str = Entry.Source.LIAISON,
    text: str = "",
    upload=None,
    now: dt.datetime | None = None,
) -> Entry:
    """A new entry with its first version and the judges' redacted copy; the code (ZW-0137) is the
    contest's next number. Audited ``contests.entry.submitted``."""
    now = now or timezone.now()
    author_name = " ".join((author_name or "").split())
    author_phone = normalize_phone(author_phone)
    title = " ".join((title or "").split())
    if not contest.is_open_at(now):
        raise ContestError("本赛事当前不在征集时间内，不能投稿")
    if not declared:
        raise ContestError("请阅读并勾选原创声明")
    if not title:
        raise ContestError("请填写作品标题")
    _check_author(
        contest=contest, category=category, author_name=author_name, author_phone=author_phone, author_org=author_org
    )
    if other := _existing_entry(category, author_name, author_phone):
        # The public page names no code: whoever types a name and phone learns only that it is taken.
        code = f"（{other.code}）" if source == Entry.Source.LIAISON else ""
        raise ContestError(f"{author_name} 在“{category.name}”组已有作品{code}，每人每组限投一件")
    prepared = prepare_work(contest, text=text, upload=upload)
    try:
        with transaction.atomic():
            with scopes_disabled():  # the next number counts every entry of the contest; the row lock orders submits
                Contest.objects.select_for_update().filter(pk=contest.pk).first()
                number = (Entry.objects.filter(contest=contest).aggregate(n=Max("number"))["n"] or 0) + 1
            entry = Entry.objects.create(
                contest=contest,
                category=category,
                number=number,
                code=f"{contest.code_prefix}-{number:04d}",
                title=title[:200],
                author_name=author_name,
                author_phone=author_phone,
                author_org=author_org,
                source=source,
                submitted_by=by if getattr(by, "is_authenticated", False) else None,
                declared_at=now,
                recommended=_goes_straight(contest, author_org),
            )
            _store_version(entry, prepared, by=by)
            log_action(entry, "contests.entry.submitted", by=by, org=author_org, to_state=entry.status)
    except IntegrityError:
        raise ContestError(f"{author_name} 在“{category.name}”组已有作品，每人每组限投一件") from None
    return entry


def replace_entry(entry: Entry, *, by, text: str = "", upload=None, title: str = "", now=None) -> EntryVersion:
    """A new version of the work before the deadline (the earlier ones are kept). Audited
    ``contests.entry.replaced``."""
    now = now or timezone.now()
    if entry.status != Entry.Status.SUBMITTED:
        raise ContestError(f"作品{entry.get_status_display()}，不能更换")
    if not entry.contest.is_open_at(now):
        raise ContestError("征集已截止，不能再更换作品")
    prepared = prepare_work(entry.contest, text=text, upload=upload)
    with transaction.atomic():
        if title := " ".join((title or "").split()):
            entry.title = title[:200]
            entry.save(update_fields=["title", "updated_at"])
        version = _store_version(entry, prepared, by=by)
        log_action(entry, "contests.entry.replaced", by=by, org=entry.author_org, data={"version": version.number})
    return version


def withdraw_entry(entry: Entry, *, by, now=None) -> None:
    """Withdraw an entry before the deadline (frees the author's place in the category).
    Audited ``contests.entry.withdrawn``."""
    now = now or timezone.now()
    if entry.status != Entry.Status.SUBMITTED:
        raise ContestError(f"作品{entry.get_status_display()}，不能撤回")
    if not entry.contest.is_open_at(now):
        raise ContestError("征集已截止，不能再撤回；如需取消请联系主办单位")
    with transaction.atomic():
        entry.status = Entry.Status.WITHDRAWN
        entry.withdrawn_at = now
        entry.recommended = False
        entry.save(update_fields=["status", "withdrawn_at", "recommended", "updated_at"])
        Recommendation.objects.filter(entry=entry).delete()
        log_action(
            entry, "contests.entry.withdrawn", by=by, org=entry.author_org, from_state="submitted", to_state="withdrawn"
        )


def disqualify_entry(entry: Entry, *, reason: str, by) -> None:
    """The organiser takes an entry out of the contest, with a reason. Audited
    ``contests.entry.disqualified``."""
    reason = (reason or "").strip()
    if not reason:
        raise ContestError("请填写取消资格的原因")
    if entry.status != Entry.Status.SUBMITTED:
        raise ContestError(f"作品{entry.get_status_display()}，不能取消资格")
    with transaction.atomic():
        entry.status = Entry.Status.DISQUALIFIED
        entry.disqualified_reason = reason
        entry.disqualified_by = by
        entry.recommended = False
        entry.save(update_fields=["status", "disqualified_reason", "disqualified_by", "recommended", "updated_at"])
        log_action(
            entry,
            "contests.entry.disqualified",
            by=by,
            org=entry.contest.owner,
            from_state="submitted",
            to_state="disqualified",
            reason=reason,
        )


def correct_redaction(version: EntryVersion, *, redacted_text: str, by) -> None:
    """The organiser's check of a judges' copy: the corrected text is what judges read. A file
    judges would otherwise get is dropped when the text had to be corrected (the file cannot be
    corrected the same way). Audited ``contests.redaction.checked``."""
    redacted_text = (redacted_text or "").replace("\r\n", "\n").strip()
    if version.text and not redacted_text:
        raise ContestError("评审用正文不能为空")
    entry = version.entry
    with transaction.atomic():
        corrected = redacted_text != version.redacted_text.strip()
        version.redacted_text = redacted_text
        version.redaction_checked_by = by
        version.redaction_checked_at = timezone.now()
        fields = ["redacted_text", "redaction_checked_by", "redaction_checked_at"]
        if corrected and version.redacted_file:
            version.redacted_file.delete(save=False)
            version.redacted_file = None
            fields.append("redacted_file")
        version.save(update_fields=fields)
        log_action(entry, "contests.redaction.checked", by=by, org=entry.contest.owner, data={"corrected": corrected})


# ---- 推荐 ------------------------------------------------------------------------------------


def _goes_straight(contest: Contest, author_org: Org) -> bool:
    """An entry from a unit with no quota at or above it (the organiser's own, a unit given no
    名额) needs no 推荐: it goes to judging as submitted (直报)."""
    with scopes_disabled():  # a township's liaison does not see its county's quota, but it applies
        return not Quota.objects.filter(contest=contest, org__path__in=ancestor_paths(author_org.path)).exists()


def _recommended_count(contest: Contest, org: Org) -> int:
    from jinguo.contests.selectors import recommended_count

    return recommended_count(contest, org)


def decide_recommendation(entry: Entry, *, org: Org, recommend: bool, reason: str = "", by) -> Recommendation:
    """``org``'s 推荐 decision on an entry of its subtree: recommend (within its quota) or decline
    with a reason; a decision can be changed until judging starts. Audited
    ``contests.entry.recommended`` / ``contests.entry.declined``."""
    contest = entry.contest
    reason = (reason or "").strip()
    if contest.status not in (Contest.Status.OPEN,):
        raise ContestError("赛事已进入评审，推荐结果不能再修改")
    if entry.status != Entry.Status.SUBMITTED:
        raise ContestError(f"作品{entry.get_status_display()}，不能推荐")
    if not entry.author_org.is_within(org):
        raise ContestError("只能推荐本单位及下级单位的作品")
    if not recommend and not reason:
        raise ContestError("不推荐时请填写理由")
    with transaction.atomic():
        quota = Quota.objects.select_for_update().filter(contest=contest, org=org).first()
        if quota is None:
            raise ContestError("本单位在该赛事中没有推荐名额")
        current = Recommendation.objects.filter(entry=entry, org=org).first()
        old = current.status if current else Recommendation.Status.PENDING
        if recommend and old != Recommendation.Status.RECOMMENDED:
            used = _recommended_count(contest, org)
            if used >= quota.max_entries:
                raise ContestError(f"推荐名额已用完（{used}/{quota.max_entries}），请先取消其他作品的推荐")
        status = Recommendation.Status.RECOMMENDED if recommend else Recommendation.Status.DECLINED
        recommendation, _ = Recommendation.objects.update_or_create(
            entry=entry,
            org=org,
            defaults={"status": status, "decided_by": by, "decided_at": timezone.now(), "reason": reason},
        )
        entry.recommended = recommend
        entry.save(update_fields=["recommended", "updated_at"])
        action = "contests.entry.recommended" if recommend else "contests.entry.declined"
        log_action(entry, action, by=by, org=org, from_state=old, to_state=status, reason=reason)
    return recommendation
