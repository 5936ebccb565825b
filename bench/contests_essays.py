"""Generated 征文 essays for the copy-detection benchmark and tests, with planted copies.

Each essay (~2,000 characters) is built from a random title, an opening with the year's slogans,
body paragraphs of sentences filled from a themed vocabulary (people, places of the Bijie tree,
work, numbers), one to three quoted law articles from data/laws/ (as every essay of the 2023
notice does), phrases many writers share, and a closing. A seeded ``random.Random`` makes every
run the same.

Planted copies: ``whole`` (the source again, under another title), ``partial`` (30–70 % of the copy
is one or two passages of the source, the rest the copier's own), each either verbatim or lightly
edited (a character in ~80 changed, sentences of the copied part reordered).
"""

from __future__ import annotations

import csv
import random
import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "秀英丽芳敏静霞娟艳玲桂兰华红梅琴云莲珍凤翠花萍燕雪婷慧颖琳倩媛月巧美娜晶瑶蓉淑惠春菊香芬妹群荣"
ROLES = [
    "村妇联主席",
    "巾帼志愿者",
    "留守妇女",
    "返乡创业的女大学生",
    "家庭教育指导师",
    "社区网格员",
    "乡村女教师",
    "村医",
    "刺绣合作社负责人",
    "巾帼家政服务员",
    "女企业家",
    "驻村第一书记",
    "妇女议事会成员",
    "最美家庭代表",
    "三八红旗手",
    "法律明白人",
    "女致富带头人",
    "农家书屋管理员",
    "易地扶贫搬迁户",
    "儿童之家辅导员",
]
WORK = [
    "刺梨种植",
    "蜡染刺绣",
    "食用菌大棚",
    "茶叶采摘",
    "电商直播带货",
    "家政培训",
    "乡村旅游民宿",
    "中药材种植",
    "生态养殖",
    "手工编织",
    "农产品加工",
    "特色小吃",
    "竹编工艺",
    "猕猴桃种植",
    "辣椒种植",
    "腊肉加工",
]
THINGS = [
    "夜校",
    "妇女之家",
    "儿童之家",
    "巾帼工坊",
    "婚姻家庭纠纷调解室",
    "家长学校",
    "心理咨询室",
    "普法小课堂",
    "就业帮扶站",
    "爱心超市",
    "互助小组",
    "技能培训班",
    "读书会",
    "广场舞队",
    "议事长廊",
]
VERBS = [
    "组织",
    "带动",
    "帮助",
    "动员",
    "联系",
    "陪伴",
    "走访",
    "指导",
    "鼓励",
    "培训",
    "服务",
    "团结",
    "引导",
    "照顾",
    "支持",
]
OBJECTS = [
    "留守儿童",
    "困难妇女",
    "空巢老人",
    "搬迁群众",
    "单亲母亲",
    "返乡青年",
    "村里的姐妹",
    "周边农户",
    "邻里乡亲",
    "在校学生",
    "残疾妇女",
    "低收入家庭",
    "新婚夫妻",
    "年轻母亲",
]
ADVERBS = [
    "耐心地",
    "一次次",
    "主动",
    "默默地",
    "挨家挨户",
    "手把手",
    "认真",
    "坚持",
    "及时",
    "悄悄地",
    "热情地",
    "反复",
]
FEELINGS = [
    "心里暖暖的",
    "眼眶湿润了",
    "脸上露出了笑容",
    "说不出话来",
    "重新有了信心",
    "觉得日子有了盼头",
    "心里踏实了",
    "感动得握住她的手",
    "终于松了一口气",
    "打心底里佩服她",
]
TIMES = [
    "那年冬天",
    "去年春天",
    "前年夏天",
    "每到农忙时节",
    "一个下雨的傍晚",
    "清晨六点",
    "腊月里",
    "开学前",
    "深夜",
    "周末",
]
NATURE = [
    "山路弯弯",
    "云雾缭绕",
    "杜鹃花开满山坡",
    "细雨落在青瓦上",
    "乌蒙山的风吹过田野",
    "村口的老核桃树又发了新芽",
    "晚霞映红了半边天",
    "溪水哗哗地流",
    "玉米地一片金黄",
    "炊烟从屋顶升起",
]
SAYINGS = [
    "只要肯干，日子就有奔头",
    "妇女也能撑起一片天",
    "家里的事再小也是大事",
    "学了法，心里就有了底",
    "孩子的事，就是我们大家的事",
    "一个人走得快，一群人走得远",
    "我们不能等，要自己动手",
    "有困难，就找妇联",
    "好家风是最好的传家宝",
    "日子是干出来的",
]
COMMON = [
    "打通服务妇女群众的“最后一公里”",
    "把党的声音传递到千家万户",
    "让广大妇女群众的获得感、幸福感、安全感不断增强",
    "用心用情用力为妇女儿童办实事",
    "做妇女群众信得过、靠得住、离不开的娘家人",
    "在平凡的岗位上书写不平凡的人生",
    "以实际行动诠释新时代女性的担当",
    "让法治的阳光照进每一个家庭",
]
SLOGANS = [
    "巾帼心向党 奋进新征程",
    "以习近平同志为核心的党中央",
    "习近平新时代中国特色社会主义思想",
    "深入学习贯彻党的二十大精神",
    "妇女能顶半边天",
    "巩固拓展脱贫攻坚成果同乡村振兴有效衔接",
    "注重家庭、注重家教、注重家风",
    "贡献巾帼力量",
]
LAW_NAMES = {
    "妇女权益保障法(2022-10-30).md": "《中华人民共和国妇女权益保障法》",
    "反家庭暴力法(2015-12-27).md": "《中华人民共和国反家庭暴力法》",
    "家庭教育促进法(2021-10-23).md": "《中华人民共和国家庭教育促进法》",
    "未成年人保护法(2024-04-26).md": "《中华人民共和国未成年人保护法》",
    "婚姻家庭编.md": "《中华人民共和国民法典》",
}

