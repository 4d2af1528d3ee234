"""The arena planner: every activation buffer gets an offset from its lifetime, at generation time.

    placed = place(buffers)     # buffers: [Buffer(name, nbytes, first, last)]
    placed.size                 # the arena's bytes: the peak of the plan
    placed.offsets["s3_out"]    # where one buffer lives

A buffer is live from the step that first writes it (`first`) to the step that last reads it
(`last`), both inclusive, in execution order; the graph input is written at step -1 (the entry
point copies it in) and the graph output read at step len(steps) (copied out). Two buffers may
share bytes when their lifetimes do not overlap.

Placement is greedy by size, as TFLM's GreedyMemoryPlanner does on the device
(micro/memory_planner/greedy_memory_planner.cc): the largest buffer first (ties: the earliest
first use, then the name), each at the lowest offset where it overlaps no already placed buffer
that is live at the same time. Our planner runs once, on the host, so the plan can be printed in
the header's banner and checked by tests; it never runs on the device.
"""

from __future__ import annotations

from dataclasses import dataclass

from tinyflash.firmware_c.emit.base import ALIGN

__all__ = ["Buffer", "Placement", "place"]


@dataclass(frozen=True)
class Buffer:
    """name: for messages and the banner. nbytes: rounded up to ALIGN by place().
    first / last: the steps (inclusive) between which the bytes must be kept."""

    name: str
    nbytes: int
    first: int
    last: int


@dataclass(frozen=True)
class Placement:
    """offsets: buffer name -> arena offset (a multiple of ALIGN); size: arena bytes (the peak);
    peak: the names of the buffers live at the step where the arena's top is reached, in
    offset order (what a user shrinks to shrink the arena)."""

    offsets: dict[str, int]
    size: int
    peak: tuple[str, ...]
    peak_step: int


def _align(n: int) -> int:
    return -(-n // ALIGN) * ALIGN


def _overlap(a: Buffer, b: Buffer) -> bool:
    return a.first <= b.last and b.first <= a.last


def place(buffers: list[Buffer]) -> Placement:
    """Offsets for every buffer, greedy by size; see the module docstring."""
    order = sorted(buffers, key=lambda b: (-_align(b.nbytes), b.first, b.name))
    offsets: dict[str, int] = {}
    placed: list[Buffer] = []
    for buf in order:
        size = _align(buf.nbytes)
        busy = sorted(
            (offsets[o.name], offsets[o.name] + _align(o.nbytes))
            for o in placed
            if _overlap(o, buf) and o.nbytes > 0
        )
        offset = 0
        for start, end in busy:
            if offset + size <= start:
                break
            offset = max(offset, end)
        offsets[buf.name] = offset
        placed.append(buf)
    size = max((offsets[b.name] + _align(b.nbytes) for b in buffers), default=0)
    # The step whose live buffers reach highest, and those buffers.
    steps = sorted({s for b in buffers for s in (b.first, b.last)})
    best_step, best_top = 0, -1
    for s in steps:
        top = max(
            (offsets[b.name] + _align(b.nbytes) for b in buffers if b.first <= s <= b.last),
            default=0,
        )
        if top > best_top:
            best_step, best_top = s, top
    live = [b for b in buffers if b.first <= best_step <= b.last and b.nbytes > 0]
    peak = tuple(b.name for b in sorted(live, key=lambda b: offsets[b.name]))
    return Placement(offsets=offsets, size=size, peak=peak, peak_step=best_step)
