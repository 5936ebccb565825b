"""Import an org tree from a table (Excel or CSV rows from ``jinguo.lib.excel.read_table``).

The whole file is checked in memory first, against the existing units of the importer's subtree:
paths are computed the way ``services`` computes them, so 50,000 rows need a few queries, not
50,000. Only a file without a single bad row is written, in one transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone

from jinguo.audit.services import Logged, log_action, log_actions
from jinguo.lib.scoping import scopes_disabled
from jinguo.orgs.models import SEGMENT_WIDTH, Org
from jinguo.orgs.services import OrgError, move_org, segment

BATCH = 2000

# Header aliases: the English keys of the documented format, the Chinese headers of our template and
# export, and ``level`` from the statistical division list (data/bijie-divisions-2023.csv).
COLUMNS = {
    "code": ("code", "区划代码", "统计用区划代码", "代码", "单位代码"),
    "name": ("name", "单位名称", "名称"),
    "parent_code": ("parent_code", "上级代码", "上级单位代码"),
    "parent_path": ("parent_path", "上级路径", "上级单位路径"),
    "kind": ("kind", "level", "单位类型", "类型"),
    "short_name": ("short_name", "简称"),
}
PATH_SEPARATORS = re.compile(r"\s*[/／]\s*")
CODE_RE = re.compile(r"^\d{1,12}$")


# How federations write a unit's kind in their own sheets, besides the labels of ``Org.Kind``.
KIND_SYNONYMS: dict[str, tuple[str, ...]] = {
    Org.Kind.NATIONAL: ("全国妇联", "中华全国妇女联合会"),
    Org.Kind.PROVINCE: ("省妇联", "省级妇联", "省", "自治区妇联", "直辖市妇联", "省妇女联合会"),
    Org.Kind.CITY: ("市妇联", "市级妇联", "地级市妇联", "地市妇联", "州妇联", "盟妇联", "市州妇联", "市", "地市"),
    Org.Kind.COUNTY: (
        "县妇联", "区妇联", "县区妇联", "县级市妇联", "旗妇联", "县（市、区）妇联", "县市区妇联", "县级",
        "县", "区", "县（区）妇联",
    ),
    Org.Kind.TOWNSHIP: (
        "乡镇妇联", "乡妇联", "镇妇联", "街道妇联", "乡镇街道妇联", "苏木妇联", "乡镇", "街道", "乡", "镇",
        "乡镇（街道）", "乡（镇、街道）妇联",
    ),
    Org.Kind.VILLAGE: ("村妇联", "社区妇联", "村社区妇联", "村（居）妇联", "嘎查妇联", "村", "社区", "村（社区）", "居委会"),
    Org.Kind.COMMITTEE: ("妇委会", "妇女委员会", "机关妇委会", "单位妇委会"),
    Org.Kind.GROUP: ("妇女小组",),
    Org.Kind.DEPARTMENT: ("部室", "机关部室", "内设部门", "处室"),
}  # fmt: skip
# A new unit's kind when the sheet gives none: one level below its parent's.
KIND_BELOW = {
    Org.Kind.NATIONAL: Org.Kind.PROVINCE,
    Org.Kind.PROVINCE: Org.Kind.CITY,
    Org.Kind.CITY: Org.Kind.COUNTY,
    Org.Kind.COUNTY: Org.Kind.TOWNSHIP,
    Org.Kind.TOWNSHIP: Org.Kind.VILLAGE,
}
# Kinds read off a name whatever the level (a committee or a department under a city).
KIND_BY_NAME_ENDING = (
    ("妇委会", Org.Kind.COMMITTEE),
    ("妇女委员会", Org.Kind.COMMITTEE),
    ("妇女小组", Org.Kind.GROUP),
)


def normalise_kind_text(text: str) -> str:
    """Full- and half-width brackets and commas, spaces and case do not matter."""
    table = str.maketrans({"(": "（", ")": "）", ",": "、", "，": "、", " ": None, "\u3000": None})
    return text.translate(table).lower()


def _kind_lookup() -> dict[str, str]:
    table = {}
    for value, label in Org.Kind.choices:
        table[normalise_kind_text(value)] = value
        table[normalise_kind_text(str(label))] = value
    for value, words in KIND_SYNONYMS.items():
        for word in words:
            table[normalise_kind_text(word)] = value
    return table


def infer_kind(name: str, parent_kind: str | None) -> str:
    """A new unit's kind from its name (committees, groups) or its level; "" if neither says."""
    for ending, kind in KIND_BY_NAME_ENDING:
        if name.endswith(ending):
            return kind
    if parent_kind is not None:
        return KIND_BELOW.get(parent_kind, "")
    return ""


