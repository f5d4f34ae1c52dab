"""Issue 7: reports from the event log (times, rates, heat map, unclaimed results) and their exports."""
import csv
import io
from datetime import date, time, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from queue_app import tickets
from queue_app.extensions import db
from queue_app.models import Booking, Case, ServiceCategory
from queue_app.reports import ReportFilter, percentile, report
from tests.test_admin_helpers import TUESDAY, admin_client, make_staff, now, office, schema, service  # noqa: F401

DAY = TUESDAY.date()


def window_for(code, office_code="main"):
    return next(w for w in office(office_code).windows if service(code) in w.services
                and all(s.code == code for s in w.services))


def at(now, hh, mm):
    now.now = TUESDAY.replace(hour=hh, minute=mm)


@pytest.fixture
def stamped(now):
    """Events take their time from the moved clock (the model's default is the real time)."""
    from sqlalchemy import event as sa_event

    from queue_app.models import Event

    def stamp(_mapper, _conn, target):
        if target.ts is None:
            target.ts = now()
    sa_event.listen(Event, "before_insert", stamp)
    yield now
    sa_event.remove(Event, "before_insert", stamp)


@pytest.fixture
def history(schema, stamped):
    now = stamped
    """Three visits to the main office on Tuesday 24.11.2026 and one elsewhere, with known times."""
    main = office()
    at(now, 10, 0)
    a = tickets.issue_ticket(main, service("pickup")).ticket
    at(now, 10, 5)
    b = tickets.issue_ticket(main, service("17-05")).ticket
    at(now, 10, 10)
    assert tickets.call_next(window_for("pickup")).id == a.id        # waited 10 min
    at(now, 10, 11)
    tickets.start(a)
    at(now, 10, 21)
    tickets.complete(a)                                               # served 10 min
    at(now, 10, 35)
    district = next(w for w in main.windows if [s.code for s in w.services] and
                    all(s.category.code == "district" for s in w.services))
    assert tickets.call_next(district).id == b.id                     # waited 30 min
    at(now, 10, 40)
    tickets.no_show(b)
    at(now, 11, 0)
    c = tickets.issue_ticket(main, service("pickup")).ticket
    at(now, 11, 2)
    assert tickets.call_next(window_for("pickup")).id == c.id         # waited 2 min
    at(now, 11, 3)
    tickets.start(c)
    at(now, 11, 18)
    tickets.complete(c)                                               # served 15 min
    at(now, 11, 30)
    tickets.issue_ticket(office("pokrovskyi"), service("pickup"))     # another office
    # Bookings of the day and cases whose results wait.
    for status in ("done", "checked_in", "no_show", "cancelled", "booked", "expired"):
        db.session.add(Booking(code=f"{len(status):06d}", office_id=main.id, service_id=service("pickup").id, day=DAY,
                               start=time(12), end=time(12, 10), status=status, manage_token_hash="x" * 64))
    for code, svc, status in (("100001", "17-02", "ready"), ("100002", "17-02", "ready"), ("100003", "17-05", "ready"),
                              ("100004", "17-05", "issued"), ("100005", "17-03", "in_progress")):
        db.session.add(Case(code=code, office_id=main.id, service_id=service(svc).id, status=status,
                            created_at=TUESDAY, updated_at=TUESDAY))
    db.session.commit()
    return main


def test_percentile_interpolates():
    assert percentile([], 0.5) is None
    assert percentile([5.0], 0.9) == 5.0
    assert percentile([2.0, 10.0, 30.0], 0.5) == 10.0
    assert percentile([2.0, 10.0, 30.0], 0.9) == pytest.approx(26.0)


def test_report_of_a_day(history):
    r = report(ReportFilter(DAY, DAY, [history.id]))
    assert (r["visits"], r["served"], r["no_show"]) == (3, 2, 1)
    assert r["no_show_rate"] == pytest.approx(1 / 3, abs=1e-4)
    assert r["wait"] == {"n": 3, "mean": 14.0, "median": 10.0, "p90": 26.0}
    assert r["service"] == {"n": 2, "mean": 12.5, "median": 12.5, "p90": 14.5}
    # Local time (Kyiv, UTC+2 in November): Tuesday, 10:00 and 11:00.
    assert r["heatmap"][1][10] == 2 and r["heatmap"][1][11] == 1 and sum(map(sum, r["heatmap"])) == 3
    assert r["by_hour"][10] == 2 and r["by_weekday"][1] == 3 and r["daily"] == [(DAY, 3)]
    assert r["bookings"] == {"made": 5, "cancelled": 1, "attended": 2, "no_show": 1, "upcoming": 1,
                             "utilisation": 0.5}
    unclaimed = {u["code"]: u["count"] for u in r["unclaimed"]["rows"]}
    assert unclaimed["land"] == 2 and unclaimed["district"] == 1 and unclaimed["permits"] == 0
    assert r["unclaimed"]["total"] == 3 and len(r["unclaimed"]["rows"]) == 8  # seed 000's eight categories
    by_cat = {c["code"]: c for c in r["by_category"]}
    assert by_cat["pickup"]["visits"] == 2 and by_cat["district"]["no_show"] == 1


