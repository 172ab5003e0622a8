"""The Shizhong demo district: its real region tree, service positions and demo users.

Figures reproduce the district's report (../shared/FACTS.md): 17 streets, 116 communities and
villages, 615 grids, 116 party-mass service centres, 615 grid stations, 125 warm-heart stations.
Coordinates, addresses and people are synthetic. Building is idempotent: every record is looked up
by its code or user name first, so running it twice changes nothing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import random
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import transaction

from gridlight.core import audit
from gridlight.core.demo.shizhong_names import COMMUNITIES, COMMUNITIES_FILLER, STREETS
from gridlight.core.models import (
    Assignment,
    PositionKind,
    Region,
    RegionKind,
    ServicePosition,
    User,
)
from gridlight.core.models.regions import KIND_LEVEL

DISTRICT_CODE = "370103"
DISTRICT_NAME = "市中区"
GRID_TOTAL = 615
WARM_HEART_TOTAL = 125
# A second, small district: the home of the out-of-scope twins of district-wide roles.
TWIN_DISTRICT_CODE = "370102"
TWIN_DISTRICT_NAME = "历下区"

# Rough centres (longitude, latitude) so each street's positions cluster where the street lies.
_CENTRE = (116.985, 36.620)
_SEED = 20230701

SERVICES = {
    PositionKind.PARTY_MASS_CENTRE: ["党员教育", "政务代办", "政策咨询", "志愿服务", "文体活动"],
    PositionKind.GRID_STATION: ["网格议事", "矛盾调解", "信息采集", "便民服务"],
    PositionKind.WARM_HEART_STATION: ["户外劳动者歇脚", "饮水加热", "应急药箱", "手机充电"],
    PositionKind.CULTURE_SQUARE: ["广场舞", "文艺演出", "健身器材"],
}
HOURS = {
    PositionKind.PARTY_MASS_CENTRE: "周一至周日 8:30-18:00",
    PositionKind.GRID_STATION: "周一至周五 9:00-17:00",
    PositionKind.WARM_HEART_STATION: "全天开放",
    PositionKind.CULTURE_SQUARE: "全天开放",
}


@dataclass(frozen=True)
class DemoUser:
    username: str
    display_name: str
    role: str
    region_code: str | None  # view scope; None for public users
    write_code: str | None
    twin_of: str | None = None


def _community_code(street_code: str, index: int) -> str:
    return f"{street_code}{index:03d}"


def demo_users() -> list[DemoUser]:
    """Every role in the district, and an out-of-scope twin of each (names are synthetic)."""
    erqi = "370103008"  # 二七街道, home of 建新社区
    gsq = "370103003"  # 杆石桥街道
    jianxin = _community_code(erqi, COMMUNITIES["二七街道"].index("建新社区") + 1)
    leshan = _community_code(gsq, COMMUNITIES["杆石桥街道"].index("乐山社区") + 1)
    d, t = DISTRICT_CODE, TWIN_DISTRICT_CODE
    users = [
        DemoUser("admin", "王建国", "district_admin", d, d),
        DemoUser("street", "李秀梅", "street_staff", erqi, erqi),
        DemoUser("secretary", "张丽", "community_secretary", jianxin, jianxin),
        DemoUser("gridworker", "刘洋", "grid_worker", f"{jianxin}01", f"{jianxin}01"),
        DemoUser("handler", "陈静", "department_handler", d, d),
        DemoUser("commissioner", "杨帆", "talent_commissioner", d, d),
        DemoUser("evaluator", "赵敏", "evaluator", d, None),
        DemoUser("resident", "孙桂英", "resident", None, None),
        DemoUser("talent", "周博文", "talent", None, None),
        DemoUser("enterprise", "吴海右", "enterprise", None, None),
    ]
    twins = {
        "admin": (t, t),
        "street": (gsq, gsq),
        "secretary": (leshan, leshan),
        "gridworker": (f"{leshan}01", f"{leshan}01"),
        "handler": (t, None),
        "commissioner": (t, t),
        "evaluator": (t, None),
    }
    twin_names = ["郑涛", "冯娟", "蒋勇", "韩雪", "曹磊", "彭飞", "谢芳", "潘军", "田甜", "董亮"]
    for u, name in zip(list(users), twin_names, strict=True):
        view, write = twins.get(u.username, (None, None))
        users.append(DemoUser(f"{u.username}-other", name, u.role, view, write, u.username))
    return users


def demo_password(username: str) -> str:
    """A per-installation demo password derived from the secret key: not in the repository,
    the same every time the demo command prints it."""
    digest = hmac.new(settings.SECRET_KEY.encode(), f"demo:{username}".encode(), hashlib.sha256)
    return "Gl-" + base64.b32encode(digest.digest()).decode()[:10].lower()


class _Builder:
    def __init__(self) -> None:
        self.rng = random.Random(_SEED)
        self.created = 0
        self.by_code = {r.code: r for r in Region.objects.all()}
        self.position_codes = set(ServicePosition.objects.values_list("code", flat=True))
        self.new_positions: list[ServicePosition] = []

    def region(self, parent: Region | None, kind: str, code: str, name: str, order: int) -> Region:
        if code in self.by_code:
            return self.by_code[code]
        if parent is None:
            siblings = Region.objects.filter(parent__isnull=True).count()
            path = f"{siblings + 1:04d}"
        else:
            path = f"{parent.path}.{order:04d}"
        region = Region.objects.create(
            parent=parent,
            kind=kind,
            level=KIND_LEVEL[kind],
            code=code,
            name=name,
            path=path,
            sort_order=order,
        )
        self.by_code[code] = region
        self.created += 1
        return region

    def position(
        self,
        region: Region,
        kind: PositionKind,
        code: str,
        name: str,
        centre: tuple[float, float],
        address: str,
    ) -> None:
        if code in self.position_codes:
            return
        lng = centre[0] + self.rng.uniform(-0.012, 0.012)
        lat = centre[1] + self.rng.uniform(-0.009, 0.009)
        self.new_positions.append(
            ServicePosition(
                kind=kind,
                code=code,
                name=name,
                region=region,
                region_path=region.path,
                address=address,
                longitude=Decimal(f"{lng:.6f}"),
                latitude=Decimal(f"{lat:.6f}"),
                opening_hours=HOURS[kind],
                services=SERVICES[kind],
                phone=f"0531-8{self.rng.randint(1000000, 9999999)}",
            )
        )
        self.position_codes.add(code)


def _grid_counts(communities: int) -> list[int]:
    base, extra = divmod(GRID_TOTAL, communities)
    return [base + (1 if i < extra else 0) for i in range(communities)]


@transaction.atomic
def build_demo() -> int:
    """Build (or complete) the demo district; returns how many records were created."""
    b = _Builder()
    district = b.region(None, RegionKind.DISTRICT, DISTRICT_CODE, DISTRICT_NAME, 1)
    all_communities = [
        (street_code, street_name, name)
        for street_code, street_name in STREETS
        for name in COMMUNITIES[street_name] + COMMUNITIES_FILLER.get(street_name, [])
    ]
    grid_counts = _grid_counts(len(all_communities))
    warm_extra = WARM_HEART_TOTAL - len(all_communities)
    index_in_street: dict[str, int] = {}
    for n, (street_code, street_name, name) in enumerate(all_communities):
        street_order = [c for c, _s in STREETS].index(street_code) + 1
        street = b.region(district, RegionKind.STREET, street_code, street_name, street_order)
        i = index_in_street[street_code] = index_in_street.get(street_code, 0) + 1
        kind = RegionKind.VILLAGE if name.endswith("村") else RegionKind.COMMUNITY
        community = b.region(street, kind, _community_code(street_code, i), name, i)
        angle = street_order / len(STREETS) * 6.283
        radius = 0.02 + 0.05 * (street_order > 11)
        s_centre = (_CENTRE[0] + radius * math.cos(angle), _CENTRE[1] + radius * math.sin(angle))
        c_centre = (
            s_centre[0] + b.rng.uniform(-0.012, 0.012),
            s_centre[1] + b.rng.uniform(-0.01, 0.01),
        )
        road = f"{name.removesuffix('社区').removesuffix('村')}路"
        b.position(
            community,
            PositionKind.PARTY_MASS_CENTRE,
            f"PM-{community.code}",
            f"{name}党群服务中心",
            c_centre,
            f"济南市市中区{street_name}{road}{i * 3}号",
        )
        warm_here = 1 + (1 if n < warm_extra else 0)
        for w in range(1, warm_here + 1):
            b.position(
                community,
                PositionKind.WARM_HEART_STATION,
                f"WH-{community.code}-{w}",
                f"{name}暖心驿站" + (f"（{w}）" if warm_here > 1 else ""),
                c_centre,
                f"济南市市中区{street_name}{road}{i * 3 + w * 2}号",
            )
        if kind == RegionKind.VILLAGE and name == "小庄村":
            b.position(
                community,
                PositionKind.CULTURE_SQUARE,
                f"CS-{community.code}",
                "小庄村文化广场",
                c_centre,
                "济南市市中区陡沟街道小庄村",
            )
        for g in range(1, grid_counts[n] + 1):
            grid = b.region(
                community, RegionKind.GRID, f"{community.code}{g:02d}", f"{name}第{g}网格", g
            )
            b.position(
                grid,
                PositionKind.GRID_STATION,
                f"GS-{grid.code}",
                f"{grid.name}驿站",
                c_centre,
                f"济南市市中区{street_name}{road}{i * 3}号{g}号楼",
            )
    # The twin district holds the out-of-scope twins of district-wide roles.
    twin = b.region(None, RegionKind.DISTRICT, TWIN_DISTRICT_CODE, TWIN_DISTRICT_NAME, 2)
    twin_street = b.region(twin, RegionKind.STREET, f"{TWIN_DISTRICT_CODE}001", "解放路街道", 1)
    twin_comm = b.region(
        twin_street, RegionKind.COMMUNITY, f"{TWIN_DISTRICT_CODE}001001", "和平路社区", 1
    )
    b.region(twin_comm, RegionKind.GRID, f"{TWIN_DISTRICT_CODE}00100101", "和平路社区第1网格", 1)
    ServicePosition.objects.bulk_create(b.new_positions, batch_size=500)
    created = b.created + len(b.new_positions) + _ensure_users(b.by_code)
    if created:
        audit.record(
            actor=None,
            action="demo.load",
            object_type="core.region",
            object_label=DISTRICT_NAME,
            region_path=district.path,
            changes={"created": created},
        )
    return created


def _ensure_users(regions: dict[str, Region]) -> int:
    created = 0
    for spec in demo_users():
        user = User.objects.filter(username=spec.username).first()
        if user is None:
            user = User(username=spec.username, display_name=spec.display_name)
            user.set_password(demo_password(spec.username))
            user.save()
            created += 1
        region = regions[spec.region_code] if spec.region_code else None
        write = regions[spec.write_code] if spec.write_code else None
        _assignment, made = Assignment.objects.get_or_create(
            user=user,
            role=spec.role,
            region=region,
            defaults={
                "region_path": region.path if region else "",
                "write_region": write,
                "write_region_path": write.path if write else "",
            },
        )
        created += int(made)
    return created
