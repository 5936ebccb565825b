from pathlib import Path

import pytest

from jinguo.audit.models import AuditEntry
from jinguo.lib.excel import read_table
from jinguo.orgs.importing import import_orgs
from jinguo.orgs.models import Org
from jinguo.orgs.services import set_org_active

DIVISIONS = Path(__file__).resolve().parents[2] / "data" / "bijie-divisions-2023.csv"


def rows_of(text: str, encoding: str = "utf-8") -> list[dict]:
    return read_table(text.encode(encoding), "units.csv")


HEADER = "code,name,parent_code,kind,parent_path,short_name\n"


@pytest.mark.django_db
def test_import_divisions_file_creates_city_counties_townships():
    result = import_orgs(read_table(DIVISIONS.read_bytes(), DIVISIONS.name), dry_run=False)

    assert result.errors == []
    assert result.written is True
    assert len(result.created) == 288
    assert Org.objects.filter(kind="city").count() == 1
    assert Org.objects.filter(kind="county").count() == 8
    assert Org.objects.filter(kind="township").count() == 279
    qxg = Org.objects.get(code="520502")
    town = Org.objects.get(code="520502001")
    assert town.parent == qxg
    assert town.path.startswith(qxg.path) and town.depth == 2
    assert qxg.child_seq == Org.objects.filter(parent=qxg).count()
    entry = AuditEntry.objects.get(action="orgs.tree.imported")
    assert entry.data == {"created": 288, "updated": 0, "moved": 0}


@pytest.mark.django_db
def test_import_paths_agree_with_create_org_afterwards():
    import_orgs(read_table(DIVISIONS.read_bytes(), DIVISIONS.name), dry_run=False)
    from jinguo.orgs.services import create_org

    qxg = Org.objects.get(code="520502")
    new = create_org(name="新街道", kind="township", parent=qxg)

    assert new.path == qxg.path + str(qxg.child_seq).zfill(5)
    assert Org.objects.filter(path=new.path).count() == 1


@pytest.mark.django_db
def test_import_under_existing_tree_with_root(tree, users):
    rows = rows_of(HEADER + "520502002,市东街道妇联,520502,乡镇（街道）妇联,,市东\n,市东社区妇联,520502002,village,,\n")

    result = import_orgs(rows, dry_run=False, by=users.qxg_admin, root=tree.qxg)

    assert result.errors == []
    town = Org.objects.get(code="520502002")
    assert (town.parent, town.kind, town.short_name) == (tree.qxg, "township", "市东")
    village = Org.objects.get(name="市东社区妇联")
    assert (village.parent, village.code, village.depth) == (town, None, 3)
    entry = AuditEntry.objects.get(action="orgs.tree.imported")
    assert (entry.org, entry.actor) == (tree.qxg, users.qxg_admin)


@pytest.mark.django_db
def test_import_dry_run_writes_nothing(tree):
    before = Org.objects.count()
    rows = rows_of(HEADER + "520502002,市东街道妇联,520502,township,,\n520502001,新名字,,,,\n")

    result = import_orgs(rows, dry_run=True, root=tree.city)

    assert [c.name for c in result.created] == ["市东街道妇联"]
    assert [c.name for c in result.updated] == ["新名字"]
    assert result.written is False
    assert Org.objects.count() == before
    assert Org.objects.get(pk=tree.qxg_town.pk).name == "七星关区市西街道妇联"
    assert AuditEntry.objects.filter(action="orgs.tree.imported").count() == 0


