from django.core.management.base import BaseCommand, CommandError

from jinguo.activities.rollups import rebuild_activity_rollups
from jinguo.campaigns.models import Campaign
from jinguo.lib.scoping import scopes_disabled


class Command(BaseCommand):
    help = "从活动台账重新计算督导看板使用的台账汇总（全部通知，或 --campaign 指定的一个通知）。"

    def add_arguments(self, parser):
        parser.add_argument("--campaign", type=int, help="只重算这个通知（编号）的汇总")

    def handle(self, *args, campaign: int | None = None, **options):
        with scopes_disabled():  # the totals of every unit of the tree are recomputed
            chosen = None
            if campaign is not None:
                chosen = Campaign.objects.filter(pk=campaign).first()
                if chosen is None:
                    raise CommandError(f"找不到编号为 {campaign} 的通知")
            rows = rebuild_activity_rollups(campaign=chosen)
        self.stdout.write(f"已重算台账汇总：{rows} 行。")
