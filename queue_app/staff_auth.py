"""Staff sign-in for the pages (operator, admin); the API uses bearer tokens instead."""
from functools import wraps
from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from .extensions import db, limiter, login_manager
from .models import Staff

bp = Blueprint("auth", __name__)
login_manager.login_view = "auth.login"
login_manager.login_message = _l("Увійдіть, щоб продовжити.")


class LoginForm(FlaskForm):
    username = StringField(_l("Ім'я користувача"), validators=[DataRequired(), Length(max=80)])
    password = PasswordField(_l("Пароль"), validators=[DataRequired(), Length(max=200)])


def _safe_next(target: str | None) -> str | None:
    """Only same-site paths: never an open redirect."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return None


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def login():
    form = LoginForm()
    if request.method == "GET":
        return render_template("login.html", form=form)
    if not form.validate():
        flash(_l("Заповніть форму ще раз: ім'я та пароль обов'язкові."), "error")
        return render_template("login.html", form=form), 422
    staff = db.session.scalar(select(Staff).where(Staff.username == form.username.data))
    if staff is None or not staff.active or not staff.check_password(form.password.data):
        flash(_l("Неправильне ім'я користувача або пароль."), "error")
        return render_template("login.html", form=form), 401
    login_user(staff)
    return redirect(_safe_next(request.args.get("next")) or url_for("operator.choose"))


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    return redirect(url_for("auth.login"))


def roles_required(*roles: str):
    """A signed-in account with one of `roles`; others get 403."""
    def decorate(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)
        return wrapped
    return decorate
