import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from jinguo.audit.models import AuditEntry
from jinguo.lib.excel import read_table
from jinguo.lib.importflow import ErrorGroup
from jinguo.orgs.importing import import_orgs
from jinguo.orgs.models import Org
from jinguo.orgs.services import create_org


def sheet_rows(response, index: int = 0) -> list[tuple]:
    """The sheet from its header row on (an export's caption rows above it are asserted apart)."""
    wb = load_workbook(io.BytesIO(response.content))
    rows = [tuple("" if v is None else v for v in row) for row in wb.worksheets[index].iter_rows(values_only=True)]
    start = next((i for i, row in enumerate(rows) if sum(1 for v in row if v != "") >= 2), 0)
    return rows[start:]


# --- tree, children partial, search ---------------------------------------------------------------


def test_tree_shows_own_unit_and_children_only(users, client_for, tree):
    response = client_for(users.qxg_liaison).get(reverse("orgs:tree"))

    assert response.status_code == 200
    body = response.content.decode()
    assert "七星关区市西街道妇联" in body
    assert "大方县" not in body.replace(users.qxg_liaison.org.name, "")
    assert response.context["root"] == tree.qxg
    assert response.context["children"] == [tree.qxg_town]


def test_tree_query_count_does_not_grow_with_children(users, client_for, tree, django_assert_max_num_queries):
    client = client_for(users.qxg_liaison)
    with django_assert_max_num_queries(9):
        client.get(reverse("orgs:tree"))
    for i in range(30):
        create_org(name=f"街道{i}", kind="township", parent=tree.qxg)
    with django_assert_max_num_queries(9):
        response = client.get(reverse("orgs:tree"))
    assert len(response.context["children"]) == 31


def test_children_partial_lists_children_with_counts(users, client_for, tree):
    response = client_for(users.city_admin).get(reverse("orgs:children", args=[tree.city.pk]))

    assert response.status_code == 200
    assert [(o.name, o.child_count) for o in response.context["children"]] == [
        ("七星关区妇联", 1),
        ("大方县妇联", 1),
        ("办公室", 0),
    ]
    assert f'hx-get="/orgs/{tree.qxg.pk}/children/"' in response.content.decode()
    assert "<html" not in response.content.decode()


def test_children_partial_query_count(users, client_for, tree, django_assert_max_num_queries):
    client = client_for(users.qxg_liaison)
    with django_assert_max_num_queries(9):
        client.get(reverse("orgs:children", args=[tree.qxg.pk]))
    for i in range(40):
        town = create_org(name=f"街道{i}", kind="township", parent=tree.qxg)
        create_org(name=f"村{i}", kind="village", parent=town)
    with django_assert_max_num_queries(9):
        response = client.get(reverse("orgs:children", args=[tree.qxg.pk]))
    assert len(response.context["children"]) == 41


def test_children_partial_paginates_with_load_more(users, client_for, tree, settings):
    from jinguo.orgs import views

    for i in range(views.CHILD_PAGE + 5):
        create_org(name=f"村{i:03d}", kind="village", parent=tree.qxg_town)
    client = client_for(users.qxg_liaison)

    first = client.get(reverse("orgs:children", args=[tree.qxg_town.pk]))
    second = client.get(reverse("orgs:children", args=[tree.qxg_town.pk]), {"page": 2})

    assert len(first.context["children"]) == views.CHILD_PAGE and first.context["more"] is True
    assert "加载更多下级单位" in first.content.decode()
    assert [o.name for o in second.context["children"]] == [f"村{i:03d}" for i in range(100, 105)]
    assert second.context["more"] is False


def test_children_partial_of_sibling_county_is_404(users, client_for, tree):
    assert Org.objects.filter(parent=tree.qxg).exists()

    response = client_for(users.dafang_admin).get(reverse("orgs:children", args=[tree.qxg.pk]))

    assert response.status_code == 404


def test_search_by_name_shows_breadcrumbs(users, client_for, tree):
    response = client_for(users.city_admin).get(reverse("orgs:tree"), {"q": "市西"})

    assert [(o, [a.name for a in crumbs]) for o, crumbs in response.context["results"]] == [
        (tree.qxg_town, ["毕节市妇联", "七星关区妇联"])
    ]


