"""Prometheus metrics, in a registry of each app's own (two apps can live in one process)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


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
            "lagesbild_stream_connections", "Open stream sockets", registry=self.registry
        )
        self.stream_subscriptions = Gauge(
            "lagesbild_stream_subscriptions", "Active topic subscriptions", registry=self.registry
        )
        self.stream_frames_sent = Counter(
            "lagesbild_stream_frames_sent_total",
            "Frames written to sockets",
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
        # Exchange with other systems (docs/exchange.md).
        self.exchange_imports = Counter(
            "lagesbild_exchange_imports_total",
            "Reports that came in from other systems, by source and outcome",
            ["source", "outcome"],
            registry=self.registry,
        )