def test_report_filters(history):
    everywhere = report(ReportFilter(DAY, DAY))
    assert everywhere["visits"] == 4
    pickup = db.session.scalar(select(ServiceCategory.id).where(ServiceCategory.code == "pickup"))
    only = report(ReportFilter(DAY, DAY, [history.id], pickup))
    assert only["visits"] == 2 and only["no_show"] == 0 and only["wait"]["mean"] == 6.0
    assert only["unclaimed"] == {"rows": [], "total": 0}  # pick-up is not a category of applications
    later = report(ReportFilter(DAY + timedelta(days=1), DAY + timedelta(days=7), [history.id]))
    assert later["visits"] == 0 and later["wait"]["mean"] is None and later["no_show_rate"] is None


def test_report_page_and_exports(history, admin_client):
    qs = "from=2026-11-24&to=2026-11-24&office=main"
    page = admin_client.get(f"/admin/reports?{qs}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and '<svg class="chart heat"' in text and 'id="s-visits">3<' in text
    assert "Земельні питання" in text and "33.3 %" in text
    csv_resp = admin_client.get(f"/admin/reports/export.csv?{qs}")
    assert csv_resp.status_code == 200 and csv_resp.mimetype == "text/csv"
    assert "attachment" in csv_resp.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(csv_resp.get_data(as_text=True).lstrip("\ufeff"))))
    assert ["Відвідування (талони)", "3"] in rows and ["Очікування, хв: 90-й процентиль", "26.0"] in rows
    assert ["Земельні питання", "2"] in rows and ["Усього", "3"] in rows
    xlsx = admin_client.get(f"/admin/reports/export.xlsx?{qs}")
    book = load_workbook(io.BytesIO(xlsx.data))
    assert book.sheetnames == ["Підсумок", "Категорії", "Навантаження", "По днях", "Невидані результати"]
    summary = {row[0]: row[1] for row in book["Підсумок"].iter_rows(values_only=True)}
    assert summary["Відвідування (талони)"] == 3 and summary["Частка неявок"] == pytest.approx(0.3333, abs=1e-4)
    heat = list(book["Навантаження"].iter_rows(values_only=True))
    assert heat[2][0] == "Вт" and heat[2][1 + 10] == 2


def test_report_form_validation(admin_client):
    r = admin_client.get("/admin/reports?from=2026-11-24&to=2026-11-01")
    assert r.status_code == 422 and "Кінцева дата не може бути раніше початкової." in r.get_data(as_text=True)
    r = admin_client.get("/admin/reports?from=2020-01-01&to=2026-11-01")
    assert r.status_code == 422 and "не більше двох років" in r.get_data(as_text=True)
    r = admin_client.get("/admin/reports?from=kitten&to=2026-11-01")
    assert r.status_code == 422 and "РРРР-ММ-ДД" in r.get_data(as_text=True)
    assert admin_client.get("/admin/reports?from=2026-11-01&to=2026-11-02&office=nowhere").status_code == 404
    assert admin_client.get("/admin/reports/export.csv?from=2026-11-24&to=2026-11-01").status_code == 422


def test_manager_reports_are_their_office(history, client):
    from tests.test_admin_helpers import login
    login(client, make_staff("main-manager", "manager", "main"))
    text = client.get("/admin/reports?from=2026-11-24&to=2026-11-24").get_data(as_text=True)
    assert 'id="s-visits">3<' in text  # not 4: the other office's ticket is not theirs
    assert client.get("/admin/reports?from=2026-11-24&to=2026-11-24&office=pokrovskyi").status_code == 403


def test_dashboard_json_follows_the_queue(schema, now, admin_client):
    main = office()
    tickets.issue_ticket(main, service("pickup"))
    at(now, 11, 20)
    tickets.issue_ticket(main, service("pickup"))
    d = admin_client.get("/admin/dashboard/main/data.json").get_json()
    assert d["waiting"] == 2 and d["services"] == [{"service": "pickup", "waiting": 2, "longest_min": 20}]
    assert d["longest_wait_min"] == 20 and d["served_today"] == 0
    window = window_for("pickup")
    window.staff_id = make_staff("op-x", "operator", "main").id
    db.session.commit()
    tickets.call_next(window)
    d = admin_client.get("/admin/dashboard/main/data.json").get_json()
    assert d["waiting"] == 1 and d["windows_busy"] == 1
    assert next(w for w in d["windows"] if w["number"] == window.number)["state"] == "busy"
    tickets.set_window_pause(office().windows[-1], "Обід")
    city = admin_client.get("/admin/dashboard/data.json").get_json()
    assert city["total"]["waiting"] == 1 and city["total"]["windows_paused"] == 1
    assert len(city["offices"]) == 8
    assert date.fromisoformat(city["at"][:10]) == DAY