def test_search_by_code_prefix_and_kind_filter(users, client_for, tree):
    client = client_for(users.city_admin)

    by_code = client.get(reverse("orgs:tree"), {"q": "520521"})
    by_kind = client.get(reverse("orgs:tree"), {"kind": "county"})

    assert [o for o, _ in by_code.context["results"]] == [tree.dafang, tree.dafang_town]
    assert [o for o, _ in by_kind.context["results"]] == [tree.qxg, tree.dafang]


def test_search_inactive_filter(users, client_for, tree):
    from jinguo.orgs.services import set_org_active

    set_org_active(tree.dafang_town, active=False)
    response = client_for(users.city_admin).get(reverse("orgs:tree"), {"status": "inactive"})

    assert [o for o, _ in response.context["results"]] == [tree.dafang_town]


def test_search_does_not_find_sibling_county_units(users, client_for, tree):
    assert Org.objects.filter(name__contains="七星关").count() == 2

    response = client_for(users.dafang_liaison).get(reverse("orgs:tree"), {"q": "七星关"})

    assert response.context["results"] == []
    assert "没有找到符合条件的单位" in response.content.decode()


def test_search_query_count_and_pagination(users, client_for, tree, django_assert_max_num_queries):
    client = client_for(users.city_admin)
    with django_assert_max_num_queries(11):
        client.get(reverse("orgs:tree"), {"q": "街道"})
    for i in range(45):
        create_org(name=f"新街道{i}", kind="township", parent=tree.qxg if i % 2 else tree.dafang)
    with django_assert_max_num_queries(11):
        response = client.get(reverse("orgs:tree"), {"q": "街道"})
    assert response.context["page"].paginator.count == 46
    assert len(response.context["results"]) == 30


# --- detail ---------------------------------------------------------------------------------------


def test_detail_shows_attributes_children_users_history(users, client_for, tree):
    response = client_for(users.qxg_admin).get(reverse("orgs:detail", args=[tree.qxg.pk]))

    assert response.status_code == 200
    assert response.context["ancestors"] == []  # nothing above the viewer's own unit
    assert response.context["children"] == [tree.qxg_town]
    assert response.context["user_count"] == 2
    assert [e.action for e in response.context["history"]] == ["orgs.unit.created"]
    body = response.content.decode()
    assert "新建单位" in body and "520502" in body


def test_detail_breadcrumb_from_viewer_unit(users, client_for, tree):
    response = client_for(users.city_admin).get(reverse("orgs:detail", args=[tree.qxg_town.pk]))

    assert response.context["ancestors"] == [tree.city, tree.qxg]


def test_detail_of_sibling_county_unit_is_404(users, client_for, tree):
    assert Org.objects.filter(pk=tree.qxg_town.pk).exists()

    response = client_for(users.dafang_liaison).get(reverse("orgs:detail", args=[tree.qxg_town.pk]))

    assert response.status_code == 404


# --- create, edit, move, deactivate -------------------------------------------------------------


def test_create_child_by_admin(users, client_for, tree):
    response = client_for(users.qxg_admin).post(
        reverse("orgs:create_child", args=[tree.qxg.pk]),
        {"name": "市东街道妇联", "short_name": "", "kind": "township", "code": "520502002"},
    )

    new = Org.objects.get(code="520502002")
    assert response.status_code == 302 and response["Location"] == reverse("orgs:detail", args=[new.pk])
    assert (new.parent, new.name) == (tree.qxg, "市东街道妇联")


def test_create_child_duplicate_code_keeps_input(users, client_for, tree):
    response = client_for(users.qxg_admin).post(
        reverse("orgs:create_child", args=[tree.qxg.pk]),
        {"name": "重复代码街道", "short_name": "简", "kind": "township", "code": "520521100"},
    )

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == ["区划代码 520521100 已被其他单位使用"]
    body = response.content.decode()
    assert 'value="重复代码街道"' in body and 'value="520521100"' in body
    assert not Org.objects.filter(name="重复代码街道").exists()


def test_create_child_liaison_is_403(users, client_for, tree):
    response = client_for(users.qxg_liaison).post(
        reverse("orgs:create_child", args=[tree.qxg.pk]), {"name": "某街道", "kind": "township"}
    )

    assert response.status_code == 403
    assert not Org.objects.filter(name="某街道").exists()


def test_create_child_in_sibling_county_is_404(users, client_for, tree):
    response = client_for(users.dafang_admin).post(
        reverse("orgs:create_child", args=[tree.qxg.pk]), {"name": "某街道", "kind": "township"}
    )

    assert response.status_code == 404
    assert not Org.objects.filter(name="某街道").exists()


