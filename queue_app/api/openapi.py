"""GET /api/v1/openapi.json: the whole API, from the reviewed openapi.yaml beside this file."""
from functools import cache
from pathlib import Path

import yaml
from flask import jsonify

from . import bp


@cache
def spec() -> dict:
    return yaml.safe_load((Path(__file__).parent / "openapi.yaml").read_text(encoding="utf-8"))


@bp.get("/openapi.json")
def openapi():
    return jsonify(spec())
