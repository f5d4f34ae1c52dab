"""The slots query for a month of the main office: p50/p99 per query. Target p99 ≤ 50 ms.

Run: .venv/bin/python -m bench.bench_slots   (from the repository root)
A fresh SQLite database (or BENCH_DATABASE_URL) is seeded, a month of bookings is made, then every
bookable service's slots are asked for every date of the month through the real Flask app.
"""
import os
import random
import time
from datetime import date, timedelta

os.environ.setdefault("QUEUE_FAKE_NOW", "2026-11-23T08:00:00+02:00")

from bench.common import fresh_database, percentile, print_table, result  # noqa: E402


def main():
    url = fresh_database("slots")
    from queue_app import create_app
    from queue_app.bookings import available_slots, create_booking
    from queue_app.errors import ApiError
    from queue_app.extensions import db
    from queue_app.models import Office, Service
    from sqlalchemy import select

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False, "SOCKETIO_ASYNC_MODE": "threading"})
    rnd = random.Random(7)
    start = date(2026, 11, 24)
    days = [start + timedelta(days=i) for i in range(30)]
    with app.app_context():
        office = db.session.scalar(select(Office).where(Office.code == "main"))
        services = db.session.scalars(select(Service).order_by(Service.code)).all()
        booked = 0
        for d in days:  # fill a share of each open day, as citizens would
            for service in rnd.sample(services, 12):
                free = [s for s in available_slots(office, service, d) if s.free > 0]
                for slot in rnd.sample(free, min(len(free), 4)):
                    try:
                        create_booking(office, service, d, slot.start, "Бенч Тест", f"+38067{booked:07d}")
                        booked += 1
                    except ApiError:
                        db.session.rollback()
        client = app.test_client()
        timings = []
        for d in days:
            for service in services:
                t0 = time.perf_counter()
                r = client.get(f"/api/v1/offices/main/slots?service={service.code}&date={d}")
                timings.append((time.perf_counter() - t0) * 1000)
                assert r.status_code == 200, r.get_data(as_text=True)
    print(f"slots query, main office, {len(days)} days x {len(services)} services, {booked} bookings in the month")
    p50, p99 = percentile(timings, 50), percentile(timings, 99)
    print_table(["figure", "queries", "p50 ms", "p99 ms", "target", "result"],
                [["slots query (main, a month)", len(timings), p50, p99, "p99 <= 50 ms", "PASS" if p99 <= 50 else "FAIL"]])
    result("slots query, main office, a month (p50/p99)", "p99 <= 50 ms", f"{p50:.1f} / {p99:.1f} ms", p99 <= 50)


if __name__ == "__main__":
    main()
