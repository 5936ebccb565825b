from django.core.management.base import BaseCommand

from jinguo.care.counts import rebuild_care_counts
from jinguo.lib.scoping import scopes_disabled


class Command(BaseCommand):
    help = "从关爱名册重新计算统计页使用的在册人数汇总（每个单位及每个类别）。"

    def handle(self, *args, **options):
        with scopes_disabled():  # the totals of every unit of the tree are recomputed
            rows = rebuild_care_counts()
        self.stdout.write(f"已重算在册人数汇总：{rows} 行。")
