from django.core.management.base import BaseCommand
from django.db import transaction

from jinguo.demo import people, tree
from jinguo.lib.scoping import scopes_disabled
from jinguo.orgs.models import Org


class Command(BaseCommand):
    help = "载入演示数据：毕节市组织树、演示账号和 2023 年“三八”系列活动通知（已存在则跳过）。"

    def handle(self, *args, **options):
        with scopes_disabled():  # the demo loads a whole city's tree and its data
            if Org.objects.filter(code="520500").exists():
                self.stdout.write("演示数据已存在，跳过载入。")
            else:
                with transaction.atomic():
                    tree.load_tree()
                    people.load_users()
                    self._load_campaign()
                self.stdout.write(self.style.SUCCESS(f"已载入演示数据：{Org.objects.count()} 个单位。"))
        self._print_logins()

    def _load_campaign(self) -> None:
        from jinguo.care.demo import load_demo_care
        from jinguo.contests.demo import load_demo_contests
        from jinguo.contests.demo_copies import load_demo_copies
        from jinguo.demo import campaign
        from jinguo.quiz.demo import load_demo_quiz
        from jinguo.summaries.demo import load_demo_summaries

        campaign.load_campaign()
        load_demo_quiz()
        load_demo_contests()
        load_demo_copies()
        load_demo_care()
        load_demo_summaries()  # last: the drafts quote the contests and care figures

    def _print_logins(self) -> None:
        self.stdout.write(f"\n演示账号（密码均为 {people.DEMO_PASSWORD}）：")
        for username, full_name, unit, _roles in people.DEMO_USERS:
            self.stdout.write(f"  {username:<10} {full_name}  @ {unit}")