@dataclass
class ImportChange:
    row: int
    code: str
    name: str
    detail: str = ""


@dataclass
class ImportResult:
    created: list[ImportChange] = field(default_factory=list)
    updated: list[ImportChange] = field(default_factory=list)
    moved: list[ImportChange] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)
    written: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def summary(self) -> str:
        return f"新建 {len(self.created)} 个，修改 {len(self.updated)} 个，移动 {len(self.moved)} 个单位"


class _Node:
    """One unit in memory: an existing row (``pk`` set) or one to create."""

    __slots__ = (
        "pk",
        "code",
        "name",
        "short_name",
        "kind",
        "parent",
        "path",
        "depth",
        "child_seq",
        "is_active",
        "children",
        "synced_seq",
        "orig",
    )

    def __init__(self, *, pk, code, name, short_name, kind, parent, path, depth, child_seq, is_active):
        self.pk = pk
        self.code = code
        self.name = name
        self.short_name = short_name
        self.kind = kind
        self.parent = parent
        self.path = path
        self.depth = depth
        self.child_seq = child_seq
        self.is_active = is_active
        self.children: list[_Node] = []
        self.synced_seq = child_seq  # child_seq as last written to the database
        self.orig = (code, name, short_name, kind, path, child_seq)


class _RowError(Exception):
    pass


