"""Copy detection in a contest: the check (``manage.py checkcopies`` and the organiser's button),
the pairs it keeps, the organiser's verdicts, the reference corpus, and the side-by-side view.

Each entry of the contest is compared with every other entry, with the entries of the owner's
earlier essay contests, and with the reference texts of the owner and the units above it. The
detection is ``similarity.py``; fingerprints are stored (``TextFingerprint``) so that earlier
contests and the corpus are hashed once, not at every check.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from jinguo.audit.services import log_action
from jinguo.contests import similarity
from jinguo.contests.models import Contest, Entry, EntryVersion, Judge, ReferenceText
from jinguo.contests.models_copies import Overlap, TextFingerprint
from jinguo.lib.scoping import ancestor_paths, scopes_disabled
from jinguo.orgs.models import Org


class CopiesError(Exception):
    """A check or verdict that cannot be made; the message is for the user (Chinese)."""


REFERENCE_MAX_CHARS = 200_000


# ---- what is compared -------------------------------------------------------------------------


def _versions(contests: QuerySet[Contest] | list[Contest]) -> QuerySet[EntryVersion]:
    """The current version of each entry of ``contests`` that was not withdrawn, with a text."""
    return (
        EntryVersion.objects.filter(entry__contest__in=contests, entry__current_version_id=F("id"))
        .exclude(entry__status=Entry.Status.WITHDRAWN)
        .exclude(text="")
        .select_related("entry")
        .order_by("entry_id")
    )


def earlier_contests(contest: Contest) -> QuerySet[Contest]:
    """The owner's essay contests that opened before this one."""
    return Contest.objects.filter(owner=contest.owner, kind=Contest.Kind.ESSAY, opens_at__lt=contest.opens_at).exclude(
        pk=contest.pk
    )


def references_for(owner: Org) -> QuerySet[ReferenceText]:
    """The corpus a unit's contests are compared with: its own reference texts and those of the
    units above it (a province's corpus serves its cities)."""
    return ReferenceText.objects.filter(owner__path__in=ancestor_paths(owner.path)).select_related("owner")


def _fingerprints(
    versions: list[EntryVersion], references: list[ReferenceText]
) -> tuple[dict[int, similarity.Fingerprint], dict[int, similarity.Fingerprint]]:
    """Fingerprints by version id and by reference id: the stored ones, and the missing or stale
    ones made now and stored."""
    discount = similarity.default_discount()
    stored = TextFingerprint.objects.filter(
        Q(version__in=[v.pk for v in versions]) | Q(reference__in=[r.pk for r in references]),
        discount=discount.version,
    ).only("version_id", "reference_id", "data")
    by_version = {fp.version_id: similarity.Fingerprint.from_bytes(bytes(fp.data)) for fp in stored if fp.version_id}
    by_reference = {
        fp.reference_id: similarity.Fingerprint.from_bytes(bytes(fp.data)) for fp in stored if fp.reference_id
    }
    new: list[TextFingerprint] = []
    for version in versions:
        if version.pk not in by_version:
            by_version[version.pk] = similarity.Fingerprint.of(version.text, discount=discount)
            new.append(
                TextFingerprint(version=version, discount=discount.version, data=by_version[version.pk].to_bytes())
            )
    for reference in references:
        if reference.pk not in by_reference:
            by_reference[reference.pk] = similarity.Fingerprint.of(reference.text, discount=discount)
            new.append(
                TextFingerprint(
                    reference=reference, discount=discount.version, data=by_reference[reference.pk].to_bytes()
                )
            )
    if new:
        stale = Q(version__in=[fp.version_id for fp in new if fp.version_id]) | Q(
            reference__in=[fp.reference_id for fp in new if fp.reference_id]
        )
        TextFingerprint.objects.filter(stale).delete()
        # ignore_conflicts: two checks at once store the same fingerprints; either copy will do.
        TextFingerprint.objects.bulk_create(new, batch_size=200, ignore_conflicts=True)
    return by_version, by_reference


# ---- the check ---------------------------------------------------------------------------------


@dataclass
class CheckResult:
    entries: int
    earlier_entries: int
    references: int
    pairs: int
    new: int
    seconds: float
    overlaps: list[Overlap] = field(default_factory=list)


