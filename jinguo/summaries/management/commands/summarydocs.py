from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from jinguo.campaigns.models import Campaign
from jinguo.lib.scoping import scope, scopes_disabled
from jinguo.orgs.models import Org
from jinguo.summaries import documents
from jinguo.summaries.models import Summary
from jinguo.summaries.services import filed_with


class Command(BaseCommand):
    help = "把一个单位及其每个直属下级单位的活动总结导出为公文格式的 Word 或 PDF 文件。"

    def add_arguments(self, parser):
        parser.add_argument("--campaign", type=int, required=True, help="活动通知的编号（ID）")
        parser.add_argument("--unit", required=True, help="单位代码")
        parser.add_argument("--format", choices=sorted(documents.FORMATS), default="docx", help="docx 或 pdf")
        parser.add_argument("-o", "--output", required=True, help="输出目录")

    def handle(self, *args, campaign: int, unit: str, format: str, output: str, **options):
        with scopes_disabled():  # a command names its unit: the campaign and the unit are looked up by id and code
            found = Campaign.objects.filter(pk=campaign).first()
            root = Org.objects.filter(code=unit).first()
        if found is None:
            raise CommandError(f"没有编号为 {campaign} 的活动通知")
        if root is None:
            raise CommandError(f"没有代码为 {unit} 的单位")
        out = Path(output)
        out.mkdir(parents=True, exist_ok=True)
        written = drafted = 0
        # Everything below reads inside the named unit's subtree, as its own people would.
        with scope(org=root):
            units = [root, *Org.objects.filter(parent=root, is_active=True).order_by("path")]
            saved = {s.org_id: s for s in Summary.objects.filter(campaign=found, org__in=units)}
            for org in units:
                summary = saved.get(org.pk)
                if summary is not None:
                    document = documents.summary_document(summary)
                else:
                    document = documents.drafted_document(found, org, to_org=filed_with(found, org))
                    drafted += 1
                name = f"{org.code or org.pk}_{org.name}_活动总结.{format}"
                (out / name).write_bytes(documents.render(document, format))
                state = summary.get_status_display() if summary else "未起草，按数据生成"
                self.stdout.write(f"{name}（{state}）")
                written += 1
        self.stdout.write(f"已写出 {written} 份总结到 {out}（其中 {drafted} 份按数据生成）。")
