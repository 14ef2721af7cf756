"""Roll-up and 附件1 tables over a national-size tree, as a ratio to one hand-written GROUP BY.

    python -m bench.reporting --db sqlite|postgres

Generates 31 provinces, 340 cities and 2,850 counties, five yearly forms (summary-2017 …
summary-2021, copies of summary-2021.yaml), an approved county report for every county and
year, and approved city reports for half of the cities (the others are summed from their
counties). Then it times, in the same run:

- baseline_groupby: one SQL statement summing the approved county values of the year grouped
  by city and field — the rows every roll-up reads;
- rollup_all_cities: `rankings.rollups` of every city, in one set-based call;
- attachment1_all_provinces: `rankings.indicator_tables` of every province, in one set-based call;

and prints the two ratios to the baseline (target ≤ 1.5×) and the queries a call issues for one unit and for
all of them (the same number: constant, whatever the number of units). Generation is
setup and is not timed (it is printed, for information).
"""

from __future__ import annotations

import copy
import hashlib
import json
import random
import time
from collections import defaultdict
from datetime import UTC, datetime

import bench
from bench import check, measure, seconds

SEED = 2021_24
YEARS = tuple(range(2017, 2022))
YEAR = 2021  # the year measured
N_CITIES = 340
N_COUNTIES = 2850
# The 31 provincial-level prefixes of GB/T 2260; below them the codes are generated.
PROVINCE_PREFIXES = (11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46,
                     50, 51, 52, 53, 54, 61, 62, 63, 64, 65)
COUNTY_KINDS = ("district", "county", "county_city")
BATCH = 2000
REPEAT_BASELINE = 7
REPEAT_CALLS = 5
REPEAT_TABLES = 5
INDICATOR = "public_ratio_migrant_workers"

COUNTY_FIELDS = (
    "new_places_primary", "new_places_junior", "new_places_total",
    "new_places_migrant_primary", "new_places_migrant_junior", "new_places_migrant_total",
    "migrant_children_total", "migrant_worker_children_total",
    "public_school_primary", "public_school_junior", "public_school_total",
    "purchased_places_primary", "purchased_places_junior", "purchased_places_total",
    "zhongkao_applicants", "gaokao_applicants",
)


# --- generation ----------------------------------------------------------------------------

def spread(total: int, bins: int, rng: random.Random) -> list[int]:
    """`total` split over `bins`, at least one each, unevenly (as real provinces and cities are)."""
    counts = [1] * bins
    weights = [rng.uniform(0.3, 1.7) for _ in range(bins)]
    for i in rng.choices(range(bins), weights, k=total - bins):
        counts[i] += 1
    return counts


def split(total: int, low: float, high: float, rng: random.Random) -> tuple[int, int, int]:
    """(primary, junior, total) with primary + junior == total."""
    primary = int(total * rng.uniform(low, high))
    return primary, total - primary, total


def county_years(rng: random.Random) -> dict[int, dict[str, int]]:
    """A county's values over the years, consistent with every error rule of the form:
    public + purchased <= migrant workers' children <= migrant children, parts summing to totals."""
    out = {}
    migrant = rng.randint(300, 40_000)
    for year in YEARS:
        migrant = max(100, int(migrant * rng.uniform(0.97, 1.10)))
        workers = int(migrant * rng.uniform(0.72, 0.95))
        public = int(workers * rng.uniform(0.65, 0.92))
        purchased = int((workers - public) * rng.uniform(0.0, 0.7))
        new_places = rng.randint(0, 4_000)
        new_migrant = int(new_places * rng.uniform(0.1, 0.5))
        zhongkao = int(workers * rng.uniform(0.06, 0.12))
        values = {}
        for group, (p, j, t) in (("new_places", split(new_places, 0.55, 0.75, rng)),
                                 ("new_places_migrant", split(new_migrant, 0.55, 0.75, rng)),
                                 ("public_school", split(public, 0.62, 0.75, rng)),
                                 ("purchased_places", split(purchased, 0.55, 0.80, rng))):
            values.update({f"{group}_primary": p, f"{group}_junior": j, f"{group}_total": t})
        values.update(migrant_children_total=migrant, migrant_worker_children_total=workers,
                      zhongkao_applicants=zhongkao, gaokao_applicants=int(zhongkao * rng.uniform(0.3, 0.7)))
        out[year] = values
    return out


