"""Issue 7: the administration forms: each change validated (Ukrainian messages) and audited."""
from datetime import date

from sqlalchemy import func, select

from queue_app import planning
from queue_app.extensions import db
from queue_app.models import (AuditLog, Closure, OfficeService, PriorityCategory, Schedule, Staff, StaffPlan,
                              Window)
from scheduling import Regime
from tests.test_admin_helpers import (admin_client, login, make_staff, manager_client, now, office,  # noqa: F401
                                      schema, service)


def audits(entity):
    return db.session.scalars(select(AuditLog).where(AuditLog.entity == entity).order_by(AuditLog.id)).all()


def test_office_settings_validated_and_audited(manager_client):
    r = manager_client.post("/admin/offices/main", data={"name": "", "address": "x", "min_notice_min": -5,
                                                         "horizon_days": 1000})
    page = r.get_data(as_text=True)
    assert r.status_code == 422 and "Це поле обов&#39;язкове." in page and "Від 5 до 300 символів." in page
    assert "Горизонт має бути від 1 до 365." in page and "Час до запису має бути від 0 до 10080." in page
    r = manager_client.post("/admin/offices/main", data={
        "name": office().name, "address": office().address, "cabinet": "101", "min_notice_min": 120,
        "horizon_days": 14, "retention_days": 10})
    assert r.status_code == 422 and "Строк зберігання — від 90 до 3650 днів" in r.get_data(as_text=True)
    r = manager_client.post("/admin/offices/main", data={
        "name": office().name, "address": office().address, "cabinet": "101", "honour_holidays": "y",
        "min_notice_min": 120, "horizon_days": 14, "retention_days": 200})
    assert r.status_code == 302
    o = office()
    assert (o.cabinet, o.honour_holidays, o.min_notice_min, o.horizon_days) == ("101", True, 120, 14)
    entry = audits("office")[-1]
    assert entry.username == "main-manager" and entry.office_id == o.id
    assert entry.changes["horizon_days"] == [30, 14] and entry.changes["retention_days"] == [None, 200]
    from queue_app import retention
    assert retention.office_days(o) == 200


def test_add_window_with_services_and_deactivate(manager_client):
    pickup, district = service("pickup"), service("17-05")
    r = manager_client.post("/admin/offices/main/windows/new", data={"number": 1, "active": "y",
                                                                     "services": [pickup.id]})
    assert r.status_code == 422 and "Вікно № 1 у цьому офісі вже є." in r.get_data(as_text=True)
    r = manager_client.post("/admin/offices/main/windows/new", data={"number": 40, "active": "y"})
    assert r.status_code == 422 and "Оберіть хоча б одну послугу" in r.get_data(as_text=True)
    r = manager_client.post("/admin/offices/main/windows/new", data={"number": 40, "active": "y",
                                                                     "services": [pickup.id, district.id]})
    assert r.status_code == 302
    w = db.session.scalar(select(Window).where(Window.office_id == office().id, Window.number == 40))
    assert {s.code for s in w.services} == {"pickup", "17-05"} and w.active
    api = manager_client.get("/api/v1/offices/main/windows").get_json()
    assert {"number": 40} .items() <= next(x for x in api if x["number"] == 40).items()
    r = manager_client.post(f"/admin/windows/{w.id}", data={"number": 40, "services": [pickup.id]})
    assert r.status_code == 302
    db.session.refresh(w)
    assert not w.active and [s.code for s in w.services] == ["pickup"]
    assert [e.action for e in audits("window")] == ["create", "update"]
    assert audits("window")[1].changes["active"] == [True, False]


def test_office_service_terms(manager_client):
    r = manager_client.post("/admin/offices/main/services/pickup", data={
        "walk_in_share": 150, "daily_cap": 0, "last_ticket_time": "25:00"})
    page = r.get_data(as_text=True)
    assert r.status_code == 422 and "Частка має бути від 0 до 100." in page and "Ліміт має бути від 1 до 2000." in page
    assert "Час у форматі ГГ:ХХ" in page
    r = manager_client.post("/admin/offices/main/services/pickup", data={
        "bookable": "y", "walk_in_share": 30, "daily_cap": 120, "last_ticket_time": "15:30"})
    assert r.status_code == 302
    terms = db.session.get(OfficeService, (office().id, service("pickup").id))
    assert (terms.bookable, terms.walk_in_share, terms.daily_cap, terms.last_ticket_time) == (True, 0.3, 120, "15:30")
    assert audits("office_service")[0].changes["daily_cap"] == [None, 120]


