"""The service alone in a process of its own, for bench/loop.py: `python -m bench.loop_server
DSN PORT CPU_WORKERS IMPORTS_AT_ONCE [thaw]` serves on 127.0.0.1:PORT until it is terminated,
as `lagesbild serve` does (its event loop, its heap frozen before start-up; `thaw`: not
frozen, to measure what freezing changes)."""

from __future__ import annotations

import sys

from aiohttp import web

from bench.common import bench_settings
from service.app import create_app
from service.heap import freeze_heap
from service.logs import configure_logging
from service.loops import favour_the_loop, new_event_loop


def main(argv: list[str]) -> None:
    dsn, port, workers, lane = argv[0], int(argv[1]), int(argv[2]), int(argv[3])
    settings = bench_settings().replace(cpu_workers=workers, edxl_imports_at_once=lane)
    configure_logging(settings)
    app = create_app(settings, dsn=dsn)
    if argv[4:] != ["thaw"]:
        freeze_heap()  # as `lagesbild serve` does
    favour_the_loop()
    web.run_app(app, host="127.0.0.1", port=port, loop=new_event_loop(settings), print=None)


if __name__ == "__main__":
    main(sys.argv[1:])
