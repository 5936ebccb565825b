"""The demo contests, made through the same services as the pages. Call ``load_demo_contests()``
with scoping disabled, after the demo campaign.

- The 2023 notice's 征文 contest (its line (一)), 散文 and 诗歌: ~40 essays from Bijie's counties and
  townships (typed, some as .docx with the author in the file's properties, a few from the public),
  each county's 推荐 done within its 名额, then closed for judging. Two planted copies for copy
  detection: one whole, one about half.
- The notice's 文艺 line: a 书画 / 摄影 contest with small generated pictures, still collecting.

The essays are assembled from phrases (a seeded random choice of sentence templates and their
slots), so that two ordinary essays share little more than the law they both quote.
"""

from __future__ import annotations

import datetime as dt
import io
import random

from django.utils import timezone
from PIL import Image, ImageDraw

from jinguo.accounts.models import User
from jinguo.campaigns.models import ActivityLine
from jinguo.contests import services
from jinguo.contests.models import Contest, Entry
from jinguo.orgs.models import Org

ESSAY_TITLE = "“巾帼心向党 奋进新征程”主题征文比赛"
ARTS_TITLE = "“三八”节文艺赛事（书画·摄影）"
COUNTY_LIAISONS = {
    "七星关区妇联": "qxg_lly",
    "大方县妇联": "df_lly",
    "金沙县妇联": "js_lly",
    "织金县妇联": "zj_lly",
    "纳雍县妇联": "ny_lly",
    "威宁彝族回族苗族自治县妇联": "wn_lly",
    "赫章县妇联": "hz_lly",
    "黔西市妇联": "qx_lly",
}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何罗高林龙田蔡彭邓谢韩冯曹袁"
GIVEN = ["芳", "娜", "敏", "静", "丽", "霞", "燕", "婷", "雪", "梅", "琴", "兰", "艳", "红", "玲", "小芳", "春燕",
         "秀英", "桂兰", "海燕", "晓红", "丽华", "明霞", "玉梅", "金凤"]  # fmt: skip

# ---- phrases ---------------------------------------------------------------------------------------

PEOPLE = ["母亲", "外婆", "村里的妇女主任", "邻居张嬢嬢", "我的女儿", "婆婆", "返乡创业的表姐", "社区网格员小杨"]
PLACES = ["乌蒙山脚下的小村", "赤水河边的寨子", "县城的老街", "镇上的集市", "村委会的院坝", "易地搬迁的新社区",
          "山坡上的茶园", "乡村振兴的产业园"]  # fmt: skip
SEASONS = ["一个春寒料峭的早晨", "去年三月", "那年秋收以后", "一个下着小雨的傍晚", "腊月里", "今年开春"]
LAWS = [
    ("《妇女权益保障法》", "国家保障妇女享有与男子平等的权利"),
    ("《反家庭暴力法》", "国家禁止任何形式的家庭暴力"),
    ("《家庭教育促进法》", "父母或者其他监护人应当树立家庭是第一个课堂、家长是第一任老师的责任意识"),
    ("《民法典》婚姻家庭编", "家庭应当树立优良家风，弘扬家庭美德，重视家庭文明建设"),
]
THINGS = ["一本翻旧了的法律小册子", "一张妇联的维权联系卡", "一堂巾帼宣讲课", "一场院坝里的普法座谈",
          "一次家庭教育讲座", "一份写给女儿的信", "一台旧缝纫机", "一块刺绣的围腰"]  # fmt: skip
FEELINGS = ["心里一下子亮堂起来", "眼眶忍不住湿润了", "第一次觉得自己说话有人听", "腰杆挺得更直了",
            "明白了什么叫底气", "觉得日子有了奔头"]  # fmt: skip

