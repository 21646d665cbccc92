"""What the people in the demo are called and what they write, in the Chinese a team would use.

Each distinct text is built once (per site, item and template) and repeated by code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from audit.demo.vectors import texts
from audit.model import Item, Severity, Site, SiteKind

if TYPE_CHECKING:  # only for annotations: these modules import this one
    from audit.demo.findings import Findings
    from audit.demo.inspections import Catalogue

INSPECTORS = (
    "陈明",
    "王建国",
    "李红梅",
    "张伟",
    "刘芳",
    "杨帆",
    "赵磊",
    "黄晓燕",
    "周杰",
    "吴静",
    "徐海波",
    "孙丽",
    "朱峰",
    "马骏",
    "胡敏",
    "郭强",
    "何琳",
    "高翔",
    "林涛",
    "罗娟",
)
UNIT_STAFF = (
    "顾建华",
    "季红",
    "曹永生",
    "陆建平",
    "缪小燕",
    "施国庆",
    "邱志刚",
    "葛丽萍",
    "瞿海燕",
    "范文斌",
    "钱立新",
    "冯雪梅",
    "沈卫东",
    "姜春华",
    "袁志强",
    "蒋丽君",
    "丁国平",
    "秦海峰",
    "邵红霞",
    "汤伟",
    "仇正华",
    "严德明",
    "陶晓峰",
    "戴丽娟",
    "倪建军",
    "俞美华",
    "管红兵",
    "卢新华",
    "包振宇",
    "龚雪芹",
    "成志勇",
    "保建新",
    "印春燕",
    "冒国栋",
    "景玉兰",
    "单文俊",
)
NAMES = INSPECTORS + UNIT_STAFF
DESCRIPTIONS = (
    "{site}：{item}，现场检查不符合要求。",
    "督查组在{site}检查时发现，“{item}”未落实到位。",
    "{site}未做到“{item}”，存在防控漏洞。",
)
MEASURED = "{site}：{item}实测 {value:g} {unit}，不符合“{limit}”的要求。"
REQUIREMENTS = (
    "立即整改，确保做到“{item}”，{days}日内报送整改情况及佐证材料。",
    "对照要求逐项整改（{item}），举一反三开展自查，{days}日内书面报告整改结果。",
)
MEASURES = ("现场责令立即纠正。", "已当场督促整改，并安排专人盯守。")
FIX_REPORTS = (
    "已完成整改：{item}。已组织相关人员学习防控规定，建立每日自查台账。",
    "已按整改要求落实到位（{item}），明确专人负责，整改前后照片已上传。",
    "已召开专题会议部署整改，现已做到“{item}”，并对相关责任人进行了批评教育。",
)
REJECTIONS = (
    "整改佐证材料不全，请补充现场照片后重新报送。",
    "现场复核发现问题仍未整改到位，退回重新整改。",
    "整改措施未落实到具体责任人，请完善后重新报送。",
)
ACCEPTED = "现场复核整改到位，予以销号。"
REOPENED = "复查时再次发现同一问题（{number}），重新打开。"
TEXT_ANSWERS = ("已核实，情况属实。", "详见现场记录。", "已登记在册。")


@dataclass(frozen=True)
class WorkedCase:
    """The late-night check in the article: a party secretary drove two arrivals in his own car."""

    site_code: str = "CC-ISO-001"
    days_ago: int = 75
    items: tuple[tuple[str, str], ...] = (("quarantine_transfer", "QT-04"), ("ppe_use", "PPE-01"))
    found_at: tuple[str, ...] = ("23:00", "23:05")
    """When each of `items` was found that night."""
    inspectors: tuple[str, str] = ("陈明", "王建国")
    secretary: str = "顾建华"
    verifier: str = "李红梅"
    descriptions: tuple[str, ...] = (
        "晚上23时许，督查组在{site}检查时发现，{community}党委书记驾驶私家车，将2名外省返回人员"
        "（群租房夫妻，不具备居家隔离条件）送至6.5公里外的集中隔离点。工作人员与拟隔离人员同乘一车，"
        "未使用专用转运车辆，未按规定流程转运。",
        "该社区党委书记转运拟隔离人员时仅佩戴一层普通口罩，个人防护不到位。",
    )
    measure: str = "现场责令该工作人员立即进行隔离观察，对其私家车进行全面消毒。"
    requirements: tuple[str, ...] = (
        "严格执行集中隔离人员转运工作流程：由街道调度专用转运车辆，工作人员不得与拟隔离人员同乘一车，"
        "逐人填写集中隔离人员信息表。",
        "接触外地返回人员、拟隔离人员时必须佩戴医用防护口罩或医用外科口罩，做好个人防护。",
    )
    fix_report: str = (
        "该同志隔离期满后，已要求社区全体工作人员在接触外地返回人员时做好个人防护；"
        "转运一律报街道调度专用车辆，按流程填写集中隔离人员信息表。"
    )
    report_after_days: int = 15
    deadline_days: int = 16


WORKED_CASE = WorkedCase()


def item_text(item: Item) -> str:
    return item.text.zh.rstrip("。；;.")


def community_committee(sites: list[Site], site: Site) -> str:
    """The residents' committee answers for what its own staff did, as in the worked case."""
    for other in sites:
        if other.kind is SiteKind.COMMUNITY and other.community == site.community and other.name == site.community:
            return other.unit.zh
    return site.unit.zh


