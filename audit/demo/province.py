"""Sites beyond the shipped registry, for a province-sized demo (13 cities, about 100 districts).

The names are the kind a registry in Jiangsu holds: communities named after places, hotels
used as isolation points, district hospitals with their fever clinics, enterprises and expressway
checkpoints, each under a real district of one of the province's thirteen cities. Codes start with
the city and district (`NJ03-COM-00042`), so they never meet the registry's own (`CC-COM-001`).
"""

from __future__ import annotations

import numpy as np

from audit.model import SiteKind

CITIES: tuple[tuple[str, str, str, tuple[tuple[str, str], ...]], ...] = (
    (
        "NJ",
        "南京市",
        "Nanjing",
        (
            ("玄武区", "Xuanwu"),
            ("秦淮区", "Qinhuai"),
            ("建邺区", "Jianye"),
            ("鼓楼区", "Gulou"),
            ("浦口区", "Pukou"),
            ("栖霞区", "Qixia"),
            ("雨花台区", "Yuhuatai"),
            ("江宁区", "Jiangning"),
            ("六合区", "Luhe"),
            ("溧水区", "Lishui"),
            ("高淳区", "Gaochun"),
        ),
    ),
    (
        "WX",
        "无锡市",
        "Wuxi",
        (
            ("梁溪区", "Liangxi"),
            ("锡山区", "Xishan"),
            ("惠山区", "Huishan"),
            ("滨湖区", "Binhu"),
            ("新吴区", "Xinwu"),
            ("江阴市", "Jiangyin"),
            ("宜兴市", "Yixing"),
        ),
    ),
    (
        "XZ",
        "徐州市",
        "Xuzhou",
        (
            ("鼓楼区", "Gulou"),
            ("云龙区", "Yunlong"),
            ("贾汪区", "Jiawang"),
            ("泉山区", "Quanshan"),
            ("铜山区", "Tongshan"),
            ("丰县", "Feng County"),
            ("沛县", "Pei County"),
            ("睢宁县", "Suining County"),
            ("新沂市", "Xinyi"),
            ("邳州市", "Pizhou"),
        ),
    ),
    (
        "CZ",
        "常州市",
        "Changzhou",
        (
            ("天宁区", "Tianning"),
            ("钟楼区", "Zhonglou"),
            ("新北区", "Xinbei"),
            ("武进区", "Wujin"),
            ("金坛区", "Jintan"),
            ("溧阳市", "Liyang"),
        ),
    ),
    (
        "SZ",
        "苏州市",
        "Suzhou",
        (
            ("姑苏区", "Gusu"),
            ("虎丘区", "Huqiu"),
            ("吴中区", "Wuzhong"),
            ("相城区", "Xiangcheng"),
            ("吴江区", "Wujiang"),
            ("常熟市", "Changshu"),
            ("张家港市", "Zhangjiagang"),
            ("昆山市", "Kunshan"),
            ("太仓市", "Taicang"),
        ),
    ),
    (
        "NT",
        "南通市",
        "Nantong",
        (
            ("崇川区", "Chongchuan"),
            ("通州区", "Tongzhou"),
            ("海门区", "Haimen"),
            ("如东县", "Rudong County"),
            ("启东市", "Qidong"),
            ("如皋市", "Rugao"),
            ("海安市", "Hai'an"),
        ),
    ),
    (
        "LY",
        "连云港市",
        "Lianyungang",
        (
            ("连云区", "Lianyun"),
            ("海州区", "Haizhou"),
            ("赣榆区", "Ganyu"),
            ("东海县", "Donghai County"),
            ("灌云县", "Guanyun County"),
            ("灌南县", "Guannan County"),
        ),
    ),
    (
        "HA",
        "淮安市",
        "Huai'an",
        (
            ("淮安区", "Huai'an District"),
            ("淮阴区", "Huaiyin"),
            ("清江浦区", "Qingjiangpu"),
            ("洪泽区", "Hongze"),
            ("涟水县", "Lianshui County"),
            ("盱眙县", "Xuyi County"),
            ("金湖县", "Jinhu County"),
        ),
    ),
    (
        "YC",
        "盐城市",
        "Yancheng",
        (
            ("亭湖区", "Tinghu"),
            ("盐都区", "Yandu"),
            ("大丰区", "Dafeng"),
            ("响水县", "Xiangshui County"),
            ("滨海县", "Binhai County"),
            ("阜宁县", "Funing County"),
            ("射阳县", "Sheyang County"),
            ("建湖县", "Jianhu County"),
            ("东台市", "Dongtai"),
        ),
    ),
    (
        "YZ",
        "扬州市",
        "Yangzhou",
        (
            ("广陵区", "Guangling"),
            ("邗江区", "Hanjiang"),
            ("江都区", "Jiangdu"),
            ("宝应县", "Baoying County"),
            ("仪征市", "Yizheng"),
            ("高邮市", "Gaoyou"),
        ),
    ),
    (
        "ZJ",
        "镇江市",
        "Zhenjiang",
        (
            ("京口区", "Jingkou"),
            ("润州区", "Runzhou"),
            ("丹徒区", "Dantu"),
            ("丹阳市", "Danyang"),
            ("扬中市", "Yangzhong"),
            ("句容市", "Jurong"),
        ),
    ),
    (
        "TZ",
        "泰州市",
        "Taizhou",
        (
            ("海陵区", "Hailing"),
            ("高港区", "Gaogang"),
            ("姜堰区", "Jiangyan"),
            ("兴化市", "Xinghua"),
            ("靖江市", "Jingjiang"),
            ("泰兴市", "Taixing"),
        ),
    ),
    (
        "SQ",
        "宿迁市",
        "Suqian",
        (
            ("宿城区", "Sucheng"),
            ("宿豫区", "Suyu"),
            ("沭阳县", "Shuyang County"),
            ("泗阳县", "Siyang County"),
            ("泗洪县", "Sihong County"),
        ),
    ),
)
"""(code, city, city in English, districts): Jiangsu's thirteen cities and their districts."""

