from django.core.management.base import BaseCommand

from jinguo.dashboard.reminders import collect_digests, send_reminders
from jinguo.lib.scoping import scopes_disabled


class Command(BaseCommand):
    help = "给进度落后的单位发送督办提醒（站内消息和邮件，每人每天至多一次）。"

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="只列出要提醒的单位，不发送")

    def handle(self, *args, dry_run: bool = False, **options):
        with scopes_disabled():  # one digest for every unit of the tree that is behind
            if dry_run:
                for digest in collect_digests().values():
                    self.stdout.write(f"{digest.org.name}：\n{digest.text}")
            units, users = send_reminders(dry_run=dry_run)
        verb = "将提醒" if dry_run else "已提醒"
        self.stdout.write(f"{verb} {units} 个单位、{users} 名用户。")
