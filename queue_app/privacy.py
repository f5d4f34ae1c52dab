"""Masks for personal data on screens that do not need it in full.

mask_phone("+380671234567") -> "+38067***4567"; mask_name("Олена Петренко") -> "О. П.".
A value that is already erased (None or empty) shows as "—". Neither function logs anything.
"""
import re

ERASED = "—"


def mask_phone(phone: str | None) -> str:
    """Keep the country and operator code and the last four digits: enough to tell numbers apart."""
    if not phone:
        return ERASED
    digits = re.sub(r"[^\d+]", "", phone)
    if len(digits) == 10 and digits.startswith("0"):  # a local number: show it as the international one
        digits = "+38" + digits
    elif digits.startswith("380"):
        digits = "+" + digits
    if len(digits) < 10:
        return "***"
    return digits[:6] + "***" + digits[-4:]


def mask_name(name: str | None) -> str:
    """Initials only: «Олена Петренко» -> «О. П.»; a hyphenated part keeps its initial too («Анна-Марія» -> «А.-М.»)."""
    if not name or not name.strip():
        return ERASED
    parts = []
    for word in name.split():
        pieces = [p for p in word.split("-") if p]
        letters = [next((c for c in p if c.isalpha()), "") for p in pieces]
        initials = "-".join(f"{c.upper()}." for c in letters if c)
        if initials:
            parts.append(initials)
    return " ".join(parts) or ERASED


__all__ = ["ERASED", "mask_name", "mask_phone"]
