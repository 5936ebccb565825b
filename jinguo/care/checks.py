"""The care registry's keys must be the deployment's own: production refuses to start without them."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.checks import Error, Tags, register

from jinguo.accounts.checks import is_production

_HINT = (
    "生成密钥文件（仅属主可读）并设置：export CARE_KEYS_FILE=/etc/jinguo/care-keys.json；"
    "生成方法：python manage.py rotatecarekeys --init /etc/jinguo/care-keys.json"
)


@register(Tags.security)
def check_care_keys(app_configs=None, **kwargs) -> list[Error]:
    """ID numbers, phones and health data are encrypted with keys kept outside the database."""
    if is_production() and not settings.CARE_KEYS_FROM_ENV:
        return [Error("生产环境必须设置 CARE_KEYS_FILE（关爱数据加密密钥文件）。", hint=_HINT, id="jinguo.E010")]
    if settings.CARE_KEYS_FROM_ENV and not Path(settings.CARE_KEYS_FILE).is_file():
        return [Error(f"关爱数据密钥文件 {settings.CARE_KEYS_FILE} 不存在。", hint=_HINT, id="jinguo.E011")]
    return []
