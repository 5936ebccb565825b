from __future__ import annotations

from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from jinguo.audit.selectors import history_of
from jinguo.lib.excel import Caption, xlsx_response
from jinguo.lib.importflow import ImportFlow
from jinguo.lib.scoping import scopes_disabled
from jinguo.lib.views import page_of, require_viewer_org
from jinguo.orgs import selectors, services
from jinguo.orgs.forms import ImportForm, OrgForm
from jinguo.orgs.importing import import_orgs
from jinguo.orgs.models import Org
from jinguo.orgs.rules import UNIT_WRITE

SEARCH_PAGE = 30
CHILD_PAGE = 100
IMPORTS = ImportFlow("orgs")


def _org_for_user(request: HttpRequest, pk: int) -> Org:
    """A unit of the viewer's subtree; anything else does not exist for them (404)."""
    require_viewer_org(request)
    return get_object_or_404(Org.objects, pk=pk)


def _writable_org(request: HttpRequest, pk: int) -> Org:
    org = _org_for_user(request, pk)
    if not request.user.has_perm(UNIT_WRITE, org):
        raise PermissionDenied
    return org


@login_required
def tree(request: HttpRequest) -> HttpResponse:
    require_viewer_org(request)
    q = request.GET.get("q", "").strip()
    kind = request.GET.get("kind", "")
    kind = kind if kind in Org.Kind.values else ""
    status = request.GET.get("status", "")
    status = status if status in ("active", "inactive") else ""
    context = {
        "q": q,
        "kind": kind,
        "status": status,
        "kinds": Org.Kind.choices,
        "can_write": request.user.has_perm(UNIT_WRITE, request.user.org),
    }
    if q or kind or status:
        qs = selectors.search_orgs(user=request.user, q=q, kind=kind, status=status)
        page = page_of(request, selectors.with_child_counts(qs), SEARCH_PAGE)
        crumbs = selectors.ancestors_by_path(page.object_list, user=request.user)
        context.update(page=page, results=[(org, crumbs[org.path]) for org in page.object_list])
        return render(request, "orgs/search.html", context)
    root = selectors.with_child_counts(Org.objects.filter(pk=request.user.org_id)).get()
    children, more = _children_page(root, 1)
    context.update(root=root, children=children, more=more, next_page=2)
    return render(request, "orgs/tree.html", context)


def _children_page(org: Org, page: int) -> tuple[list[Org], bool]:
    start = (page - 1) * CHILD_PAGE
    rows = list(
        selectors.with_child_counts(selectors.children_of(org)).order_by("path")[start : start + CHILD_PAGE + 1]
    )
    return rows[:CHILD_PAGE], len(rows) > CHILD_PAGE


@login_required
def children(request: HttpRequest, pk: int) -> HttpResponse:
    """The htmx partial behind one expand of the tree (and its “load more” button)."""
    org = _org_for_user(request, pk)
    try:
        page = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page = 1
    rows, more = _children_page(org, page)
    return render(
        request, "orgs/_children.html", {"parent": org, "children": rows, "more": more, "next_page": page + 1}
    )


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    org = _org_for_user(request, pk)
    ancestors = [a for a in selectors.ancestors_of(org) if a.is_within(request.user.org) and a.pk != org.pk]
    rows, more = _children_page(org, 1)
    context = {
        "org": org,
        "ancestors": ancestors,
        "children": rows[:50],
        "more_children": more or len(rows) > 50,
        "child_total": selectors.children_of(org).count(),
        "user_count": org.users.count(),
        "history": history_of(org)[:50],
        "can_write": request.user.has_perm(UNIT_WRITE, org),
        "is_own": org.pk == request.user.org_id,
    }
    return render(request, "orgs/detail.html", context)


@login_required
def create_child(request: HttpRequest, pk: int) -> HttpResponse:
    parent = _writable_org(request, pk)
    form = OrgForm(request.POST or None, initial={"kind": _child_kind(parent)})
    if request.method == "POST" and form.is_valid():
        if not parent.is_active:
            form.add_error(None, "上级单位已停用，不能在其下新建单位")
        else:
            try:
                org = services.create_org(parent=parent, by=request.user, **form.cleaned_data)
            except services.OrgError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, f"已新建单位“{org.name}”。")
                return redirect("orgs:detail", pk=org.pk)
    return render(request, "orgs/org_form.html", {"form": form, "parent": parent, "org": None})


def _child_kind(parent: Org) -> str:
    below = {"national": "province", "province": "city", "city": "county", "county": "township", "township": "village"}
    return below.get(parent.kind, Org.Kind.GROUP)


@login_required
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    org = _writable_org(request, pk)
    if org.pk == request.user.org_id:
        # A unit's name and kind decide which campaigns reach it: the units above keep them.
        raise PermissionDenied("本单位的名称、类型和代码由上级单位维护。")
    initial = {"name": org.name, "short_name": org.short_name, "kind": org.kind, "code": org.code or ""}
    form = OrgForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            changed = services.update_org(org, by=request.user, **form.cleaned_data)
        except services.OrgError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "已保存。" if changed else "没有需要保存的修改。")
            return redirect("orgs:detail", pk=org.pk)
    return render(request, "orgs/org_form.html", {"form": form, "parent": None, "org": org})


def _move_candidates(request: HttpRequest, org: Org, q: str) -> list[Org]:
    if not q:
        return []
    qs = selectors.search_orgs(user=request.user, q=q, status="active").exclude(org.subtree_q())
    return list(qs.exclude(pk=org.parent_id)[:20])


