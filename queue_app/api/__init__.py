"""The public interface of ../shared/contract/api-v1.md, under /api/v1."""
from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from . import auth, bookings, cases, offices, openapi, queue, services, tickets  # noqa: E402,F401  (routes register on bp)