def test_service_catalogue_for_admins(admin_client):
    r = admin_client.post("/admin/services/pickup", data={"name": "Видача результату", "duration_min": 0,
                                                          "letter": "ab"})
    page = r.get_data(as_text=True)
    assert r.status_code == 422 and "Тривалість має бути від 1 до 480." in page and "Одна-дві великі літери" in page
    r = admin_client.post("/admin/services/pickup", data={
        "name": "Видача результату послуги", "duration_min": 12, "letter": "Р",
        "documents": "Паспорт\n\n  Код із СМС  \n"})
    assert r.status_code == 302
    s = service("pickup")
    assert s.duration_min == 12 and s.card_data["documents"] == ["Паспорт", "Код із СМС"]
    assert audits("service")[0].changes["duration_min"] == [10, 12]


def test_priority_categories(admin_client):
    r = admin_client.post("/admin/priorities/new", data={"code": "Ветерани!", "name": ""})
    assert r.status_code == 422 and "Латиниця в нижньому регістрі" in r.get_data(as_text=True)
    assert admin_client.post("/admin/priorities/new", data={"code": "veterans", "name": "Ветерани війни",
                                                            "active": "y"}).status_code == 302
    row = db.session.scalar(select(PriorityCategory).where(PriorityCategory.code == "veterans"))
    assert row.active and row.name == "Ветерани війни"
    r = admin_client.post("/admin/priorities/new", data={"code": "veterans", "name": "Ще раз", "active": "y"})
    assert r.status_code == 422 and "Категорія з таким кодом уже є." in r.get_data(as_text=True)
    assert admin_client.post(f"/admin/priorities/{row.id}", data={"code": "veterans", "name": "Ветерани війни"}
                             ).status_code == 302
    db.session.refresh(row)
    assert not row.active and [e.action for e in audits("priority")] == ["create", "update"]


def _regime_form(**overrides):
    data = {"key": "winter-2027", "name": "Зимовий режим", "valid_from": "2027-01-01", "valid_to": "2027-02-28",
            "appointment_only": "y", "priority": 5,
            "mon_open": "08:00-15:30", "mon_reception": "08:00-15:30", "mon_breaks": "12:30-13:00",
            "tue_open": "08:00-15:30", "tue_reception": "08:00-15:30", "tue_breaks": "12:30-13:00",
            "nth": "сб 4 | 08:30-17:00 | 09:00-16:00 | 12:30-13:00"}
    data.update(overrides)
    return data


def test_regime_editor_round_trips_through_the_domain(manager_client):
    bad = manager_client.post("/admin/offices/main/schedules/new", data=_regime_form(
        mon_reception="07:00-16:00", tue_open="8-15", wed_reception="09:00-12:00", valid_to="2026-12-01",
        nth="сб 9 | 08:00-12:00 | 08:00-12:00 |"))
    page = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert "Понеділок: Години прийому мають лежати в межах робочих годин." in page
    assert "час у форматі ГГ:ХХ-ГГ:ХХ" in page
    assert "Середа: вкажіть і робочі години, і години прийому" in page
    assert "Кінцева дата не може бути раніше початкової." in page
    assert "номер дня в місяці — від 1 до 5 або -1" in page
    assert db.session.scalar(select(func.count(Schedule.id)).where(Schedule.key == "winter-2027")) == 0
    ok = manager_client.post("/admin/offices/main/schedules/new", data=_regime_form())
    assert ok.status_code == 302
    row = db.session.scalar(select(Schedule).where(Schedule.key == "winter-2027"))
    regime = Regime.from_dict(row.rules)
    assert regime.appointment_only and regime.valid_from == date(2027, 1, 1) and regime.priority == 5
    assert regime.to_dict() == row.rules and set(row.rules["weekly"]) == {"mon", "tue"}
    assert row.rules["nth"][0]["weekday"] == "sat" and row.rules["nth"][0]["n"] == 4
    # The calendar now follows it: a Monday in January is appointment-only, 08:00–15:30 less the break.
    day = manager_client.get("/api/v1/offices/main/schedule?from=2027-01-04&to=2027-01-06").get_json()["days"]
    assert day[0]["appointment_only"] and day[0]["reception"] == [["08:00", "12:30"], ["13:00", "15:30"]]
    assert day[2]["reception"] == []  # Wednesday: not in the regime, closed
    # The edit form shows it back as text, and saving it unchanged writes no audit entry.
    form = manager_client.get(f"/admin/schedules/{row.id}").get_data(as_text=True)
    assert 'value="08:00-15:30"' in form and "сб 4 | 08:30-17:00 | 09:00-16:00 | 12:30-13:00" in form
    assert manager_client.post(f"/admin/schedules/{row.id}", data=_regime_form()).status_code == 302
    assert [e.action for e in audits("schedule")] == ["create"]
    assert manager_client.post(f"/admin/schedules/{row.id}/delete").status_code == 302
    assert db.session.get(Schedule, row.id) is None and audits("schedule")[-1].action == "delete"


