"""Roll-ups over any set of units, set-based: the sums of their children's approved forms and how many of the
children those sums include (coverage), in a constant number of queries whatever the number of units."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import EmptyResultSet
from django.db import connection, connections, router
from django.db.models import Count, Q, QuerySet

from suiqian.accounts.scope import OutOfScope, Scope
from suiqian.divisions.models import Division

from .models import DataValue, FormDefinition, Report
from .queries import LEVEL_NAMES, computed_value, is_computed

# Set-based: the roll-ups of any set of units come from one grouped query over their
# children's approved values and one over their children's approval state, whatever the
# number of units. Every aggregate carries its coverage, so no total is shown without
# saying how many of the units below it includes.

@dataclass(frozen=True)
class Coverage:
    """How many of the units an aggregate should include it does include (counting approved reports)."""

    included: int
    expected: int
    partial: int = 0  # included units whose own figure is itself incomplete

    @property
    def complete(self) -> bool:
        return self.included >= self.expected and not self.partial

    @property
    def text(self) -> str:
        text = f"已纳入 {self.included} / 应纳入 {self.expected}"
        return text + (f"（其中 {self.partial} 个不完整）" if self.partial else "")

    @property
    def label(self) -> str:
        return "" if self.complete else "不完整"

    def as_dict(self) -> dict:
        return {"included": self.included, "expected": self.expected, "partial": self.partial,
                "complete": self.complete, "text": self.text}


NO_CHILDREN = Coverage(0, 0)


@dataclass
class ChildStatus:
    unit: Division
    report: Report | None

    @property
    def status_label(self) -> str:
        return self.report.get_status_display() if self.report else "未填报"

    @property
    def approved(self) -> bool:
        return self.report is not None and self.report.status == Report.Status.APPROVED


@dataclass
class Rollup:
    unit: Division
    form: FormDefinition
    values: dict[str, int | None]
    coverage: Coverage
    children: list[ChildStatus] = field(default_factory=list)

    @property
    def pending(self) -> list[ChildStatus]:
        """Units below whose form is missing or not yet approved."""
        return [c for c in self.children if not c.approved]

    @property
    def complete(self) -> bool:
        return self.coverage.complete


def children_coverage(year: int, parent_ids) -> dict[int, Coverage]:
    """Per parent: its units existing in `year`, and how many of them have an approved report that year.

    One grouped query over the units, each looked up in the set of the year's approved units (one hashed
    subquery on both engines): no join of the reports and no distinct count, which PostgreSQL runs several
    times slower, and no correlated subquery, which SQLite without statistics plans by year, not by unit.
    A parent without children in `year` is absent."""
    approved = Report.objects.filter(year=year, status=Report.Status.APPROVED).values("unit_id")
    rows = (Division.objects.filter(parent_id__in=parent_ids).existing_in(year).order_by().values("parent_id")
            .annotate(n=Count("pk"), included=Count("pk", filter=Q(pk__in=approved)))
            .values_list("parent_id", "n", "included"))
    return {parent: Coverage(included, n) for parent, n, included in _driver_rows(rows)}


def children_sums(year: int, parent_ids, fields=None) -> dict[int, dict[str, int]]:
    """Per parent: the sum of its children's approved values in `year`, field by field. One grouped query,
    the GROUP BY a person would write by hand (values joined to reports and units, by parent and field), and
    written so: building it through the ORM cost more than a tenth of a roll-up on SQLite (bench/reporting.py)."""
    q = connection.ops.quote_name
    units, unit_params = _in_clause(parent_ids)
    sql = (f"SELECT d.parent_id, v.field, SUM(v.value) FROM {q(DataValue._meta.db_table)} v "
           f"JOIN {q(Report._meta.db_table)} r ON r.id = v.report_id "
           f"JOIN {q(Division._meta.db_table)} d ON d.id = r.unit_id "
           f"WHERE r.year = %s AND r.status = %s AND v.value IS NOT NULL AND d.parent_id IN ({units})")
    params = [year, Report.Status.APPROVED, *unit_params]
    if fields is not None:
        fields = list(fields)
        if not fields:
            return {}
        sql += f" AND v.field IN ({', '.join(['%s'] * len(fields))})"
        params += fields
    out: dict[int, dict[str, int]] = defaultdict(dict)
    with connections[router.db_for_read(DataValue)].cursor() as cursor:
        cursor.execute(sql + " GROUP BY d.parent_id, v.field", params)
        for parent_id, code, total in cursor.fetchall():
            out[parent_id][code] = int(total)  # PostgreSQL's SUM of bigint is numeric
    return out


def _in_clause(ids) -> tuple[str, list]:
    """`ids` (a list of keys, or a queryset of one column) as the inside of an SQL IN (…), with its parameters."""
    if isinstance(ids, QuerySet):
        try:
            sql, params = ids.query.sql_with_params()
        except EmptyResultSet:  # a queryset Django knows to be empty: IN (NULL) matches nothing either
            return "NULL", []
        return sql, list(params)
    return (", ".join(["%s"] * len(ids)) or "NULL"), list(ids)


def _driver_rows(queryset: QuerySet) -> list[tuple]:
    """A values_list() queryset's rows as the database driver returns them: Django's per-value converters
    took a fifth of a roll-up's time on SQLite (bench/reporting.py). Only for columns of keys, codes and
    counts, which the drivers return as Python ints and strings already (a PostgreSQL SUM as Decimal)."""
    try:
        sql, params = queryset.query.get_compiler(using=queryset.db).as_sql()
    except EmptyResultSet:  # an empty list of units: Django answers without asking the database
        return []
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def unit_keys(units):
    """The units' keys for a filter. Measured in bench/reporting.py: PostgreSQL plans a long literal IN list
    markedly worse than the same set as a subquery, SQLite the other way round; both give the same rows."""
    if isinstance(units, QuerySet) and connection.vendor == "postgresql":
        return units.order_by().values("pk")
    return [u.pk for u in units]


def rollups(scope: Scope, form: FormDefinition, units) -> dict[int, Rollup]:
    """Roll-ups of many units at once (summed fields, the count of units below, coverage): two queries
    (three when `units` is a queryset, which is also the faster way to ask for many on PostgreSQL).

    Values other modules supply are per unit and are left to `rollup` (one unit, for its form page)."""
    ids = unit_keys(units)
    units = list(units)
    if not all(scope.sees(u) for u in units):
        raise OutOfScope("单位不存在或不在您的权限范围内")
    summed = [f.code for f in form.parsed.fields if f.aggregation == "sum"]
    counted = [f.code for f in form.parsed.fields if f.aggregation == "count_children"]
    # Every field is summed and the form's picked here: a field list in the query makes SQLite probe the
    # (report, field) index once per field instead of reading each report's values in one range.
    sums, coverage = children_sums(form.year, ids), children_coverage(form.year, ids)
    _add_passed_on_sums(form, units, sums)
    blank = dict.fromkeys(f.code for f in form.parsed.fields if f.aggregation in ("sum", "count_children"))
    out = {}
    for unit in units:
        cover = coverage.get(unit.pk, NO_CHILDREN)
        found = sums.get(unit.pk, {})
        values = {**blank, **{code: found[code] for code in summed if code in found}}
        for code in counted:
            values[code] = cover.expected
        out[unit.pk] = Rollup(unit, form, values, cover)
    return out


def _add_passed_on_sums(form: FormDefinition, units: list[Division], sums: dict[int, dict[str, int]]) -> None:
    """A level that fills no form of its own (a province under 教育部) passes its children's sums on up:
    教育部's roll-up adds the cities' approved forms. One more query, only where such a level is asked for."""
    fills = {level: bool(form.parsed.fields_at(LEVEL_NAMES[Division.Level(level + 1)]))
             for level in {u.level for u in units} if level < Division.Level.COUNTY}
    passing = [u for u in units if u.level in fills and not fills[u.level]]
    if not passing:
        return
    parent_of = dict(Division.objects.filter(parent__in=passing).existing_in(form.year).values_list("pk", "parent_id"))
    for child_id, child_sums in children_sums(form.year, list(parent_of)).items():
        target = sums.setdefault(parent_of[child_id], {})
        for code, total in child_sums.items():
            target[code] = target.get(code, 0) + total


def rollup(scope: Scope, unit: Division, form: FormDefinition) -> Rollup:
    """A unit's values summed from its children's approved forms, with who is missing."""
    result = rollups(scope, form, [unit])[unit.pk]
    for f in form.parsed.fields:
        if f.aggregation == "supplied" and is_computed(f):
            result.values[f.code] = computed_value(form, unit, f)
    children = list(Division.objects.filter(parent=unit).existing_in(form.year))
    reports = {r.unit_id: r for r in Report.objects.filter(form=form, unit__in=children)
               .only("unit_id", "status", "submitted_at", "form_id")}
    result.children = [ChildStatus(c, reports.get(c.pk)) for c in children]
    return result
