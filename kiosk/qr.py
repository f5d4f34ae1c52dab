"""QR codes as SVG (segno), inline in the page and on the printable ticket; no JavaScript library needed."""
from functools import lru_cache

import segno


@lru_cache(maxsize=512)
def qr_svg(url: str, scale: int = 6, standalone: bool = False) -> str:
    """The QR of `url` as SVG markup: black on white, quiet zone included, titled for screen readers."""
    qr = segno.make(url, error="m", micro=False)
    if standalone:
        import io
        buf = io.BytesIO()
        qr.save(buf, kind="svg", scale=scale, dark="#000", light="#fff", border=4,
                title="QR", xmldecl=True, svgns=True)
        return buf.getvalue().decode()
    return qr.svg_inline(scale=scale, dark="#000", light="#fff", border=4, svgclass="qr", lineclass=None,
                         omitsize=True)  # a viewBox only: CSS sizes it
