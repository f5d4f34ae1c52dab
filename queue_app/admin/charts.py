"""Small charts as inline SVG, drawn on the server: no script, no CDN, readable when printed."""
from markupsafe import Markup, escape


def _fmt(v) -> str:
    return f"{v:,}".replace(",", " ") if isinstance(v, int) else str(v)


def bars(values: list, labels: list[str], title: str, width: int = 720, height: int = 220,
         color: str = "#0b5cad", every: int = 1) -> Markup:
    """A vertical bar chart with a value on top of each bar (when there is room) and a label every `every`."""
    n = max(len(values), 1)
    top = max(values or [0]) or 1
    left, bottom, pad = 8, 28, 18
    bw = (width - left * 2) / n
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">',
             f"<title>{escape(title)}</title>"]
    for i, v in enumerate(values):
        h = (height - bottom - pad) * v / top
        x, y = left + i * bw, height - bottom - h
        parts.append(f'<rect x="{x + 1:.1f}" y="{y:.1f}" width="{max(bw - 2, 1):.1f}" height="{h:.1f}" fill="{color}">'
                     f"<title>{escape(labels[i])}: {_fmt(v)}</title></rect>")
        if bw >= 22 and v:
            parts.append(f'<text x="{x + bw / 2:.1f}" y="{y - 3:.1f}" text-anchor="middle" class="v">{_fmt(v)}</text>')
        if i % every == 0:
            parts.append(f'<text x="{x + bw / 2:.1f}" y="{height - 10}" text-anchor="middle" class="l">'
                         f"{escape(labels[i])}</text>")
    parts.append(f'<line x1="{left}" x2="{width - left}" y1="{height - bottom}" y2="{height - bottom}" stroke="#888"/>')
    parts.append("</svg>")
    return Markup("".join(parts))


def hbars(rows: list[tuple[str, int]], title: str, width: int = 720, color: str = "#b35900") -> Markup:
    """Horizontal bars with the label on the left and the number on the right (the unclaimed table)."""
    row_h, label_w, num_w = 26, 330, 70
    height = row_h * max(len(rows), 1) + 8
    top = max((v for _, v in rows), default=0) or 1
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">',
             f"<title>{escape(title)}</title>"]
    for i, (label, v) in enumerate(rows):
        y = 4 + i * row_h
        w = (width - label_w - num_w) * v / top
        parts.append(f'<text x="{label_w - 6}" y="{y + 17}" text-anchor="end" class="l">{escape(label)}</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 4}" width="{w:.1f}" height="{row_h - 8}" fill="{color}"/>')
        parts.append(f'<text x="{label_w + w + 6:.1f}" y="{y + 17}" class="v">{_fmt(v)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def heatmap(grid: list[list[int]], rows: list[str], hours: range, title: str) -> Markup:
    """Weekdays × hours; darker is busier; every cell carries its number as a tooltip and as text."""
    cell_w, cell_h, left, head = 44, 30, 40, 22
    cols = list(hours)
    width, height = left + cell_w * len(cols) + 4, head + cell_h * len(rows) + 4
    top = max((grid[r][h] for r in range(len(rows)) for h in cols), default=0) or 1
    parts = [f'<svg class="chart heat" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">',
             f"<title>{escape(title)}</title>"]
    for j, h in enumerate(cols):
        parts.append(f'<text x="{left + j * cell_w + cell_w / 2}" y="15" text-anchor="middle" class="l">{h:02d}</text>')
    for i, name in enumerate(rows):
        y = head + i * cell_h
        parts.append(f'<text x="{left - 6}" y="{y + 20}" text-anchor="end" class="l">{escape(name)}</text>')
        for j, h in enumerate(cols):
            v = grid[i][h]
            share = v / top
            # From pale to the accent blue; text turns white on the dark cells.
            r, g, b = (int(246 - (246 - 11) * share), int(247 - (247 - 92) * share), int(249 - (249 - 173) * share))
            x = left + j * cell_w
            parts.append(f'<rect x="{x}" y="{y}" width="{cell_w - 2}" height="{cell_h - 2}" fill="rgb({r},{g},{b})">'
                         f"<title>{escape(name)} {h:02d}:00 — {_fmt(v)}</title></rect>")
            if v:
                fill = "#fff" if share > 0.55 else "#111"
                parts.append(f'<text x="{x + cell_w / 2 - 1}" y="{y + 19}" text-anchor="middle" class="n" '
                             f'fill="{fill}">{_fmt(v)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