class _Tree:
    """The importer's subtree in memory, with the indexes the rows are resolved through."""

    def __init__(self, root: Org | None):
        self.root = root
        self.by_code: dict[str, _Node] = {}
        self.by_name: dict[str, list[_Node]] = {}
        self.child_by_name: dict[tuple[int, str], _Node] = {}
        self.top: list[_Node] = []
        self.root_node: _Node | None = None
        self.root_ancestor_names: list[str] = []
        qs = Org.objects.all() if root is None else Org.objects.filter(root.subtree_q())
        nodes: dict[int, _Node] = {}
        parents: dict[int, int | None] = {}
        fields = ("pk", "code", "name", "short_name", "kind", "parent_id", "path", "depth", "child_seq", "is_active")
        for pk, code, name, short, kind, parent_id, path, depth, seq, active in qs.order_by("path").values_list(
            *fields
        ):
            nodes[pk] = _Node(
                pk=pk,
                code=code,
                name=name,
                short_name=short,
                kind=kind,
                parent=None,
                path=path,
                depth=depth,
                child_seq=seq,
                is_active=active,
            )
            parents[pk] = parent_id
        for pk, node in nodes.items():
            parent = nodes.get(parents[pk])
            if parent is not None:
                node.parent = parent
                parent.children.append(node)
            elif root is None:
                self.top.append(node)
            self._index(node)
        if root is not None:
            self.root_node = nodes[root.pk]
            with scopes_disabled():  # the names above the importer's unit head the exported sheet
                ancestors = Org.objects.filter(path__in=root.ancestor_paths()).order_by("depth")
                self.root_ancestor_names = list(ancestors.values_list("name", flat=True))
        # _next_child_path numbers top-level units by counting them.
        self.top_count = Org.objects.filter(parent__isnull=True).count() if root is None else 0

    def _key(self, parent: _Node | None) -> int:
        return id(parent) if parent is not None else 0

    def _index(self, node: _Node) -> None:
        if node.code:
            self.by_code[node.code] = node
        self.by_name.setdefault(node.name, []).append(node)
        self.child_by_name[(self._key(node.parent), node.name)] = node

    def _unindex_name(self, node: _Node) -> None:
        self.by_name[node.name].remove(node)
        if self.child_by_name.get((self._key(node.parent), node.name)) is node:
            del self.child_by_name[(self._key(node.parent), node.name)]

    def child_named(self, parent: _Node | None, name: str) -> _Node | None:
        return self.child_by_name.get((self._key(parent), name))

    def _next_path(self, parent: _Node | None) -> tuple[str, int]:
        try:
            if parent is None:
                self.top_count += 1
                return segment(self.top_count), 0
            parent.child_seq += 1
            return parent.path + segment(parent.child_seq), parent.depth + 1
        except OrgError as exc:
            raise _RowError(str(exc)) from exc

    def add(self, *, code, name, short_name, kind, parent: _Node | None) -> _Node:
        path, depth = self._next_path(parent)
        node = _Node(
            pk=None,
            code=code,
            name=name,
            short_name=short_name,
            kind=kind,
            parent=parent,
            path=path,
            depth=depth,
            child_seq=0,
            is_active=True,
        )
        if parent is not None:
            parent.children.append(node)
        else:
            self.top.append(node)
        self._index(node)
        return node

    def rename(self, node: _Node, name: str) -> None:
        self._unindex_name(node)
        node.name = name
        self._index(node)

    def move(self, node: _Node, new_parent: _Node) -> int:
        """Move ``node`` under ``new_parent``; returns the child number it gets there."""
        self._unindex_name(node)
        old_parent = node.parent
        if old_parent is not None:
            old_parent.children.remove(node)
        else:
            self.top.remove(node)
        path, depth = self._next_path(new_parent)
        node.parent = new_parent
        new_parent.children.append(node)
        self._index(node)
        self._repath(node, path, depth)
        return new_parent.child_seq

    def _repath(self, node: _Node, path: str, depth: int) -> None:
        old_len = len(node.path)
        delta = depth - node.depth
        stack = [node]
        while stack:
            current = stack.pop()
            current.path = path + current.path[old_len:]
            current.depth += delta
            stack.extend(current.children)

    def resolve_path(self, text: str) -> _Node:
        names = [n for n in PATH_SEPARATORS.split(text.strip()) if n]
        if not names:
            raise _RowError("上级路径为空")
        if self.root_node is not None:
            # A path may start above the import root (毕节市妇联/七星关区妇联/…): cut it at the root.
            chain = self.root_ancestor_names
            for cut in range(len(chain), 0, -1):
                if names[:cut] == chain[:cut] and chain[cut - 1] == self.root_node.name and len(names) >= cut:
                    names = [self.root_node.name, *names[cut:]]
                    break
        if self.root_node is not None and names[0] == self.root_node.name:
            starts = [self.root_node]
        else:
            starts = list(self.by_name.get(names[0], []))
        found = []
        for start in starts:
            node = start
            for name in names[1:]:
                node = self.child_named(node, name)
                if node is None:
                    break
            if node is not None:
                found.append(node)
        if not found:
            raise _RowError(f"找不到上级路径“{text}”对应的单位")
        if len(found) > 1:
            raise _RowError(f"上级路径“{text}”对应多个单位，请写出更完整的路径或填写上级代码")
        return found[0]


def _column_map(rows: list[dict]) -> dict[str, str]:
    headers = set()
    for row in rows[:1]:
        headers = set(row) - {"_row"}
    mapping = {}
    for key, aliases in COLUMNS.items():
        for alias in aliases:
            if alias in headers:
                mapping[key] = alias
                break
    return mapping


