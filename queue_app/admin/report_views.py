"""Reports (/admin/reports) over a period, an office and a category, with CSV and XLSX export."""
import csv
import io
from datetime import date

from flask import Response, abort, render_template, request
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from flask_login import current_user
from sqlalchemy import select

from .. import clock
from ..extensions import db
from ..models import Office
from ..reports import ReportFilter, categories, report
from . import bp
from .access import is_admin, visible_offices
from .charts import bars, hbars, heatmap
from .forms import ReportForm


def _filter() -> tuple[ReportForm, ReportFilter | None]:
    offices = visible_offices()
    form = ReportForm(request.args, meta={"csrf": False})
    form.office.choices = ([("", _("Усі офіси"))] if is_admin() else []) + [(o.code, o.name) for o in offices]
    form.category.choices = [("", _("Усі категорії"))] + [(str(cid), name) for cid, _code, name in categories()]
    wanted = request.args.get("office", "")
    if wanted and wanted not in {o.code for o in offices}:
        # Another office's figures: refused outright (an unknown code is a plain 404).
        exists = db.session.scalar(select(Office.id).where(Office.code == wanted))
        abort(403 if exists else 404)
    if not is_admin():
        form.office.data = current_user.office.code  # a manager's reports are of their office
    if not request.args.get("from") and not request.args.get("to"):
        today = clock.now().date()
        form.date_from.data, form.date_to.data = date(today.year, 1, 1), today
        form.office.data = "" if is_admin() else current_user.office.code
        form.category.data = ""
    elif not form.validate():
        return form, None
    office = next((o for o in offices if o.code == form.office.data), None)
    category_id = int(form.category.data) if form.category.data else None
    labels = {"office": office.name if office else _("Усі офіси"),
              "category": dict(form.category.choices).get(form.category.data or "", _("Усі категорії"))}
    return form, ReportFilter(form.date_from.data, form.date_to.data, [office.id] if office else None, category_id,
                              labels)


def _weekdays() -> list[str]:
    """Short weekday names, Monday first (as reports.WEEKDAYS_UK), in the language of the request."""
    return [_("Пн"), _("Вт"), _("Ср"), _("Чт"), _("Пт"), _("Сб"), _("Нд")]


def _pct(x) -> str:
    return "—" if x is None else f"{x * 100:.1f} %"


@bp.get("/reports")
def reports():
    form, f = _filter()
    if f is None:
        return render_template("admin/reports.html", form=form, r=None), 422
    r = report(f)
    hours = range(7, 21)
    charts = {
        "daily": bars([v for _day, v in r["daily"]], [d.strftime("%d.%m") for d, _v in r["daily"]],
                      _("Відвідування по днях"), every=max(1, len(r["daily"]) // 12)),
        "hour": bars([r["by_hour"][h] for h in hours], [f"{h:02d}" for h in hours],
                     _("Відвідування за годиною дня")),
        "weekday": bars(r["by_weekday"], _weekdays(), _("Відвідування за днем тижня"), width=420),
        "heat": heatmap(r["heatmap"], _weekdays(), hours, _("Навантаження: день тижня × година")),
        "unclaimed": hbars([(row["name"], row["count"]) for row in r["unclaimed"]["rows"]],
                           _("Невидані результати за категоріями")),
    }
    return render_template("admin/reports.html", form=form, r=r, charts=charts, pct=_pct,
                           query=request.query_string.decode())


def _rows(r: dict) -> list[list]:
    """The report as plain rows: the same content for CSV and XLSX (one sheet per section in XLSX)."""
    def n(x):
        return "" if x is None else x
    summary = [
        [_("Показник"), _("Значення")],
        [_("Період"), f"{r['from'].isoformat()} – {r['to'].isoformat()}"],
        [_("Офіс"), r["labels"].get("office", "")], [_("Категорія"), r["labels"].get("category", "")],
        [_("Відвідування (талони)"), r["visits"]], [_("з них за записом"), r["booked_arrivals"]],
        [_("Обслуговано"), r["served"]], [_("Не з'явилися"), r["no_show"]],
        [_("Частка неявок"), n(r["no_show_rate"])],
        [_("Очікування, хв: середнє"), n(r["wait"]["mean"])],
        [_("Очікування, хв: медіана"), n(r["wait"]["median"])],
        [_("Очікування, хв: 90-й процентиль"), n(r["wait"]["p90"])],
        [_("Обслуговування, хв: середнє"), n(r["service"]["mean"])],
        [_("Обслуговування, хв: медіана"), n(r["service"]["median"])],
        [_("Обслуговування, хв: 90-й процентиль"), n(r["service"]["p90"])],
        [_("Записів зроблено"), r["bookings"]["made"]], [_("Записів скасовано"), r["bookings"]["cancelled"]],
        [_("Записів використано (прийшли)"), r["bookings"]["attended"]],
        [_("Записів пропущено"), r["bookings"]["no_show"]],
        [_("Використання записів"), n(r["bookings"]["utilisation"])],
    ]
    categories_rows = [[_("Категорія"), _("Відвідування"), _("Обслуговано"), _("Не з'явилися"),
                        _("Очікування: середнє, хв"), _("Очікування: медіана, хв"),
                        _("Очікування: 90-й процентиль, хв")]]
    categories_rows += [[c["name"], c["visits"], c["served"], c["no_show"], n(c["wait"]["mean"]),
                         n(c["wait"]["median"]), n(c["wait"]["p90"])] for c in r["by_category"]]
    heat = [[_("День тижня")] + [f"{h:02d}:00" for h in range(24)]]
    weekdays = _weekdays()
    heat += [[weekdays[i]] + row for i, row in enumerate(r["heatmap"])]
    daily = [[_("Дата"), _("Відвідування")]] + [[d.isoformat(), v] for d, v in r["daily"]]
    unclaimed = [[_("Категорія"), _("Невидані результати")]]
    unclaimed += [[u["name"], u["count"]] for u in r["unclaimed"]["rows"]]
    unclaimed.append([_("Усього"), r["unclaimed"]["total"]])
    return [(_("Підсумок"), summary), (_("Категорії"), categories_rows), (_("Навантаження"), heat),
            (_("По днях"), daily), (_("Невидані результати"), unclaimed)]


def _filename(r: dict, ext: str) -> str:
    return f"zvit-{r['from'].isoformat()}-{r['to'].isoformat()}.{ext}"


@bp.get("/reports/export.csv")
def export_csv():
    _form, f = _filter()
    if f is None:
        abort(422)
    r = report(f)
    buf = io.StringIO()
    writer = csv.writer(buf)
    for title, rows in _rows(r):
        writer.writerow([f"# {title}"])
        writer.writerows(rows)
        writer.writerow([])
    # The BOM lets Excel open the (Ukrainian) text as UTF-8.
    return Response("\ufeff" + buf.getvalue(), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{_filename(r, "csv")}"'})


@bp.get("/reports/export.xlsx")
def export_xlsx():
    _form, f = _filter()
    if f is None:
        abort(422)
    r = report(f)
    book = Workbook()
    book.remove(book.active)
    for title, rows in _rows(r):
        sheet = book.create_sheet(title[:31])
        for row in rows:
            sheet.append(row)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.column_dimensions["A"].width = 12 if title == _("Навантаження") else 40
    buf = io.BytesIO()
    book.save(buf)
    return Response(buf.getvalue(), mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="{_filename(r, "xlsx")}"'})
