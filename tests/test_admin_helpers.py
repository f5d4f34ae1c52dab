"""Shared helpers of the administration tests (issue 7); no tests here.

`schema` makes sure the tables of models/admin.py exist in the per-test database: until the initial
migration is regenerated from the models it does not create them (db.create_all() only adds what is
missing, so this is a no-op afterwards).
"""
from datetime import datetime

import pytest
from sqlalchemy import select

from queue_app import clock
from queue_app.extensions import db
from queue_app.models import Office, Service, Staff
from scheduling import KYIV

TUESDAY = datetime(2026, 11, 24, 11, 0, tzinfo=KYIV)  # main office: reception 09:00–20:00
PASSWORD = "secret-pass-1"


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


def ensure_schema() -> None:
    db.create_all()
    db.session.commit()


@pytest.fixture
def schema(app):
    ensure_schema()
    return app


@pytest.fixture
def now(monkeypatch):
    c = Clock(TUESDAY)
    monkeypatch.setattr(clock, "now", c)
    return c


def office(code="main") -> Office:
    return db.session.scalar(select(Office).where(Office.code == code))


def service(code) -> Service:
    return db.session.scalar(select(Service).where(Service.code == code))


def make_staff(username: str, role: str, office_code: str | None = "main") -> Staff:
    person = Staff(username=username, role=role, office=office(office_code) if office_code else None)
    person.set_password(PASSWORD)
    db.session.add(person)
    db.session.commit()
    return person


def login(client, staff: Staff):
    """Sign `staff` in on this client. The tests' app context outlives requests, so Flask-Login's
    per-context cache of the user (g._login_user) is dropped too."""
    from flask import g
    g.pop("_login_user", None)
    with client.session_transaction() as sess:
        sess["_user_id"] = str(staff.id)
        sess["_fresh"] = True
    return client


@pytest.fixture
def admin_client(schema, client):
    return login(client, make_staff("boss", "admin", None))


@pytest.fixture
def manager_client(schema, client):
    return login(client, make_staff("main-manager", "manager", "main"))