def import_orgs(rows: list[dict], *, dry_run: bool, by=None, root: Org | None = None) -> ImportResult:
    """Create, update and move units from table rows; nothing is written if any row is bad.

    Rows are matched to existing units by code, or, for rows without code, by name under the same
    parent. Parents are earlier rows or existing units, by ``parent_code`` or ``parent_path``. With
    ``root``, only the subtree of ``root`` may be touched. Audit: ``orgs.unit.moved`` per move
    (through ``move_org``), ``orgs.unit.updated`` per update and one ``orgs.tree.imported``.
    """
    result = ImportResult()
    if not rows:
        result.errors.append((1, "文件中没有数据行"))
        return result
    columns = _column_map(rows)
    missing = ["单位名称(name)"] if "name" not in columns else []
    if "parent_code" not in columns and "parent_path" not in columns:
        missing.append("上级代码(parent_code) 或 上级路径(parent_path)")
    if missing:
        result.errors.append((1, "缺少列：" + "、".join(missing)))
        return result
    if dry_run:
        _plan(rows, columns, root, result)
        return result
    try:
        with transaction.atomic():
            plan = _plan(rows, columns, root, result)
            if result.errors:
                raise _Rollback
            _write(plan, by=by, root=root, result=result)
            result.written = True
    except _Rollback:
        pass
    except OrgError as exc:
        result.errors.append((0, str(exc)))
    return result


class _Rollback(Exception):
    pass


@dataclass
class _Plan:
    tree: _Tree
    ops: list  # ("create", node) and ("move", node, new_parent, child number) in row order
    updates: dict  # node -> {field: (old, new)}


FIELD_LABELS = {"name": "名称", "kind": "类型", "short_name": "简称", "code": "区划代码"}


