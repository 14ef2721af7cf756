"""Synthetic rosters: realistic rows with valid 身份证号, for demos, tests at scale and the benchmark.

Children are spread over Shanxi's current counties by the cities' shares of 附件1 (2020
随迁子女 counts), urban districts taking more than rural counties. Birth dates fit the
grade (6 years old by 31 August of the year of grade 1); the 身份证号 address is a
Shanxi county or a county of a neighbouring province, where the family's 户籍 is.
`follow` makes the next term from a previous one: grades advance from spring to fall,
grade 9 leaves, and a given share drops out or moves to another county.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
from bisect import bisect
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from stdnum.cn import ric

from .columns import HEADER
from .terms import Term

DIVISIONS_FILE = Path(__file__).resolve().parent.parent / "divisions" / "data" / "140000.json"
ENROLLMENT_FILE = (Path(__file__).resolve().parent.parent / "reporting" / "data" / "reference"
                   / "enrollment-2020.yaml")
KIND_WEIGHT = {"district": 3.0, "county_city": 2.0, "county": 1.0}
# Neighbouring provinces' counties that send many migrant workers to Shanxi (GB/T 2260, stable since 1990s).
OTHER_BIRTHPLACES = ("410102", "410105", "410522", "410526", "410702", "410802", "411302", "411522",
                     "130102", "130423", "130682", "610102", "610302", "610502", "370102", "372901",
                     "150102", "150203", "640104", "620102")
SURNAMES = ("王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁"
            "魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤"
            "尹黎易常武乔贺赖龚文牛樊郜")
GIVEN_BOYS = "浩宇轩子博文俊杰嘉豪涛泽睿鑫磊伟强军刚明海波斌洋志勇建国昊然辰逸铭乐航凯瑞天皓晨一阳宏亮鹏飞康"
GIVEN_GIRLS = "子梓涵欣怡若晨佳一诗雨思婷雅琪芳娜静敏丽桂英华秀兰玉珍凤霞红艳娟晓燕慧颖瑶萱宁馨可悦彤妍依琳雪梅"
SCHOOL_TYPE_WEIGHTS = (("公办", 0.84), ("民办", 0.10), ("政府购买学位", 0.06))
GRADE_WEIGHTS = (1.08, 1.06, 1.04, 1.02, 1.0, 0.98, 0.96, 0.94, 0.92)
MIGRANT_WORKER_SHARE = 0.9
FAULTS = ("checksum", "birth_date", "grade", "school_type", "unit", "duplicate")


@dataclass
class County:
    code: str
    name: str
    weight: float
    schools: dict[str, list[str]] = field(default_factory=dict)

    def school(self, rng: random.Random, grade: int, school_type: str) -> str:
        names = self.schools[("primary" if grade <= 6 else "junior") if school_type == "公办" else school_type]
        return names[int(rng.random() * len(names))]


def _schools(name: str) -> dict[str, list[str]]:
    numbers = "一二三四五六"
    return {
        "primary": [f"{name}第{n}小学" for n in numbers] + [f"{name}实验小学"],
        "junior": [f"{name}第{n}中学" for n in numbers[:4]] + [f"{name}实验中学"],
        "民办": [f"{name}育英学校", f"{name}博雅学校"],
        "政府购买学位": [f"{name}培英学校", f"{name}明德学校"],
    }


def shanxi_counties() -> list[County]:
    """Current county-level units, weighted by their city's share of 随迁子女 and their kind."""
    units = json.loads(DIVISIONS_FILE.read_text(encoding="utf-8"))["units"]
    city_children = {row["unit"]: row["migrant_children"]
                     for row in yaml.safe_load(ENROLLMENT_FILE.read_text(encoding="utf-8"))["rows"]}
    current = [u for u in units if "valid_to" not in u and u["kind"] in KIND_WEIGHT]
    per_city: dict[str, float] = {}
    for u in current:
        per_city[u["parent"]] = per_city.get(u["parent"], 0) + KIND_WEIGHT[u["kind"]]
    return [County(u["code"], u["name"],
                   city_children.get(u["parent"], 1000) * KIND_WEIGHT[u["kind"]] / per_city[u["parent"]],
                   _schools(u["name"]))
            for u in current]


def birthplaces(counties: list[County]) -> list[str]:
    """Address codes stdnum knows for every birth year of compulsory-school children."""
    usable = []
    for code in [c.code for c in counties] + list(OTHER_BIRTHPLACES):
        try:
            for year in (2004, 2010, 2017):
                ric.get_birth_place(f"{code}{year}01010010")
        except Exception:  # noqa: BLE001 — stdnum raises its own ValidationError subclasses
            continue
        usable.append(code)
    return usable


def birth_date_for(rng: random.Random, term: Term, grade: int) -> dt.date:
    """6 years old by 31 August of the year the child entered grade 1."""
    entered = term.school_year_start - (grade - 1)
    return dt.date(entered - 7, 9, 1) + dt.timedelta(days=int(rng.random() * 365))


def _cumulative(weights) -> list[float]:
    total, out = 0.0, []
    for w in weights:
        total += w
        out.append(total)
    return [x / total for x in out]


CHECK_DIGITS = "1X864209753"  # (1 − 2·n) mod 11 for n mod 11 = 0…10, as stdnum computes it