def check_copies(
    contest: Contest, *, by=None, threshold: float = similarity.DEFAULT_THRESHOLD, now=None
) -> CheckResult:
    """Compare the contest's entries with each other, with the owner's earlier essay contests and
    with the reference corpus; keep the pairs at or above ``threshold`` as ``Overlap`` rows.

    A pair found again keeps its verdict and gets the new score; a pair no longer found is
    removed unless the organiser already decided it. Audited ``contests.copies.checked``."""
    if contest.kind != Contest.Kind.ESSAY:
        raise CopiesError("只有征文比赛可以查重（作品类赛事没有可比对的正文）")
    started = time.perf_counter()
    now = now or timezone.now()
    with scopes_disabled():  # earlier contests' entries and the corpus of the units above the owner
        current = list(_versions([contest]))
        earlier = list(_versions(list(earlier_contests(contest))))
        references = list(references_for(contest.owner))
        by_version, by_reference = _fingerprints(current + earlier, references)
    this_corpus, other_corpus = similarity.Corpus(), similarity.Corpus()
    entry_of_key: dict[str, int] = {}
    for version in current:
        this_corpus.add_fingerprint(f"E{version.entry_id}", by_version[version.pk])
        entry_of_key[f"E{version.entry_id}"] = version.entry_id
    for version in earlier:
        other_corpus.add_fingerprint(f"E{version.entry_id}", by_version[version.pk])
        entry_of_key[f"E{version.entry_id}"] = version.entry_id
    for reference in references:
        other_corpus.add_fingerprint(f"R{reference.pk}", by_reference[reference.pk])
    pairs = this_corpus.overlaps(threshold=threshold, against=other_corpus)

    number = {version.entry_id: version.entry.number for version in current}
    found: dict[tuple[int, int | None, int | None], float] = {}
    for a, b, score in pairs:
        entry = entry_of_key[a]
        if b.startswith("R"):
            found[(entry, None, int(b[1:]))] = score
            continue
        other = entry_of_key[b]
        if other in number and number[other] < number[entry]:  # within the contest: by code
            entry, other = other, entry
        found[(entry, other, None)] = score
    with transaction.atomic():
        existing = {
            (o.entry_id, o.other_entry_id, o.reference_id): o
            for o in Overlap.objects.filter(contest=contest).select_for_update()
        }
        new = [
            Overlap(contest=contest, entry_id=e, other_entry_id=o, reference_id=r, score=s, found_at=now)
            for (e, o, r), s in found.items()
            if (e, o, r) not in existing
        ]
        Overlap.objects.bulk_create(new, ignore_conflicts=True)  # a check running at the same time
        changed = []
        for key, overlap in existing.items():
            if key in found and overlap.score != found[key]:
                overlap.score = found[key]
                changed.append(overlap)
        Overlap.objects.bulk_update(changed, ["score"])
        gone = [o.pk for k, o in existing.items() if k not in found and o.verdict == Overlap.Verdict.OPEN]
        Overlap.objects.filter(pk__in=gone).delete()
        log_action(
            contest,
            "contests.copies.checked",
            by=by,
            org=contest.owner,
            data={"pairs": len(found), "new": len(new), "removed": len(gone), "threshold": threshold},
        )
    return CheckResult(
        entries=len(current),
        earlier_entries=len(earlier),
        references=len(references),
        pairs=len(found),
        new=len(new),
        seconds=time.perf_counter() - started,
    )


# ---- verdicts and the corpus -------------------------------------------------------------------


DECIDED_ACTIONS = {
    Overlap.Verdict.COPY: "contests.overlap.confirmed",
    Overlap.Verdict.NOT_COPY: "contests.overlap.dismissed",
}


def decide_overlap(overlap: Overlap, *, verdict: str, note: str = "", by) -> None:
    """The organiser's verdict on a pair: a copy, or not a copy (a verdict may be changed; each is
    audited ``contests.overlap.confirmed`` / ``contests.overlap.dismissed``). What follows from a
    copy (disqualifying the entry) is the organiser's separate, audited step."""
    if verdict not in DECIDED_ACTIONS:
        raise CopiesError("请选择核查结论")
    note = (note or "").strip()
    if verdict == Overlap.Verdict.COPY and not note:
        raise CopiesError("确认抄袭时请写明核查说明（例如重合的段落、与作者核实的情况）")
    with transaction.atomic():
        before = overlap.verdict
        overlap.verdict, overlap.note = verdict, note
        overlap.decided_by, overlap.decided_at = by, timezone.now()
        overlap.save(update_fields=["verdict", "note", "decided_by", "decided_at"])
        log_action(
            overlap,
            DECIDED_ACTIONS[verdict],
            by=by,
            org=overlap.contest.owner,
            from_state=before,
            to_state=verdict,
            reason=note,
        )


def add_reference(owner: Org, *, title: str, text: str, source: str = "", by) -> ReferenceText:
    """A text for the corpus (a published essay, a good-practice report), fingerprinted at once.
    Audited ``contests.reference.added``."""
    title, text, source = (title or "").strip(), (text or "").replace("\r\n", "\n").strip(), (source or "").strip()
    if not title:
        raise CopiesError("请填写标题")
    if not text:
        raise CopiesError("请粘贴正文或上传 .txt / .docx 文件")
    if len(text) > REFERENCE_MAX_CHARS:
        raise CopiesError(f"正文太长（最多 {REFERENCE_MAX_CHARS:,} 字），请分成几篇添加")
    fingerprint = similarity.Fingerprint.of(text)
    with transaction.atomic():
        reference = ReferenceText.objects.create(owner=owner, title=title, text=text, source=source, created_by=by)
        TextFingerprint.objects.create(reference=reference, discount=fingerprint.version, data=fingerprint.to_bytes())
        log_action(reference, "contests.reference.added", by=by, org=owner, data={"chars": len(text)})
    return reference