class _Planner:
    """Walks the rows in file order against the tree in memory, as the writes will happen."""

    def __init__(self, rows, columns, root, result: ImportResult):
        self.rows, self.columns, self.root, self.result = rows, columns, root, result
        self.kinds = _kind_lookup()
        self.tree = _Tree(root)
        self.ops: list = []
        self.updates: dict = {}
        self.seen_codes: dict[str, int] = {}
        self.bad_codes: dict[str, int] = {}
        self.row_of_node: dict[int, int] = {}
        self.file_codes: dict[str, int] = {}
        for row in rows:
            code = self.get(row, "code")
            if code:
                self.file_codes.setdefault(code, row["_row"])
        self.outside: set[str] = set()
        if root is not None:
            self.outside = _codes_outside(self.tree, set(self.file_codes) | _parent_codes(rows, columns))
            parent = root.parent
            self.root_parent_code = parent.code if parent else None
            self.root_parent_path = "/".join(self.tree.root_ancestor_names[:-1])

    def get(self, row, key) -> str:
        return (row.get(self.columns[key], "") or "").strip() if key in self.columns else ""

    def run(self) -> _Plan:
        for row in self.rows:
            number = row["_row"]
            code = self.get(row, "code")
            try:
                node = self.plan_row(row, number, code)
                self.row_of_node[id(node)] = number
            except _RowError as exc:
                self.result.errors.append((number, str(exc)))
                if code and code not in self.tree.by_code:
                    self.bad_codes.setdefault(code, number)
        return _Plan(tree=self.tree, ops=self.ops, updates=self.updates)

    def plan_row(self, row, number: int, code: str) -> _Node:
        tree, result = self.tree, self.result
        name, parent_code, parent_path = (
            self.get(row, "name"),
            self.get(row, "parent_code"),
            self.get(row, "parent_path"),
        )
        kind_text, short_name = self.get(row, "kind"), self.get(row, "short_name")
        if not name:
            raise _RowError("单位名称不能为空")
        if len(name) > 100:
            raise _RowError("单位名称不能超过 100 个字")
        if len(short_name) > 40:
            raise _RowError("简称不能超过 40 个字")
        if code and not CODE_RE.match(code):
            raise _RowError(f"区划代码“{code}”无效，应为不超过 12 位的数字")
        if code in self.seen_codes:
            raise _RowError(f"区划代码 {code} 在文件中重复（第 {self.seen_codes[code]} 行已使用）")
        if code:
            self.seen_codes[code] = number
        kind = ""
        if kind_text:
            kind = self.kinds.get(normalise_kind_text(kind_text), "")
            if not kind:
                raise _RowError(
                    f"单位类型“{kind_text}”无效，可填："
                    + "、".join(str(k) for k in Org.Kind.labels)
                    + " 或其常用写法（如 县妇联、街道妇联），也可留空按层级推断"
                )
        if code in self.outside:
            raise _RowError(f"区划代码 {code} 已被您管理范围以外的单位使用")

        node = tree.by_code.get(code) if code else None
        if node is not None and node is tree.root_node:
            # The importer's own unit: its parent lies outside the subtree and cannot change here.
            if parent_code and parent_code != self.root_parent_code:
                raise _RowError("不能移动您自己的单位")
            if not parent_code and parent_path and parent_path != self.root_parent_path:
                raise _RowError("不能移动您自己的单位")
            parent_code = parent_path = ""
        parent = self.find_parent(number, code, parent_code, parent_path)
        parent_given = bool(parent_code or parent_path)

        if node is None and parent_given:
            same = tree.child_named(parent, name)
            if same is not None and (not code or not same.code):
                node = same
            elif same is not None:
                raise _RowError(f"上级单位“{parent.name}”下已有同名单位“{name}”（代码 {same.code}）")
        if node is not None and id(node) in self.row_of_node:
            raise _RowError(f"与第 {self.row_of_node[id(node)]} 行是同一个单位")

        if node is None:
            if not parent_given and self.root is not None:
                raise _RowError("请填写上级代码或上级路径")
            kind = kind or infer_kind(name, parent.kind if parent is not None else None)
            if not kind:
                raise _RowError("请填写单位类型（顶级单位无法从层级推断）")
            if parent is not None and not parent.is_active:
                raise _RowError(f"上级单位“{parent.name}”已停用，不能在其下新建单位")
            node = tree.add(code=code or None, name=name, short_name=short_name, kind=kind, parent=parent)
            self.ops.append(("create", node))
            result.created.append(ImportChange(number, code, name, parent.name if parent else "（顶级单位）"))
            return node

        if (
            node is tree.root_node
            and self.root is not None
            and _own_fields_differ(node, name, kind, short_name, self.columns)
        ):
            raise _RowError(OWN_UNIT_MESSAGE)
        changes: dict[str, tuple[str, str]] = {}
        if name != node.name:
            changes["name"] = (node.name, name)
            tree.rename(node, name)
        if kind and kind != node.kind:
            changes["kind"] = (node.kind, kind)
            node.kind = kind
        if "short_name" in self.columns and short_name != node.short_name:
            changes["short_name"] = (node.short_name, short_name)
            node.short_name = short_name
        if code and not node.code:
            changes["code"] = ("", code)
            node.code = code
            tree.by_code[code] = node
        if parent_given and parent is not node.parent:
            if parent.path.startswith(node.path):
                raise _RowError(f"不能把“{node.name}”移动到它自己或它的下级单位“{parent.name}”之下（循环引用）")
            old_parent_name = node.parent.name if node.parent else "（顶级）"
            seq = tree.move(node, parent)
            self.ops.append(("move", node, parent, seq))
            result.moved.append(ImportChange(number, node.code or "", name, f"{old_parent_name} → {parent.name}"))
        if changes:
            self.updates[node] = changes
            detail = "；".join(
                f"{FIELD_LABELS[f]}：{_show(f, old)} → {_show(f, new)}" for f, (old, new) in changes.items()
            )
            result.updated.append(ImportChange(number, node.code or "", name, detail))
        return node

    def find_parent(self, number: int, code: str, parent_code: str, parent_path: str) -> _Node | None:
        if parent_code:
            if parent_code == code:
                raise _RowError("上级代码不能是本单位自己的代码")
            parent = self.tree.by_code.get(parent_code)
            if parent is not None:
                return parent
            if parent_code in self.outside:
                raise _RowError(f"上级单位（代码 {parent_code}）不在您的管理范围内")
            if parent_code in self.bad_codes:
                raise _RowError(f"上级单位（代码 {parent_code}）所在的第 {self.bad_codes[parent_code]} 行有错误")
            later = self.file_codes.get(parent_code)
            if later is not None and later > number:
                raise _RowError(_forward_message(self, code, parent_code, later))
            raise _RowError(f"找不到上级单位（代码 {parent_code}）")
        if parent_path:
            return self.tree.resolve_path(parent_path)
        return None