OPENINGS = [
    "{season}，我在{place}第一次听人讲起{law}，{feeling}。",
    "说起“巾帼心向党”，我总会想起{person}和{thing}。",
    "在{place}长大的女孩，很少有人告诉我们：{quote}。",
    "{person}常说，女人要靠自己，也要懂得靠法律。{season}，这句话在我心里生了根。",
]
BODIES = [
    "{season}，{person}带着{thing}走进{place}，一家一户地讲，一遍一遍地问大家听懂没有。",
    "{law}里写着：“{quote}。”这句话印在{thing}上，也印在了{person}的心里。",
    "那时候{place}的人还觉得，两口子吵架动手是“家务事”，外人管不着；如今大家都知道，{quote}。",
    "{person}在{place}办起了合作社，带着二十多个姐妹种茶、刺绣、做电商，一年下来每家多收入一万多元。",
    "我把{thing}放在床头，遇到难处就翻一翻，{feeling}。",
    "妇联的同志来到{place}，开了{thing}，{person}第一个举手提问，问的是孩子上学和自己打工的权益。",
    "{season}，{person}鼓起勇气拨通了维权热线，工作人员耐心地告诉她：{quote}。",
    "在{place}，越来越多的妈妈学会了和孩子平等地说话，{person}说，这是{law}带来的变化。",
    "我们不再只是锅边灶台的“帮手”，也是{place}发展的“主力”，{feeling}。",
    "{person}把家里的老规矩改成了新家训，贴在堂屋正中，头一条就是“男女平等，互敬互爱”。",
    "党的二十大报告提出坚持男女平等基本国策，{person}听了宣讲后说，{feeling}。",
    "每次路过{place}，我都会想起{thing}，想起那些在困难中彼此扶持的姐妹。",
]
CLOSINGS = [
    "巾帼心向党，奋进新征程。我愿做{place}里的一束光，照亮更多姐妹前行的路。",
    "从{thing}到今天的好日子，我们用双手证明：妇女能顶半边天。",
    "愿每一个家庭都有好家风，愿每一位女性都能{feeling}。",
]
POEM_LINES = [
    "{place}的风吹过山岗", "{person}的手上有茶香", "{thing}在灯下发着光", "我们把{law}读给孩子听",
    "半边天撑起了乌蒙的晴朗", "她们从田埂走向讲台", "每一针都绣着新的希望", "{season}，春雷唤醒了杜鹃",
    "巾帼的脚步踏响新征程", "把心向党，把根扎在故乡", "山那边的路已经修好", "{feeling}，像桃花开满山坳",
]  # fmt: skip


def _fill(template: str, rng: random.Random) -> str:
    law, quote = rng.choice(LAWS)
    return template.format(
        season=rng.choice(SEASONS),
        place=rng.choice(PLACES),
        person=rng.choice(PEOPLE),
        thing=rng.choice(THINGS),
        feeling=rng.choice(FEELINGS),
        law=law,
        quote=quote,
    )


def essay_text(rng: random.Random, *, paragraphs: int = 6) -> str:
    body = [_fill(rng.choice(OPENINGS), rng)]
    for _ in range(paragraphs):
        body.append("".join(_fill(t, rng) for t in rng.sample(BODIES, 3)))
    body.append(_fill(rng.choice(CLOSINGS), rng))
    return "\n".join(body)


def poem_text(rng: random.Random, *, stanzas: int = 4) -> str:
    out = []
    for _ in range(stanzas):
        out.append("\n".join(_fill(t, rng) for t in rng.sample(POEM_LINES, 4)))
    return "\n\n".join(out)


def _docx(text: str, *, author: str, unit: str) -> bytes:
    import docx

    document = docx.Document()
    document.core_properties.author = author
    document.core_properties.last_modified_by = unit
    for paragraph in text.split("\n"):
        document.add_paragraph(paragraph)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


class _Upload(io.BytesIO):
    """Enough of an uploaded file for the services: a name, a size, read and seek."""

    def __init__(self, name: str, data: bytes):
        super().__init__(data)
        self.name = name
        self.size = len(data)


def _picture(rng: random.Random, *, painting: bool) -> bytes:
    """A small picture: a landscape of hills and sun (摄影) or ink strokes on rice paper (书画)."""
    width, height = 480, 360
    if painting:
        image = Image.new("RGB", (width, height), (245, 238, 220))
        draw = ImageDraw.Draw(image)
        for _ in range(rng.randint(5, 9)):
            x, y = rng.randint(20, width - 60), rng.randint(20, height - 60)
            draw.line(
                [(x, y), (x + rng.randint(20, 90), y + rng.randint(-40, 80))],
                fill=(30, 30, 30),
                width=rng.randint(4, 12),
            )
        draw.rectangle([width - 60, height - 70, width - 30, height - 40], fill=(180, 30, 40))  # the seal
    else:
        sky = (rng.randint(120, 180), rng.randint(170, 210), 235)
        image = Image.new("RGB", (width, height), sky)
        draw = ImageDraw.Draw(image)
        sun = rng.randint(40, 380)
        draw.ellipse([sun, 30, sun + 60, 90], fill=(250, 210, 80))
        for layer in range(3):
            green = (40 + layer * 30, 110 + layer * 30, 50 + layer * 10)
            top = 160 + layer * 50
            points = (
                [(0, height)] + [(x, top + rng.randint(-40, 30)) for x in range(0, width + 60, 60)] + [(width, height)]
            )
            draw.polygon(points, fill=green)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _line(title_prefix: str) -> ActivityLine | None:
    return ActivityLine.objects.filter(title__startswith=title_prefix).order_by("-campaign_id").first()


