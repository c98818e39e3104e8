"""Domain errors. Handlers and domain code raise these; one middleware renders them."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import ValidationError


class ProblemError(Exception):
    """An error the client can act on, rendered as RFC 9457 problem+json."""

    status: int = 500
    default_slug: str = "internal"
    title: str = "Internal error"

    def __init__(
        self,
        detail: str = "",
        *,
        errors: Sequence[tuple[Sequence[str | int], str]] | None = None,
        slug: str | None = None,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail
        self.errors = [(list(loc), msg) for loc, msg in errors] if errors is not None else None
        self.slug = slug or self.default_slug

    @property
    def type_uri(self) -> str:
        return f"/problems/{self.slug}"


class MalformedRequest(ProblemError):
    status = 400
    default_slug = "malformed-request"
    title = "The request could not be read"


class Unauthenticated(ProblemError):
    status = 401
    default_slug = "unauthenticated"
    title = "Authentication required"


class Forbidden(ProblemError):
    status = 403
    default_slug = "forbidden"
    title = "Not allowed"


class NotFound(ProblemError):
    status = 404
    default_slug = "not-found"
    title = "Not found"


class MethodNotAllowed(ProblemError):
    status = 405
    default_slug = "method-not-allowed"
    title = "Method not allowed"


class Conflict(ProblemError):
    status = 409
    default_slug = "conflict"
    title = "Conflict"


class PreconditionFailed(ProblemError):
    status = 412
    default_slug = "precondition-failed"
    title = "Changed since you read it"


class PreconditionRequired(ProblemError):
    status = 428
    default_slug = "precondition-required"
    title = "If-Match required"


class PayloadTooLarge(ProblemError):
    status = 413
    default_slug = "payload-too-large"
    title = "Request body too large"


class UnsupportedMediaType(ProblemError):
    status = 415
    default_slug = "unsupported-media-type"
    title = "Unsupported content type"


class ValidationFailed(ProblemError):
    status = 422
    default_slug = "validation"
    title = "The request body is not valid"


class ServiceUnavailable(ProblemError):
    status = 503
    default_slug = "unavailable"
    title = "Service unavailable"

    def __init__(
        self, detail: str = "", *, slug: str | None = None, retry_after: int | None = None
    ) -> None:
        super().__init__(detail, slug=slug)
        self.retry_after = retry_after  # seconds, sent as `Retry-After`


class TooManyRequests(ProblemError):
    status = 429
    default_slug = "too-many-requests"
    title = "Too many requests"

    def __init__(self, detail: str = "", *, retry_after: int | None = None) -> None:
        super().__init__(detail)
        self.retry_after = retry_after  # seconds, sent as `Retry-After`


def validation_problem(
    exc: ValidationError, prefix: tuple[str | int, ...] = ()
) -> ValidationFailed:
    """A schema's refusal as a 422 naming each field (under `prefix`)."""
    return ValidationFailed(
        f"{exc.error_count()} field(s) are not valid",
        errors=[
            ((*prefix, *error["loc"]), error["msg"]) for error in exc.errors(include_url=False)
        ],
    )
