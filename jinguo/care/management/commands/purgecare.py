import datetime as dt

from django.core.management.base import BaseCommand

from jinguo.care.retention import purge


class Command(BaseCommand):
    help = "Anonymise the care records whose retention has ended (run daily)."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="count what is due, change nothing")
        parser.add_argument("--today", type=dt.date.fromisoformat, help="as if run on this date (YYYY-MM-DD)")

    def handle(self, *args, **options):
        report = purge(today=options["today"], dry_run=options["dry_run"])
        verb = "would anonymise" if options["dry_run"] else "anonymised"
        self.stdout.write(
            f"{verb} {report.people} people; removed {report.members} household members and "
            f"{report.attachments} attachments; cleared {report.audit_entries} audit entries and "
            f"{report.access_logs} access-log rows"
        )
        for org, n in sorted(report.by_org.items()):
            self.stdout.write(f"  {org}: {n}")