def test_edit_by_admin_writes_audit(users, client_for, tree):
    response = client_for(users.qxg_admin).post(
        reverse("orgs:edit", args=[tree.qxg_town.pk]),
        {"name": "市西街道妇联", "short_name": "市西", "kind": "township", "code": "520502001"},
    )

    assert response.status_code == 302
    town = Org.objects.get(pk=tree.qxg_town.pk)
    assert (town.name, town.short_name) == ("市西街道妇联", "市西")
    entry = AuditEntry.objects.get(action="orgs.unit.updated", object_id=town.pk)
    assert entry.data == {"name": ["七星关区市西街道妇联", "市西街道妇联"], "short_name": ["", "市西"]}
    assert entry.actor == users.qxg_admin


def test_edit_invalid_code_keeps_input(users, client_for, tree):
    response = client_for(users.qxg_admin).post(
        reverse("orgs:edit", args=[tree.qxg_town.pk]), {"name": "新名字", "kind": "township", "code": "abc"}
    )

    assert response.status_code == 200
    assert response.context["form"].errors["code"] == ["区划代码应为不超过 12 位的数字"]
    assert 'value="新名字"' in response.content.decode()


def test_edit_by_liaison_is_403(users, client_for, tree):
    response = client_for(users.qxg_liaison).post(
        reverse("orgs:edit", args=[tree.qxg_town.pk]), {"name": "改名", "kind": "township"}
    )

    assert response.status_code == 403
    assert Org.objects.get(pk=tree.qxg_town.pk).name == "七星关区市西街道妇联"


def test_edit_sibling_county_unit_is_404(users, client_for, tree):
    assert client_for(users.dafang_admin).get(reverse("orgs:edit", args=[tree.qxg_town.pk])).status_code == 404


def test_move_by_city_admin(users, client_for, tree):
    response = client_for(users.city_admin).post(
        reverse("orgs:move", args=[tree.qxg_town.pk]), {"new_parent": tree.dafang.pk}
    )

    assert response.status_code == 302
    town = Org.objects.get(pk=tree.qxg_town.pk)
    assert town.parent_id == tree.dafang.pk
    assert town.path.startswith(tree.dafang.path)