OWN_UNIT_MESSAGE = "本单位的名称、简称和类型由上级单位维护，不能在此修改"


def _own_fields_differ(node: _Node, name: str, kind: str, short_name: str, columns) -> bool:
    """Would the row change the importer's own unit? Its record belongs to the units above it."""
    return (
        name != node.name
        or bool(kind and kind != node.kind)
        or ("short_name" in columns and short_name != node.short_name)
    )


def _plan(rows, columns, root, result: ImportResult) -> _Plan:
    return _Planner(rows, columns, root, result).run()


def _show(field_name: str, value: str) -> str:
    if field_name == "kind" and value:
        return str(Org.Kind(value).label)
    return value or "（空）"


def _forward_message(planner: _Planner, code: str, parent_code: str, later: int) -> str:
    """A parent that comes later in the file: a cycle if its own parents lead back to this row."""
    parents = {planner.get(r, "code"): planner.get(r, "parent_code") for r in planner.rows}
    current, seen = parent_code, set()
    while current and current not in seen:
        if current == code:
            return f"上级关系形成循环（本单位 {code} 经由 {parent_code} 又回到本单位）"
        seen.add(current)
        current = parents.get(current, "")
    return f"上级单位（代码 {parent_code}）在第 {later} 行，须写在本行之前"


def _parent_codes(rows, columns) -> set[str]:
    if "parent_code" not in columns:
        return set()
    return {(row.get(columns["parent_code"], "") or "").strip() for row in rows} - {""}


def _codes_outside(tree: _Tree, codes: set[str]) -> set[str]:
    """Codes used by units outside the importer's subtree (one query per batch of codes)."""
    unknown = [c for c in codes if c not in tree.by_code]
    outside = set()
    with scopes_disabled():  # a code is unique across the whole tree, not only the importer's subtree
        for i in range(0, len(unknown), BATCH):
            outside.update(
                Org.objects.filter(code__in=unknown[i : i + BATCH])
                .exclude(tree.root.subtree_q())
                .values_list("code", flat=True)
            )
    return outside


def _write(plan: _Plan, *, by, root: Org | None, result: ImportResult) -> None:
    tree = plan.tree
    _check_unchanged(plan)
    pending: list[_Node] = []
    now = timezone.now()

    def flush():
        by_depth: dict[int, list[_Node]] = {}
        for n in pending:
            by_depth.setdefault(n.depth, []).append(n)
        for depth in sorted(by_depth):
            _insert_level(by_depth[depth], now)
        pending.clear()
        _sync_child_seq(tree)

    for op in plan.ops:
        if op[0] == "create":
            pending.append(op[1])
            continue
        _, node, new_parent, seq = op
        flush()
        # move_org numbers the moved unit from the parent's child_seq; give it the one planned.
        Org.objects.filter(pk=new_parent.pk).update(child_seq=seq - 1)
        move_org(Org.objects.get(pk=node.pk), new_parent=Org.objects.get(pk=new_parent.pk), by=by)
        new_parent.synced_seq = -1
    flush()

    if plan.updates:
        objs = []
        for node in plan.updates:
            objs.append(
                Org(
                    pk=node.pk,
                    name=node.name,
                    kind=node.kind,
                    short_name=node.short_name,
                    code=node.code,
                    updated_at=now,
                )
            )
        Org.objects.bulk_update(objs, ["name", "kind", "short_name", "code", "updated_at"], batch_size=BATCH)
        _log_updates(plan.updates, by=by)

    anchor = root
    if anchor is None:
        first = next((op[1] for op in plan.ops), None) or next(iter(plan.updates), None)
        if first is not None:
            while first.parent is not None:
                first = first.parent
            anchor = Org.objects.get(pk=first.pk)
    if anchor is not None and (result.created or result.updated or result.moved):
        log_action(
            anchor,
            "orgs.tree.imported",
            by=by,
            org=anchor,
            data={"created": len(result.created), "updated": len(result.updated), "moved": len(result.moved)},
        )