def test_closure_removes_the_slots(manager_client, now):
    url = "/api/v1/offices/main/slots?service=pickup&date=2026-11-26"
    assert manager_client.get(url).get_json()["slots"]
    r = manager_client.post("/admin/offices/main/closures/new", data={
        "scope": "office", "date_from": "2026-11-27", "date_to": "2026-11-26", "reason": "Санітарний день"})
    assert r.status_code == 422 and "Кінцева дата не може бути раніше початкової." in r.get_data(as_text=True)
    r = manager_client.post("/admin/offices/main/closures/new", data={
        "scope": "office", "date_from": "2026-11-26", "date_to": "2026-11-26", "reason": "Санітарний день"})
    assert r.status_code == 302
    assert manager_client.get(url).get_json()["slots"] == []
    closure = db.session.scalar(select(Closure))
    assert closure.office_id == office().id and audits("closure")[0].changes["reason"] == [None, "Санітарний день"]
    assert manager_client.post(f"/admin/closures/{closure.id}/delete", data={"office": "main"}).status_code == 302
    assert manager_client.get(url).get_json()["slots"]


def test_centre_closure_by_admin_closes_every_office(admin_client, now):
    r = admin_client.post("/admin/offices/pokrovskyi/closures/new", data={
        "scope": "centre", "date_from": "2026-11-26", "date_to": "2026-11-27", "reason": "День міста"})
    assert r.status_code == 302
    for code in ("main", "pokrovskyi"):
        days = admin_client.get(f"/api/v1/offices/{code}/schedule?from=2026-11-26&to=2026-11-27").get_json()["days"]
        assert all(d["reception"] == [] and d["note"] == "День міста" for d in days)


def test_pause_and_resume_through_the_form(manager_client, now):
    r = manager_client.post("/admin/offices/main/pause", data={"reason": ""})
    assert r.status_code == 303 and office().paused_reason is None
    assert manager_client.post("/admin/offices/main/pause", data={"reason": "Повітряна тривога"}).status_code == 302
    assert manager_client.get("/api/v1/offices/main").get_json()["paused_reason"] == "Повітряна тривога"
    issue = manager_client.post("/api/v1/offices/main/tickets", json={"service": "pickup"})
    assert issue.status_code == 409 and issue.get_json()["error"]["code"] == "office_paused"
    assert manager_client.post("/admin/offices/main/resume").status_code == 302
    assert office().paused_reason is None
    assert [e.action for e in audits("office")] == ["pause", "resume"]


def test_staff_accounts_and_skills(admin_client):
    r = admin_client.post("/admin/staff/new", data={"username": "x", "role": "operator", "office_id": 0,
                                                    "active": "y"})
    page = r.get_data(as_text=True)
    assert r.status_code == 422 and "Від 3 до 80 латинських літер" in page and "оберіть офіс" in page
    assert "Задайте пароль нового облікового запису" in page
    r = admin_client.post("/admin/staff/new", data={
        "username": "olena.op", "password": "long-enough-1", "role": "operator", "office_id": office().id,
        "active": "y", "skills": [service("pickup").id, service("17-05").id]})
    assert r.status_code == 302
    person = db.session.scalar(select(Staff).where(Staff.username == "olena.op"))
    assert {s.code for s in person.skills} == {"pickup", "17-05"}
    r = admin_client.post(f"/admin/staff/{person.id}", data={
        "username": "olena.op", "password": "", "role": "operator", "office_id": office().id,
        "skills": [service("pickup").id]})
    assert r.status_code == 302
    db.session.refresh(person)
    assert not person.active and [s.code for s in person.skills] == ["pickup"]
    assert person.check_password("long-enough-1")  # an empty password field keeps it
    assert audits("staff")[-1].changes["skills"] == [["17-05", "pickup"], ["pickup"]]


