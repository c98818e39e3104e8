"""Prometheus metrics, in a registry of each app's own (two apps can live in one process).

Under `serve --workers N` every worker writes its values to files in one folder
(prometheus_client's multiprocess mode, switched on by the parent through
`PROMETHEUS_MULTIPROC_DIR` before any worker starts), and `/metrics`, whichever worker
the kernel hands the scrape to, reports the whole instance: counters and histograms
summed over the workers, each gauge folded as its `multiprocess_mode` says (open sockets
summed over the live workers; a database-wide depth or an open breaker as the highest).
"""

from __future__ import annotations

import os

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, multiprocess

MULTIPROCESS_FOLDER = "PROMETHEUS_MULTIPROC_DIR"


def exposed(own: CollectorRegistry) -> CollectorRegistry:
    """The registry `/metrics` reads: the app's own, or every worker's under --workers."""
    if not os.environ.get(MULTIPROCESS_FOLDER):
        return own
    gathered = CollectorRegistry()
    multiprocess.MultiProcessCollector(gathered)  # type: ignore[no-untyped-call]
    return gathered


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.http_requests = Counter(
            "lagesbild_http_requests_total",
            "HTTP requests by route and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.http_duration = Histogram(
            "lagesbild_http_request_duration_seconds",
            "HTTP request duration by route",
            ["method", "route"],
            registry=self.registry,
        )
        self.reports_submitted = Counter(
            "lagesbild_reports_submitted_total",
            "Reports stored (idempotent repeats excluded)",
            ["kind"],
            registry=self.registry,
        )
        self.events_fanned_out = Counter(
            "lagesbild_stream_events_total",
            "Events this instance received from the log and fanned out",
            registry=self.registry,
        )
        self.stream_connections = Gauge(
            "lagesbild_stream_connections",
            "Open stream sockets",
            registry=self.registry,
            multiprocess_mode="livesum",
        )
        self.stream_subscriptions = Gauge(
            "lagesbild_stream_subscriptions",
            "Active topic subscriptions",
            registry=self.registry,
            multiprocess_mode="livesum",
        )
        self.stream_frames_sent = Counter(
            "lagesbild_stream_frames_sent_total",
            "Frames written to sockets",
            registry=self.registry,
        )
        self.stream_writes = Counter(
            "lagesbild_stream_writes_total",
            "Writes to sockets (frames that follow each other go out in one write)",
            registry=self.registry,
        )
        self.stream_frames_queued = Counter(
            "lagesbild_stream_frames_queued_total",
            "Frames that waited in a socket's queue because its peer was behind",
            registry=self.registry,
        )
        self.stream_slow_consumers = Counter(
            "lagesbild_stream_slow_consumers_total",
            "Sockets closed with 4008 because they could not keep up",
            registry=self.registry,
        )
        self.listener_reconnects = Counter(
            "lagesbild_listener_reconnects_total",
            "Times the LISTEN connection was re-established",
            registry=self.registry,
        )

        # Reporting rounds.
        self.rounds_closed = Counter(
            "lagesbild_rounds_closed_total",
            "Rounds this instance closed (each round is closed by one instance only)",
            registry=self.registry,
        )
        self.round_overdue = Counter(
            "lagesbild_round_overdue_total",
            "Participants overdue when the rounds this instance closed were closed",
            registry=self.registry,
        )
        self.reminders_enqueued = Counter(
            "lagesbild_reminders_enqueued_total",
            "Reminder messages written to the outbox, by kind (before, due, escalation)",
            ["kind"],
            registry=self.registry,
        )
        # The outbox (service/outbox/): depth is set by each instance's worker after a pass.
        self.outbox_depth = Gauge(
            "lagesbild_outbox_messages",
            "Outbox messages waiting (pending) or given up (dead), per destination",
            ["destination", "status"],
            registry=self.registry,
            multiprocess_mode="livemax",
        )
        self.outbox_deliveries = Counter(
            "lagesbild_outbox_deliveries_total",
            "Delivery attempts by destination and outcome (delivered, retry, dead)",
            ["destination", "outcome"],
            registry=self.registry,
        )
        self.outbox_dead_letters = Counter(
            "lagesbild_outbox_dead_letters_total",
            "Messages this instance gave up on",
            ["destination"],
            registry=self.registry,
        )
        self.outbox_breaker_open = Gauge(
            "lagesbild_outbox_breaker_open",
            "1 while this instance's breaker for a destination is open (or half-open)",
            ["destination"],
            registry=self.registry,
            multiprocess_mode="livemax",
        )
        # Exchange with other systems (docs/exchange.md).
        self.exchange_imports = Counter(
            "lagesbild_exchange_imports_total",
            "Reports that came in from other systems, by source and outcome",
            ["source", "outcome"],
            registry=self.registry,
        )
        self.lookbacks_waiting = Gauge(
            "lagesbild_lookbacks_waiting",
            "Look backs (past pictures) waiting for their turn",
            registry=self.registry,
            multiprocess_mode="livesum",
        )
        self.exchange_waiting = Gauge(
            "lagesbild_exchange_imports_waiting",
            "EDXL envelopes read and waiting for their turn to be imported",
            registry=self.registry,
            multiprocess_mode="livesum",
        )
