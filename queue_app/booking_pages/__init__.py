"""Citizens' booking pages (mobile first), the private manage link, the public case status page,
the «documents ready» link, and the managers' QR posters and no-show list.

/book                      office → category → service → calendar → time (deep link: ?office=&service=)
/book/hold (POST)          holds the chosen slot for BOOKING_HOLD_MINUTES
/book/details/<code>       name and phone; /book/verify/<code> the SMS code when BOOKING_VERIFY_PHONE is on
/b/<code>?t=TOKEN          the confirmation and manage page: QR, .ics, documents, cancel, move
/r/<case>/<signature>      the link of the «documents ready» SMS: a pick-up booking tied to the case
/status                    «Перевір стан документу/справи»: a case's status from its code alone
/book/posters …            printable QR posters per office and service (managers)
/book/no-shows             no-shows per phone, forgive or block (managers)
/cases                     staff: create cases and change their status
"""
from . import manage, public, staff, steps  # noqa: F401  (the routes register on bp)
from .common import bp
from .manage import booking_ics

__all__ = ["bp", "booking_ics"]
