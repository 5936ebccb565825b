from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from jinguo.lib.excel import TableReadError, read_table
from jinguo.lib.importflow import group_errors
from jinguo.lib.scoping import scopes_disabled
from jinguo.orgs.importing import import_orgs
from jinguo.orgs.models import Org


class Command(BaseCommand):
    help = "Import the org tree from an .xlsx or .csv file (code, name, parent_code, kind)."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="check and list the changes, write nothing")
        parser.add_argument("--root", metavar="CODE", help="only touch the subtree of the unit with this code")

    def handle(self, *args, file: str, dry_run: bool, root: str | None, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"文件不存在：{file}")
        with scopes_disabled():  # a deployment command: the sheet may cover the whole tree (or --root's subtree)
            root_org = None
            if root:
                root_org = Org.objects.filter(code=root).first()
                if root_org is None:
                    raise CommandError(f"找不到区划代码为 {root} 的单位")
            try:
                rows = read_table(path.read_bytes(), path.name)
            except TableReadError as exc:
                raise CommandError(str(exc)) from exc
            result = import_orgs(rows, dry_run=dry_run, root=root_org)
        for group in group_errors(result.errors):
            self.stderr.write(f"{group.rows}：{group.message}" if group.rows != "—" else group.message)
        if result.errors:
            raise CommandError(f"{len(result.errors)} 行有错误，未写入任何数据")
        prefix = "试运行（未写入）：" if dry_run else "已导入："
        self.stdout.write(prefix + result.summary)