def test_move_candidates_partial_excludes_own_subtree(users, client_for, tree):
    response = client_for(users.city_admin).get(
        reverse("orgs:move", args=[tree.qxg.pk]), {"q": "妇联"}, HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 200
    assert response.templates[0].name == "orgs/_move_candidates.html"
    assert response.context["candidates"] == [tree.dafang, tree.dafang_town]


def test_move_to_parent_outside_subtree_is_an_error(users, client_for, tree):
    response = client_for(users.qxg_admin).post(
        reverse("orgs:move", args=[tree.qxg_town.pk]), {"new_parent": tree.dafang.pk, "q": "大方"}
    )

    assert response.status_code == 200
    assert response.context["error"] == "请先搜索并选择新的上级单位"
    assert response.context["q"] == "大方"
    assert Org.objects.get(pk=tree.qxg_town.pk).parent_id == tree.qxg.pk


def test_move_into_own_subtree_is_an_error(users, client_for, tree):
    response = client_for(users.city_admin).post(
        reverse("orgs:move", args=[tree.qxg.pk]), {"new_parent": tree.qxg_town.pk}
    )

    assert response.context["error"] == "不能把单位移动到它自己或它的下级单位之下"


def test_move_own_unit_is_403(users, client_for, tree):
    assert client_for(users.qxg_admin).get(reverse("orgs:move", args=[tree.qxg.pk])).status_code == 403


def test_move_by_liaison_is_403_and_sibling_is_404(users, client_for, tree):
    assert client_for(users.qxg_liaison).get(reverse("orgs:move", args=[tree.qxg_town.pk])).status_code == 403
    assert client_for(users.dafang_admin).get(reverse("orgs:move", args=[tree.qxg_town.pk])).status_code == 404


def test_deactivate_and_reactivate(users, client_for, tree):
    client = client_for(users.city_admin)

    client.post(reverse("orgs:deactivate", args=[tree.qxg.pk]))
    assert list(Org.objects.filter(is_active=False).order_by("path")) == [tree.qxg, tree.qxg_town]

    client.post(reverse("orgs:reactivate", args=[tree.qxg.pk]))
    assert list(Org.objects.filter(is_active=False)) == [tree.qxg_town]


def test_deactivate_requires_post_and_role(users, client_for, tree):
    assert client_for(users.city_admin).get(reverse("orgs:deactivate", args=[tree.qxg.pk])).status_code == 405
    assert client_for(users.qxg_liaison).post(reverse("orgs:deactivate", args=[tree.qxg_town.pk])).status_code == 403
    assert client_for(users.dafang_admin).post(reverse("orgs:deactivate", args=[tree.qxg_town.pk])).status_code == 404
    assert Org.objects.get(pk=tree.qxg_town.pk).is_active is True


def test_deactivate_own_unit_refused(users, client_for, tree):
    client_for(users.qxg_admin).post(reverse("orgs:deactivate", args=[tree.qxg.pk]))

    assert Org.objects.get(pk=tree.qxg.pk).is_active is True


# --- export, template, import -------------------------------------------------------------------


def test_export_contains_only_viewer_subtree(users, client_for, tree):
    assert Org.objects.filter(code="520521100").exists()

    response = client_for(users.qxg_liaison).get(reverse("orgs:export"))

    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert sheet_rows(response) == [
        ("区划代码", "单位名称", "简称", "单位类型", "上级代码", "上级路径", "启用"),
        ("520502", "七星关区妇联", "", "县级妇联", "", "", "是"),
        ("520502001", "七星关区市西街道妇联", "", "乡镇（街道）妇联", "520502", "七星关区妇联", "是"),
    ]


def test_export_opens_with_what_it_is_and_who_exported_it(users, client_for, tree):
    response = client_for(users.qxg_liaison).get(reverse("orgs:export"))
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet["A1"].value == "组织机构 · 七星关区妇联及下级单位"
    assert sheet["A2"].value.startswith("导出时间：") and sheet["A2"].value.endswith(
        "导出人：七星关联络员（七星关区妇联）"
    )


def test_export_for_dafang_has_no_qxg_rows(users, client_for, tree):
    rows = sheet_rows(client_for(users.dafang_liaison).get(reverse("orgs:export")))

    assert [r[1] for r in rows[1:]] == ["大方县妇联", "大方县大方镇妇联"]


def test_export_neutralises_formulas(users, client_for, tree):
    create_org(name="=HYPERLINK(1)", kind="village", parent=tree.qxg_town)

    rows = sheet_rows(client_for(users.qxg_liaison).get(reverse("orgs:export")))

    assert rows[-1][1] == "'=HYPERLINK(1)"


def test_export_import_round_trip(users, client_for, tree):
    create_org(name="综合科", kind="department", parent=tree.office)
    response = client_for(users.city_admin).get(reverse("orgs:export"))
    rows = read_table(response.content, "export.xlsx")

    unchanged = import_orgs(rows, dry_run=True, root=tree.city)
    assert (unchanged.errors, unchanged.created, unchanged.updated, unchanged.moved) == ([], [], [], [])

    for row in rows:
        if row["单位名称"] == "综合科":  # no code: identified by its name under its parent
            row["简称"] = "综合"
        if row["区划代码"] == "520502001":
            row["单位名称"] = "市西街道妇联"
    changed = import_orgs(rows, dry_run=False, root=tree.city)
    assert changed.errors == []
    assert [c.detail for c in changed.updated] == ["名称：七星关区市西街道妇联 → 市西街道妇联", "简称：（空） → 综合"]
    assert Org.objects.get(name="综合科").short_name == "综合"
    assert Org.objects.get(code="520502001").name == "市西街道妇联"


def test_import_template_download(users, client_for, tree):
    response = client_for(users.qxg_admin).get(reverse("orgs:import_template"))

    rows = sheet_rows(response)
    assert rows[0] == ("区划代码", "单位名称", "上级代码", "单位类型", "上级路径", "简称")
    assert len(rows) == 3
    kinds = sheet_rows(response, 1)
    assert kinds[0] == ("类型名称", "英文值")
    assert ("县级妇联", "county") in kinds
    result = import_orgs(read_table(response.content, "t.xlsx"), dry_run=True, root=tree.qxg)
    assert result.errors == []
    assert [c.name for c in result.created] == ["示例单位妇联（请替换）", "示例单位妇联办公室（请替换）"]


def _upload(client, content: bytes, name: str = "units.csv"):
    return client.post(reverse("orgs:import"), {"file": SimpleUploadedFile(name, content)})


CSV = "区划代码,单位名称,上级代码,单位类型\n520502002,市东街道妇联,520502,乡镇（街道）妇联\n".encode("gb18030")


def test_import_flow_upload_preview_confirm(users, client_for, tree, settings):
    client = client_for(users.qxg_admin)

    response = _upload(client, CSV)
    assert response.status_code == 302
    preview = client.get(response["Location"])
    assert [c.name for c in preview.context["created"]] == ["市东街道妇联"]
    assert not Org.objects.filter(code="520502002").exists()

    done = client.post(response["Location"])
    assert done.status_code == 200
    assert "新建 1 个" in done.content.decode()
    assert Org.objects.get(code="520502002").parent == tree.qxg
    assert list(settings.UPLOADS_DIR.iterdir()) == []
    assert client.post(response["Location"]).status_code == 404  # the upload is used up


def test_import_preview_shows_row_errors_and_confirm_writes_nothing(users, client_for, tree):
    client = client_for(users.qxg_admin)
    bad = "code,name,parent_code,kind\n520502002,市东,520502,township\n520502003,坏,520521,township\n".encode()

    location = _upload(client, bad)["Location"]
    preview = client.get(location)
    confirm = client.post(location)

    assert preview.context["errors"] == [
        ErrorGroup(rows="第 3 行", message="上级单位（代码 520521）不在您的管理范围内", count=1)
    ]
    assert 'class="table-danger"' in preview.content.decode()
    assert confirm.context["errors"] == preview.context["errors"]
    assert not Org.objects.filter(code="520502002").exists()


def test_import_preview_of_an_unchanged_tree_offers_no_confirm(users, client_for, tree):
    client = client_for(users.qxg_admin)
    same = "区划代码,单位名称,上级代码,单位类型\n520502001,七星关区市西街道妇联,520502,乡镇（街道）妇联\n".encode()

    preview = client.get(_upload(client, same)["Location"])

    body = preview.content.decode()
    assert preview.context["errors"] == []
    assert "没有需要导入的内容" in body
    assert "确认导入" not in body


def test_import_token_of_other_session_is_404(users, client_for, tree):
    location = _upload(client_for(users.qxg_admin), CSV)["Location"]

    response = client_for(users.city_admin).post(location)

    assert response.status_code == 404
    assert not Org.objects.filter(code="520502002").exists()


def test_import_rejects_wrong_type_and_big_file(users, client_for, tree):
    client = client_for(users.qxg_admin)

    wrong = _upload(client, b"x", "units.txt")
    big = _upload(client, b"a" * (5 * 1024 * 1024 + 1), "units.csv")

    assert wrong.context["form"].errors["file"] == ["只支持 .xlsx 或 .csv 文件"]
    assert big.context["form"].errors["file"] == ["文件不能超过 5 MB，请分成几个文件导入"]


def test_import_by_liaison_is_403(users, client_for, tree):

    assert client_for(users.qxg_liaison).get(reverse("orgs:import")).status_code == 403
    assert _upload(client_for(users.qxg_liaison), CSV).status_code == 403


def test_account_without_unit_gets_403(client_for, tree):
    from tests.factories import UserFactory

    client = client_for(UserFactory(username="no_unit", org=None))

    assert client.get(reverse("orgs:tree")).status_code == 403
    assert client.get(reverse("orgs:export")).status_code == 403
    assert client.get(reverse("orgs:detail", args=[tree.city.pk])).status_code == 403


def test_admin_cannot_edit_its_own_unit(users, client_for, tree):
    client = client_for(users.qxg_admin)
    assert client.get(reverse("orgs:edit", args=[tree.qxg.pk])).status_code == 403
    response = client.post(reverse("orgs:edit", args=[tree.qxg.pk]), {"name": "七星关区", "kind": "township"})
    assert response.status_code == 403
    tree.qxg.refresh_from_db()
    assert (tree.qxg.name, tree.qxg.kind) == ("七星关区妇联", "county")
    detail = client.get(reverse("orgs:detail", args=[tree.qxg.pk])).content.decode()
    assert reverse("orgs:edit", args=[tree.qxg.pk]) not in detail


def test_unit_above_edits_it(users, client_for, tree):
    response = client_for(users.city_admin).post(
        reverse("orgs:edit", args=[tree.qxg.pk]), {"name": "七星关区妇女联合会", "kind": "county", "code": "520502"}
    )
    assert response.status_code == 302
    tree.qxg.refresh_from_db()
    assert tree.qxg.name == "七星关区妇女联合会"