def with_check_digit(body: str) -> str:
    return body + CHECK_DIGITS[int(body, 13) % 11]


class Generator:
    """Draws children; `random.choices` with weights costs too much per row, so draws are bisections."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.counties = shanxi_counties()
        self.by_code = {c.code: c for c in self.counties}
        self.places = birthplaces(self.counties)
        self.issued: set[int] = set()
        self._county_cum = _cumulative(c.weight for c in self.counties)
        self._grade_cum = _cumulative(GRADE_WEIGHTS)
        self._type_cum = _cumulative(w for _, w in SCHOOL_TYPE_WEIGHTS)
        # Common surnames far more often than rare ones (roughly as the census finds them).
        self._surname_cum = _cumulative(1 / (i + 4) for i in range(len(SURNAMES)))

    def county(self) -> County:
        return self.counties[bisect(self._county_cum, self.rng.random())]

    def name(self, male: bool) -> str:
        random_ = self.rng.random
        pool = GIVEN_BOYS if male else GIVEN_GIRLS
        n = len(pool)
        given = pool[int(random_() * n)] if random_() < 0.3 else pool[int(random_() * n)] + pool[int(random_() * n)]
        return SURNAMES[bisect(self._surname_cum, random_())] + given

    def id_number(self, born: str, male: bool) -> str:
        random_, places = self.rng.random, self.places
        birth = born.replace("-", "")
        while True:
            order = int(random_() * 500) * 2 + (1 if male else 0)
            body = f"{places[int(random_() * len(places))]}{birth}{order:03d}"
            key = int(body)
            if key not in self.issued:
                self.issued.add(key)
                return with_check_digit(body)

    def child(self, term: Term, grade: int | None = None, county: County | None = None) -> list[str]:
        random_ = self.rng.random
        grade = grade or bisect(self._grade_cum, random_()) + 1
        county = county or self.county()
        male = random_() < 0.53
        born = birth_date_for(self.rng, term, grade).isoformat()
        school_type = SCHOOL_TYPE_WEIGHTS[bisect(self._type_cum, random_())][0]
        return [self.id_number(born, male), self.name(male), "男" if male else "女", born,
                county.school(self.rng, grade, school_type), school_type, str(grade), county.code,
                "是" if random_() < MIGRANT_WORKER_SHARE else "否"]

    def moved(self, row: list[str], grade: int) -> list[str]:
        """The same child in another county's school."""
        here = row[7]
        while (county := self.county()).code == here:
            pass
        return [*row[:4], county.school(self.rng, grade, row[5]), row[5], str(grade), county.code, row[8]]

    def spoil(self, row: list[str], previous: list[str] | None) -> list[str]:
        """One realistic mistake of the kinds the import must catch."""
        row = list(row)
        fault = self.rng.choice(FAULTS)
        if fault == "checksum":
            last = row[0][-1]
            row[0] = row[0][:-1] + ("0" if last != "0" else "1")
        elif fault == "birth_date":
            row[3] = (dt.date.fromisoformat(row[3]) + dt.timedelta(days=1)).isoformat()
        elif fault == "grade":
            row[6] = "10"
        elif fault == "school_type":
            row[5] = "公立"
        elif fault == "unit":
            row[7] = "149999"
        elif previous is not None:
            row[0] = previous[0]
        return row


# --- rows --------------------------------------------------------------------------------

def fresh_rows(gen: Generator, term: Term, rows: int) -> Iterator[list[str]]:
    for _ in range(rows):
        yield gen.child(term)


def _read_rows(path: Path) -> Iterator[list[str]]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        order = [header.index(h) for h in HEADER]
        for row in reader:
            yield [row[i] for i in order]


@dataclass
class FollowCounts:
    graduated: int = 0
    dropped: int = 0
    moved: int = 0
    entered: int = 0


def following_rows(gen: Generator, term: Term, previous: Path, *, dropout_rate: float, transfer_rate: float,
                   counts: FollowCounts, entrants: int | None = None) -> Iterator[list[str]]:
    """Term `term` from the previous term's file: who stayed, moved, left; then the new grade 1."""
    rng, advance = gen.rng, term.grades_advance_from_previous
    for row in _read_rows(previous):
        grade = int(row[6]) + (1 if advance else 0)
        if grade > 9:
            counts.graduated += 1
            continue
        gen.issued.add(int(row[0][:17]))
        draw = rng.random()
        if draw < dropout_rate:
            counts.dropped += 1
            continue
        if draw < dropout_rate + transfer_rate:
            counts.moved += 1
            yield gen.moved(row, grade)
            continue
        yield [*row[:6], str(grade), *row[7:]]
    new = counts.graduated if entrants is None else entrants
    for _ in range(new):
        counts.entered += 1
        yield gen.child(term, grade=1)


def write_rows(rows: Iterator[list[str]], out, gen: Generator, *, bad_rate: float = 0.0) -> tuple[int, int]:
    """Write the header and rows to a text stream; returns (rows, spoilt rows)."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    written = spoilt = 0
    previous = None
    for row in rows:
        if bad_rate and gen.rng.random() < bad_rate:
            row = gen.spoil(row, previous)
            spoilt += 1
        writer.writerow(row)
        previous = row
        written += 1
    return written, spoilt