@pytest.mark.django_db
def test_import_one_bad_row_writes_nothing(tree):
    before = set(Org.objects.values_list("pk", "name", "path"))
    rows = rows_of(
        HEADER + "520502002,市东街道妇联,520502,township,,\n520502001,新名字,,,,\n520502003,坏行,520502,省长,,\n"
    )

    result = import_orgs(rows, dry_run=False, root=tree.city)

    assert result.errors == [
        (
            4,
            "单位类型“省长”无效，可填：" + "、".join(str(k) for k in Org.Kind.labels)
            + " 或其常用写法（如 县妇联、街道妇联），也可留空按层级推断",
        )
    ]  # fmt: skip
    assert result.written is False
    assert set(Org.objects.values_list("pk", "name", "path")) == before
    assert AuditEntry.objects.filter(action__startswith="orgs.").exclude(action="orgs.unit.created").count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        ("520502009,,520502,township,,\n", [(2, "单位名称不能为空")]),
        ("520502009,某街道,999999,township,,\n", [(2, "找不到上级单位（代码 999999）")]),
        ("520502009,某街道,,township,毕节市妇联/不存在,\n", [(2, "找不到上级路径“毕节市妇联/不存在”对应的单位")]),
        (
            "520502009,甲,520502,township,,\n520502009,乙,520502,township,,\n",
            [(3, "区划代码 520502009 在文件中重复（第 2 行已使用）")],
        ),
        ("52A,某街道,520502,township,,\n", [(2, "区划代码“52A”无效，应为不超过 12 位的数字")]),
        ("520502009,某街道,520502009,township,,\n", [(2, "上级代码不能是本单位自己的代码")]),
        (
            "520502,七星关区妇联,520502001,county,,\n",
            [(2, "不能把“七星关区妇联”移动到它自己或它的下级单位“七星关区市西街道妇联”之下（循环引用）")],
        ),
        (
            "520502091,甲,520502092,township,,\n520502092,乙,520502091,township,,\n",
            [
                (2, "上级关系形成循环（本单位 520502091 经由 520502092 又回到本单位）"),
                (3, "上级单位（代码 520502091）所在的第 2 行有错误"),
            ],
        ),
        (
            "520502091,甲,520502092,township,,\n520502092,乙,520502,township,,\n",
            [(2, "上级单位（代码 520502092）在第 3 行，须写在本行之前")],
        ),
        ("520502009,某街道,,township,,\n", [(2, "请填写上级代码或上级路径")]),
        (
            "520502009,七星关区市西街道妇联,520502,township,,\n",
            [(2, "上级单位“七星关区妇联”下已有同名单位“七星关区市西街道妇联”（代码 520502001）")],
        ),
    ],
)
def test_import_row_errors(tree, lines, expected):
    result = import_orgs(
        rows_of(HEADER + lines), dry_run=False, root=tree.qxg if "520502," not in lines[:7] else tree.city
    )

    assert result.errors == expected
    assert result.written is False


@pytest.mark.django_db
def test_import_code_used_outside_subtree_and_parent_outside_subtree(tree):
    rows = rows_of(HEADER + "520521100,抢占大方镇代码,520502,township,,\n520502009,某街道,520521,township,,\n")

    result = import_orgs(rows, dry_run=True, root=tree.qxg)

    assert result.errors == [
        (2, "区划代码 520521100 已被您管理范围以外的单位使用"),
        (3, "上级单位（代码 520521）不在您的管理范围内"),
    ]


@pytest.mark.django_db
def test_import_without_root_reports_code_already_used_as_update_target(tree):
    # Without a root the whole tree is the scope: an existing code is that unit, updated in place.
    result = import_orgs(rows_of(HEADER + "520521100,大方镇妇联,520521,township,,\n"), dry_run=False)

    assert result.errors == []
    assert Org.objects.get(code="520521100").name == "大方镇妇联"


@pytest.mark.django_db
def test_import_parent_inactive_is_an_error(tree):
    set_org_active(tree.qxg_town, active=False)

    result = import_orgs(rows_of(HEADER + ",某村妇联,520502001,village,,\n"), dry_run=True, root=tree.qxg)

    assert result.errors == [(2, "上级单位“七星关区市西街道妇联”已停用，不能在其下新建单位")]


@pytest.mark.django_db
def test_import_updates_and_moves_by_code(tree, users):
    rows = rows_of(HEADER + "520502001,市西街道妇联,520521,township,,市西\n")

    result = import_orgs(rows, dry_run=False, by=users.city_admin, root=tree.city)

    assert result.errors == []
    assert [(c.name, c.detail) for c in result.updated] == [
        ("市西街道妇联", "名称：七星关区市西街道妇联 → 市西街道妇联；简称：（空） → 市西")
    ]
    assert [(c.code, c.detail) for c in result.moved] == [("520502001", "七星关区妇联 → 大方县妇联")]
    town = Org.objects.get(pk=tree.qxg_town.pk)
    assert (town.name, town.short_name, town.parent_id) == ("市西街道妇联", "市西", tree.dafang.pk)
    assert town.path.startswith(Org.objects.get(pk=tree.dafang.pk).path)
    actions = list(AuditEntry.objects.filter(object_id=town.pk).values_list("action", flat=True))
    assert sorted(actions) == ["orgs.unit.created", "orgs.unit.moved", "orgs.unit.updated"]
    updated = AuditEntry.objects.get(object_id=town.pk, action="orgs.unit.updated")
    assert (updated.actor, updated.org_id, updated.from_state, updated.to_state, updated.reason) == (
        users.city_admin,
        town.pk,
        "七星关区市西街道妇联",
        "市西街道妇联",
        "批量导入",
    )
    assert updated.data == {"name": ["七星关区市西街道妇联", "市西街道妇联"], "short_name": ["", "市西"]}