TEMPLATES = [
    "{time}，{person}{adverb}{verb}{object}参加{work}，{feeling}。",
    "{place}的{person}常说：“{saying}。”",
    "{nature}，{person}又一次走进了{place}。",
    "为了让{object}学到本领，她在{place}办起了{thing}，{adverb}教大家{work}。",
    "起初，{object}并不理解，有人说她“多管闲事”，可她{adverb}{verb}，{feeling}。",
    "{person}把自己的{count}积蓄拿出来，{verb}{object}搞起了{work}。",
    "到了年底，{place}的{work}收入达到{money}，{count2}户{object}因此增收。",
    "在{thing}里，她{adverb}{verb}{object}，一坐就是{hours}。",
    "{time}，她接到{place}打来的电话，{object}遇到了难处，她连夜赶了过去。",
    "回想起这些年走过的路，{person}{feeling}。",
    "她带着{object}学习{law}，讲案例、答疑问，{adverb}讲到大家都听懂为止。",
    "如今，{place}的{thing}成了{object}最爱去的地方。",
    "{nature}，{thing}里传出了{object}的笑声。",
    "有一次，{object}家里出了事，{person}{adverb}{verb}，一直忙到{hours}以后。",
    "她说：“{saying}，{saying2}。”",
    "{count2}年来，她{verb}了{count3}名{object}，{place}的面貌一年一个样。",
    "在{person}的{verb}下，{object}办起了{work}，生活渐渐好了起来。",
]


def _load_places() -> list[str]:
    with open(ROOT / "data" / "bijie-divisions-2023.csv", encoding="utf-8") as f:
        townships = [row["name"] for row in csv.DictReader(f) if row["level"] == "township"]
    return townships


def _load_articles() -> list[str]:
    """(law, article) quotations: "《…》第X条规定：“…”"."""
    quotes = []
    for file, name in sorted(LAW_NAMES.items()):
        text = (ROOT / "data" / "laws" / file).read_text(encoding="utf-8")
        for match in re.finditer(r"^(第[一二三四五六七八九十百零]+条)\s*(\S[^\n]{30,220})$", text, re.M):
            quotes.append(f"{name}{match.group(1)}规定：“{match.group(2)}”")
    return quotes


@dataclass
class Plant:
    source: str
    copy: str
    kind: str  # "whole" | "partial"
    edited: bool
    share: float  # of the copy taken from the source (1.0 for whole)


