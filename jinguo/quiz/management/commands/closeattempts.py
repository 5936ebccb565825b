from django.core.management.base import BaseCommand

from jinguo.lib.scoping import scopes_disabled
from jinguo.quiz.taking import close_expired_attempts


class Command(BaseCommand):
    help = "收卷：把已过截止时间仍未交卷的答卷按截止前保存的答案评分并关闭。"

    def handle(self, *args, **options):
        with scopes_disabled():  # every quiz's expired attempts
            closed = close_expired_attempts()
        self.stdout.write(f"已收卷 {closed} 份超时答卷。")