def test_plan_button_starts_a_job_and_the_timetable_reads_it(manager_client, monkeypatch, now):
    started = []
    monkeypatch.setattr(planning, "start_plan", lambda office_id, a, b: started.append((office_id, a, b)) or 4242)
    r = manager_client.post("/admin/offices/main/plan", data={"date_from": "2026-11-25", "date_to": "2027-03-01"})
    assert r.status_code == 422 and "План складається не більше ніж на 63 дні." in r.get_data(as_text=True)
    r = manager_client.post("/admin/offices/main/plan", data={"date_from": "2026-11-25", "date_to": "2026-11-27"})
    assert r.status_code == 302 and r.headers["Location"].endswith("/admin/offices/main/plan?job=4242")
    assert started == [(office().id, date(2026, 11, 25), date(2026, 11, 27))]
    assert audits("plan_job")[0].entity_id == "4242"
    # A stored plan of a date, as the timetable shows it.
    w1, w2 = office().windows[0], office().windows[1]
    op = make_staff("main-op-x", "operator", "main")
    db.session.add(StaffPlan(office_id=office().id, day=date(2026, 11, 25), plan={
        "assignments": [{"operator_id": op.id, "window_id": w1.id, "date": "2026-11-25", "start": "08:30",
                         "end": "14:00"},
                        {"operator_id": op.id, "window_id": w2.id, "date": "2026-11-25", "start": "14:30",
                         "end": "17:00"}],
        "breaks": [{"operator_id": op.id, "date": "2026-11-25", "start": "14:00", "end": "14:30"}],
        "unmet_min": {"pickup": 35.0}, "status": "FEASIBLE"}))
    db.session.commit()
    page = manager_client.get("/admin/offices/main/timetable/2026-11-25").get_data(as_text=True)
    assert "08:30–14:00 · main-op-x" in page and "14:00–14:30" in page and "pickup — 35 хв" in page
    assert "На цю дату плану немає" in manager_client.get("/admin/offices/main/timetable/2026-11-26").get_data(
        as_text=True)
    assert manager_client.get("/admin/offices/main/timetable/not-a-date").status_code == 404


def test_plan_job_status_json(manager_client):
    job_id = planning.PlanJob(office_id=office().id, date_from=date(2026, 11, 25), date_to=date(2026, 11, 25))
    db.session.add(job_id)
    db.session.commit()
    body = manager_client.get(f"/admin/plan-jobs/{job_id.id}.json").get_json()
    assert body["state"] == "queued" and body["from"] == "2026-11-25"
    other = planning.PlanJob(office_id=office("pokrovskyi").id, date_from=date(2026, 11, 25),
                             date_to=date(2026, 11, 25))
    db.session.add(other)
    db.session.commit()
    assert manager_client.get(f"/admin/plan-jobs/{other.id}.json").status_code == 403


def test_centre_retention_setting(admin_client):
    r = admin_client.post("/admin/settings", data={"retention_days": 5})
    assert r.status_code == 422 and "Строк зберігання — від 90" in r.get_data(as_text=True)
    assert admin_client.post("/admin/settings", data={"retention_days": 400}).status_code == 302
    from queue_app import retention
    assert retention.centre_days() == 400 and retention.office_days(office()) == 400
    assert audits("retention")[0].changes == {"days": [365, 400]}


def test_every_admin_page_renders(admin_client):
    make_staff("someone", "operator", "main")
    row = db.session.scalar(select(Schedule).where(Schedule.office_id == office().id))
    for url in ("/admin/", "/admin/offices/main", "/admin/offices/main/windows/new",
                f"/admin/windows/{office().windows[0].id}", "/admin/offices/main/services",
                "/admin/offices/main/services/pickup", "/admin/services", "/admin/services/17-05",
                "/admin/priorities", "/admin/priorities/new", "/admin/offices/main/schedules",
                f"/admin/schedules/{row.id}", f"/admin/offices/main/schedules/new?copy={row.id}",
                "/admin/offices/main/closures/new", "/admin/staff", "/admin/staff/new", "/admin/offices/main/plan",
                "/admin/dashboard", "/admin/dashboard/main", "/admin/reports", "/admin/audit", "/admin/settings"):
        r = admin_client.get(url)
        assert r.status_code == 200, url
        assert r.headers["Cache-Control"] == "no-store"
    login  # noqa: B018  (imported for the fixtures' module)
