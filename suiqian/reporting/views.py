from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from suiqian.accounts.scope import Refused, Scope
from suiqian.divisions.models import Division
from suiqian.lib.http import XLSX, download, refuse, table_download

from . import pages, printing, queries, services
from .models import FormDefinition
from .queries import YearError, requested_year, years_with_data
from .rankings import indicator_table


def _int_or_none(value):
    return int(value) if value and value.isdigit() else None


@login_required
def enrollment_table(request):
    scope = Scope.of(request.user)
    try:
        year = requested_year(scope, request.GET.get("year"))
    except YearError as e:
        return refuse(request, str(e))
    years = sorted(set(years_with_data(scope)) | {year}, reverse=True)
    unit = scope.get_unit(request.GET.get("unit") or scope.default_unit().code, year)
    table = indicator_table(scope, unit, year)
    fmt = request.GET.get("format")
    if fmt in ("csv", "xlsx"):
        return table_download(table.as_table(), fmt)
    parents = scope.units().existing_in(year).filter(level__lt=Division.Level.COUNTY)
    return render(request, "reporting/enrollment_table.html",
                  {"table": table, "years": years, "parents": parents, "may_publish": scope.may_publish_ranking(unit)})


# --- forms -------------------------------------------------------------------------------

def _form_and_unit(request, code, unit_code):
    scope = Scope.of(request.user)
    form = get_object_or_404(FormDefinition, code=code)
    unit = scope.get_unit(unit_code, form.year)
    return scope, form, unit


@login_required
def form_list(request):
    scope = Scope.of(request.user)
    return render(request, "reporting/form_list.html", {"forms": queries.forms_for(scope)})


@login_required
def form_page(request, code, unit_code, page=None, status=200):
    scope, form, unit = _form_and_unit(request, code, unit_code)
    page = page or pages.form_page(scope, form, unit)
    return render(request, "reporting/form_page.html",
                  {"page": page, "history": queries.history(page.report) if page.report else []}, status=status)


@login_required
@require_POST
def form_check(request, code, unit_code):
    """Live validation while the user types: parse, check, mark cells — nothing is saved."""
    scope, form, unit = _form_and_unit(request, code, unit_code)
    values, errors = services.parse_inputs(form, unit, request.POST)
    page = pages.form_page(scope, form, unit, values_override=values, input_errors=errors)
    return render(request, "reporting/_check.html", {"page": page, "input_errors": errors, "oob": True})


def _act(request, action, code, unit_code):
    """Run one workflow action and come back to the form, the message in Chinese either way."""
    scope, form, unit = _form_and_unit(request, code, unit_code)
    try:
        message = action(scope, form, unit)
    except services.InputErrors as e:
        page = pages.form_page(scope, form, unit, raw_inputs=request.POST.dict(), input_errors=e.errors)
        messages.error(request, "未保存：" + "；".join(e.errors.values()))
        return form_page(request, code, unit_code, page=page, status=400)
    except services.ImportFailed as e:
        return render(request, "reporting/import_problems.html",
                      {"form": form, "unit": unit, "problems": e.problems, "error": str(e)}, status=400)
    except Refused:
        raise
    except services.ReportError as e:
        messages.error(request, str(e))
    else:
        messages.success(request, message)
    return redirect("form_page", code, unit.code)


@login_required
@require_POST
def form_save(request, code, unit_code):
    def save(scope, form, unit):
        version = _int_or_none(request.POST.get("version"))
        services.save_values(scope, request.user, form, unit, request.POST, expected_version=version)
        return "已保存草稿"
    return _act(request, save, code, unit_code)


@login_required
@require_POST
def form_submit(request, code, unit_code):
    def submit(scope, form, unit):
        explanations = {k[len("explain:"):]: v for k, v in request.POST.items() if k.startswith("explain:")}
        if "version" in request.POST:  # the values on the screen came along: they are saved first
            services.save_values(scope, request.user, form, unit, request.POST,
                                 expected_version=_int_or_none(request.POST.get("version")))
        confirmed = request.POST.get("confirm_incomplete") == "1"
        reason = request.POST.get("incomplete_reason", "") if confirmed else ""
        services.submit_report(scope, request.user, _report(form, unit), explanations, incomplete_reason=reason)
        return "已上报，等待上级审核"
    return _act(request, submit, code, unit_code)


@login_required
@require_POST
def form_approve(request, code, unit_code):
    def approve(scope, form, unit):
        services.approve_report(scope, request.user, _report(form, unit))
        return "已审核通过，数据已锁定"
    return _act(request, approve, code, unit_code)


@login_required
@require_POST
def form_return(request, code, unit_code):
    def return_(scope, form, unit):
        comments = {k[len("comment:"):]: v for k, v in request.POST.items() if k.startswith("comment:")}
        services.return_report(scope, request.user, _report(form, unit), request.POST.get("reason", ""), comments)
        return "已退回"
    return _act(request, return_, code, unit_code)


@login_required
@require_POST
def form_unlock(request, code, unit_code):
    def unlock(scope, form, unit):
        services.unlock_report(scope, request.user, _report(form, unit), request.POST.get("reason", ""))
        return "已解锁并退回填报单位"
    return _act(request, unlock, code, unit_code)


@login_required
@require_POST
def form_import(request, code, unit_code):
    def import_(scope, form, unit):
        services.require_fill(scope, unit)  # who may, before what was sent
        upload = request.FILES.get("file")
        if upload is None:
            raise services.ReportError("请选择要上传的 Excel 文件")
        services.import_workbook(scope, request.user, form, unit, upload, upload.name)
        return f"已从 {upload.name} 导入并保存为草稿"
    return _act(request, import_, code, unit_code)


@login_required
def form_checks(request, code, unit_code):
    scope, form, unit = _form_and_unit(request, code, unit_code)
    return render(request, "reporting/form_checks.html",
                  {"form": form, "unit": unit, "findings": queries.batch_check(scope, form, unit)})


@login_required
def form_template(request, code):
    from .excel import render_form_workbook

    form = get_object_or_404(FormDefinition, code=code)
    return download(render_form_workbook(form.parsed), f"{form.title}（空表）.xlsx", XLSX)


@login_required
def form_export(request, code, unit_code):
    from .excel import render_form_workbook

    scope, form, unit = _form_and_unit(request, code, unit_code)
    page = pages.form_page(scope, form, unit)
    values = {c.field.code: c.value for row in page.rows for c in row if c.field}
    data = render_form_workbook(form.parsed, values=values, unit_name=unit.bureau_name)
    return download(data, f"{unit.name}{form.title}.xlsx", XLSX)


def _print_context(request, code, unit_code):
    scope, form, unit = _form_and_unit(request, code, unit_code)
    return {"page": pages.form_page(scope, form, unit)}


@login_required
def form_print(request, code, unit_code):
    """The paper copy: one A4 landscape page, the table and room for the 公章 and signatures, nothing else."""
    return render(request, "reporting/form_print.html", _print_context(request, code, unit_code))


@login_required
def form_pdf(request, code, unit_code):
    context = _print_context(request, code, unit_code)
    page = context["page"]
    data = printing.render_pdf("reporting/form_print.html", {**context, "pdf": True}, request=request)
    return download(data, f"{page.unit.name}{page.form.title}.pdf", "application/pdf")


def _report(form, unit):
    report = queries.report_of(form, unit)
    if report is None:
        raise services.ReportError("该表尚未填写")
    return report
