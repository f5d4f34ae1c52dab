"""The kiosk's own catalogue (kiosk/translations/<lang>/LC_MESSAGES/messages.po), merged into the app's.

The .mo files are compiled from the .po files when they are missing or older (as `make translations`
does for the app's catalogue); a read-only tree just keeps the .mo it has.
"""
from pathlib import Path


def ensure_compiled(root: Path) -> None:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po
    for po in root.glob("*/LC_MESSAGES/*.po"):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        try:
            with po.open("rb") as f:
                catalog = read_po(f)
            tmp = mo.with_suffix(".mo.tmp")
            with tmp.open("wb") as f:
                write_mo(f, catalog)
            tmp.replace(mo)
        except OSError:
            pass
