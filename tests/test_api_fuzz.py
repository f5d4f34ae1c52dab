"""Issue 8: schemathesis drives every operation of the served OpenAPI document against the in-process app.

Each operation is one pytest item with its own migrated and seeded database (the conftest fixtures), a
clock inside reception hours, tickets, a booking, a case and an admin's bearer token, so staff operations
get past 401. Checks: never a 5xx; every error is the contract's {"error": {"code", "message"}}; statuses,
content types and bodies are the ones the spec declares; input the spec calls invalid is refused.
Bounded (25 examples an operation, plus schemathesis' coverage cases) and derandomized, so CI is reproducible.
"""
import random
import zlib
from datetime import date, datetime, time

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import (content_type_conformance, negative_data_rejection,
                                                response_schema_conformance, status_code_conformance)
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from queue_app import clock, tickets
from queue_app.api.auth import issue_token
from queue_app.bookings import create_booking
from queue_app.cases import create_case
from queue_app.extensions import db
from queue_app.models import Office, Service, Staff
from scheduling import KYIV

from .conftest import make_app

TUESDAY = datetime(2026, 11, 24, 11, 0, tzinfo=KYIV)  # main office receives 09:00–20:00
CASE_CODE = "123456"
PASSWORD = "fuzz-secret-pass"
PASSWORD_HASH = generate_password_hash(PASSWORD)  # once: hashing costs a fifth of a second

# What exists in the current test's database, by the kind of path and the name of a value. Random strings
# almost never name an office or a ticket, so most generated values are swapped for these (see
# _name_real_things) to get past 404 into the endpoints' own validation.
REAL: dict[str, dict[str, list]] = {}


def _seed() -> str:
    """Tickets 1…4, a booking, a case and an admin in the test's database; returns the admin's token."""
    office = db.session.scalar(select(Office).where(Office.code == "main"))
    pickup = db.session.scalar(select(Service).where(Service.code == "pickup"))
    for _ in range(4):
        tickets.issue_ticket(office, pickup)
    booking, manage_token = create_booking(office, pickup, date(2026, 11, 25), time(10, 0), "Олена Петренко",
                                           "+380671234567")
    create_case(office, pickup, "+380671234567", code=CASE_CODE)
    admin = Staff(username="fuzz-admin", role="admin", password_hash=PASSWORD_HASH)
    db.session.add(admin)
    db.session.commit()
    windows = [w.id for w in office.windows]
    offices, services = ["main", "pokrovskyi"], ["pickup", "17-02", "17-10"]
    days = ["2026-11-24", "2026-11-25", "2026-11-28"]
    REAL.update(
        office={"code": offices, "office": offices, "from": days, "to": days, "date": days, "service": services},
        service={"code": services, "office": offices},
        booking={"code": [booking.code], "token": [manage_token]},
        case={"code": [CASE_CODE]},
        ticket={"ticket_id": [1, 2, 3, 4]},
        window={"window_id": windows, "ticket_id": [1, 2, 3, 4]},
        body={"office": offices, "service": services, "date": days, "start": ["10:00", "10:30", "15:00"],
              "booking_code": [booking.code], "case_code": [CASE_CODE], "code": [CASE_CODE],
              "phone": ["+380671234567", "0501234567"], "name": ["Іван Франко"], "window": windows,
              "username": ["fuzz-admin"], "password": [PASSWORD], "category": ["veteran", "pregnant"]},
    )
    return issue_token(admin)


@pytest.fixture
def token(app, monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: TUESDAY)
    with app.test_request_context():  # the booking's SMS builds links
        yield _seed()
    REAL.clear()


def contract_error(ctx, response, case):
    """Every 4xx/5xx is the contract's JSON error: a non-empty code and message, and nothing else."""
    if response.status_code < 400:
        return None
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    assert all(isinstance(v, str) and v for v in body["error"].values()), body
    return True


# The document as the app serves it; serving it reads no database, so an empty in-memory one will do.
# Each operation then calls the app of its own test (schemathesis.pytest.from_fixture would run all
# operations on one fixture, and does not work on pytest 9).
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", make_app("sqlite://"),
                                        config=SchemathesisConfig(seed=8))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          negative_data_rejection, contract_error]


def _kind(path: str) -> str:
    if path == "/api/v1/services":
        return "service"
    return next((kind for kind in ("office", "service", "booking", "case", "ticket", "window")
                 if path.startswith(f"/api/v1/{kind}s/")), "")


def _name_real_things(case) -> None:
    """Swap three in four generated values that have a real counterpart for one, but only in the parts
    generated valid: a part generated invalid must stay invalid for the negative-data check. The coin is
    seeded by the case itself, so a run is reproducible (`@schema.given` cannot be combined with the spec's
    examples)."""
    coin = random.Random(zlib.crc32(repr((case.path_parameters, case.query, case.body)).encode()))
    for attr, location in (("path_parameters", ParameterLocation.PATH), ("query", ParameterLocation.QUERY),
                           ("body", ParameterLocation.BODY)):
        values = getattr(case, attr)
        if not isinstance(values, dict) or case.meta is None or case.meta.is_negative_at(location):
            continue
        real = REAL["body"] if location is ParameterLocation.BODY else REAL.get(_kind(case.operation.path), {})
        for name in values:
            if name in real and coin.random() < 0.75:
                values[name] = coin.choice(real[name])


@schema.parametrize()
@settings(max_examples=25, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_api(case, app, token):
    _name_real_things(case)
    # A case generated with invalid headers is about a missing or broken token: don't mend it.
    broken_auth = case.meta is not None and case.meta.is_negative_at(ParameterLocation.HEADER)
    case.call_and_validate(app=app, headers={} if broken_auth else {"Authorization": f"Bearer {token}"},
                           checks=CHECKS)