def create_forms() -> dict:
    """summary-2017 … summary-2021: the 2021 form file with code, year and title adjusted."""
    from suiqian.reporting.formspec import FORMS_DIR, parse_form_spec, read_form_file
    from suiqian.reporting.models import FormDefinition

    raw = read_form_file(FORMS_DIR / "summary-2021.yaml").raw
    forms = {}
    for year in YEARS:
        spec = copy.deepcopy(raw)
        spec.update(code=f"summary-{year}", year=year, title=spec["title"].replace("2021", str(year)))
        parsed = parse_form_spec(spec)  # refuses the copy if it does not hold together
        checksum = hashlib.sha256(json.dumps(spec, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
        forms[year] = FormDefinition.objects.create(code=parsed.code, year=parsed.year, title=parsed.title,
                                                    spec=spec, checksum=checksum)
    return forms


def create_tree(rng: random.Random):
    from suiqian.divisions.models import Division

    K = Division.Kind
    provinces = Division.objects.bulk_create([
        Division(code=f"{p}0000", name=f"省{p}", full_name=f"省{p}", kind=K.PROVINCE, level=1, path=f"{p}0000/")
        for p in PROVINCE_PREFIXES])
    cities = []
    for province, n in zip(provinces, spread(N_CITIES, len(provinces), rng), strict=True):
        check(n < 100, f"{n} cities in one province do not fit the code scheme")
        for i in range(1, n + 1):
            code = f"{province.code[:2]}{i:02d}00"
            cities.append(Division(code=code, name=f"市{code[:4]}", full_name=f"{province.name}市{code[:4]}",
                                   kind=K.CITY, level=2, parent=province, path=f"{province.path}{code}/"))
    cities = Division.objects.bulk_create(cities, batch_size=BATCH)
    counties = []
    for city, n in zip(cities, spread(N_COUNTIES, len(cities), rng), strict=True):
        check(n < 100, f"{n} counties in one city do not fit the code scheme")
        for i in range(1, n + 1):
            code = f"{city.code[:4]}{i:02d}"
            counties.append(Division(code=code, name=f"县{code}", full_name=f"{city.full_name}县{code}",
                                     kind=rng.choice(COUNTY_KINDS), level=3, parent=city,
                                     path=f"{city.path}{code}/"))
    counties = Division.objects.bulk_create(counties, batch_size=BATCH)
    return provinces, cities, counties


def create_reports(rng: random.Random, forms: dict, cities: list, counties: list) -> tuple[int, int, int]:
    """Approved county reports for every county and year; approved city reports for half the cities."""
    from suiqian.reporting.models import DataValue, Report

    approved = Report.Status.APPROVED
    entries = []  # (Report, values)
    by_city: dict[int, list[dict[int, dict[str, int]]]] = defaultdict(list)
    for county in counties:
        series = county_years(rng)
        by_city[county.parent_id].append(series)
        for year in YEARS:
            entries.append((Report(form=forms[year], unit=county, year=year, status=approved, version=3,
                                   submitted_at=datetime(year, 9, 25, tzinfo=UTC),
                                   decided_at=datetime(year, 9, 28, tzinfo=UTC)), series[year]))
    n_county = len(entries)
    for city in rng.sample(cities, len(cities) // 2):
        below = by_city[city.pk]
        reviewed = rng.randint(0, len(below))
        for year in YEARS:
            values = {f: sum(s[year][f] for s in below) for f in COUNTY_FIELDS}
            values.update(county_total=len(below), enrollment_rules_reviewed=reviewed, enrollment_rules_unreviewed=len(below) - reviewed)
            entries.append((Report(form=forms[year], unit=city, year=year, status=approved, version=3,
                                   submitted_at=datetime(year, 9, 29, tzinfo=UTC),
                                   decided_at=datetime(year, 9, 30, tzinfo=UTC)), values))
    reports = Report.objects.bulk_create([r for r, _ in entries], batch_size=BATCH)
    values = [DataValue(report_id=r.pk, field=f, value=v) for r, (_, vs) in zip(reports, entries, strict=True)
              for f, v in vs.items()]
    check(all(r.pk for r in reports), "bulk_create did not return primary keys")
    DataValue.objects.bulk_create(values, batch_size=BATCH)
    return n_county, len(entries) - n_county, len(values)


def generate(db: str) -> dict:
    from django.db import connection, transaction

    from suiqian.reporting.services import (
        REFERENCE_DIR,
        load_indicators,
        load_national_ratios,
    )

    rng = random.Random(SEED)
    with transaction.atomic():
        forms = create_forms()
        provinces, cities, counties = create_tree(rng)
        n_county, n_city, n_values = create_reports(rng, forms, cities, counties)
        load_indicators()
        load_national_ratios(REFERENCE_DIR / "national-ratio.yaml")
    if db == "postgres":
        # Autovacuum would analyse the freshly loaded tables soon; do it now so plans are stable.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return {"provinces": len(provinces), "cities": len(cities), "counties": len(counties),
            "county_reports": n_county, "city_reports": n_city, "datavalues": n_values}


# --- the baseline ----------------------------------------------------------------------------

def baseline_sql() -> str:
    from django.db import connection

    from suiqian.divisions.models import Division
    from suiqian.reporting.models import DataValue, Report

    q = connection.ops.quote_name
    v, r, d = q(DataValue._meta.db_table), q(Report._meta.db_table), q(Division._meta.db_table)
    return (f"SELECT d.parent_id, v.field, SUM(v.value) FROM {v} v "
            f"JOIN {r} r ON r.id = v.report_id "
            f"JOIN {d} d ON d.id = r.unit_id "
            f"WHERE r.year = %s AND r.status = %s AND d.level = %s "
            f"GROUP BY d.parent_id, v.field")


def run_baseline(sql: str) -> list[tuple]:
    from django.db import connection

    from suiqian.reporting.models import Report

    with connection.cursor() as cursor:
        cursor.execute(sql, [YEAR, Report.Status.APPROVED, 3])
        return cursor.fetchall()


# --- correctness --------------------------------------------------------------------------

def check_rollups(form, cities, sums, rng: random.Random) -> int:
    from suiqian.accounts.scope import Scope
    from suiqian.divisions.models import Division
    from suiqian.reporting.rankings import rollup, rollups

    together = rollups(Scope.system(), form, cities)
    children = defaultdict(int)
    for parent_id in Division.objects.filter(level=3).values_list("parent_id", flat=True):
        children[parent_id] += 1
    sample = [*rng.sample(cities, 5), max(cities, key=lambda c: children[c.pk])]
    sum_fields = [f.code for f in form.parsed.fields if f.aggregation == "sum"]
    for city in sample:
        roll = rollup(Scope.system(), city, form)
        for code in sum_fields:
            check(roll.values.get(code) == sums[city.pk].get(code),
                  f"rollup({city.code}).{code} = {roll.values.get(code)}, GROUP BY gives {sums[city.pk].get(code)}")
        check(roll.values.get("county_total") == children[city.pk],
              f"rollup({city.code}).county_total = {roll.values.get('county_total')}, expected {children[city.pk]}")
        check(len(roll.children) == children[city.pk] and not roll.pending,
              f"rollup({city.code}): {len(roll.children)} children, {len(roll.pending)} pending")
        alone, cover = {k: v for k, v in roll.values.items() if k in sum_fields}, together[city.pk].coverage
        check(alone == {k: v for k, v in together[city.pk].values.items() if k in sum_fields},
              f"rollups() of all cities differs from rollup({city.code})")
        check((cover.included, cover.expected) == (children[city.pk],) * 2,
              f"rollups({city.code}).coverage = {cover.text}, expected all {children[city.pk]} counties")
    return len(sample)


def check_tables(provinces, indicator, sums, city_reports: set[int], rng: random.Random) -> int:
    from suiqian.accounts.scope import Scope
    from suiqian.reporting.rankings import indicator_table, indicator_tables

    together = indicator_tables(Scope.system(), provinces, YEAR, indicator)
    sample = rng.sample(provinces, 3)
    for province in sample:
        table = indicator_table(Scope.system(), province, YEAR, indicator)
        rows = [r for r in table.rows if r.unit.parent_id == province.pk]
        check(len(rows) == len(table.rows) and rows, f"附件1({province.code}): rows of other units")
        for row in rows:
            s = sums[row.unit.pk]
            numerator = sum(s[c] for c in indicator.numerator)
            denominator = sum(s[c] for c in indicator.denominator)
            basis = "已审核填报" if row.unit.pk in city_reports else "下级汇总"
            check((row.numerator, row.denominator, row.basis) == (numerator, denominator, basis),
                  f"附件1({province.code}) {row.unit.code}: {row.numerator}/{row.denominator} ({row.basis}), "
                  f"GROUP BY gives {numerator}/{denominator} ({basis})")
        check([(r.unit.pk, r.numerator, r.denominator) for r in together[province.pk].rows]
              == [(r.unit.pk, r.numerator, r.denominator) for r in rows],
              f"indicator_tables() of all provinces differs from indicator_table({province.code})")
        check(table.total.numerator == sum(r.numerator for r in rows)
              and table.total.denominator == sum(r.denominator for r in rows),
              f"附件1({province.code}): total row is not the sum of the rows")
    return len(sample)


# --- measuring -------------------------------------------------------------------------------

def queries_per_call(fn, args_list) -> list[int]:
    """Queries each call issues (this pass also warms caches; it is not timed)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    with CaptureQueriesContext(connection) as ctx:
        for args in args_list:
            before = len(ctx.captured_queries)
            fn(*args)
            counts.append(len(ctx.captured_queries) - before)
    return counts


def count_text(counts: list[int]) -> str:
    return str(counts[0]) if min(counts) == max(counts) else f"{min(counts)}-{max(counts)}"


def main(db: str) -> None:
    started = time.perf_counter()
    bench.setup_django(db, "reporting")
    try:
        run(db, started)
    finally:
        bench.teardown(db)


def run(db: str, started: float) -> None:
    from suiqian.accounts.scope import Scope
    from suiqian.divisions.models import Division
    from suiqian.reporting.models import FormDefinition, Indicator, Report
    from suiqian.reporting.rankings import indicator_tables, rollups

    tag = f"reporting[{db}]"
    t0 = time.perf_counter()
    sizes = generate(db)
    generated = time.perf_counter() - t0
    print(f"{tag}  setup: {sizes['provinces']} provinces, {sizes['cities']} cities, {sizes['counties']} counties, "
          f"{len(YEARS)} years ({YEARS[0]}-{YEARS[-1]}); {sizes['county_reports']} county + "
          f"{sizes['city_reports']} city reports; {sizes['datavalues']} datavalues "
          f"(migrate + generate {seconds(time.perf_counter() - started)}, of which generate {seconds(generated)})")

    scope = Scope.system()
    form = FormDefinition.objects.get(code=f"summary-{YEAR}")
    form.parsed  # noqa: B018 — parse once, as a long-lived process would have
    indicator = Indicator.objects.get(code=INDICATOR)
    cities = list(Division.objects.filter(level=2).order_by("code"))
    provinces = list(Division.objects.filter(level=1).order_by("code"))
    city_reports = set(Report.objects.filter(year=YEAR, unit__level=2).values_list("unit_id", flat=True))

    # Correctness, once: the roll-ups and 附件1 rows equal the plain GROUP BY.
    sql = baseline_sql()
    rows = run_baseline(sql)
    sums: dict[int, dict[str, int]] = defaultdict(dict)
    for parent_id, field, total in rows:
        sums[parent_id][field] = total
    check(set(sums) == {c.pk for c in cities}, "GROUP BY does not cover every city")
    rng = random.Random(SEED + 1)
    n_rollups = check_rollups(form, cities, sums, rng)
    n_tables = check_tables(provinces, indicator, sums, city_reports, rng)
    print(f"{tag}  check: rollup of {n_rollups} cities and 附件1 of {n_tables} provinces "
          f"equal the GROUP BY ({len(rows)} rows) — OK")

    # Set-based: one call rolls up every city, one call builds 附件1 of every province. The query count of a
    # call is the same for one unit as for all of them — that is what "constant" means here.
    q_rollup_one = queries_per_call(lambda c: rollups(scope, form, Division.objects.filter(pk=c.pk)),
                                    [(c,) for c in cities[:20]])
    all_cities = Division.objects.filter(level=2)
    all_provinces = Division.objects.filter(level=1)
    q_rollup = queries_per_call(lambda: rollups(scope, form, all_cities), [()])
    q_table_one = queries_per_call(lambda p: indicator_tables(scope, Division.objects.filter(pk=p.pk), YEAR, indicator),
                                   [(p,) for p in provinces])
    q_table = queries_per_call(lambda: indicator_tables(scope, all_provinces, YEAR, indicator), [()])
    check(q_rollup == [max(q_rollup_one)] and max(q_table_one) == q_table[0],
          f"queries grow with the number of units: rollups {q_rollup_one} vs {q_rollup}, "
          f"tables {q_table_one} vs {q_table}")

    base = measure(lambda: run_baseline(sql), REPEAT_BASELINE)
    roll = measure(lambda: rollups(scope, form, all_cities), REPEAT_CALLS)
    table = measure(lambda: indicator_tables(scope, all_provinces, YEAR, indicator), REPEAT_TABLES)

    header = ("measured", "units", "best", "median", "ratio", "queries (1 unit / all)")
    lines = [
        ("baseline_groupby (1 SQL)", "-", base, "1"),
        (f"rollup_all_cities ({YEAR})", str(len(cities)), roll, f"{count_text(q_rollup_one)} / {q_rollup[0]}"),
        (f"attachment1_all_provinces ({YEAR})", str(len(provinces)), table,
         f"{count_text(q_table_one)} / {q_table[0]}"),
    ]
    table_rows = [header] + [
        (name, units, seconds(t.best), seconds(t.median), f"{t.best / base.best:.2f}x", queries)
        for name, units, t, queries in lines]
    widths = [max(len(r[i]) for r in table_rows) for i in range(len(header))]
    for r in table_rows:
        print("  " + "  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(
            zip(r, widths, strict=True))))
    target = 1.5
    verdict = {name: "meets" if t.best / base.best <= target else "MISSES"
               for name, t in (("rollup", roll), ("attachment1", table))}
    print(f"{tag}  datavalues={sizes['datavalues']}  baseline_groupby={seconds(base.best)}  "
          f"rollup_all_cities={seconds(roll.best)} ({roll.best / base.best:.2f}x, {verdict['rollup']} ≤{target}x)  "
          f"attachment1_all_provinces={seconds(table.best)} ({table.best / base.best:.2f}x, "
          f"{verdict['attachment1']} ≤{target}x)  queries/rollup={q_rollup[0]}  queries/table={q_table[0]}")


if __name__ == "__main__":
    raise SystemExit(bench.cli(main))
