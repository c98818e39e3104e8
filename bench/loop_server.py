"""The service alone in a process of its own, for bench/loop.py: `python -m bench.loop_server
DSN PORT CPU_WORKERS` serves on 127.0.0.1:PORT until it is terminated."""

from __future__ import annotations

import sys

from aiohttp import web

from bench.common import bench_settings
from service.app import create_app
from service.logs import configure_logging


def main(argv: list[str]) -> None:
    dsn, port, workers = argv[0], int(argv[1]), int(argv[2])
    settings = bench_settings().replace(cpu_workers=workers)
    configure_logging(settings)
    web.run_app(create_app(settings, dsn=dsn), host="127.0.0.1", port=port, print=None)


if __name__ == "__main__":
    main(sys.argv[1:])