@pytest.mark.django_db
def test_import_move_then_create_below_moved_unit(tree):
    rows = rows_of(HEADER + "520502001,七星关区市西街道妇联,520521,,,\n,新村妇联,520502001,village,,\n")

    result = import_orgs(rows, dry_run=False, root=tree.city)

    assert result.errors == []
    village = Org.objects.get(name="新村妇联")
    town = Org.objects.get(pk=tree.qxg_town.pk)
    assert village.parent == town
    assert village.path.startswith(town.path) and village.depth == town.depth + 1


@pytest.mark.django_db
def test_import_parent_by_name_path(tree):
    rows = rows_of(
        HEADER
        + ",综合科,,department,毕节市妇联/办公室,\n"
        + ",档案组,,group,毕节市妇联/办公室/综合科,\n"
        + ",机要组,,group,办公室/综合科,\n"
    )

    result = import_orgs(rows, dry_run=False, root=tree.city)

    assert result.errors == []
    section = Org.objects.get(name="综合科")
    assert section.parent == tree.office
    assert list(Org.objects.filter(parent=section).values_list("name", flat=True)) == ["档案组", "机要组"]


@pytest.mark.django_db
def test_import_name_path_above_root_is_cut_at_root(tree):
    rows = rows_of(HEADER + ",某社区妇联,,village,毕节市妇联/七星关区妇联/七星关区市西街道妇联,\n")

    result = import_orgs(rows, dry_run=False, root=tree.qxg)

    assert result.errors == []
    assert Org.objects.get(name="某社区妇联").parent == tree.qxg_town


@pytest.mark.django_db
def test_import_codeless_row_matches_existing_unit_by_name(tree):
    result = import_orgs(rows_of(HEADER + ",办公室,520500,department,,办\n"), dry_run=False, root=tree.city)

    assert result.errors == []
    assert result.created == []
    assert Org.objects.get(pk=tree.office.pk).short_name == "办"


@pytest.mark.django_db
def test_import_csv_gb18030_and_utf8(tree):
    text = "区划代码,单位名称,上级代码,单位类型\n520502002,市东街道妇联,520502,乡镇（街道）妇联\n"

    gb = import_orgs(read_table(text.encode("gb18030"), "a.csv"), dry_run=True, root=tree.city)
    utf = import_orgs(read_table(("\ufeff" + text).encode("utf-8"), "a.csv"), dry_run=True, root=tree.city)

    assert gb.errors == utf.errors == []
    assert (
        [(c.code, c.name) for c in gb.created]
        == [(c.code, c.name) for c in utf.created]
        == [("520502002", "市东街道妇联")]
    )


@pytest.mark.django_db
def test_import_missing_columns_is_an_error(tree):
    result = import_orgs(rows_of("code,名字\n1,甲\n"), dry_run=True, root=tree.city)

    assert result.errors == [(1, "缺少列：单位名称(name)、上级代码(parent_code) 或 上级路径(parent_path)")]


@pytest.mark.django_db
def test_import_own_unit_row_with_its_real_parent_is_no_move(tree):
    result = import_orgs(rows_of(HEADER + "520502,七星关区妇联,520500,county,,\n"), dry_run=True, root=tree.qxg)

    assert (result.errors, result.moved, result.updated) == ([], [], [])


@pytest.mark.django_db
def test_import_cannot_move_own_unit(tree):
    result = import_orgs(rows_of(HEADER + "520502,七星关区妇联,520521,county,,\n"), dry_run=True, root=tree.qxg)

    assert result.errors == [(2, "不能移动您自己的单位")]


def assert_tree_consistent():
    orgs = {o.pk: o for o in Org.objects.all()}
    for org in orgs.values():
        parent = orgs.get(org.parent_id)
        if parent is None:
            assert (len(org.path), org.depth) == (5, 0)
        else:
            assert org.path[:-5] == parent.path
            assert org.depth == parent.depth + 1
            assert int(org.path[-5:]) <= parent.child_seq


@pytest.mark.django_db
def test_import_mixed_moves_and_creates_leave_a_consistent_tree(tree):
    rows = rows_of(
        HEADER
        + ",新街道A,520502,township,,\n"
        + "520502001,七星关区市西街道妇联,520521,,,\n"
        + ",新村B,520502001,village,,\n"
        + "520521100,大方县大方镇妇联,520502,,,\n"
        + ",新村C,520521100,village,,\n"
        + "520521,大方县妇联,520502,,,\n"
    )

    result = import_orgs(rows, dry_run=False, root=tree.city)

    assert result.errors == []
    assert len(result.moved) == 3
    assert_tree_consistent()
    dafang = Org.objects.get(pk=tree.dafang.pk)
    assert dafang.parent_id == tree.qxg.pk
    assert Org.objects.get(name="新村B").path.startswith(dafang.path)


