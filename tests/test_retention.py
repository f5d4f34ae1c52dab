"""Issue 7: personal data is erased after the retention period; statistics stay the same."""
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import select

from queue_app import retention
from queue_app.extensions import db
from queue_app.models import AuditLog, Booking, Case, Event, Outbox, PhoneRestriction
from queue_app.reports import ReportFilter, report
from tests.test_admin_helpers import TUESDAY, admin_client, now, office, schema, service  # noqa: F401

OLD = date(2025, 6, 10)      # more than 365 days before 24.11.2026
RECENT = date(2026, 10, 1)


def _history():
    """Bookings, cases, SMS and events on an old and a recent date, with names and phones."""
    main, pickup = office(), service("pickup")
    rows = {}
    for label, day in (("old", OLD), ("recent", RECENT)):
        stamp = datetime.combine(day, time(9), tzinfo=timezone.utc)
        for n, status in enumerate(("done", "no_show", "cancelled")):
            b = Booking(code=f"{label[0]}{n}0000"[:6].replace("o", "1").replace("r", "2"), office_id=main.id,
                        service_id=pickup.id, day=day, start=time(10, n), end=time(10, n + 10), status=status,
                        name="Олена Петренко", phone="+380671234567", manage_token_hash="x" * 64, created_at=stamp)
            db.session.add(b)
            db.session.flush()
            db.session.add(Event(office_id=main.id, kind="booking_created", booking_id=b.id, service_id=pickup.id,
                                 ts=stamp, data={"day": day.isoformat()}))
            db.session.add(Outbox(kind="booking_confirmed", phone=b.phone, body=f"Запис {b.code}", booking_id=b.id,
                                  status="sent", created_at=stamp))
            rows[f"{label}-{status}"] = b
        case = Case(code=f"{'3' if label == 'old' else '4'}00001", office_id=main.id, service_id=service("17-02").id,
                    status="ready", phone="+380501112233", created_at=stamp, updated_at=stamp)
        db.session.add(case)
        rows[f"{label}-case"] = case
    # A ticket's life on the old day, so the report has times to compare.
    from queue_app.models import Ticket
    t = Ticket(office_id=main.id, service_id=pickup.id, day=OLD, letter="Р", seq=1, status="done",
               arrived_at=datetime.combine(OLD, time(8), tzinfo=timezone.utc))
    db.session.add(t)
    db.session.flush()
    for kind, minute in (("issued", 0), ("called", 7), ("started", 8), ("done", 20)):
        db.session.add(Event(office_id=main.id, kind=kind, ticket_id=t.id, service_id=pickup.id,
                             ts=datetime.combine(OLD, time(8, minute), tzinfo=timezone.utc)))
    db.session.add(PhoneRestriction(phone="+380671234567", forgiven_before=TUESDAY - timedelta(days=500),
                                    updated_at=TUESDAY - timedelta(days=500)))
    db.session.commit()
    return rows


def _everything():
    return report(ReportFilter(date(2025, 1, 1), date(2026, 11, 24)))


def test_retention_erases_old_personal_data_and_keeps_the_statistics(schema, now):
    rows = _history()
    before = _everything()
    events_before = db.session.scalar(select(db.func.count(Event.id)))
    assert before["visits"] == 1 and before["bookings"]["made"] == 6 and before["unclaimed"]["total"] == 2

    counts = retention.run(TUESDAY)
    assert counts == {"bookings": 3, "cases": 1, "sms": 3, "phone_restrictions": 1}
    db.session.expire_all()
    for status in ("done", "no_show", "cancelled"):
        old, recent = rows[f"old-{status}"], rows[f"recent-{status}"]
        assert (old.name, old.phone) == (None, None) and old.status == status  # the row stays
        assert (recent.name, recent.phone) == ("Олена Петренко", "+380671234567")
    assert rows["old-case"].phone is None and rows["old-case"].status == "ready"
    assert rows["recent-case"].phone == "+380501112233"
    old_sms = db.session.scalars(select(Outbox).where(Outbox.booking_id == rows["old-done"].id)).one()
    assert old_sms.phone == "+38067***4567" and old_sms.body == ""
    assert db.session.get(PhoneRestriction, "+380671234567") is None

    after = _everything()
    assert after == before  # every figure of the report is unchanged
    assert db.session.scalar(select(db.func.count(Event.id))) == events_before
    entry = db.session.scalar(select(AuditLog).where(AuditLog.entity == "personal_data"))
    assert entry.username == "retention" and entry.changes["bookings"] == 3
    # Running again finds nothing more.
    assert retention.run(TUESDAY) == {"bookings": 0, "cases": 0, "sms": 0, "phone_restrictions": 0}


def test_office_period_overrides_the_centre(schema, now):
    rows = _history()
    retention.set_days(None, 3000)  # the centre keeps long …
    retention.set_days(office(), 30)  # … the main office only 30 days (below the no-show window: allowed here)
    db.session.commit()
    retention.run(TUESDAY)
    db.session.expire_all()
    assert rows["recent-done"].phone is None and rows["old-done"].phone is None


def test_retention_cli(schema, app, now):
    rows = _history()
    result = app.test_cli_runner().invoke(args=["retention", "run"])
    assert result.exit_code == 0, result.output
    assert "bookings=" in result.output and "Петренко" not in result.output and "+38067" not in result.output
    db.session.expire_all()
    assert rows["old-done"].name is None


def test_masked_on_the_dashboard(schema, now, admin_client):
    main = office()
    db.session.add(Booking(code="555123", office_id=main.id, service_id=service("pickup").id, day=TUESDAY.date(),
                           start=time(12), end=time(12, 10), status="booked", name="Олена Петренко",
                           phone="+380671234567", manage_token_hash="x" * 64))
    db.session.commit()
    page = admin_client.get("/admin/dashboard/main").get_data(as_text=True)
    assert "О. П." in page and "+38067***4567" in page and "***123" in page
    assert "Петренко" not in page and "1234567" not in page and "555123" not in page
    data = admin_client.get("/admin/dashboard/main/data.json").get_data(as_text=True)
    assert "Петренко" not in data and "380" not in data