def delete_reference(reference: ReferenceText, *, by) -> None:
    """Take a text out of the corpus (its pairs go with it). Audited ``contests.reference.deleted``."""
    with transaction.atomic():
        log_action(reference, "contests.reference.deleted", by=by, org=reference.owner, data={"title": reference.title})
        reference.delete()


# ---- reads -------------------------------------------------------------------------------------


def is_judge_of(user, contest: Contest) -> bool:
    with scopes_disabled():  # a judge's own membership, wherever their unit is
        return Judge.objects.filter(contest=contest, user=user).exists()


def overlaps_of(contest: Contest, *, user, verdict: str = "") -> QuerySet[Overlap]:
    """The pairs of a contest the viewer organises, best first."""
    overlaps = Overlap.objects.visible_to(user).filter(contest=contest)
    if verdict in Overlap.Verdict.values:
        overlaps = overlaps.filter(verdict=verdict)
    return overlaps.select_related(
        "entry__category", "entry__author_org", "other_entry__contest", "other_entry__author_org", "reference"
    )


def verdict_counts(contest: Contest, *, user) -> dict[str, int]:
    rows = Overlap.objects.visible_to(user).filter(contest=contest).values("verdict").annotate(n=Count("id"))
    counts = dict.fromkeys(Overlap.Verdict.values, 0)
    counts.update({row["verdict"]: row["n"] for row in rows})
    return counts


@dataclass
class Segment:
    text: str
    kind: str = ""  # "" | "copy" | "quote"
    number: int = 0  # the passage's number, the same on both sides
    first: bool = False  # the passage's first segment: its number is shown there


def segments(text: str, passages: list[tuple[int, int, int]], quotes: list[tuple[int, int]]) -> list[Segment]:
    """``text`` cut into plain, copied (numbered) and quoted-law/boilerplate segments."""
    labels = [0] * len(text)
    for start, end in quotes:
        labels[start:end] = [-1] * (end - start)
    for start, end, number in passages:
        for i in range(start, end):
            if labels[i] <= 0:  # a text that repeats itself: the first passage keeps its characters
                labels[i] = number
    out: list[Segment] = []
    numbered: set[int] = set()
    start = 0
    for i in range(1, len(text) + 1):
        if i == len(text) or labels[i] != labels[start]:
            label = labels[start]
            kind = "copy" if label > 0 else "quote" if label < 0 else ""
            out.append(Segment(text[start:i], kind, max(label, 0), first=label > 0 and label not in numbered))
            numbered.add(label)
            start = i
    return out


@dataclass
class SideBySide:
    left: list[Segment]
    right: list[Segment]
    passages: int
    copied_chars: int


def side_by_side(left_text: str, right_text: str) -> SideBySide:
    passages = similarity.shared_passages(left_text, right_text)
    left = [(p.a_start, p.a_end, n) for n, p in enumerate(passages, start=1)]
    right = [(p.b_start, p.b_end, n) for n, p in enumerate(passages, start=1)]
    return SideBySide(
        left=segments(left_text, left, similarity.discounted_spans(left_text)),
        right=segments(right_text, right, similarity.discounted_spans(right_text)),
        passages=len(passages),
        copied_chars=sum(p.a_end - p.a_start for p in passages),
    )


def texts_of(overlap: Overlap) -> tuple[str, str]:
    """The two texts of a pair: the entries' current texts, or the reference text."""
    with scopes_disabled():  # the other side may be an earlier contest's entry or a corpus text above
        left = overlap.entry.current_version.text if overlap.entry.current_version_id else ""
        if overlap.reference_id:
            right = overlap.reference.text
        else:
            other = overlap.other_entry
            right = other.current_version.text if other.current_version_id else ""
    return left, right


def other_label(overlap: Overlap) -> str:
    """The other side of a pair, by code (judges' anonymity): an entry's code (with its contest
    when it is an earlier one), or the reference text's title."""
    if overlap.reference_id:
        return f"比对文本《{overlap.reference.title}》"
    other = overlap.other_entry
    if other.contest_id != overlap.contest_id:
        return f"{other.code}（{other.contest.title}）"
    return other.code


def overlaps_for_command(contest: Contest, *, threshold: float) -> list[tuple[str, str, float, str]]:
    """(code, the other side, score, verdict) of the contest's pairs at or above ``threshold``."""
    overlaps = Overlap.objects.filter(contest=contest, score__gte=threshold).select_related(
        "entry", "other_entry__contest", "reference"
    )
    return [(o.entry.code, other_label(o), o.score, o.get_verdict_display()) for o in overlaps]