PLACES = (
    ("光明", "Guangming"),
    ("人民", "Renmin"),
    ("新华", "Xinhua"),
    ("建设", "Jianshe"),
    ("和平", "Heping"),
    ("解放", "Jiefang"),
    ("文化", "Wenhua"),
    ("长江", "Changjiang"),
    ("幸福", "Xingfu"),
    ("朝阳", "Chaoyang"),
    ("红星", "Hongxing"),
    ("胜利", "Shengli"),
    ("团结", "Tuanjie"),
    ("东方", "Dongfang"),
    ("南湖", "Nanhu"),
    ("北苑", "Beiyuan"),
    ("西城", "Xicheng"),
    ("滨江", "Binjiang"),
    ("湖滨", "Hubin"),
    ("望江", "Wangjiang"),
    ("锦绣", "Jinxiu"),
    ("金桥", "Jinqiao"),
    ("桃园", "Taoyuan"),
    ("梅园", "Meiyuan"),
    ("翠竹", "Cuizhu"),
    ("松林", "Songlin"),
    ("青山", "Qingshan"),
    ("绿洲", "Lüzhou"),
    ("运河", "Yunhe"),
    ("花园", "Huayuan"),
    ("新城", "Xincheng"),
    ("东关", "Dongguan"),
    ("西门", "Ximen"),
    ("南苑", "Nanyuan"),
    ("北门", "Beimen"),
    ("钟楼", "Zhonglou"),
    ("柳湾", "Liuwan"),
    ("杏林", "Xinglin"),
    ("白塔", "Baita"),
    ("紫金", "Zijin"),
    ("汇丰", "Huifeng"),
    ("永安", "Yong'an"),
    ("长乐", "Changle"),
    ("富民", "Fumin"),
    ("兴隆", "Xinglong"),
    ("安居", "Anju"),
    ("泰和", "Taihe"),
    ("龙潭", "Longtan"),
)
"""Place words a street, a village or a housing estate is named after."""

KIND_SHARES = {
    SiteKind.COMMUNITY: 76,
    SiteKind.ENTERPRISE: 45,
    SiteKind.ISOLATION_POINT: 20,
    SiteKind.COMMUNITY_HEALTH_CENTRE: 17,
    SiteKind.CHECKPOINT: 16,
    SiteKind.HOSPITAL: 11,
    SiteKind.FEVER_CLINIC: 10,
}
"""The mix of the shipped registry: mostly communities and enterprises."""

KIND_CODES = {
    SiteKind.COMMUNITY: "COM",
    SiteKind.ENTERPRISE: "ENT",
    SiteKind.ISOLATION_POINT: "ISO",
    SiteKind.COMMUNITY_HEALTH_CENTRE: "CHC",
    SiteKind.CHECKPOINT: "CHK",
    SiteKind.HOSPITAL: "HOS",
    SiteKind.FEVER_CLINIC: "FEV",
}

HOTELS = (("商务酒店", "Business Hotel"), ("宾馆", "Hotel"), ("大酒店", "Grand Hotel"), ("快捷酒店", "Express Inn"))
FIRMS = (
    ("食品有限公司", "Food Co., Ltd."),
    ("纺织有限公司", "Textile Co., Ltd."),
    ("电子科技有限公司", "Electronics Co., Ltd."),
    ("物流园", "Logistics Park"),
    ("农贸市场", "Farmers' Market"),
    ("购物中心", "Shopping Centre"),
    ("建筑工地", "Construction Site"),
    ("机械制造有限公司", "Machinery Co., Ltd."),
)
ROADS = (("高速道口", "expressway exit"), ("国道", "national highway"), ("汽车站", "coach station"))

