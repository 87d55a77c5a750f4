"""What every bench shares: the machine's load average printed before and after the run.

A figure measured while other work runs is slower than the same figure on a quiet machine;
printing the 1-, 5- and 15-minute load averages (runnable processes, to compare with the core
count) on both sides of a run lets the reader judge how much noise the figures carry.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager


def load_line(when: str) -> str:
    """`load before: 1.02 0.87 0.80 (2 cores)`: the three load averages and the core count."""
    one, five, fifteen = os.getloadavg()
    return f"load {when}: {one:.2f} {five:.2f} {fifteen:.2f} ({os.cpu_count()} cores)"


@contextmanager
def loadavg(stream: object = None) -> Iterator[None]:
    """Print the load average before the block and after it (also when it fails)."""
    out = stream if stream is not None else sys.stdout
    print(load_line("before"), file=out, flush=True)  # type: ignore[arg-type]
    try:
        yield
    finally:
        print(load_line("after"), file=out, flush=True)  # type: ignore[arg-type]
