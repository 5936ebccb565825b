"""Demo care registry: a few hundred synthetic people in Bijie's townships.

Every person is made up: names are a surname, 某 and one character (张某芳: the way Chinese
documents write an anonymised name), ID numbers carry the county's region code, a made-up birth
date and a valid check digit, phones are in the 170 0000 xxxx block. Help records come from the
demo's 2023 “三八” campaign (line 五, 特殊困难群体关心关爱活动); some follow-ups are overdue.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.utils import timezone

from jinguo.accounts.models import User
from jinguo.campaigns.models import ActivityLine, Campaign
from jinguo.care import services
from jinguo.care.models import Category, HelpRecord, Person
from jinguo.lib.idnumbers import make_id_number
from jinguo.orgs.models import Org

PEOPLE = 320
TOWNSHIPS_PER_COUNTY = 4
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何罗龙安"
GIVEN = "芳英兰秀梅霞燕琴敏丽娟红艳平萍玲"
CHILD_GIVEN = "明亮乐欣怡涵轩宇"
ADULT_CATEGORIES = ["低收入妇女", "失业妇女", "患病妇女（含两癌）", "单亲困难母亲"]
CHILD_CATEGORIES = ["留守未成年人", "困境儿童", "残疾儿童", "孤儿"]


def _id_number(rng: random.Random, region: str, birth: dt.date, female: bool) -> str:
    sequence = rng.randrange(0, 499) * 2 + (0 if female else 1)
    return make_id_number(f"{region}{birth:%Y%m%d}{sequence:03d}")


def load_demo_care() -> int:
    """Create the demo registry (the demo loads inside ``scopes_disabled``). Returns the people made."""
    rng = random.Random(2023)
    today = timezone.localdate()
    services.ensure_default_categories()
    categories = {c.name: c for c in Category.objects.all()}
    campaign = Campaign.objects.filter(doc_number="毕妇发〔2023〕2号").first()
    line = ActivityLine.objects.filter(campaign=campaign, title__contains="关心关爱").first() if campaign else None
    counties = list(Org.objects.filter(kind=Org.Kind.COUNTY, code__isnull=False).order_by("path"))
    townships = []
    for county in counties:
        below = Org.objects.filter(parent=county, kind=Org.Kind.TOWNSHIP).order_by("path")[:TOWNSHIPS_PER_COUNTY]
        townships += [(county, t) for t in below]
    by_county = {c.pk: User.objects.filter(org=c, is_care_worker=True).first() for c in counties}
    city_worker = User.objects.filter(org__kind=Org.Kind.CITY, is_care_worker=True).first()
    used: set[str] = set()
    made = 0
    for i in range(PEOPLE):
        county, township = townships[i % len(townships)]
        worker = by_county.get(county.pk) or city_worker
        child = rng.random() < 0.3
        age = rng.randrange(6, 17) if child else rng.randrange(22, 75)
        birth = dt.date(today.year - age, rng.randrange(1, 13), rng.randrange(1, 29))
        female = not child or rng.random() < 0.5
        number = _id_number(rng, (county.code or "520500")[:6], birth, female)
        if number in used:
            continue
        used.add(number)
        surname = rng.choice(SURNAMES)
        name = surname + "某" + rng.choice(CHILD_GIVEN if child else GIVEN)
        picked = [categories[rng.choice(CHILD_CATEGORIES if child else ADULT_CATEGORIES)]]
        guardian = services.GuardianInput(name=surname + "某" + rng.choice(GIVEN), relation="祖母") if child else None
        consent = services.ConsentInput(
            given_by=guardian.name if guardian else name,
            relation="监护人（祖母）" if guardian else "本人",
            given_on=today - dt.timedelta(days=rng.randrange(20, 400)),
            covers_photo=rng.random() < 0.3,
        )
        person = services.register_person(
            by=worker,
            org=township,
            name=name,
            id_number=number,
            phone=f"1700000{i:04d}",
            address=f"{township.name.removesuffix('妇联')}某村{rng.randrange(1, 9)}组",
            categories=picked,
            consent=consent,
            guardian=guardian,
            household_size=rng.randrange(1, 7),
            needs="（演示数据）" + rng.choice(["需要就业培训", "子女就学困难", "需要就医帮助", "生活物资短缺"]),
            health="（演示数据）宫颈癌术后复查" if picked[0].name.startswith("患病") else "",
            minor_situation="（演示数据）父母在外务工，随祖母生活" if child else "",
            followup_days=30 if child else None,
        )
        made += 1
        if child:
            # About a third of the monthly visits are overdue.
            Person.objects.filter(pk=person.pk).update(
                next_followup_on=today + dt.timedelta(days=rng.randrange(-20, 25))
            )
        if campaign is not None and rng.random() < 0.6:
            given_on = campaign.starts_on + dt.timedelta(
                days=rng.randrange(0, max(1, (today - campaign.starts_on).days))
            )
            kind = rng.choice([HelpRecord.Kind.CASH, HelpRecord.Kind.GOODS, HelpRecord.Kind.SCHOOLING])
            services.record_help(
                person,
                by=worker,
                given_on=min(given_on, today),
                kind=kind,
                given_by=f"{county.display_name}妇联“三八”走访慰问组",
                amount=Decimal(rng.choice([200, 300, 500, 800])) if kind != HelpRecord.Kind.GOODS else None,
                goods="米 1 袋、油 1 桶" if kind == HelpRecord.Kind.GOODS else "",
                campaign=campaign,
                line=line,
            )
    return made
