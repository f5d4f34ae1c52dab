"""The one rule for names kept in two languages (offices, services, categories): English when the
page is in English and the row has an English name, Ukrainian otherwise."""
from flask_babel import get_locale


def loc(row) -> str:
    if str(get_locale()) == "en" and getattr(row, "name_en", ""):
        return row.name_en
    return row.name
