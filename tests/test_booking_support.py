"""Shared helpers of the issue-6 tests (booking pages, notifications, cases). No tests here."""
from datetime import date, datetime

from sqlalchemy import select

from queue_app.extensions import db
from queue_app.models import Office, OfficeService, Outbox, Service, Staff
from scheduling import KYIV

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=KYIV)  # a Monday, 10:00 in Kryvyi Rih
MONDAY = date(2026, 11, 30)
TUESDAY = date(2026, 12, 1)


class Clock:
    """A movable clock for queue_app.clock.now."""

    def __init__(self, moment: datetime = NOW):
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment


def office(code: str) -> Office:
    return db.session.scalar(select(Office).where(Office.code == code))


def service(code: str) -> Service:
    return db.session.scalar(select(Service).where(Service.code == code))


def one_window_one_place(office_code: str = "pokrovskyi", service_code: str = "pickup"):
    """One active window serving the service, nothing kept for walk-ins: one place a slot."""
    o, s = office(office_code), service(service_code)
    windows = [w for w in o.windows if s in w.services]
    for w in o.windows:
        w.active = w is windows[0]
    db.session.get(OfficeService, (o.id, s.id)).walk_in_share = 0.0
    db.session.commit()
    return o, s


def api_book(client, start="10:00", phone="+380671234567", day=MONDAY, **extra):
    body = {"office": "pokrovskyi", "service": "pickup", "date": day.isoformat(), "start": start,
            "name": "Олена Петренко", "phone": phone} | extra
    return client.post("/api/v1/bookings", json=body)


def staff(username: str = "manager1", role: str = "manager", office_code: str | None = "pokrovskyi",
          password: str = "secret-pass-1") -> Staff:
    account = Staff(username=username, role=role, office=office(office_code) if office_code else None)
    account.set_password(password)
    db.session.add(account)
    db.session.commit()
    return account


def login(client, username: str = "manager1", password: str = "secret-pass-1"):
    return client.post("/login", data={"username": username, "password": password})


def token(client, username: str = "manager1", password: str = "secret-pass-1") -> str:
    r = client.post("/api/v1/auth/token", json={"username": username, "password": password})
    assert r.status_code == 200, r.get_json()
    return r.get_json()["token"]


def outbox(kind: str | None = None) -> list[Outbox]:
    db.session.expire_all()
    query = select(Outbox).order_by(Outbox.id)
    if kind:
        query = query.where(Outbox.kind == kind)
    return list(db.session.scalars(query).all())


class RecordingGateway:
    """An SMS gateway for tests: records what it sends; fails the first `fail` calls."""

    def __init__(self, fail: int = 0):
        self.fail, self.sent, self.calls = fail, [], 0

    def send(self, phone, text, kind, message_id=None):
        self.calls += 1
        if self.calls <= self.fail:
            raise ConnectionError("gateway down")
        self.sent.append((message_id, kind, phone, text))
