"""The shifts an operator may work on a day, as tuples of work cells.

Rules: one contiguous presence; at most one idle open cell (the meal break); never more than
MAX_RUN cells of work in a row (a closed office break also ends a run); at most `budget` cells.
"""
from .grid import MAX_RUN, DayGrid


def _walk(grid: DayGrid, start: int, budget: int, rest: int | None) -> tuple[int, ...]:
    """Work from `start` for as long as the rules allow, idling at cell `rest`."""
    cells, run = [], 0
    for c in range(start, grid.n):
        if len(cells) == budget:
            break
        if c == rest or not grid.open[c]:
            run = 0
        elif run == MAX_RUN:
            break
        else:
            cells.append(c)
            run += 1
    return tuple(cells)


def longest_shifts(grid: DayGrid, budget: int) -> dict[int, list[tuple[int, ...]]]:
    """Per start cell, every shift of the greatest length from there (one per meal-break position).

    Shorter shifts are left out: an operator who is in anyway can only add coverage by working,
    and fewer candidates keep the model small.
    """
    out = {}
    for start in range(grid.n):
        if grid.open[start]:
            found = {_walk(grid, start, budget, rest) for rest in [None, *range(start + 1, grid.n)]}
            best = max(len(s) for s in found)
            out[start] = sorted(s for s in found if len(s) == best and s)
    return out


def is_shift(grid: DayGrid, cells: tuple[int, ...], budget: int) -> bool:
    """Whether sorted work `cells` obey the rules (for shifts taken from a previous plan)."""
    if not cells or len(cells) > budget or not all(grid.open[c] for c in cells):
        return False
    working = set(cells)
    idle = [c for c in range(cells[0], cells[-1]) if c not in working and grid.open[c]]
    run, longest = 0, 0
    for c in range(cells[0], cells[-1] + 1):
        run = run + 1 if c in working else 0
        longest = max(longest, run)
    return len(idle) <= 1 and longest <= MAX_RUN
