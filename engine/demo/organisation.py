"""The demo company's people: departments, a fixed bilingual roster, and who looks after which category.

The roster is the same for every seed and size so that the demo tells a stable story: Wang Li's lists are
often late, Zhao Lei's lists are incomplete, Liu Yang's forecasts are poor, Sun Hao miscounts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from perfrules.engine.periods import add_months

DEPARTMENTS = (
    ("purchasing", "Purchasing", "采购部"),
    ("finance", "Finance", "财务部"),
    ("operations", "Operations", "运营部"),
    ("planning", "Planning", "计划部"),
    ("warehouse", "Warehouse", "仓储部"),
    ("hr", "Human Resources", "人事部"),
    ("management", "Management", "管理层"),
)
EMAIL_DOMAIN = "homegoods.example"
# Quarterly bonus base 季度奖金基数 per role, CNY.
BONUS_BASE = {
    "general_manager": 60000,
    "purchasing_manager": 24000,
    "finance_manager": 24000,
    "operations_manager": 24000,
    "planning_manager": 22000,
    "warehouse_manager": 20000,
    "hr_manager": 20000,
    "purchaser": 12000,
    "finance_analyst": 11000,
    "operations_specialist": 10000,
    "planner": 11000,
    "warehouse_keeper": 8000,
    "hr_specialist": 9000,
}


@dataclass(frozen=True)
class Person:
    """One employee of the demo roster. ``joins``/``leaves`` are month offsets from the window start."""

    id: str
    name_en: str
    name_zh: str
    department: str
    role: str
    manager_id: str | None
    locale: str = "zh-CN"
    joins: int | None = None
    leaves: int | None = None

    @property
    def email(self) -> str:
        first, _, last = self.name_en.partition(" ")
        return f"{last.lower().replace(' ', '')}.{first.lower()}@{EMAIL_DOMAIN}"


ROSTER = (
    Person("E001", "Chen Jianguo", "陈建国", "management", "general_manager", None),
    Person("E010", "Li Na", "李娜", "purchasing", "purchasing_manager", "E001"),
    Person("E011", "Wang Li", "王丽", "purchasing", "purchaser", "E010"),
    Person("E012", "Zhao Lei", "赵磊", "purchasing", "purchaser", "E010"),
    Person("E013", "Emily Zhou", "周艾米", "purchasing", "purchaser", "E010", locale="en"),
    Person("E020", "Zhang Min", "张敏", "finance", "finance_manager", "E001"),
    Person("E021", "Daniel Becker", "丹尼尔·贝克尔", "finance", "finance_analyst", "E020", locale="en"),
    Person("E022", "Xu Jing", "徐静", "finance", "finance_analyst", "E020"),
    Person("E030", "Huang Wei", "黄伟", "operations", "operations_manager", "E001"),
    Person("E031", "Lin Xiaoyu", "林晓宇", "operations", "operations_specialist", "E030"),
    Person("E032", "He Fang", "何芳", "operations", "operations_specialist", "E030"),
    Person("E033", "Sophie Martin", "苏菲·马丁", "operations", "operations_specialist", "E030", locale="en"),
    Person("E040", "Wu Hua", "吴华", "planning", "planning_manager", "E001"),
    Person("E041", "Zheng Qiang", "郑强", "planning", "planner", "E040"),
    Person("E042", "Liu Yang", "刘洋", "planning", "planner", "E040"),
    Person("E050", "Ma Jun", "马军", "warehouse", "warehouse_manager", "E001"),
    Person("E051", "Sun Hao", "孙浩", "warehouse", "warehouse_keeper", "E050"),
    Person("E052", "Guo Ping", "郭平", "warehouse", "warehouse_keeper", "E050"),
    Person("E053", "Zhu Tao", "朱涛", "warehouse", "warehouse_keeper", "E050", leaves=14),
    Person("E054", "Alex Kim", "金亚历", "warehouse", "warehouse_keeper", "E050", locale="en", joins=14),
    Person("E060", "Gao Yan", "高燕", "hr", "hr_manager", "E001"),
    Person("E061", "Luo Xin", "罗欣", "hr", "hr_specialist", "E060"),
)
PURCHASERS = ("E011", "E012", "E013")
OPERATIONS = ("E031", "E032", "E033")
KEEPERS = ("E051", "E052", "E053", "E054")
CAPITAL_REPORTER = "E021"


@dataclass(frozen=True)
class PurchaserHabits:
    """How a purchaser hands in deliverables: lateness, gaps and list quality (probabilities per period)."""

    late: float
    missing: float
    incomplete: float
    misclassified: float
    tracking_late: float
    tracking_missing: float


HABITS = {
    "E011": PurchaserHabits(
        late=0.35, missing=0.04, incomplete=0.15, misclassified=0.1, tracking_late=0.2, tracking_missing=0.1
    ),
    "E012": PurchaserHabits(
        late=0.1, missing=0.04, incomplete=0.45, misclassified=0.35, tracking_late=0.1, tracking_missing=0.05
    ),
    "E013": PurchaserHabits(
        late=0.05, missing=0.0, incomplete=0.08, misclassified=0.05, tracking_late=0.05, tracking_missing=0.02
    ),
}
# Planner forecast error: (bias, spread) of log(forecast / expected demand).
FORECAST_ERROR = {"E041": (0.0, 0.12), "E042": (0.18, 0.4)}
# Warehouse keeper: probability that a count differs from the books.
MISCOUNT = {"E051": 0.045, "E052": 0.012, "E053": 0.02, "E054": 0.015}


def active_from(person: Person, start: date) -> date:
    return add_months(start, person.joins) if person.joins is not None else date(start.year - 3, 1, 1)


def active_to(person: Person, start: date) -> date | None:
    """The last working day (the day before the successor joins), or None."""
    return add_months(start, person.leaves) - timedelta(days=1) if person.leaves is not None else None
