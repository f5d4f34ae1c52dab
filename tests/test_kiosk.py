"""Issue 5, the kiosk, server side: the status endpoint, the page, the printable ticket and ESC/POS printing."""
from datetime import date, datetime, time, timedelta

import pytest
from escpos.printer import Dummy
from sqlalchemy import func, select

import kiosk
from kiosk import printing
from queue_app import clock
from queue_app.extensions import db
from queue_app.models import Booking, Closure, Office, OfficeService, Service, Ticket
from scheduling import KYIV

TUESDAY = datetime(2026, 11, 24, 11, 0, tzinfo=KYIV)  # main: reception 09:00–20:00
SUNDAY = datetime(2026, 11, 22, 11, 0, tzinfo=KYIV)   # every office closed
GS_K = b"\x1d(k"  # GS ( k: the printer's own QR command


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture
def now(monkeypatch):
    c = Clock(TUESDAY)
    monkeypatch.setattr(clock, "now", c)
    return c


def office(code="main") -> Office:
    return db.session.scalar(select(Office).where(Office.code == code))


def service(code) -> Service:
    return db.session.scalar(select(Service).where(Service.code == code))


def services_of(status: dict) -> dict:
    return {s["code"]: s for c in status["categories"] for s in c["services"]}


def issue(client, body, office_code="main"):
    r = client.post(f"/api/v1/offices/{office_code}/tickets", json=body)
    assert r.status_code == 201, r.get_json()
    return r.get_json()


# ------------------------------------------------------------------------------------------- status

def test_status_on_an_open_day_offers_todays_services(client, now):
    r = client.get("/kiosk/main/status.json")
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    st = r.get_json()
    assert st["state"] == "open" and st["open"] and st["accepts_walk_ins"]
    assert st["reception_today"] == [["09:00", "20:00"]] and st["paused"] is None
    assert st["next_opening_text"] == ""
    codes = [c["code"] for c in st["categories"]]
    # Only categories with a service some window serves; in reference-data order.
    assert codes == ["land", "permits", "district", "architecture", "pickup"]
    svc = services_of(st)
    assert len(svc) == 36 and all(s["available"] and s["reason"] is None for s in svc.values())
    assert svc["17-02"]["letter"] == "З" and svc["pickup"]["name"] == "Видача результату послуги"


def test_status_in_english(client, now):
    st = client.get("/kiosk/main/status.json?lang=en").get_json()
    assert st["office"]["name"].startswith("Administrative Services Centre")
    assert st["categories"][0]["name"] == "Land matters"


def test_status_on_a_closed_day_says_when_it_opens(client, now):
    now.now = SUNDAY
    st = client.get("/kiosk/main/status.json").get_json()
    assert st["state"] == "closed" and not st["open"] and not st["accepts_walk_ins"]
    assert st["headline"] == "Зараз прийом не ведеться"
    assert st["next_opening"] == "2026-11-23T09:00:00+02:00"
    assert st["next_opening_text"] == "Наступний прийом: завтра о 09:00."
    assert st["reception_today"] == []
    assert not any(s["available"] for s in services_of(st).values())
    assert {s["reason_code"] for s in services_of(st).values()} == {"closed"}
    st = client.get("/kiosk/main/status.json?lang=en").get_json()
    assert st["next_opening_text"] == "Next reception: tomorrow at 09:00."


def test_status_after_friday_closing_names_the_weekday(client, now):
    now.now = datetime(2026, 11, 20, 17, 0, tzinfo=KYIV)  # Friday after 16:00
    st = client.get("/kiosk/pokrovskyi/status.json").get_json()
    assert st["state"] == "closed"
    assert st["next_opening_text"] == "Наступний прийом: понеділок, 23 листопада о 09:00."


def test_status_during_the_lunch_break(client, now):
    now.now = TUESDAY.replace(hour=12, minute=40)
    st = client.get("/kiosk/pokrovskyi/status.json").get_json()
    assert st["state"] == "closed" and st["headline"] == "Перерва"
    assert st["next_opening_text"] == "Наступний прийом: сьогодні о 13:00."


def test_status_on_a_closure_day_gives_the_reason(client, now):
    db.session.add(Closure(office_id=office().id, date_from=TUESDAY.date(), date_to=TUESDAY.date(),
                           reason="Санітарний день"))
    db.session.commit()
    st = client.get("/kiosk/main/status.json").get_json()
    assert st["state"] == "closed" and st["detail"] == "Санітарний день"
    assert st["next_opening"] == "2026-11-25T09:00:00+02:00"