@pytest.mark.parametrize(
    "line",
    [
        "520502,七星关区妇女联合会,520500,county,,\n",  # renamed
        "520502,七星关区妇联,520500,township,,\n",  # another kind: other campaigns would reach it
        "520502,七星关区妇联,520500,county,,七星关\n",  # a short name
    ],
)
def test_import_cannot_change_the_importers_own_unit(tree, users, line):
    result = import_orgs(rows_of(HEADER + line), dry_run=False, by=users.qxg_admin, root=tree.qxg)
    assert [m for _, m in result.errors] == ["本单位的名称、简称和类型由上级单位维护，不能在此修改"]
    tree.qxg.refresh_from_db()
    assert (tree.qxg.name, tree.qxg.kind, tree.qxg.short_name) == ("七星关区妇联", "county", "")


def test_import_by_the_unit_above_may_change_it(tree, users):
    result = import_orgs(
        rows_of(HEADER + "520502,七星关区妇女联合会,520500,county,,\n"),
        dry_run=False,
        by=users.city_admin,
        root=tree.city,
    )
    assert result.errors == []
    tree.qxg.refresh_from_db()
    assert tree.qxg.name == "七星关区妇女联合会"


@pytest.mark.django_db
def test_import_accepts_the_kinds_federations_write():
    rows = rows_of(
        "code,name,parent_code,kind\n"
        "520000,贵州省妇联,,省妇联\n"
        "520500,毕节市妇联,520000,市妇联\n"
        "520502,七星关区妇联,520500,区妇联\n"
        "520521,大方县妇联,520500,县妇联\n"
        "520502001,市西街道妇联,520502,街道妇联\n"
        "520521100,大方镇妇联,520521, 镇妇联 \n"
        "520521100201,某村妇联,520521100,村（社区）妇联\n"
        "520521100202,某社区妇联,520521100,村(社区)\n"
        ",市直机关妇委会,520500,妇委会\n"
    )
    result = import_orgs(rows, dry_run=False)
    assert result.errors == []
    kinds = dict(Org.objects.values_list("name", "kind"))
    assert kinds == {
        "贵州省妇联": "province", "毕节市妇联": "city", "七星关区妇联": "county", "大方县妇联": "county",
        "市西街道妇联": "township", "大方镇妇联": "township", "某村妇联": "village", "某社区妇联": "village",
        "市直机关妇委会": "committee",
    }  # fmt: skip


@pytest.mark.django_db
def test_import_infers_the_kind_from_the_level_when_the_column_is_missing():
    rows = rows_of(
        "code,name,parent_code\n"
        "520000,贵州省妇联,\n"
        "520500,毕节市妇联,520000\n"
        "520502,七星关区妇联,520500\n"
        "520502001,市西街道妇联,520502\n"
        "520502001001,某社区妇联,520502001\n"
        ",毕节市直机关妇委会,520500\n"
    )
    result = import_orgs(rows, dry_run=False)
    assert result.errors[0] == (2, "请填写单位类型（顶级单位无法从层级推断）")  # the rows below it follow it
    rows = rows_of("code,name,parent_code,kind\n520000,贵州省妇联,,省妇联\n")
    assert import_orgs(rows, dry_run=False).errors == []
    result = import_orgs(
        rows_of(
            "code,name,parent_code\n520500,毕节市妇联,520000\n520502,七星关区妇联,520500\n"
            "520502001,市西街道妇联,520502\n520502001001,某社区妇联,520502001\n,毕节市直机关妇委会,520500\n"
        ),
        dry_run=False,
    )
    assert result.errors == []
    assert dict(Org.objects.exclude(name="贵州省妇联").values_list("name", "kind")) == {
        "毕节市妇联": "city", "七星关区妇联": "county", "市西街道妇联": "township", "某社区妇联": "village",
        "毕节市直机关妇委会": "committee",
    }  # fmt: skip


def test_repeated_errors_are_grouped_with_their_rows():
    from jinguo.lib.importflow import ErrorGroup, group_errors

    errors = [(n, "单位类型“省长”无效") for n in range(2, 36)] + [(40, "单位名称不能为空")]
    errors += [(n, "找不到上级单位") for n in (41, 45, 50, 52, 60, 70, 80)] + [(None, "文件是空的")]
    assert group_errors(errors) == [
        ErrorGroup(rows="—", message="文件是空的", count=1),
        ErrorGroup(rows="第 2–35 行（34 行）", message="单位类型“省长”无效", count=34),
        ErrorGroup(rows="第 40 行", message="单位名称不能为空", count=1),
        ErrorGroup(rows="第 41、45、50、52、60 行等 7 行", message="找不到上级单位", count=7),
    ]
