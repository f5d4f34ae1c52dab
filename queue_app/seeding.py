"""Loads the reviewed reference data (data/*.yaml) into the database; running it again changes nothing."""
import secrets
from pathlib import Path

import yaml
from sqlalchemy import select

from .extensions import db
from .models import Office, OfficeService, PriorityCategory, Schedule, Service, ServiceCategory, Staff, Window

DATA = Path(__file__).parent / "data"


def load_yaml(name: str) -> dict:
    return yaml.safe_load((DATA / name).read_text(encoding="utf-8"))


def _upsert(model, key: dict, values: dict):
    """Find the row by `key`; create it or set `values` only where they differ (so a re-run writes nothing)."""
    row = db.session.scalar(select(model).filter_by(**key))
    if row is None:
        row = model(**key, **values)
        db.session.add(row)
        return row, True
    for attr, value in values.items():
        if getattr(row, attr) != value:
            setattr(row, attr, value)
    return row, False


def _regime_dict(spec: dict) -> dict:
    return {"name": spec["name"], "weekly": spec["weekly"], "nth": spec.get("nth", []),
            "valid_from": spec.get("valid_from"), "valid_to": spec.get("valid_to"),
            "appointment_only": spec.get("appointment_only", False), "priority": spec.get("priority", 0)}


def _services(ref: dict) -> list[dict]:
    cards = load_yaml("services.yaml")["services"]
    return cards + [ref["pickup_service"]]


CARD_FIELDS = ("legal_basis", "fee", "term", "documents", "submission", "result", "result_delivery",
               "refusal_grounds", "bundles", "notes")


def seed(demo: bool = False) -> dict:
    """Load reference data; with `demo`, also give offices that have no windows the demo windows."""
    ref = load_yaml("reference.yaml")
    counts = {"categories": 0, "services": 0, "offices": 0, "windows": 0}
    categories = {}
    for pos, spec in enumerate(ref["categories"]):
        row, new = _upsert(ServiceCategory, {"code": spec["code"]},
                           {"name": spec["name"], "name_en": spec["name_en"], "letter": spec["letter"], "position": pos})
        categories[spec["code"]] = row
        counts["categories"] += new
    db.session.flush()
    for spec in ref["priority_categories"]:  # added when missing, never overwritten: the admin owns them
        if db.session.scalar(select(PriorityCategory).where(PriorityCategory.code == spec["code"])) is None:
            db.session.add(PriorityCategory(code=spec["code"], name=spec["name"], name_en=spec["name_en"]))

    services = {}
    for spec in _services(ref):
        row, new = _upsert(Service, {"code": spec["code"]}, {
            "card": spec.get("card"), "name": spec["name"], "name_en": spec.get("name_en", ""),
            "category_id": categories[spec["category"]].id, "provider": spec.get("provider", ""),
            "duration_min": spec["duration_min"],
            "card_data": {k: spec[k] for k in CARD_FIELDS if k in spec}})
        services[spec["code"]] = row
        counts["services"] += new
    db.session.flush()

    defaults = ref["service_defaults"]
    for spec in ref["offices"]:
        spec = {**ref["territorial_defaults"], **spec}
        office, new = _upsert(Office, {"code": spec["code"]}, {
            k: spec[k] for k in ("kind", "name", "name_en", "address", "cabinet")})
        counts["offices"] += new
        db.session.flush()
        for key in spec["regimes"]:
            _upsert(Schedule, {"office_id": office.id, "key": key}, {"rules": _regime_dict(ref["regimes"][key])})
        for service in services.values():
            if db.session.get(OfficeService, (office.id, service.id)) is None:
                db.session.add(OfficeService(office_id=office.id, service_id=service.id,
                                             bookable=defaults["bookable"], walk_in_share=defaults["walk_in_share"]))
        if demo and not office.windows:
            counts["windows"] += _demo_windows(office, spec["windows"], services)
            _demo_operators(office, spec["operators"])
    db.session.commit()
    return counts


def _demo_operators(office: Office, count: int) -> None:
    """Operator accounts for the staffing plan; their passwords are random and unknown, so nobody
    signs in as them until a manager sets one."""
    for n in range(1, count + 1):
        staff = Staff(username=f"{office.code}-op{n:02d}", role="operator", office=office)
        staff.set_password(secrets.token_urlsafe(24))
        db.session.add(staff)


def _demo_windows(office: Office, specs: list[dict], services: dict[str, Service]) -> int:
    for spec in specs:
        serves = set(spec["serves"])
        db.session.add(Window(office=office, number=spec["number"],
                              services=[s for s in services.values() if s.category.code in serves]))
    return len(specs)