def test_status_when_paused(client, now):
    office().paused_reason = "Повітряна тривога"
    db.session.commit()
    st = client.get("/kiosk/main/status.json").get_json()
    assert st["state"] == "paused" and st["paused"] == "Повітряна тривога" and st["detail"] == "Повітряна тривога"
    assert st["headline"] == "Видачу талонів тимчасово призупинено"
    assert st["next_opening_text"]  # still says when reception (next) opens
    assert not any(s["available"] for s in services_of(st).values())


def test_status_shows_caps_and_last_ticket_time(client, now):
    main = office()
    capped, early = service("17-03"), service("17-04")
    db.session.get(OfficeService, (main.id, capped.id)).daily_cap = 2
    db.session.get(OfficeService, (main.id, early.id)).last_ticket_time = "10:30"
    db.session.commit()
    svc = services_of(client.get("/kiosk/main/status.json").get_json())
    assert svc["17-03"]["available"] and svc["17-03"]["daily_cap"] == 2 and svc["17-03"]["remaining"] == 2
    assert not svc["17-04"]["available"] and svc["17-04"]["reason_code"] == "too_late_today"
    assert svc["17-04"]["last_ticket_time"] == "10:30" and "завтра" in svc["17-04"]["reason"]
    issue(client, {"service": "17-03"})
    issue(client, {"service": "17-03"})
    svc = services_of(client.get("/kiosk/main/status.json").get_json())
    assert not svc["17-03"]["available"] and svc["17-03"]["remaining"] == 0
    assert svc["17-03"]["reason_code"] == "daily_cap_reached"
    assert svc["17-03"]["reason"] == "На сьогодні талони на цю послугу закінчилися."


def test_status_near_closing_disables_long_services_only(client, now):
    now.now = TUESDAY.replace(hour=19, minute=45)
    svc = services_of(client.get("/kiosk/main/status.json").get_json())
    assert svc["pickup"]["available"]                     # 10 minutes still fit
    assert not svc["17-05"]["available"] and svc["17-05"]["reason_code"] == "too_late_today"  # 30 minutes


def test_status_on_an_appointment_only_day(client, now, monkeypatch):
    from queue_app import tickets

    real = tickets.reception_now

    def appointment_only(off, moment):
        day, current = real(off, moment)
        return day.__class__(**{**day.__dict__, "appointment_only": True}), current
    monkeypatch.setattr(tickets, "reception_now", appointment_only)
    st = client.get("/kiosk/main/status.json").get_json()
    assert st["open"] and st["appointment_only"] and not st["accepts_walk_ins"]
    assert {s["reason_code"] for s in services_of(st).values()} == {"appointment_only"}


def test_status_of_an_unknown_office(client, now):
    r = client.get("/kiosk/nowhere/status.json")
    assert r.status_code == 404 and r.get_json()["error"]["code"] == "unknown_office"
    assert client.get("/kiosk/nowhere").status_code == 404


# ------------------------------------------------------------------------------------------- the page

def test_page_is_ukrainian_by_default_with_an_english_switch(client, now):
    html = client.get("/kiosk/main").get_data(as_text=True)
    assert '<html lang="uk">' in html and "Отримати талон" in html and "У мене є запис" in html
    assert 'data-idle="30"' in html and 'data-print-mode="browser"' in html
    assert 'data-lang="en"' in html and "English" in html
    assert 'aria-label="Цифра 7"' in html and 'aria-label="Стерти останню цифру"' in html
    html = client.get("/kiosk/main?lang=en&idle=2").get_data(as_text=True)
    assert '<html lang="en">' in html and "Get a ticket" in html and "My documents are ready" in html
    assert 'data-idle="2"' in html
    client.set_cookie("lang", "en")
    assert "I have a booking" in client.get("/kiosk/main").get_data(as_text=True)
    assert 'data-idle="30"' in client.get("/kiosk/main?idle=abc").get_data(as_text=True)


def test_page_announces_direct_printing_when_a_printer_is_set(client, app, now):
    app.config["KIOSK_PRINTER"] = "main-1=network:10.0.0.21;*=network:10.0.0.20"
    assert 'data-print-mode="escpos"' in client.get("/kiosk/main?kiosk=main-1").get_data(as_text=True)
    app.config["KIOSK_PRINTER"] = "main-1=network:10.0.0.21"
    assert 'data-print-mode="browser"' in client.get("/kiosk/main?kiosk=main-2").get_data(as_text=True)


