from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from jinguo.orgs.models import Org

DIVISIONS = Path(__file__).resolve().parents[2] / "data" / "bijie-divisions-2023.csv"


@pytest.mark.django_db
def test_importorgs_imports_divisions():
    out = StringIO()

    call_command("importorgs", str(DIVISIONS), stdout=out)

    assert out.getvalue().strip() == "已导入：新建 288 个，修改 0 个，移动 0 个单位"
    assert Org.objects.count() == 288


@pytest.mark.django_db
def test_importorgs_dry_run_writes_nothing():
    out = StringIO()

    call_command("importorgs", str(DIVISIONS), "--dry-run", stdout=out)

    assert out.getvalue().strip() == "试运行（未写入）：新建 288 个，修改 0 个，移动 0 个单位"
    assert Org.objects.count() == 0


@pytest.mark.django_db
def test_importorgs_errors_listed_and_exit_code_1(tree, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("code,name,parent_code,kind\n520502009,甲,520521,township\n520502010,,520502,township\n", "utf-8")
    err = StringIO()

    with pytest.raises(CommandError) as exc:
        call_command("importorgs", str(bad), "--root", "520502", stderr=err)

    assert str(exc.value) == "2 行有错误，未写入任何数据"
    assert exc.value.returncode == 1
    assert err.getvalue().splitlines() == [
        "第 2 行：上级单位（代码 520521）不在您的管理范围内",
        "第 3 行：单位名称不能为空",
    ]
    assert Org.objects.filter(code="520502009").count() == 0


@pytest.mark.django_db
def test_importorgs_unknown_root(tree):
    with pytest.raises(CommandError, match="找不到区划代码为 999 的单位"):
        call_command("importorgs", str(DIVISIONS), "--root", "999")
