"""Settings: one object, read once at the entry point and passed down."""

from __future__ import annotations

from ipaddress import IPv4Network, IPv6Network
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, IPvAnyNetwork, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything the service can be told from its environment.

    Every field reads `LAGESBILD_<NAME>`, except `database_url`, which reads the
    conventional `DATABASE_URL`. Tests build a `Settings(...)` directly and shrink
    limits here rather than patching module constants.
    """

    model_config = SettingsConfigDict(env_prefix="LAGESBILD_", extra="ignore", frozen=True)

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    data_dir: Path = Path("var")
    # A plain string: PostgreSQL DSNs may name a Unix socket folder (`?host=/run/pg`) and no
    # host, which URL types refuse; the scheme is still checked.
    database_url: str | None = Field(default=None, validation_alias="DATABASE_URL")
    database_service_url: str | None = Field(
        default=None,
        description="What the running service connects as (the role lagesbild_service); "
        "unset: DATABASE_URL's server and database with the user lagesbild_service and no "
        "password. DATABASE_URL itself is the owner's, for migrations",
    )
    db_pool_min: int = Field(default=2, ge=1)
    db_pool_max: int = Field(default=10, ge=1)

    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    log_format: Literal["auto", "json", "console"] = Field(
        default="auto",
        description="Log lines as JSON or readable text; auto: readable when stderr is a "
        "terminal, JSON otherwise (a service without a terminal)",
    )
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    event_loop: Literal["uvloop", "asyncio"] = Field(
        default="uvloop",
        description="The event loop `lagesbild serve` runs on: uvloop (libuv's, in C: a "
        "stream frame's write to a thousand sockets cost about a sixth less CPU in the "
        "bench) or Python's own; Python's when uvloop is not installed",
    )

    stream_queue_size: int = Field(
        default=1024,
        ge=1,
        description="Frames queued per socket (shared strings: a reference each, not a copy)",
    )
    stream_heartbeat_seconds: float = Field(default=20.0, gt=0)
    stream_max_frame_bytes: int = Field(default=16 * 1024, ge=256)
    stream_send_timeout_seconds: float = Field(
        default=3.0,
        gt=0,
        description="A socket whose peer reads nothing of what waits for it for this long "
        "is closed with 4008 (one that reads, however slowly, is not)",
    )
    stream_max_topics: int = Field(default=50, ge=1, description="Topics one socket may follow")
    stream_max_sockets_per_user: int = Field(
        default=10,
        ge=1,
        description="Open stream sockets of one user (or API token) over every instance",
    )
    stream_socket_send_buffer: int | None = Field(
        default=128 * 1024,
        ge=1024,
        description="SO_SNDBUF for stream sockets, in bytes (the kernel's buffer, which "
        "hides a peer that stopped reading until it is full; left to the OS, it grows to "
        "megabytes)",
    )
    stream_replay_limit: int = Field(
        default=1000,
        ge=1,
        description="Recent event frames kept per incident and replayed after `since`; "
        "a client further behind gets a snapshot",
    )
    listener_check_seconds: float = Field(
        default=10.0, gt=0, description="How often the LISTEN connection is checked"
    )
    shutdown_timeout_seconds: float = Field(default=10.0, gt=0)

    log_page_limit: int = Field(default=1000, ge=1)
    checkpoint_every: int = Field(
        default=25,
        ge=1,
        description="Events between checkpoints of the picture (and one at every closed "
        "round); a past picture folds at most this many events after one",
    )

    session_lifetime_hours: float = Field(
        default=7 * 24,
        gt=0,
        description="How long a web session lasts after log-in (a wall screen stays logged in)",
    )
    # Failed log-ins (service/access/login_limits.py), counted in PostgreSQL.
    login_max_failures: int = Field(
        default=10,
        ge=1,
        description="Failed log-ins for one account from one address before each further "
        "attempt waits (1 s, doubling)",
    )
    login_address_max_failures: int = Field(
        default=100,
        ge=1,
        description="Failed log-ins from one address over all accounts before it waits",
    )
    login_account_max_failures: int = Field(
        default=50,
        ge=1,
        description="Failed log-ins for one account over all addresses before every address "
        "that failed for it waits at once",
    )
    login_max_delay_seconds: float = Field(
        default=900.0, gt=0, description="The longest wait after failed log-ins"
    )
    login_failure_window_minutes: float = Field(
        default=15.0, gt=0, description="Failures are forgotten this long after the last one"
    )
    # API requests per token (service/access/rate.py), a bucket shared by every instance.
    api_rate_per_second: float = Field(
        default=10.0, gt=0, description="Requests per second one API token may make, sustained"
    )
    api_rate_burst: int = Field(
        default=600,
        ge=1,
        description="Requests one API token may make at once (a gateway relaying a county's "
        "reports at a deadline)",
    )
    trusted_proxies: tuple[IPvAnyNetwork, ...] = Field(
        default=(),
        description="Networks of the reverse proxies whose X-Forwarded-For names the client "
        "(service/http/source.py); from anyone else the header is ignored",
    )
    metrics_networks: tuple[IPvAnyNetwork, ...] = Field(
        default=(IPv4Network("127.0.0.0/8"), IPv6Network("::1/128")),
        description="Networks that may read /metrics (the client address, through trusted "
        "proxies); others get 404",
    )
    trusted_origins: frozenset[str] = Field(
        default=frozenset(),
        description="Origins besides the service's own host allowed to post and open streams",
    )
    # Reporting rounds (service/rounds/).
    rounds_tick_seconds: float = Field(
        default=30.0,
        gt=0,
        description="How often the rounds timer looks for due work besides its exact wake-ups "
        "(catch-up)",
    )
    rounds_timer: bool = Field(
        default=True,
        description="Run the rounds job when work falls due and every tick; off, it runs only "
        "at start (tests run it themselves)",
    )
    reminder_before_minutes: int = Field(
        default=30, ge=0, le=24 * 60, description="How long before a deadline to remind"
    )
    # The outbox: delivery to other systems (service/outbox/, docs/DECISIONS.md "Outbox").
    outbox_worker: bool = Field(
        default=True,
        description="Run the delivery loop; when off, messages wait (tests drive passes)",
    )
    outbox_poll_seconds: float = Field(
        default=5.0, gt=0, description="Look for due messages at least this often"
    )
    outbox_batch_size: int = Field(
        default=20, ge=1, description="Messages claimed per destination and pass"
    )
    outbox_delivery_timeout_seconds: float = Field(default=10.0, gt=0)
    outbox_max_attempts: int = Field(
        default=12, ge=1, description="Attempts before a message becomes a dead letter"
    )
    outbox_backoff_base_seconds: float = Field(default=2.0, gt=0)
    outbox_backoff_cap_seconds: float = Field(default=900.0, gt=0)
    outbox_breaker_threshold: int = Field(
        default=5, ge=1, description="Consecutive failures that open a destination's breaker"
    )
    outbox_breaker_cooldown_seconds: float = Field(
        default=60.0, gt=0, description="How long an open breaker waits before one probe"
    )
    outbox_db_pool_max: int = Field(
        default=2, ge=1, description="The worker's own connections, apart from requests'"
    )
    smtp_host: str | None = Field(
        default=None, description="SMTP server for the email channel; unset: no email channel"
    )
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_from: str = "lagesbild@localhost"
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    webhook_signature_tolerance_seconds: float = Field(default=300.0, gt=0)
    # Reports by e-mail (adapters/mail): the inbound SMTP server and what reminders say.
    mail_in_port: int | None = Field(
        default=None,
        ge=0,
        le=65535,
        description="Port of the inbound SMTP server the service runs for reports by "
        "e-mail (`lagesbild mail-in` runs it alone); unset: no inbound server",
    )
    mail_in_host: str = Field(default="127.0.0.1", description="Address it listens on")
    mail_in_address: str | None = Field(
        default=None,
        pattern=r"^[^\s@<>,]+@[^\s@<>,]+$",
        description="The address reports by e-mail reach (Reply-To of e-mail reminders); "
        "unset: LAGESBILD_SMTP_FROM. With it or the port set, e-mail reminders carry the "
        "filled template and ask to be answered",
    )
    mail_in_duplicate_window_minutes: float = Field(
        default=60.0,
        ge=0,
        description="A mail with the same sender and content as one read this long before "
        "is the same report (a repeat of its Message-ID always is)",
    )
    mail_in_max_bytes: int = Field(
        default=1024 * 1024, ge=1024, description="Largest inbound mail accepted"
    )
    # Nothing holds the event loop (service/offload.py, service/access/report_caps.py).
    cpu_workers: int = Field(
        default=2,
        ge=0,
        le=64,
        description="Worker processes that parse and validate foreign XML off the event loop "
        "(0: a thread of the service's own process)",
    )
    edxl_imports_at_once: int = Field(
        default=1,
        ge=1,
        le=64,
        description="EDXL envelopes one process imports at once; the others wait, their "
        "bodies read, so that a flood of envelopes leaves the event loop to everyone else",
    )
    edxl_import_wait_seconds: float = Field(
        default=30.0,
        gt=0,
        le=600,
        description="How long an envelope waits for its turn before it is refused (503 "
        "`unavailable` with `Retry-After`; nothing stored)",
    )
    lookbacks_at_once: int = Field(
        default=4,
        ge=1,
        le=64,
        description="Look backs (past pictures: the time slider over the stream, `GET "
        "…/picture?at=` or `?seq=`) one process answers at once; the others wait their "
        "turn, so that they never hold all of the pool's connections",
    )
    lookback_wait_seconds: float = Field(
        default=5.0,
        gt=0,
        le=600,
        description="How long a look back waits for its turn before it is refused (503 "
        "`unavailable` with `Retry-After`; over the stream an `unavailable` error)",
    )
    report_max_bytes: int = Field(
        default=256 * 1024,
        ge=1024,
        description="Largest JSON report body one organisation may send (413 "
        "`report-too-large`); EDXL envelopes are bounded by `xml_max_bytes`",
    )
    report_rate_per_second: float = Field(
        default=2.0,
        gt=0,
        description="Requests that submit reports one organisation may make per second, "
        "sustained, on one instance",
    )
    report_rate_burst: int = Field(
        default=120,
        ge=1,
        description="Requests that submit reports one organisation may make at once on one "
        "instance (429 with Retry-After beyond)",
    )
    # Exchange with other systems (EDXL, a WIS-style node); see docs/exchange.md.
    xml_max_bytes: int = Field(
        default=1024 * 1024, ge=1024, description="Largest XML document accepted from outside"
    )
    xml_max_depth: int = Field(
        default=64, ge=8, description="Deepest element nesting accepted in foreign XML"
    )
    wis_url: str | None = Field(
        default=None, description="The WIS-style node; when set, changes are sent there"
    )
    wis_token: str | None = Field(
        default=None, description="Bearer token Lägesbild presents to the WIS-style node"
    )
    wis_poll_seconds: float = Field(
        default=30.0, gt=0, description="How often the node's change log is read for answers"
    )
    wis_timeout_seconds: float = Field(default=10.0, gt=0)
    wis_max_body_bytes: int = Field(
        default=1024 * 1024,
        ge=4096,
        description="Largest body the node takes (it answers 413 above); longer free text "
        "is shortened to fit, saying so",
    )
    # The national level's Lägesbild installation: published summaries go to its EDXL import.
    national_url: str | None = Field(
        default=None,
        description="EDXL import endpoint of the national installation; when set (with the "
        "token), every published summary is sent there as an EDXL-DE envelope",
    )
    national_token: str | None = Field(
        default=None, description="Bearer token Lägesbild presents to the national installation"
    )
    # The SMS gateway (adapters/sms): reports by SMS, replies through the outbox.
    sms_secret: str | None = Field(
        default=None,
        description="Shared secret of the SMS gateway: signs its webhook calls and our "
        "replies; unset: no SMS webhook",
    )
    sms_gateway_url: str | None = Field(
        default=None, description="Where replies are POSTed for the gateway to send as SMS"
    )
    sms_repeat_window_seconds: float = Field(
        default=3600.0,
        ge=0,
        description="The same text from the same number within this is the same message",
    )
    sms_reply_max_parts: int = Field(
        default=3, ge=1, le=10, description="SMS parts a reply may take before it is shortened"
    )
    sms_timeout_seconds: float = Field(default=10.0, gt=0)
    invitation_days: float = Field(
        default=7.0, gt=0, le=30, description="How long an invitation link lives by default"
    )
    public_url: str | None = Field(
        default=None,
        description="The service's address as users reach it (links in e-mail); unset: the "
        "address of the request that makes the link",
    )

    @property
    def reports_by_mail(self) -> bool:
        """Whether answers to e-mail reminders reach Lägesbild (a server of its own, or
        an address whose mail is brought to one)."""
        return self.mail_in_port is not None or self.mail_in_address is not None

    @property
    def mail_in_reply_to(self) -> str:
        """Where answers to e-mail reminders go."""
        return self.mail_in_address or self.smtp_from

    def replace(self, **changes: Any) -> Settings:
        """A copy with `changes` (by field name), validated like the original: a bad
        value raises ValidationError here (`model_copy(update=…)` would keep it)."""
        unknown = sorted(set(changes) - set(type(self).model_fields))
        if unknown:
            raise TypeError(f"Settings has no field {', '.join(unknown)}")
        values = self.model_dump()
        values.update(changes)
        for name, field in type(self).model_fields.items():  # given by alias, as read
            if isinstance(field.validation_alias, str):
                values[field.validation_alias] = values.pop(name)
        return type(self).model_validate(values)

    @field_validator("database_url")
    @classmethod
    def _postgres_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("postgresql://", "postgres://")):
            raise ValueError("DATABASE_URL must start with postgresql:// (or postgres://)")
        return value or None