@login_required
def move(request: HttpRequest, pk: int) -> HttpResponse:
    org = _writable_org(request, pk)
    if org.pk == request.user.org_id:
        raise PermissionDenied
    q = (request.POST.get("q") or request.GET.get("q") or "").strip()
    error, selected = "", None
    if request.method == "POST":
        raw = request.POST.get("new_parent", "")
        selected = Org.objects.filter(pk=int(raw)).first() if raw.isdigit() else None
        if selected is None:
            error = "请先搜索并选择新的上级单位"
        elif not request.user.has_perm(UNIT_WRITE, selected):
            error = "您无权把单位移动到该上级单位之下"
        else:
            try:
                services.move_org(org, new_parent=selected, by=request.user)
            except services.OrgError as exc:
                error = str(exc)
            else:
                messages.success(request, f"已把“{org.name}”移动到“{selected.name}”之下。")
                return redirect("orgs:detail", pk=org.pk)
    candidates = _move_candidates(request, org, q)
    if selected is not None and selected not in candidates:
        candidates.insert(0, selected)
    context = {"org": org, "q": q, "candidates": candidates, "selected": selected, "error": error}
    if request.htmx and request.method == "GET":
        return render(request, "orgs/_move_candidates.html", context)
    return render(request, "orgs/move.html", context)


def _parent_is_active(org: Org) -> bool:
    with scopes_disabled():  # the parent of the viewer's own unit lies above its subtree
        return Org.objects.filter(pk=org.parent_id, is_active=True).exists()


@login_required
@require_POST
def set_active(request: HttpRequest, pk: int, active: bool) -> HttpResponse:
    org = _writable_org(request, pk)
    if org.pk == request.user.org_id:
        messages.error(request, "不能停用或启用您自己所在的单位。")
        return redirect("orgs:detail", pk=org.pk)
    if active and org.parent_id and not _parent_is_active(org):
        messages.error(request, "上级单位已停用，请先启用上级单位。")
        return redirect("orgs:detail", pk=org.pk)
    services.set_org_active(org, active=active, by=request.user)
    messages.success(request, f"已{'启用' if active else '停用'}“{org.name}”。")
    return redirect("orgs:detail", pk=org.pk)


@login_required
def export(request: HttpRequest) -> HttpResponse:
    require_viewer_org(request)
    header = ["区划代码", "单位名称", "简称", "单位类型", "上级代码", "上级路径", "启用"]
    rows = selectors.export_rows(user=request.user)
    caption = Caption.of(f"组织机构 · {request.user.org.name}及下级单位", user=request.user)
    return xlsx_response(f"组织机构-{request.user.org.name}.xlsx", [("组织机构", header, rows)], caption=caption)


TEMPLATE_HEADER = ["区划代码", "单位名称", "上级代码", "单位类型", "上级路径", "简称"]


@login_required
def import_template(request: HttpRequest) -> HttpResponse:
    org = require_viewer_org(request)
    parent_code, parent_path = (org.code, "") if org.code else ("", org.name)
    child_kind = str(Org.Kind(_child_kind(org)).label)
    examples = [
        ["", "示例单位妇联（请替换）", parent_code, child_kind, parent_path, "示例单位"],
        [
            "",
            "示例单位妇联办公室（请替换）",
            "",
            str(Org.Kind.DEPARTMENT.label),
            f"{org.name}/示例单位妇联（请替换）",
            "",
        ],
    ]
    kinds = [[str(label), value] for value, label in Org.Kind.choices]
    notes = [
        ["区划代码", "统计用区划代码，数字，最多 12 位；没有代码的单位留空。已存在的代码表示修改该单位。"],
        ["单位名称", "必填。"],
        ["上级代码", "上级单位的区划代码；上级是本表前面的行或系统中已有的单位。"],
        ["单位类型", "填写下表中的类型名称（或英文值）。"],
        ["上级路径", "上级单位没有代码时填写，用“/”分隔各级名称，如：毕节市妇联/七星关区妇联。"],
        ["简称", "可不填。"],
    ]
    return xlsx_response(
        "组织机构导入模板.xlsx",
        [
            ("组织机构", TEMPLATE_HEADER, examples),
            ("填写说明", ["类型名称", "英文值"], kinds + [["", ""], ["列", "说明"]] + notes),
        ],
    )


def _require_import_perm(request: HttpRequest) -> None:
    if not request.user.has_perm(UNIT_WRITE, request.user.org):
        raise PermissionDenied


@login_required
def import_upload(request: HttpRequest) -> HttpResponse:
    _require_import_perm(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    if token := IMPORTS.upload(request, form):
        return redirect("orgs:import_preview", token=token)
    return render(request, "orgs/import_upload.html", {"form": form})


@login_required
def import_preview(request: HttpRequest, token: str) -> HttpResponse:
    """GET: the dry run of the kept upload. POST: import it for real, re-read from the kept file."""
    _require_import_perm(request)
    run = IMPORTS.run(request, token, partial(import_orgs, by=request.user, root=request.user.org))
    if run is None:
        return redirect("orgs:import")
    if run.written:
        return render(request, "orgs/import_done.html", {"result": run.result, "filename": run.filename})
    result = run.result
    context = run.preview_context(created=result.created, updated=result.updated, moved=result.moved)
    if not (result.created or result.updated or result.moved):
        context["nothing_to_import"] = "文件中的单位与系统中完全一致，没有需要导入的内容。"
    return render(request, "orgs/import_preview.html", context)