class EssayMaker:
    def __init__(self, seed: int = 2023) -> None:
        self.rng = random.Random(seed)
        self.places = _load_places()
        self.articles = _load_articles()

    def _person(self) -> str:
        r = self.rng
        return f"{r.choice(ROLES)}{r.choice(SURNAMES)}{r.choice(GIVEN)}{r.choice(GIVEN)}"

    def _num(self) -> dict[str, str]:
        r = self.rng
        return {
            "count": r.choice(["全部", "多年的", "仅有的", "一半", "攒下的"]),
            "money": f"{r.randint(3, 300)}{r.choice(['万元', '余万元', '多万元'])}",
            "count2": str(r.randint(2, 120)),
            "count3": str(r.randint(10, 900)),
            "hours": r.choice(["半夜", "凌晨两点", "天亮", "晚上十点", "第二天中午"]),
        }

    def sentence(self) -> str:
        r = self.rng
        values = {
            "time": r.choice(TIMES),
            "person": self._person(),
            "adverb": r.choice(ADVERBS),
            "verb": r.choice(VERBS),
            "object": r.choice(OBJECTS),
            "work": r.choice(WORK),
            "feeling": r.choice(FEELINGS),
            "place": r.choice(self.places) + r.choice(["", "的村子", "社区", "安置点", "的寨子"]),
            "saying": r.choice(SAYINGS),
            "saying2": r.choice(SAYINGS),
            "nature": r.choice(NATURE),
            "thing": r.choice(THINGS),
            "comm": r.choice(COMMON),
            "law": r.choice(list(LAW_NAMES.values())),
            **self._num(),
        }
        return r.choice(TEMPLATES).format(**values)

    def paragraph(self, chars: int) -> str:
        out = ""
        while len(out) < chars:
            out += self.sentence()
        return out

    def essay(self, chars: int = 2000) -> str:
        r = self.rng
        title = f"{r.choice(['她', '我们', '山里的', '乌蒙山下的', '娘家人'])}{r.choice(['的故事', '与春天', '的坚守', '在路上', '的心愿'])}"
        opening = f"在{r.choice(SLOGANS)}的指引下，{r.choice(COMMON)}。{self.sentence()}"
        parts = [title, opening]
        quotes = r.sample(self.articles, r.randint(1, 3))
        body = chars - len(opening) - 120 - sum(len(q) for q in quotes)
        paragraphs = max(3, body // 300)
        for i in range(paragraphs):
            text = self.paragraph(body // paragraphs)
            if i < len(quotes):
                text += quotes[i] + r.choice(["这条规定让她心里有了底。", "她把这一条念给大家听。", "大家都记住了。"])
            if r.random() < 0.3:
                text += r.choice(COMMON) + "。"
            parts.append(text)
        parts.append(
            f"{r.choice(COMMON)}，{r.choice(SLOGANS)}，{r.choice(['我们一直在路上', '她还在路上', '未来可期'])}。"
        )
        return "\n\n".join(parts)

    # --- planted copies ---

    def _sentences(self, text: str) -> list[str]:
        return [s for s in re.findall(r"[^。！？\n]+[。！？”]*\n*", text) if s.strip()]

    def _edit(self, text: str) -> str:
        """Sentences shuffled, and about one character in 80 replaced."""
        sentences = self._sentences(text)
        self.rng.shuffle(sentences)
        chars = list("".join(sentences))
        for _ in range(max(1, len(chars) // 80)):
            i = self.rng.randrange(len(chars))
            if "\u4e00" <= chars[i] <= "\u9fff":
                chars[i] = self.rng.choice(GIVEN + SURNAMES)
        return "".join(chars)

    def whole_copy(self, source: str, *, edited: bool) -> str:
        body = source.split("\n\n", 1)[1]
        title = self.essay(60).split("\n\n", 1)[0]
        return f"{title}\n\n{self._edit(body) if edited else body}"

    def partial_copy(self, source: str, *, share: float, edited: bool) -> str:
        """A new essay of the source's length where ``share`` of the text is one or two passages of
        the source (cut at sentence ends) and the rest is the copier's own."""
        total = len(source)
        taken = int(total * share)
        sentences = self._sentences(source.split("\n\n", 1)[1])
        # One run of whole sentences of about ``taken`` characters, starting where it fits.
        ends = [0]
        for sentence in sentences:
            ends.append(ends[-1] + len(sentence))
        fits = [i for i in range(len(sentences)) if ends[-1] - ends[i] >= taken] or [0]
        start = self.rng.choice(fits)
        stop = start
        while stop < len(sentences) and ends[stop] - ends[start] < taken:
            stop += 1
        run = sentences[start:stop]
        cut = self.rng.randrange(1, len(run)) if len(run) > 1 and self.rng.random() < 0.5 else len(run)
        passages = ["".join(part) for part in (run[:cut], run[cut:]) if part]
        if edited:
            passages = [self._edit(p) for p in passages]
        own = self.essay(total - sum(len(p) for p in passages))
        own_paragraphs = own.split("\n\n")
        for passage in passages:
            own_paragraphs.insert(self.rng.randrange(1, len(own_paragraphs)), passage)
        return "\n\n".join(own_paragraphs)


def make_collection(
    *, essays: int = 2000, copies: int = 50, chars: int = 2000, seed: int = 2023
) -> tuple[dict[str, str], list[Plant]]:
    """``essays`` texts keyed "E0001"…, of which ``copies`` are planted copies of other essays
    (each source copied once, never a copy of a copy): whole and partial, half of each edited."""
    maker = EssayMaker(seed)
    originals = essays - copies
    texts = {f"E{i:04d}": maker.essay(chars) for i in range(1, originals + 1)}
    sources = maker.rng.sample(sorted(texts), copies)
    plants = []
    for n, source in enumerate(sources):
        key = f"E{originals + n + 1:04d}"
        kind = "whole" if n < copies * 2 // 5 else "partial"
        edited = n % 2 == 1
        if kind == "whole":
            texts[key] = maker.whole_copy(texts[source], edited=edited)
            share = 1.0
        else:
            share = round(maker.rng.uniform(0.3, 0.7), 2)
            texts[key] = maker.partial_copy(texts[source], share=share, edited=edited)
        plants.append(Plant(source=source, copy=key, kind=kind, edited=edited, share=share))
    return texts, plants
