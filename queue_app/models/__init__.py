"""The data model of the domain; import models from here."""
from .admin import AuditLog, RetentionPolicy
from .office import (Closure, Office, OfficeService, PriorityCategory, Schedule, Service, ServiceCategory, Window,
                     window_services)
from .queue import (ACTIVE_BOOKING, ACTIVE_TICKET, BOOKING_STATUSES, CASE_STATUSES, TICKET_STATUSES, Booking, Case,
                    Event, OfficeDay, StaffPlan, Ticket, TicketCounter, status_in)
from .notify import OUTBOX_STATUSES, Outbox, PhoneRestriction, PhoneVerification
from .planning import PlanJob
from .staff import ROLES, Staff, staff_skills
from .types import UTCDateTime, utcnow

__all__ = [
    "ACTIVE_BOOKING", "ACTIVE_TICKET", "AuditLog", "BOOKING_STATUSES", "CASE_STATUSES", "OUTBOX_STATUSES", "Outbox", "PhoneRestriction",
    "PhoneVerification", "ROLES", "RetentionPolicy", "TICKET_STATUSES", "Booking", "Case",
    "Closure", "Event", "Office", "OfficeDay", "OfficeService", "PlanJob", "PriorityCategory", "Schedule", "Service", "ServiceCategory",
    "Staff", "StaffPlan", "Ticket", "TicketCounter", "UTCDateTime", "Window", "staff_skills", "status_in", "utcnow",
    "window_services",
]
