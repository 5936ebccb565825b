import getpass
import sys

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from jinguo.accounts.models import User
from jinguo.accounts.services import AccountError, create_user
from jinguo.lib.scoping import scopes_disabled
from jinguo.orgs.models import Org


class Command(BaseCommand):
    help = "为指定单位创建一个管理员账号（部署时使用）。"

    def add_arguments(self, parser):
        unit = parser.add_mutually_exclusive_group(required=True)
        unit.add_argument("--org-code", help="单位的统计用区划代码，如 520500")
        unit.add_argument("--org-name", help="单位全称，如 毕节市妇联")
        parser.add_argument("--username", required=True, help="登录用户名")
        parser.add_argument("--full-name", default="", help="姓名")
        parser.add_argument("--password", help="密码；不给出时交互输入（避免留在命令历史里）")

    def handle(self, *args, org_code=None, org_name=None, username, full_name, password=None, **options):
        with scopes_disabled():  # a deployment command: it may name any unit of the tree
            self._create(org_code, org_name, username, full_name, password)

    def _create(self, org_code, org_name, username, full_name, password) -> None:
        org = self._find_org(org_code, org_name)
        if password is None:
            password = self._prompt_password()
        try:
            validate_password(password, user=User(username=username, full_name=full_name))
        except ValidationError as e:
            raise CommandError("密码不符合要求：" + " ".join(e.messages)) from e
        try:
            user, _ = create_user(
                by=None, org=org, username=username, full_name=full_name, roles=[User.Role.ADMIN], password=password
            )
        except AccountError as e:
            raise CommandError(str(e)) from e
        self.stdout.write(self.style.SUCCESS(f"已创建管理员 {user.username}（{org.name}）。"))

    def _find_org(self, code: str | None, name: str | None) -> Org:
        matches = list(Org.objects.filter(code=code) if code else Org.objects.filter(name=name)[:2])
        if not matches:
            raise CommandError(f"找不到单位：{code or name}")
        if len(matches) > 1:
            raise CommandError(f"有多个单位名为“{name}”，请改用 --org-code。")
        return matches[0]

    def _prompt_password(self) -> str:
        if not sys.stdin.isatty():
            raise CommandError("非交互环境请用 --password 给出密码。")
        first = getpass.getpass("密码：")
        if first != getpass.getpass("再输入一次："):
            raise CommandError("两次输入的密码不一致。")
        return first
