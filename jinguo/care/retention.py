"""Retention: what is due is anonymised, everywhere it was written, by a daily command (``purgecare``).

A person is due on ``Person.purge_on`` (``services.retention_date``: per category, N years after the
case is closed; for a category of minors, when the person turns 18 + N). Anonymising keeps the
counts (unit, categories, sex, help given and its amounts, dates) and removes the person: name, ID
number and its digest, birth date, phone, address, every free text, household members, consent
signatories, the attachments' files, the reasons and addresses in the access log, and whatever
the audit entries about them held beyond the action itself.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from jinguo.accounts.models import User
from jinguo.audit.models import AuditEntry
from jinguo.audit.services import log_action
from jinguo.care.counts import tracking
from jinguo.care.models import (
    AccessLog,
    Consent,
    DuplicateReport,
    FollowUp,
    HelpAttachment,
    HelpRecord,
    HouseholdMember,
    Person,
)
from jinguo.lib.scoping import scopes_disabled

ANONYMISED_NAME = "（已匿名）"


@dataclass
class PurgeReport:
    people: int = 0
    members: int = 0
    attachments: int = 0
    audit_entries: int = 0
    access_logs: int = 0
    by_org: dict[str, int] = field(default_factory=dict)


def _next_month_end(today: dt.date) -> dt.date:
    first_next = (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    return (first_next + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)


def due_people(*, on: dt.date):
    return Person.objects.filter(anonymised_at__isnull=True, purge_on__lte=on)


def anonymise(person: Person) -> PurgeReport:
    """Anonymise one person everywhere; the caller holds the transaction and the scope."""
    with tracking([person.pk]):  # an active minor's record may be due: it leaves the counts
        return _anonymise(person)


def _anonymise(person: Person) -> PurgeReport:
    report = PurgeReport(people=1)
    person_ct = ContentType.objects.get_for_model(Person)
    for attachment in HelpAttachment.objects.filter(record__person=person):
        attachment.file.delete(save=False)
        report.attachments += 1
    HelpAttachment.objects.filter(record__person=person).delete()
    report.members = HouseholdMember.objects.filter(person=person).delete()[0]
    Consent.objects.filter(person=person).update(given_by=ANONYMISED_NAME, relation="")
    HelpRecord.objects.filter(person=person).update(note="", given_by="")
    FollowUp.objects.filter(person=person).update(note="")
    report.access_logs = AccessLog.objects.filter(person=person).update(reason="", ip=None)
    report_ids = list(DuplicateReport.objects.filter(person=person).values_list("pk", flat=True))
    report_ct = ContentType.objects.get_for_model(DuplicateReport)
    report.audit_entries = AuditEntry.objects.filter(content_type=person_ct, object_id=person.pk).update(
        data={}, reason="", from_state="", to_state=""
    ) + AuditEntry.objects.filter(content_type=report_ct, object_id__in=report_ids).update(data={}, reason="")
    for name in Person.SENSITIVE_FIELDS:
        setattr(person, name, "")
    person.name = ANONYMISED_NAME
    person.id_digest = None
    person.birth_date = None
    person.household_size = None
    person.monthly_income = None
    person.next_followup_on = None
    person.purge_on = None
    person.anonymised_at = timezone.now()
    person.save()
    log_action(person, "care.person.anonymised", by=None, org=person.org)
    return report


def purge(*, today: dt.date | None = None, dry_run: bool = False, batch: int = 200) -> PurgeReport:
    """Anonymise every person due by ``today``, in batches of one transaction each."""
    today = today or timezone.localdate()
    total = PurgeReport()
    with scopes_disabled():  # a daily maintenance command over the whole tree
        if dry_run:
            for row in due_people(on=today).values("org__name").annotate(n=Count("pk")):
                total.by_org[row["org__name"]] = row["n"]
                total.people += row["n"]
            return total
        while True:
            ids = list(due_people(on=today).order_by("pk").values_list("pk", flat=True)[:batch])
            if not ids:
                return total
            with transaction.atomic():
                for person in Person.objects.select_related("org").filter(pk__in=ids).select_for_update():
                    one = anonymise(person)
                    total.people += 1
                    total.members += one.members
                    total.attachments += one.attachments
                    total.audit_entries += one.audit_entries
                    total.access_logs += one.access_logs
                    total.by_org[person.org.name] = total.by_org.get(person.org.name, 0) + 1


def forecast(*, user: User, today: dt.date | None = None) -> dict:
    """What will be anonymised from today to the end of next month, in the viewer's subtree, by unit
    and category (counts, no names: the page is for planning, not for reading people)."""
    today = today or timezone.localdate()
    until = _next_month_end(today)
    qs = Person.objects.visible_to(user).filter(anonymised_at__isnull=True, purge_on__lte=until)
    by_org = list(qs.values("org__name", "org__path").annotate(n=Count("pk")).order_by("org__path"))
    by_category = list(
        qs.values("categories__name").annotate(n=Count("pk", distinct=True)).order_by("-n", "categories__name")
    )
    return {"today": today, "until": until, "by_org": by_org, "by_category": by_category, "total": qs.count()}