def test_printer_spec():
    assert printing.printer_spec("") is None
    assert printing.printer_spec("network:10.0.0.5") == "network:10.0.0.5"
    table = "a=usb:04b8:0202; b=network:10.0.0.6:9100; *=network:10.0.0.7"
    assert printing.printer_spec(table, "a") == "usb:04b8:0202"
    assert printing.printer_spec(table, "b") == "network:10.0.0.6:9100"
    assert printing.printer_spec(table, "zzz") == "network:10.0.0.7"
    with pytest.raises(printing.PrinterNotConfigured):
        printing.open_printer("serial:/dev/ttyS0")


# ------------------------------------------------------------------------------------------- the ticket

def test_printable_ticket_for_an_80mm_roll(client, now):
    issue(client, {"service": "17-02"})
    t = issue(client, {"service": "17-02"})
    r = client.get(f"/kiosk/main/ticket/{t['id']}")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert t["number"] == "З-002" and "З-002" in html
    assert "Надання згоди на видалення зелених насаджень" in html
    assert "Перед вами: 1 особа" in html
    assert f"Орієнтовне очікування: ~{t['estimated_wait_min']} хв" in html and t["estimated_wait_min"] > 0
    assert "Видано: 24.11.2026 11:00" in html
    assert "головний офіс" in html and "пл. Молодіжна, 1" in html
    assert "<svg" in html and 'class="qr"' in html and t["status_url"] in html
    assert "autoprint.js" not in html and "autoprint.js" in client.get(
        f"/kiosk/main/ticket/{t['id']}?autoprint=1").get_data(as_text=True)
    css = client.get("/static/kiosk/ticket-print.css").get_data(as_text=True)
    assert "size: 80mm" in css and "72mm" in css
    # Another office's ticket is not this kiosk's business.
    assert client.get(f"/kiosk/pokrovskyi/ticket/{t['id']}").status_code == 404
    assert client.get("/kiosk/main/ticket/99999").status_code == 404


def test_ticket_json_and_qr(client, now):
    t = issue(client, {"service": "pickup"})
    view = client.get(f"/kiosk/main/ticket/{t['id']}.json").get_json()
    assert view["number"] == t["number"] == "Р-001" and view["ahead"] == 0 and view["ahead_text"] == "Ви наступні"
    assert view["service_name"] == "Видача результату послуги" and view["status_url"] == t["status_url"]
    assert view["qr_svg"].startswith("<svg") and view["issued_text"] == "Видано: 24.11.2026 11:00"
    r = client.get(f"/kiosk/main/ticket/{t['id']}/qr.svg")
    assert r.status_code == 200 and r.content_type.startswith("image/svg+xml") and b"<svg" in r.data
    en = client.get(f"/kiosk/main/ticket/{t['id']}.json?lang=en").get_json()
    assert en["service_name"] == "Receiving the result of a service" and en["ahead_text"] == "You are next"


def test_booking_ticket_carries_the_booked_time(client, now):
    main, svc = office(), service("17-02")
    db.session.add(Booking(code="246810", office_id=main.id, service_id=svc.id, day=TUESDAY.date(),
                           start=time(11, 30), end=time(11, 45), status="booked", manage_token_hash="x" * 64))
    db.session.commit()
    t = issue(client, {"booking_code": "246810"})
    assert t["note"] == "Вас викличуть близько 11:30."
    assert "Запис на 11:30" in client.get(f"/kiosk/main/ticket/{t['id']}").get_data(as_text=True)


# ------------------------------------------------------------------------------------------- ESC/POS

def _paper_of(client, ticket_id, lang=None):
    from flask import current_app
    with current_app.test_request_context(f"/kiosk/main?lang={lang or 'uk'}"):
        return kiosk.paper(kiosk.ticket_view(db.session.get(Ticket, ticket_id)))


def test_escpos_ticket_is_readable_cyrillic_with_a_native_qr(client, now):
    t = issue(client, {"service": "17-04"})
    printer = Dummy()
    ok, error = printing.print_ticket(None, _paper_of(client, t["id"]), "CP866", printer=printer)
    assert ok and error is None
    out = printer.output
    assert out.startswith(b"\x1b@")                 # ESC @ initialise
    assert b"\x1bt\x11" in out                      # ESC t 17: code page CP866
    for text in ("ТАЛОН", "З-001", "Видача довідки про наявність", "Орієнтовне очікування", "Видано: 24.11.2026 11:00"):
        assert printing.fit(text, "cp866").encode("cp866") in out, text
    assert "Видача дов".encode("cp866") in out      # plain Cyrillic bytes, not "?"
    assert out.count(b"?") == 0
    assert GS_K in out and b"1P0" + t["status_url"].encode() in out  # store the QR data, then print it
    assert b"\x1d(k\x03\x001Q0" in out
    assert out.rstrip().endswith(b"\x1dV\x00")      # full cut


