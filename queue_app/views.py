"""Pages and endpoints that belong to no audience: the health check and the start page."""
from flask import Blueprint, jsonify, render_template
from sqlalchemy import select

from .extensions import db
from .models import Office

bp = Blueprint("views", __name__)


@bp.get("/healthz")
def healthz():
    db.session.execute(select(1))  # can we reach the database?
    return jsonify(status="ok")


@bp.get("/")
def index():
    offices = db.session.scalars(select(Office).order_by(Office.id)).all()
    return render_template("index.html", offices=offices)
