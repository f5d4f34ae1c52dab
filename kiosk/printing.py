"""Direct printing of a kiosk ticket on an ESC/POS thermal printer (80 mm roll) with python-escpos 3.1.

Optional: with KIOSK_PRINTER unset the kiosk prints through the browser (Chromium --kiosk-printing).
KIOSK_PRINTER (app config or environment) is one printer for every kiosk, or one per kiosk name:

    network:192.168.1.50          network:192.168.1.50:9100        usb:04b8:0202   (VID:PID, hex)
    main-1=network:10.0.0.21;main-2=usb:0416:5011;*=network:10.0.0.20

Cyrillic: the printer is switched to one fixed code page (KIOSK_PRINTER_CODEPAGE, default CP866,
which every Cyrillic ESC/POS printer has; CP1125 also carries і/ґ where the printer supports it),
and the text is mapped into it first, so nothing ever prints as "?" soup. The QR code is the
printer's own (GS ( k), not a raster image: sharp and quick.

A failing printer never loses a ticket: the ticket is already in the database and on the screen;
print_ticket() reports the failure instead of raising.
"""
from __future__ import annotations

import logging
import os
import textwrap
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

COLUMNS = 48  # font A on an 80 mm roll (72 mm printable)
DEFAULT_CODEPAGE = "CP866"

# Characters that a DOS Cyrillic code page lacks, mapped to look-alikes that it has.
_FALLBACK = {
    "і": "i", "І": "I", "ґ": "г", "Ґ": "Г", "«": '"', "»": '"', "„": '"', "“": '"', "”": '"',
    "’": "'", "ʼ": "'", "‘": "'", "`": "'", "—": "-", "–": "-", "…": "...", "№": "N", "\u00a0": " ",
    "~": "~",
}


class PrinterNotConfigured(Exception):
    pass


@dataclass
class TicketPrint:
    """What goes on paper; every text already in the kiosk's language."""

    number: str
    service: str
    office: str
    issued: str  # "24.11.2026 11:00"
    status_url: str
    lines: list[str] = field(default_factory=list)  # people ahead, wait, note
    header: str = "ЦНАП «Віза»"
    title: str = "Талон"
    qr_hint: str = ""


def printer_spec(config_value: str | None, kiosk: str | None = None) -> str | None:
    """The printer of this kiosk from KIOSK_PRINTER; None = browser printing only."""
    value = (config_value if config_value is not None else os.environ.get("KIOSK_PRINTER", "")).strip()
    if not value:
        return None
    if "=" not in value:
        return value
    table = {}
    for part in value.replace(",", ";").split(";"):
        if "=" in part:
            name, spec = part.split("=", 1)
            table[name.strip()] = spec.strip()
    return table.get(kiosk or "") or table.get("*") or None


def open_printer(spec: str, profile: str | None = None):
    """An escpos printer object for `network:HOST[:PORT]` or `usb:VID:PID`."""
    kind, _, rest = spec.partition(":")
    if kind == "network":
        from escpos.printer import Network
        host, _, port = rest.rpartition(":") if rest.count(":") == 1 else (rest, "", "")
        host = host or rest
        return Network(host, port=int(port or 9100), timeout=5, profile=profile)
    if kind == "usb":
        from escpos.printer import Usb
        vid, _, pid = rest.partition(":")
        return Usb(int(vid, 16), int(pid, 16), timeout=0, profile=profile)
    raise PrinterNotConfigured(f"unknown printer kind in KIOSK_PRINTER: {spec!r}")


def fit(text: str, codepage: str) -> str:
    """The text with every character the code page cannot carry replaced by a look-alike."""
    out = []
    for ch in text:
        try:
            ch.encode(codepage)
            out.append(ch)
        except UnicodeEncodeError:
            alt = _FALLBACK.get(ch, "?")
            try:
                alt.encode(codepage)
            except UnicodeEncodeError:
                alt = "?"
            out.append(alt)
    return "".join(out)


def _wrapped(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width=width, break_long_words=True)) + "\n"


def render(printer, ticket: TicketPrint, codepage: str = DEFAULT_CODEPAGE) -> None:
    """Send one ticket to an escpos printer object (a real one, or escpos.printer.Dummy in tests)."""
    def t(s: str) -> str:
        return fit(s, codepage)

    printer.hw("INIT")
    printer.charcode(codepage)  # ESC t n: the printer's table for this code page; text is encoded to match
    printer.set(align="center", bold=True)
    printer.text(_wrapped(t(ticket.header), COLUMNS))
    printer.set(align="center", bold=False)
    printer.text(_wrapped(t(ticket.office), COLUMNS))
    printer.text("\n")
    printer.set(align="center", bold=True, double_width=True, double_height=True)
    printer.text(t(ticket.title.upper()) + "\n")
    printer.set(align="center", bold=True, custom_size=True, width=4, height=4)
    printer.text(t(ticket.number) + "\n")
    printer.set(align="center", bold=True, normal_textsize=True)
    printer.text(_wrapped(t(ticket.service), COLUMNS))
    printer.set(align="center", bold=False, normal_textsize=True)
    for line in ticket.lines:
        printer.text(_wrapped(t(line), COLUMNS))
    printer.text(t(ticket.issued) + "\n")
    printer.text("\n")
    printer.qr(ticket.status_url, native=True, size=6, center=False)
    if ticket.qr_hint:
        printer.text(_wrapped(t(ticket.qr_hint), COLUMNS))
    printer.text("\n")
    printer.cut()


def print_ticket(spec: str | None, ticket: TicketPrint, codepage: str | None = None,
                 printer=None) -> tuple[bool, str | None]:
    """Print; (True, None) on success, (False, reason) on any failure. Never raises."""
    codepage = (codepage or os.environ.get("KIOSK_PRINTER_CODEPAGE") or DEFAULT_CODEPAGE).upper()
    try:
        if printer is None:
            if not spec:
                raise PrinterNotConfigured("KIOSK_PRINTER is not set")
            printer = open_printer(spec)
        render(printer, ticket, codepage)
        return True, None
    except Exception as exc:  # escpos errors, OSError, usb.core.USBError, socket timeouts …
        log.warning("ticket %s not printed on %s: %s: %s", ticket.number, spec, type(exc).__name__, exc)
        return False, f"{type(exc).__name__}: {exc}"[:300]
    finally:
        if printer is not None:
            try:
                printer.close()
            except Exception:  # noqa: BLE001  (closing a dead printer may fail too)
                pass