def _insert_level(nodes: list[_Node], now) -> None:
    """Insert units of one depth (their parents already have ids) in plain SQL.

    bulk_create spends most of its time preparing 11 values per row in Python and is capped at
    999 parameters per statement on SQLite; plain SQL is several times faster.
    """
    table = connection.ops.quote_name(Org._meta.db_table)
    columns = ("name", "short_name", "kind", "code", "parent_id", "path", "depth", "child_seq", "is_active")
    columns += ("created_at", "updated_at")
    stamp = connection.ops.adapt_datetimefield_value(now)
    head = "INSERT INTO {} ({}) VALUES ".format(  # noqa: S608 - identifiers are ours, values are parameters
        table, ", ".join(connection.ops.quote_name(c) for c in columns)
    )
    one = "(" + ", ".join(["%s"] * len(columns)) + ")"
    # PostgreSQL: one statement per batch with one array per column (no giant VALUES to parse).
    types = ("text", "text", "text", "text", "bigint", "text", "integer", "integer", "boolean")
    unnest = ", ".join(f"%s::{t}[]" for t in types)
    pg_sql = head.replace(" VALUES ", " ") + f"SELECT u.*, %s, %s FROM unnest({unnest}) AS u RETURNING path, id"  # noqa: S608
    ids: dict[str, int] = {}
    with connection.cursor() as cursor:
        for i in range(0, len(nodes), BATCH):
            params = [
                (n.name, n.short_name, n.kind, n.code, n.parent.pk if n.parent else None, n.path, n.depth)
                + (n.child_seq, True, stamp, stamp)
                for n in nodes[i : i + BATCH]
            ]
            if connection.vendor == "postgresql":
                arrays = [list(col) for col in zip(*(p[:9] for p in params), strict=True)]
                cursor.execute(pg_sql, [stamp, stamp, *arrays])
                ids.update(cursor.fetchall())
            else:
                cursor.executemany(head + one, params)
    paths = [n.path for n in nodes] if connection.vendor != "postgresql" else []
    for i in range(0, len(paths), BATCH):
        ids.update(Org.objects.filter(path__in=paths[i : i + BATCH]).values_list("path", "pk"))
    for n in nodes:
        n.pk = ids[n.path]
        n.synced_seq = n.child_seq


def _sync_child_seq(tree: _Tree) -> None:
    dirty = []
    stack = list(tree.top) if tree.root_node is None else [tree.root_node]
    while stack:
        node = stack.pop()
        if node.pk is not None and node.child_seq != node.synced_seq:
            dirty.append(Org(pk=node.pk, child_seq=node.child_seq))
            node.synced_seq = node.child_seq
        stack.extend(node.children)
    if dirty:
        Org.objects.bulk_update(dirty, ["child_seq"], batch_size=BATCH)


def _check_unchanged(plan: _Plan) -> None:
    """Lock the existing units whose numbering the plan relies on and check nobody changed them."""
    touched = []
    stack = list(plan.tree.top) if plan.tree.root_node is None else [plan.tree.root_node]
    while stack:
        node = stack.pop()
        if node.pk is not None and (
            node.child_seq != node.orig[5] or node.path != node.orig[4] or node in plan.updates
        ):
            touched.append(node)
        stack.extend(node.children)
    for i in range(0, len(touched), BATCH):
        chunk = touched[i : i + BATCH]
        current = dict(
            Org.objects.select_for_update().filter(pk__in=[n.pk for n in chunk]).values_list("pk", "child_seq")
        )
        for node in chunk:
            if current.get(node.pk) != node.orig[5]:
                raise OrgError("组织树在导入期间被其他人修改，请重新导入")


def _log_updates(updates: dict, *, by) -> None:
    log_actions(
        Org,
        "orgs.unit.updated",
        (
            Logged(
                object_id=node.pk,
                org_id=node.pk,
                from_state=changes.get("name", ("",))[0],
                to_state=changes.get("name", ("", ""))[1],
                reason="批量导入",
                data={f: [old, new] for f, (old, new) in changes.items()},
            )
            for node, changes in updates.items()
        ),
        by=by,
    )


__all__ = ["ImportChange", "ImportResult", "import_orgs", "COLUMNS", "SEGMENT_WIDTH"]