def test_escpos_cp1125_keeps_ukrainian_letters(client, now):
    t = issue(client, {"service": "17-04"})
    printer = Dummy()
    assert printing.print_ticket(None, _paper_of(client, t["id"]), "CP1125", printer=printer)[0]
    assert b"\x1bt," in printer.output                # ESC t 44: CP1125
    assert "наявність у фізичної особи".encode("cp1125") in printer.output


class BrokenPrinter(Dummy):
    """A printer that dies mid-ticket, as one out of paper or unplugged does."""

    def _raw(self, msg):
        raise OSError("printer offline")


def test_print_endpoint_and_a_failing_printer_keeps_the_ticket(client, app, now, monkeypatch):
    t = issue(client, {"service": "pickup"})
    r = client.post(f"/kiosk/main/ticket/{t['id']}/print")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "printer_not_configured"

    app.config["KIOSK_PRINTER"] = "network:192.0.2.1"
    broken = BrokenPrinter()
    monkeypatch.setattr(printing, "open_printer", lambda spec: broken)
    r = client.post(f"/kiosk/main/ticket/{t['id']}/print")
    assert r.status_code == 502 and r.get_json()["error"]["code"] == "printer_error"
    assert "Надрукувати ще раз" in r.get_json()["error"]["message"]
    # Nothing lost: the ticket is waiting in the queue and its views still work.
    assert db.session.get(Ticket, t["id"]).status == "waiting"
    assert client.get(f"/api/v1/tickets/{t['id']}").get_json()["status"] == "waiting"
    assert client.get(f"/kiosk/main/ticket/{t['id']}").status_code == 200

    good = Dummy()
    monkeypatch.setattr(printing, "open_printer", lambda spec: good)
    r = client.post(f"/kiosk/main/ticket/{t['id']}/print")  # the reprint button
    assert r.status_code == 200 and r.get_json() == {"printed": True, "ticket": t["id"]}
    assert "Р-001".encode("cp866") in good.output and GS_K in good.output
    assert db.session.scalar(select(func.count(Ticket.id))) == 1  # printing never issues another ticket


def test_unreachable_network_printer_is_reported(client, app, now):
    from tests.conftest import free_port
    t = issue(client, {"service": "pickup"})
    app.config["KIOSK_PRINTER"] = f"network:127.0.0.1:{free_port()}"  # nobody listens there
    r = client.post(f"/kiosk/main/ticket/{t['id']}/print")
    assert r.status_code == 502 and r.get_json()["error"]["code"] == "printer_error"
    assert db.session.get(Ticket, t["id"]).status == "waiting"


def test_old_tickets_are_not_reprinted(client, app, now, monkeypatch):
    t = issue(client, {"service": "pickup"})
    app.config["KIOSK_PRINTER"] = "network:192.0.2.1"
    monkeypatch.setattr(printing, "open_printer", lambda spec: Dummy())
    now.now = TUESDAY + timedelta(hours=1)
    r = client.post(f"/kiosk/main/ticket/{t['id']}/print")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "too_old"


def test_fit_maps_what_cp866_lacks():
    assert printing.fit("ЦНАП «Віза» — ґанок №1", "cp866") == 'ЦНАП "Вiза" - ганок №1'
    assert printing.fit("ЦНАП «Віза»", "cp1125") == 'ЦНАП "Віза"'


def test_fake_now_from_the_environment(monkeypatch):
    import importlib
    import os

    import queue_app.clock as clock_module
    monkeypatch.setenv("QUEUE_FAKE_NOW", "2026-11-22T11:00:00+02:00")
    try:
        fresh = importlib.reload(clock_module)
        first = fresh.now()
        assert first.date() == date(2026, 11, 22) and first.hour == 11 and first.tzinfo == KYIV
        assert fresh.now() >= first  # it keeps ticking
    finally:
        os.environ.pop("QUEUE_FAKE_NOW", None)
        monkeypatch.delenv("QUEUE_FAKE_NOW", raising=False)
        importlib.reload(clock_module)
    assert abs((clock_module.now() - datetime.now(KYIV)).total_seconds()) < 5
