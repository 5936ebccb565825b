"""The demo org tree: Bijie City's federation, its 10 county-level units and 279 townships."""

from __future__ import annotations

import csv
from pathlib import Path

from django.conf import settings

from jinguo.orgs.models import Org
from jinguo.orgs.services import create_org

DIVISIONS_CSV = Path(settings.BASE_DIR) / "data" / "bijie-divisions-2023.csv"

# Real county-level units without an official statistical code.
UNCODED_COUNTIES = ["百里杜鹃管理区", "金海湖新区"]
CITY_COMMITTEES = [
    ("毕节市教育局妇委会", Org.Kind.COMMITTEE),
    ("毕节市卫生健康局妇委会", Org.Kind.COMMITTEE),
    ("毕节市人民医院妇委会", Org.Kind.COMMITTEE),
    ("毕节市税务局妇委会", Org.Kind.COMMITTEE),
    ("毕节市财政局妇女小组", Org.Kind.GROUP),
]
CITY_DEPARTMENTS = ["办公室", "组织宣传部", "权益部", "家庭和儿童工作部", "发展部"]
# A few villages and communities, so that the tree goes down to the sixth level somewhere.
DEMO_VILLAGES = {
    "520502001": ["碧阳社区妇联", "新华社区妇联"],
    "520521001": ["红旗社区妇联", "顺德社区妇联"],
}
KIND_BY_LEVEL = {"city": Org.Kind.CITY, "county": Org.Kind.COUNTY, "township": Org.Kind.TOWNSHIP}


def federation_name(division: str) -> str:
    return division + "妇联"


def load_tree() -> Org:
    """Create the Bijie tree; returns the city federation. The caller checks it is not there yet."""
    with DIVISIONS_CSV.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    by_code: dict[str, Org] = {}
    for row in rows:
        parent = by_code.get(row["parent_code"]) if row["parent_code"] else None
        by_code[row["code"]] = create_org(
            name=federation_name(row["name"]),
            short_name=row["name"],
            kind=KIND_BY_LEVEL[row["level"]],
            code=row["code"],
            parent=parent,
        )
    city = by_code["520500"]
    for name in UNCODED_COUNTIES:
        create_org(name=federation_name(name), short_name=name, kind=Org.Kind.COUNTY, parent=city)
    for name, kind in CITY_COMMITTEES:
        create_org(name=name, kind=kind, parent=city)
    for name in CITY_DEPARTMENTS:
        create_org(name=name, kind=Org.Kind.DEPARTMENT, parent=city)
    for township_code, villages in DEMO_VILLAGES.items():
        township = by_code.get(township_code)
        if township is None:
            continue
        for village in villages:
            create_org(name=village, kind=Org.Kind.VILLAGE, parent=township)
    return city
