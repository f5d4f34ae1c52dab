"""The centre's catalogue (admins only): services (duration, ticket letter, documents of the card) and
priority categories."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from ..models import PriorityCategory, Service
from . import bp
from .access import apply, audit, require_admin
from .forms import PriorityForm, ServiceForm


@bp.get("/services")
def services():
    require_admin()
    rows = db.session.scalars(select(Service).order_by(Service.code)).all()
    return render_template("admin/services.html", rows=rows)


@bp.route("/services/<code>", methods=["GET", "POST"])
def service(code: str):
    require_admin()
    service = db.session.scalar(select(Service).where(Service.code == code)) or abort(404)
    form = ServiceForm(obj=service)
    if request.method == "GET":
        form.documents.data = "\n".join(service.card_data.get("documents", []) if service.card_data else [])
    if form.validate_on_submit():
        documents = [line.strip() for line in (form.documents.data or "").splitlines() if line.strip()]
        changes = apply(service, {"name": form.name.data.strip(), "duration_min": form.duration_min.data,
                                  "letter": (form.letter.data or "").strip() or None})
        card = dict(service.card_data or {})
        if card.get("documents", []) != documents:
            changes["documents"] = [len(card.get("documents", [])), len(documents)]
            card["documents"] = documents
            service.card_data = card
        if changes:
            audit("update", "service", service.code, f"Змінено послугу {service.code}", None, changes)
        db.session.commit()
        flash(_("Зміни збережено.") if changes else _("Змін немає."), "ok")
        return redirect(url_for("admin.services"))
    return render_template("admin/service.html", service=service, form=form), 200 if not form.errors else 422


@bp.get("/priorities")
def priorities():
    require_admin()
    rows = db.session.scalars(select(PriorityCategory).order_by(PriorityCategory.id)).all()
    return render_template("admin/priorities.html", rows=rows)


@bp.route("/priorities/new", methods=["GET", "POST"], defaults={"pc_id": None})
@bp.route("/priorities/<int:pc_id>", methods=["GET", "POST"])
def priority(pc_id: int | None):
    require_admin()
    row = db.session.get(PriorityCategory, pc_id) if pc_id else None
    if pc_id and row is None:
        abort(404)
    form = PriorityForm(obj=row)
    if form.validate_on_submit():
        clash = db.session.scalar(select(PriorityCategory).where(PriorityCategory.code == form.code.data))
        if clash is not None and clash is not row:
            form.code.errors.append(_("Категорія з таким кодом уже є."))
        else:
            values = {"code": form.code.data, "name": form.name.data.strip(),
                      "name_en": (form.name_en.data or "").strip(), "active": form.active.data}
            if row is None:
                row = PriorityCategory(**values)
                db.session.add(row)
                db.session.flush()
                audit("create", "priority", row.code, f"Додано пріоритетну категорію «{row.name}»", None,
                      {k: [None, v] for k, v in values.items()})
            else:
                changes = apply(row, values)
                if changes:
                    audit("update", "priority", row.code, f"Змінено пріоритетну категорію «{row.name}»", None,
                          changes)
            db.session.commit()
            flash(_("Збережено."), "ok")
            return redirect(url_for("admin.priorities"))
    return render_template("admin/priority.html", row=row, form=form), 200 if not form.errors else 422
