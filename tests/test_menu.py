"""The menu shows each role what it can use, and every link it shows opens for that user."""

from __future__ import annotations

import re

import pytest

HREF = re.compile(r'<a class="list-group-item[^"]*" href="([^"]+)"')


def _menu_links(client) -> dict[str, str]:
    html = client.get("/").content.decode()
    menu = html.split('class="list-group list-group-flush menu"', 1)[1].split("</div>\n</div>", 1)[0]
    return dict(re.findall(r'href="([^"]+)">([^<]+)', menu))


@pytest.mark.parametrize(
    "who, hidden",
    [
        ("city_admin", {"关爱对象"}),
        ("city_reviewer", {"用户管理", "题库", "发布的活动", "关爱对象"}),
        ("qxg_liaison", {"方案审核", "信息审核", "用户管理", "题库", "发布的活动", "关爱对象"}),
    ],
)
def test_menu_offers_each_role_what_it_can_use(tree, users, client_for, who, hidden):
    client = client_for(getattr(users, who))
    links = _menu_links(client)
    everything = {"首页", "督导看板", "消息通知", "收到的通知", "发布的活动", "方案审核", "本单位信息", "信息审核", "采用排行",
                  "典型经验库", "活动总结", "活动台账", "维权周覆盖", "所需所盼", "竞赛", "题库", "赛事", "我的评审", "组织机构",
                  "用户管理", "API 文档", "关爱对象", "关爱统计"}  # fmt: skip
    assert set(links.values()) == everything - hidden
    for url, label in links.items():
        assert client.get(url).status_code == 200, label