class Wording:
    """The Chinese a team would write, built once per distinct (site, item, template).

    Each text column is a code per finding: the worked case's findings get negative codes
    (-1 for its first item, -2 for its second) and their own words from the article.
    """

    def __init__(
        self, rng: np.random.Generator, sites: list[Site], catalogue: Catalogue, findings: Findings, values: np.ndarray
    ):
        self.rng, self.sites, self.catalogue, self.findings, self.values = rng, sites, catalogue, findings, values
        self.n = len(findings.found)
        self.case = np.flatnonzero(findings.worked)
        self.case_codes = np.array(
            [
                -1
                - WORKED_CASE.items.index((catalogue.checklists[catalogue.checklist_of[i]].id, catalogue.items[i].id))
                for i in findings.item[self.case]
            ],
            dtype=np.int64,
        )

    def coded(self, codes: np.ndarray) -> np.ndarray:
        codes[self.case] = self.case_codes
        return codes

    def pick(self, choices: tuple) -> np.ndarray:
        return self.rng.integers(0, len(choices), self.n)

    def descriptions(self) -> pa.Array:
        items, sites, f = self.catalogue.items, self.sites, self.findings
        per_pair = (f.site * len(items) + f.item) * len(DESCRIPTIONS) + self.pick(DESCRIPTIONS)
        first_measured = len(sites) * len(items) * len(DESCRIPTIONS)
        measured = ~np.isnan(self.values)
        codes = self.coded(np.where(measured, first_measured + np.arange(self.n), per_pair))

        def make(code: int) -> str:
            if code < 0:
                site = sites[f.site[self.case[0]]]
                return WORKED_CASE.descriptions[-1 - code].format(site=site.name.zh, community=site.community.zh)
            if code >= first_measured:
                j = code - first_measured
                item = items[f.item[j]]
                return MEASURED.format(
                    site=sites[f.site[j]].name.zh,
                    item=item_text(item),
                    value=self.values[j],
                    unit=item.limit.unit,
                    limit=str(item.limit),
                )
            pair, chosen = divmod(code, len(DESCRIPTIONS))
            site, item = divmod(pair, len(items))
            return DESCRIPTIONS[chosen].format(site=sites[site].name.zh, item=item_text(items[item]))

        return texts(codes, make)

    def requirements(self) -> pa.Array:
        items = self.catalogue.items

        def make(code: int) -> str:
            if code < 0:
                return WORKED_CASE.requirements[-1 - code]
            item, chosen = divmod(code, len(REQUIREMENTS))
            days = items[item].severity.default_days
            return REQUIREMENTS[chosen].format(item=item_text(items[item]), days=days)

        return texts(self.coded(self.findings.item * len(REQUIREMENTS) + self.pick(REQUIREMENTS)), make)

    def measures(self) -> pa.Array:
        """Critical findings often get a measure ordered on the spot; the rest none."""
        critical = np.array([i.severity is Severity.CRITICAL for i in self.catalogue.items])[self.findings.item]
        ordered = critical & (self.rng.random(self.n) < 0.4)
        codes = self.coded(np.where(ordered, self.pick(MEASURES), len(MEASURES)))
        return texts(codes, lambda c: WORKED_CASE.measure if c < 0 else (*MEASURES, "")[c])

    def fix_reports(self) -> pa.Array:
        items = self.catalogue.items
        codes = self.coded(self.findings.item * len(FIX_REPORTS) + self.pick(FIX_REPORTS))
        return texts(
            codes,
            lambda c: (
                WORKED_CASE.fix_report
                if c < 0
                else FIX_REPORTS[c % len(FIX_REPORTS)].format(item=item_text(items[c // len(FIX_REPORTS)]))
            ),
        )
