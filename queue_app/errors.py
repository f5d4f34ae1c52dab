"""One error format: the contract's JSON on the API, a readable Ukrainian page elsewhere; and the input no
route should ever see (ids past the id columns, NULs) refused before it reaches one."""
import logging
import traceback

from flask import jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

log = logging.getLogger(__name__)

# The contract's codes for the generic HTTP statuses.
HTTP_CODES = {
    400: "malformed", 401: "not_authenticated", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 409: "conflict", 413: "too_large", 415: "unsupported_media_type",
    422: "invalid", 429: "too_many_requests",
}


MAX_ROW_ID = 2**31 - 1  # the id columns are PostgreSQL integers


class RowIdConverter(IntegerConverter):
    """`<int:…>` in every route. An id past MAX_ROW_ID cannot name a row: the route does not match (a 404)
    rather than the query overflowing (a 500)."""

    def __init__(self, url_map, **kwargs):
        kwargs.setdefault("max", MAX_ROW_ID)
        super().__init__(url_map, **kwargs)


class ApiError(Exception):
    """Raised anywhere in a request; becomes {"error": {"code", "message"}} with its status."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _wants_json() -> bool:
    # A *.json address is read by a script (the kiosk, the dashboards), which parses its errors too.
    return (request.path.startswith("/api/") or request.path.endswith(".json") or request.path == "/healthz"
            or request.accept_mimetypes.best == "application/json")


def error_response(status: int, code: str, message: str):
    if _wants_json():
        return jsonify(error={"code": code, "message": message}), status
    return render_template("error.html", status=status, message=message), status


def _messages() -> dict:
    return {
        400: _("Запит не вдалося прочитати."),
        401: _("Потрібно увійти."),
        403: _("Немає доступу."),
        404: _("Сторінку або запис не знайдено."),
        405: _("Цей метод тут не підтримується."),
        409: _("Конфлікт: стан змінився, спробуйте ще раз."),
        413: _("Запит завеликий."),
        422: _("Неправильні значення."),
        429: _("Забагато запитів. Спробуйте трохи згодом."),
    }


def register(app):
    # Before the blueprints: a rule takes its converters when it is added.
    app.url_map.converters["int"] = RowIdConverter

    @app.before_request
    def _refuse_nul():
        # PostgreSQL text cannot hold a NUL, and no address or form field of ours means one: refuse it here
        # with a clear 400 rather than let a query fail on it (a 500) or SQLite store it.
        pairs = [("", request.path), *request.args.items(multi=True)]
        if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            pairs += request.form.items(multi=True)
        if any("\x00" in key or "\x00" in value for key, value in pairs):
            raise ApiError(400, "malformed", _("Запит містить недопустимі символи."))

    @app.errorhandler(ApiError)
    def on_api_error(err: ApiError):
        return error_response(err.status, err.code, err.message)

    @app.errorhandler(CSRFError)
    def on_csrf_error(_err: CSRFError):
        return error_response(400, "csrf_failed", _("Сторінка застаріла або форму надіслано не з неї. Оновіть сторінку й спробуйте ще раз."))

    @app.errorhandler(HTTPException)
    def on_http_error(err: HTTPException):
        status = err.code or 500
        if status >= 500:
            return on_unexpected(err)
        message = _messages().get(status, err.description)
        return error_response(status, HTTP_CODES.get(status, "error"), message)

    @app.errorhandler(OperationalError)
    def on_database_down(err: OperationalError):
        # A locked or unreachable database is a temporary state, not a bug: say so, don't crash.
        log.error("database unavailable on %s %s: %s", request.method, request.path, type(err.orig).__name__)
        from .extensions import db
        db.session.rollback()
        return error_response(503, "database_unavailable", _("Сервіс тимчасово недоступний. Спробуйте за хвилину."))

    @app.errorhandler(Exception)
    def on_unexpected(err: Exception):
        # The stack goes to the log, never to the client; the message does not: a database error quotes
        # the row it refused (names, phones).
        log.error("unhandled %s on %s %s\n%s", type(err).__name__, request.method, request.path,
                  "".join(traceback.format_tb(err.__traceback__)))
        from .extensions import db
        db.session.rollback()
        return error_response(500, "internal", _("Внутрішня помилка. Ми вже знаємо про неї; спробуйте ще раз."))