def _townships(county: Org) -> list[Org]:
    return list(Org.objects.filter(parent=county, kind=Org.Kind.TOWNSHIP).order_by("path")[:6])


def _open_contest(*, owner: Org, admin: User, title: str, kind: str, line, categories, **fields) -> Contest:
    now = timezone.now()
    contest = services.create_contest(
        owner=owner,
        by=admin,
        categories=categories,
        title=title,
        kind=kind,
        line=line,
        opens_at=now - dt.timedelta(days=20),
        closes_at=now + dt.timedelta(days=10),
        declaration_text="本人承诺所投作品为本人原创，未公开发表，未在其他比赛中获奖；如有抄袭，自愿取消参赛资格。",
        public_enabled=True,
        **fields,
    )
    services.set_contest_status(contest, status=Contest.Status.OPEN, by=admin)
    return contest


def load_essay_contest(rng: random.Random, *, per_county: int = 5) -> Contest:
    city = Org.objects.get(code="520500")
    admin = User.objects.get(username="sj_admin")
    contest = _open_contest(
        owner=city,
        admin=admin,
        title=ESSAY_TITLE,
        kind=Contest.Kind.ESSAY,
        line=_line("“三项”技能竞赛"),
        categories=["散文", "诗歌"],
        max_chars=3000,
        max_file_mb=10,
        allowed_media="",
        code_prefix="ZW",
        rules=(
            "一、征文主题：巾帼心向党 奋进新征程。围绕学习贯彻党的二十大精神、妇女权益保障、家庭家教家风等内容。\n"
            "二、体裁：散文（3000 字以内）、诗歌（现代诗，60 行以内）。\n"
            "三、每位作者每个组别限投一件，须为原创，未公开发表。\n"
            "四、各县（市、区）妇联从本地投稿中择优推荐，每县推荐不超过 4 件。"
        ),
    )
    counties = [Org.objects.get(name=name) for name in COUNTY_LIAISONS]
    services.set_quotas(contest, quotas=dict.fromkeys(counties, 4), by=admin)
    prose, poetry = list(contest.categories.order_by("order"))
    entries: list[Entry] = []
    for ci, county in enumerate(counties):
        liaison = User.objects.get(username=COUNTY_LIAISONS[county.name])
        townships = _townships(county) or [county]
        for i in range(per_county):
            unit = townships[i % len(townships)]
            author = rng.choice(SURNAMES) + rng.choice(GIVEN)
            phone = f"139{ci:02d}{i:02d}{rng.randint(1000, 9999)}"
            is_poem = i == per_county - 1
            text = poem_text(rng) if is_poem else essay_text(rng, paragraphs=rng.randint(4, 7))
            if i == 1:  # a signature the redaction masks
                text += f"\n（作者：{author}，{unit.name}，联系电话 {phone}）"
            work = {"text": text}
            if i == 2:
                work = {"upload": _Upload(f"{author}-征文.docx", _docx(text, author=author, unit=unit.name))}
            public = i == 3 and ci % 2 == 0
            entries.append(
                services.submit_entry(
                    contest,
                    category=poetry if is_poem else prose,
                    title=rng.choice(
                        [
                            "我的母亲",
                            "山里的光",
                            "半边天",
                            "家风",
                            "春到乌蒙",
                            "她的合作社",
                            "一堂普法课",
                            "灯下",
                            "杜鹃花开",
                            "新家训",
                        ]
                    )
                    + ("（诗）" if is_poem else ""),  # fmt: skip
                    author_name=author,
                    author_phone=phone,
                    author_org=unit,
                    declared=True,
                    by=None if public else liaison,
                    source=Entry.Source.PUBLIC if public else Entry.Source.LIAISON,
                    **work,
                )
            )
    # Two planted copies for copy detection: a whole one, and one that takes about half.
    original, half_source = entries[0], entries[6]
    whole_text = original.current_version.text
    half = half_source.current_version.text.split("\n")
    half_text = "\n".join(half[: len(half) // 2] + essay_text(rng, paragraphs=3).split("\n")[1:])
    for n, (county, text) in enumerate([(counties[5], whole_text), (counties[7], half_text)]):
        unit = (_townships(county) or [county])[-1]
        entries.append(
            services.submit_entry(
                contest,
                category=prose,
                title=["奋进的她", "乌蒙巾帼"][n],
                author_name=rng.choice(SURNAMES) + rng.choice(GIVEN),
                author_phone=f"13788{n:02d}{rng.randint(1000, 9999)}",
                author_org=unit,
                declared=True,
                by=User.objects.get(username=COUNTY_LIAISONS[county.name]),
                text=text,
            )
        )
    # Each county's 推荐, within its 名额 (the planted copies are recommended: a county did not notice).
    reasons = ["主题不够突出", "篇幅偏短，内容单薄", "与本县其他作品题材重复"]
    for county in counties:
        # The demo has one county administrator (七星关区); elsewhere the decision is the system's.
        reviewer = User.objects.filter(org=county, is_org_admin=True).first()
        mine = [e for e in entries if e.author_org.is_within(county)]
        mine.sort(key=lambda e: (e.title not in ("奋进的她", "乌蒙巾帼"), e.number))
        for k, entry in enumerate(mine):
            if k < 4:
                services.decide_recommendation(entry, org=county, recommend=True, by=reviewer)
            else:
                services.decide_recommendation(
                    entry, org=county, recommend=False, reason=rng.choice(reasons), by=reviewer
                )
    # Submission is over: the contest waits for its judges.
    Contest.objects.filter(pk=contest.pk).update(closes_at=timezone.now() - dt.timedelta(days=2))
    contest.refresh_from_db()
    services.set_contest_status(contest, status=Contest.Status.JUDGING, by=admin)
    return contest


def load_arts_contest(rng: random.Random, *, per_county: int = 2) -> Contest:
    city = Org.objects.get(code="520500")
    admin = User.objects.get(username="sj_admin")
    contest = _open_contest(
        owner=city,
        admin=admin,
        title=ARTS_TITLE,
        kind=Contest.Kind.WORKS,
        line=_line("“三八”节文艺赛事"),
        categories=["书画", "摄影"],
        max_chars=None,
        max_file_mb=20,
        allowed_media="image",
        code_prefix="WY",
        rules="书画作品请拍摄或扫描后上传（JPG、PNG），摄影作品须为本人拍摄，反映新时代妇女风采。",
    )
    counties = [Org.objects.get(name=name) for name in list(COUNTY_LIAISONS)[:6]]
    services.set_quotas(contest, quotas=dict.fromkeys(counties, 2), by=admin)
    painting, photo = list(contest.categories.order_by("order"))
    for ci, county in enumerate(counties):
        liaison = User.objects.get(username=COUNTY_LIAISONS[county.name])
        townships = _townships(county) or [county]
        for i in range(per_county):
            is_painting = i % 2 == 0
            author = rng.choice(SURNAMES) + rng.choice(GIVEN)
            entry = services.submit_entry(
                contest,
                category=painting if is_painting else photo,
                title=rng.choice(["巾帼风采", "春耕", "山花烂漫", "绣娘", "乌蒙晨曦", "茶园姐妹"]),
                author_name=author,
                author_phone=f"136{ci:02d}{i:02d}{rng.randint(1000, 9999)}",
                author_org=townships[i % len(townships)],
                declared=True,
                by=liaison,
                upload=_Upload(f"{author}.png", _picture(rng, painting=is_painting)),
            )
            if ci < 3:
                reviewer = User.objects.filter(org=county, is_org_admin=True).first()
                services.decide_recommendation(entry, org=county, recommend=True, by=reviewer)
    return contest


def load_demo_contests(seed: int = 2023) -> list[Contest]:
    """Both demo contests (skipped if the essay contest is there already)."""
    existing = Contest.objects.filter(title=ESSAY_TITLE).first()
    if existing is not None:
        return list(Contest.objects.filter(title__in=[ESSAY_TITLE, ARTS_TITLE]))
    rng = random.Random(seed)
    return [load_essay_contest(rng), load_arts_contest(rng)]