DISTRICTS = [
    (f"{code}{number:02d}", f"{city}{name}", f"{name_en}{'' if ' ' in name_en else ' District'}, {city_en}")
    for code, city, city_en, districts in CITIES
    for number, (name, name_en) in enumerate(districts, start=1)
]
"""(code prefix, district, district in English) over the whole province."""


def province_sites(rng: np.random.Generator, count: int, taken: set[str] = frozenset()) -> list[dict[str, str]]:
    """`count` registry rows spread over the province's districts, with codes not in `taken`."""
    kinds = list(KIND_SHARES)
    shares = np.array([KIND_SHARES[kind] for kind in kinds], dtype=float)
    kind_of = rng.choice(len(kinds), size=count, p=shares / shares.sum())
    district_of = np.sort(rng.integers(0, len(DISTRICTS), count))
    subdistrict_of = rng.integers(0, len(PLACES), count)
    community_of = rng.integers(0, len(PLACES) * len(PLACES), count)
    name_of = rng.integers(0, len(PLACES) * 4, count)
    numbers: dict[tuple[int, SiteKind], int] = {}
    rows = []
    for district, subdistrict, community, name, k in zip(
        district_of.tolist(), subdistrict_of.tolist(), community_of.tolist(), name_of.tolist(), kind_of.tolist()
    ):
        kind = kinds[k]
        prefix, district_zh, district_en = DISTRICTS[district]
        number = numbers.get((district, kind), 0)
        code = f"{prefix}-{KIND_CODES[kind]}-{number + 1:05d}"
        while code in taken:
            number += 1
            code = f"{prefix}-{KIND_CODES[kind]}-{number + 1:05d}"
        numbers[(district, kind)] = number + 1
        street_zh, street_en = PLACES[subdistrict]
        first, second = PLACES[community // len(PLACES)], PLACES[community % len(PLACES)]
        community_zh, community_en = f"{first[0]}{second[0]}社区", f"{first[1]}{second[1].lower()} Community"
        rows.append(
            {
                "code": code,
                "kind": kind.value,
                "district_zh": district_zh,
                "district_en": district_en,
                "subdistrict_zh": f"{street_zh}街道",
                "subdistrict_en": f"{street_en} Subdistrict",
                "community_zh": community_zh,
                "community_en": community_en,
                **site_names(kind, name, number + 1, street_zh, street_en, community_zh, community_en),
            }
        )
    return rows


def site_names(
    kind: SiteKind, name: int, number: int, street_zh: str, street_en: str, community_zh: str, community_en: str
) -> dict[str, str]:
    """name and unit, in both languages, as such a site is called where it is."""
    word_zh, word_en = PLACES[name % len(PLACES)]
    variant = name // len(PLACES)
    if kind is SiteKind.COMMUNITY:
        return _named(community_zh, community_en, f"{community_zh}居委会", f"{community_en} Residents' Committee")
    if kind is SiteKind.ISOLATION_POINT:
        hotel_zh, hotel_en = HOTELS[variant % len(HOTELS)]
        zh, en = f"{word_zh}{hotel_zh}", f"{word_en} {hotel_en}"
        return _named(
            f"{zh}集中隔离点",
            f"{en} centralised isolation point",
            f"{zh}集中隔离点工作专班",
            f"{en} isolation point task force",
        )
    if kind in (SiteKind.HOSPITAL, SiteKind.FEVER_CLINIC):
        zh, en = (f"第{number % 9 + 1}人民医院", f"No. {number % 9 + 1} People's Hospital")
        if variant % 2:
            zh, en = f"{word_zh}中医院", f"{word_en} Hospital of Traditional Chinese Medicine"
        if kind is SiteKind.FEVER_CLINIC:
            return _named(f"{zh}发热门诊", f"{en} fever clinic", zh, en)
        return _named(zh, en, zh, en)
    if kind is SiteKind.COMMUNITY_HEALTH_CENTRE:
        zh, en = f"{street_zh}街道社区卫生服务中心", f"{street_en} Subdistrict Community Health Service Centre"
        return _named(zh, en, zh, en)
    if kind is SiteKind.ENTERPRISE:
        firm_zh, firm_en = FIRMS[(variant + number) % len(FIRMS)]
        zh, en = f"{word_zh}{firm_zh}", f"{word_en} {firm_en}"
        return _named(zh, en, zh, en)
    road_zh, road_en = ROADS[variant % len(ROADS)]
    return _named(
        f"{word_zh}{road_zh}检查站",
        f"{word_en} {road_en} checkpoint",
        f"{street_zh}街道办事处",
        f"{street_en} Subdistrict Office",
    )


def _named(name_zh: str, name_en: str, unit_zh: str, unit_en: str) -> dict[str, str]:
    return {"name_zh": name_zh, "name_en": name_en, "unit_zh": unit_zh, "unit_en": unit_en}
