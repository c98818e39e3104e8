"""What a served process does with its heap before it starts serving: every object made
so far (modules, schemas, templates, the app and its routes) is moved out of the
garbage collector's reach (`gc.freeze`).

CPython's full collection walks every tracked object. A served process holds some
90,000, more than 80,000 of them from its imports, and a busy one (an EDXL envelope's
71 reports in memory, a few per second) runs a full collection every second or so:
38–48 ms each on this project's 2-core machine, during which the event loop serves
nobody (`bench loop` found them as its slowest steps). Frozen, those objects are never
walked again. A frozen object is still freed when nothing refers to it; only a cycle
among frozen objects would never be collected. That is why the heap is frozen before
the app starts and not after: start-up makes what changes and is dropped while the
process runs (database connections, the hub's feeds and pictures), and those stay the
collector's.

Only for served processes (`lagesbild serve`, its workers, the benchmarks' servers):
the test suite's many apps in one process are left to the collector as they are."""

from __future__ import annotations

import gc


def freeze_heap() -> None:
    """Collect, then freeze everything the process holds: once its app is made, before
    the app starts."""
    gc.collect()
    gc.freeze()
