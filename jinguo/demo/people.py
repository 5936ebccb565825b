"""Demo accounts: one per role at the city, a liaison in every county-level unit, a few more."""

from __future__ import annotations

from django.contrib.auth.hashers import make_password

from jinguo.accounts.models import User
from jinguo.orgs.models import Org

DEMO_PASSWORD = "Jinguo@2023"  # noqa: S105 - the published password of the local demo

# (username, full name, unit name, roles)
DEMO_USERS = [
    ("sj_admin", "王芳（市妇联管理员）", "毕节市妇联", {"admin", "reviewer"}),
    ("sj_review", "李娜（市妇联审核员）", "毕节市妇联", {"reviewer"}),
    ("sj_office", "赵敏（市妇联办公室）", "办公室", {"liaison"}),
    ("qxg_admin", "陈静（七星关区管理员）", "七星关区妇联", {"admin", "reviewer"}),
    ("qxg_lly", "刘洋（七星关区联络员）", "七星关区妇联", {"liaison"}),
    ("df_lly", "杨雪（大方县联络员）", "大方县妇联", {"liaison"}),
    ("js_lly", "张婷（金沙县联络员）", "金沙县妇联", {"liaison"}),
    ("zj_lly", "吴霞（织金县联络员）", "织金县妇联", {"liaison"}),
    ("ny_lly", "周丽（纳雍县联络员）", "纳雍县妇联", {"liaison"}),
    ("wn_lly", "马兰（威宁县联络员）", "威宁彝族回族苗族自治县妇联", {"liaison"}),
    ("hz_lly", "罗琴（赫章县联络员）", "赫章县妇联", {"liaison"}),
    ("qx_lly", "黄梅（黔西市联络员）", "黔西市妇联", {"liaison"}),
    ("bldj_lly", "蔡红（百里杜鹃联络员）", "百里杜鹃管理区妇联", {"liaison"}),
    ("jhh_lly", "田甜（金海湖联络员）", "金海湖新区妇联", {"liaison"}),
    ("sxjd_lly", "龙燕（市西街道联络员）", "市西街道妇联", {"liaison"}),
    ("jyj_lly", "宋佳（市教育局妇委会）", "毕节市教育局妇委会", {"liaison"}),
    # The care registry (关心关爱): caseworkers of two counties and a township, and the city's care admin.
    ("sj_care", "许丽（市妇联关爱工作管理员）", "毕节市妇联", {"admin", "care"}),
    ("qxg_care", "付芸（七星关区关爱工作者）", "七星关区妇联", {"care"}),
    ("df_care", "邓兰（大方县关爱工作者）", "大方县妇联", {"care"}),
    ("sxjd_care", "潘梅（市西街道关爱工作者）", "市西街道妇联", {"care"}),
]


def load_users() -> list[User]:
    # One hash for all: hashing is deliberately slow, and the demo shares one password.
    hashed = make_password(DEMO_PASSWORD)
    users = []
    for username, full_name, unit, roles in DEMO_USERS:
        org = Org.objects.get(name=unit)
        user = User(
            username=username,
            full_name=full_name,
            org=org,
            is_org_admin="admin" in roles,
            is_reviewer="reviewer" in roles,
            is_liaison="liaison" in roles,
            is_care_worker="care" in roles,
        )
        user.password = hashed
        user.save()
        users.append(user)
    return users
