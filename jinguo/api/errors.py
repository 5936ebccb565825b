"""A refused parameter explained in Chinese: pydantic's errors, one sentence per parameter."""

from __future__ import annotations

from typing import Any

# Where the error is raised by a bound in the schema, the bound is in ctx (``ge``, ``le``, ...).
_MESSAGES = {
    "missing": "必须填写",
    "int_parsing": "必须是整数",
    "int_type": "必须是整数",
    "int_from_float": "必须是整数",
    "bool_parsing": "必须是 true 或 false",
    "bool_type": "必须是 true 或 false",
    "string_type": "必须是文字",
    "greater_than_equal": "不能小于 {ge}",
    "greater_than": "必须大于 {gt}",
    "less_than_equal": "不能大于 {le}",
    "less_than": "必须小于 {lt}",
    "string_too_long": "不能超过 {max_length} 个字",
    "string_pattern_mismatch": "含有不允许的字符",
    "enum": "必须是以下取值之一：{expected}",
}
_FALLBACK = "取值无效"


def _field(loc: tuple | list) -> str:
    # ninja's loc starts with the source ("query", "path"); the rest names the parameter.
    names = [str(part) for part in loc[1:]]
    return ".".join(names) or str(loc[0] if loc else "")


def _message(error: dict[str, Any]) -> str:
    template = _MESSAGES.get(error.get("type", ""), _FALLBACK)
    ctx = error.get("ctx") or {}
    if error.get("type") == "enum" and "expected" in ctx:
        ctx = {**ctx, "expected": ctx["expected"].replace("'", "").replace(" or ", ", ")}
    try:
        return template.format(**ctx)
    except (KeyError, IndexError):
        return _FALLBACK


def validation_error_body(errors: list[dict[str, Any]]) -> dict[str, Any]:
    """The 422 body: ``detail`` as one Chinese sentence, ``errors`` per parameter."""
    items = [{"field": _field(error.get("loc", ())), "message": _message(error)} for error in errors]
    detail = "请求参数有误：" + "；".join(f"{item['field']} {item['message']}" for item in items) + "。"
    return {"detail": detail, "errors": items}
