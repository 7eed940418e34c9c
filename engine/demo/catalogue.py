"""The demo company's assortment: home-goods categories, suppliers, and the per-SKU profile arrays.

Every SKU attribute is a numpy array indexed by SKU number, drawn once from the seed; names and codes are
made on demand for a range, so a million SKUs stay a few dozen megabytes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from perfrules.engine.demo.calendar import SEASONS


@dataclass(frozen=True)
class Category:
    """A product category: SKU-code prefix, Chinese name, unit-cost range (CNY), mean order size, products."""

    prefix: str
    name: str
    cost: tuple[int, int]
    order_size: float
    products: tuple[tuple[str, str], ...]  # (product noun, season or "")
    purchaser: str
    planner: str
    supplier_term: str


CATEGORIES = (
    Category(
        "CER",
        "陶瓷餐具",
        (6, 90),
        2.6,
        (
            ("釉下彩饭碗", ""),
            ("陶瓷汤碗", ""),
            ("陶瓷平盘", ""),
            ("深口菜盘", ""),
            ("马克杯", ""),
            ("鱼形盘", ""),
            ("调味碟", ""),
            ("红釉年年有鱼盘", "spring_festival"),
            ("骨瓷茶杯", ""),
        ),
        "E011",
        "E041",
        "陶瓷",
    ),
    Category(
        "STO",
        "收纳盒",
        (8, 70),
        1.8,
        (
            ("塑料收纳箱", ""),
            ("桌面收纳盒", ""),
            ("抽屉整理格", ""),
            ("衣物收纳袋", ""),
            ("鞋盒", ""),
            ("化妆品收纳架", ""),
        ),
        "E011",
        "E041",
        "塑料制品",
    ),
    Category(
        "TEX",
        "家纺",
        (25, 400),
        1.2,
        (
            ("纯棉四件套", ""),
            ("夏凉被", "summer"),
            ("冰丝凉席", "summer"),
            ("法兰绒毛毯", "winter"),
            ("羽绒被", "winter"),
            ("抱枕", ""),
            ("纯棉毛巾", ""),
            ("红色喜庆床品", "spring_festival"),
        ),
        "E012",
        "E042",
        "家纺",
    ),
    Category(
        "KTC",
        "厨具",
        (15, 300),
        1.1,
        (
            ("不粘炒锅", ""),
            ("不锈钢汤锅", ""),
            ("菜刀", ""),
            ("竹砧板", ""),
            ("电火锅", "winter"),
            ("硅胶铲勺套装", ""),
            ("蒸锅", ""),
        ),
        "E012",
        "E042",
        "厨具",
    ),
    Category(
        "GLS",
        "玻璃水具",
        (5, 120),
        1.9,
        (("玻璃水杯", ""), ("冷水壶", "summer"), ("保温杯", "winter"), ("随手杯", ""), ("玻璃储物罐", "")),
        "E013",
        "E041",
        "玻璃制品",
    ),
    Category(
        "CLN",
        "清洁用品",
        (3, 60),
        2.2,
        (("平板拖把", ""), ("加厚垃圾袋", ""), ("清洁刷", ""), ("超细纤维抹布", ""), ("除螨喷雾", "")),
        "E013",
        "E042",
        "日化",
    ),
    Category(
        "DEC",
        "家居装饰",
        (10, 200),
        1.3,
        (
            ("陶瓷花瓶", ""),
            ("实木相框", ""),
            ("静音挂钟", ""),
            ("香薰蜡烛", ""),
            ("春联窗花套装", "spring_festival"),
            ("新年灯笼", "spring_festival"),
        ),
        "E013",
        "E041",
        "工艺品",
    ),
)
KIT = Category(
    "SET", "礼盒套装", (60, 400), 1.2, (("家居礼盒", ""), ("新春礼盒", "spring_festival")), "E011", "E042", "礼品"
)
ALL_CATEGORIES = (*CATEGORIES, KIT)
KIT_CATEGORY = len(CATEGORIES)
KIT_EVERY = 50  # SKU i is a kit when i % KIT_EVERY == KIT_EVERY - 1; its components come from its block
STYLES = ("北欧", "日式", "简约", "复古", "ins风", "中式", "家用", "加厚")
SPECS = ("小号", "中号", "大号", "2件装", "4件装", "6件装", "经典款", "升级款")
COLOURS = ("白色", "米色", "灰色", "雾霾蓝", "粉色", "墨绿", "原木色", "红色")
CITIES = ("景德镇", "潮州", "义乌", "佛山", "南通", "宁波", "台州", "阳江", "德化", "淄博", "东莞", "杭州")
BRANDS = (
    "华美",
    "鑫源",
    "恒达",
    "永兴",
    "金宏",
    "瑞丰",
    "嘉禾",
    "顺昌",
    "万福",
    "宏图",
    "新世纪",
    "佳和",
    "天成",
    "富源",
    "利民",
    "长青",
    "东方",
    "和信",
    "同创",
    "盛世",
)


@dataclass(frozen=True)
class Catalogue:
    """Per-SKU profile arrays (index = SKU number) and the supplier list."""

    category: np.ndarray
    product: np.ndarray  # index into the category's products
    season: np.ndarray  # index into SEASONS
    style: np.ndarray
    unit_cost: np.ndarray  # fen
    price: np.ndarray  # fen
    supplier: np.ndarray  # index into suppliers
    rate: np.ndarray  # base sale orders per day before seasonality
    order_size: np.ndarray  # mean units per order
    launch: np.ndarray  # first selling day index
    death: np.ndarray  # first day with no demand any more (window days = never)
    legacy: np.ndarray  # dead before the window began: opening stock, no demand
    stubborn: np.ndarray  # legacy stock nobody will take: operations cannot dispose of it (the dead core)
    is_kit: np.ndarray
    components: np.ndarray  # (n, 4) component SKU numbers, -1 = none
    component_qty: np.ndarray  # (n, 4)
    suppliers: tuple[str, ...]
    supplier_lead: np.ndarray  # promised lead time, days
    supplier_on_time: np.ndarray  # probability of delivering by the promised day
    supplier_defects: np.ndarray  # share of units failing inspection

    @property
    def size(self) -> int:
        return len(self.category)

    def codes(self, lo: int, hi: int) -> list[str]:
        prefixes = [c.prefix for c in ALL_CATEGORIES]
        return [f"{prefixes[c]}-{i + 1:07d}" for i, c in zip(range(lo, hi), self.category[lo:hi].tolist(), strict=True)]

    def names(self, lo: int, hi: int) -> list[str]:
        out = []
        rows = zip(self.category[lo:hi].tolist(), self.product[lo:hi].tolist(), self.style[lo:hi].tolist(), strict=True)
        for i, (c, p, s) in enumerate(rows, start=lo):
            noun = ALL_CATEGORIES[c].products[p][0]
            out.append(f"{STYLES[s]}{noun} {SPECS[(i * 7 + s) % len(SPECS)]} {COLOURS[(i * 3 + p) % len(COLOURS)]}")
        return out


def build_catalogue(rng: np.random.Generator, n: int, days: int) -> Catalogue:
    """Draw the assortment: categories, prices, suppliers, life cycles and kits of ``n`` SKUs."""
    k = len(CATEGORIES)
    is_kit = (np.arange(n) % KIT_EVERY == KIT_EVERY - 1) & (n >= KIT_EVERY)
    category = np.where(is_kit, KIT_CATEGORY, rng.choice(k, n, p=[0.22, 0.16, 0.16, 0.14, 0.12, 0.1, 0.1]))
    product = np.zeros(n, dtype=np.int64)
    season = np.zeros(n, dtype=np.int64)
    unit_cost = np.zeros(n, dtype=np.int64)
    order_size = np.zeros(n)
    for c, cat in enumerate(ALL_CATEGORIES):
        idx = np.flatnonzero(category == c)
        product[idx] = rng.integers(0, len(cat.products), len(idx))
        season[idx] = [SEASONS.index(cat.products[p][1]) for p in product[idx].tolist()]
        low, high = cat.cost
        unit_cost[idx] = np.round(np.exp(rng.uniform(np.log(low), np.log(high), len(idx))) * 100)
        order_size[idx] = cat.order_size
    price = np.round(unit_cost * rng.uniform(1.6, 3.0, n)).astype(np.int64)

    n_suppliers = int(np.clip(n // 60, 2 * len(ALL_CATEGORIES), 240))
    supplier_category = np.arange(n_suppliers) % len(ALL_CATEGORIES)
    names: list[str] = []
    for s, c in enumerate(supplier_category.tolist()):
        brand = BRANDS[(s * 7 + s // len(BRANDS)) % len(BRANDS)]
        name = f"{CITIES[s % len(CITIES)]}{brand}{ALL_CATEGORIES[c].supplier_term}有限公司"
        names.append(name if name not in names else f"{name}第{s}分公司")
    supplier = np.empty(n, dtype=np.int64)
    for c in range(len(ALL_CATEGORIES)):
        idx = np.flatnonzero(category == c)
        choices = np.flatnonzero(supplier_category == c)
        supplier[idx] = rng.choice(choices, len(idx))

    in_kit = np.zeros(n, dtype=bool)  # components keep selling all window long, so kits can be built
    legacy = (rng.random(n) < 0.05) & ~is_kit
    dying = (rng.random(n) < 0.18) & ~legacy & ~is_kit & (days > 120)
    launched = (rng.random(n) < 0.12) & ~legacy & ~dying & (days > 120)
    death = np.where(dying, rng.integers(60, max(61, days - 30), n), days)
    launch = np.where(launched, rng.integers(0, max(1, days - 60), n), 0)

    components = np.full((n, 4), -1, dtype=np.int64)
    component_qty = np.zeros((n, 4), dtype=np.int64)
    for kit in np.flatnonzero(is_kit).tolist():
        count = int(rng.integers(2, 5))
        components[kit, :count] = kit - KIT_EVERY + 1 + rng.choice(KIT_EVERY - 1, count, replace=False)
        component_qty[kit, :count] = rng.integers(1, 5, count)
    in_kit[components[components >= 0]] = True
    legacy &= ~in_kit
    death = np.where(in_kit, days, death)
    launch = np.where(in_kit, 0, launch)
    kit_cost = (unit_cost[np.maximum(components, 0)] * component_qty).sum(axis=1)
    unit_cost = np.where(is_kit, kit_cost + 500, unit_cost)
    price = np.where(is_kit, np.round(unit_cost * 2.2).astype(np.int64), price)

    return Catalogue(
        category=category,
        product=product,
        season=season,
        style=rng.integers(0, len(STYLES), n),
        unit_cost=unit_cost,
        price=price,
        supplier=supplier,
        rate=np.where(legacy, 0.0, rng.lognormal(0.0, 1.1, n)),
        order_size=order_size,
        launch=launch,
        death=death,
        legacy=legacy,
        stubborn=legacy & (rng.random(n) < 0.2),
        is_kit=is_kit,
        components=components,
        component_qty=component_qty,
        suppliers=tuple(names),
        supplier_lead=rng.integers(5, 21, n_suppliers),
        supplier_on_time=rng.uniform(0.82, 0.99, n_suppliers),
        supplier_defects=rng.uniform(0.002, 0.03, n_suppliers),
    )
