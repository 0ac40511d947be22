"""One error tree for everything the core can report.

::

    WriterError                      anything Writer Desktop reports to the user
    ├── ConfigError                  bad settings or environment (e.g. an insecure base URL)
    ├── ApiError                     the API answered with a non-2xx status
    │   ├── BadRequest               400, 422 (``guardrail`` set for ``fail.guardrail.blocked``)
    │   ├── AuthError                401: the key was rejected
    │   ├── Forbidden                403
    │   ├── ModelNotFound            404
    │   ├── RateLimited              429 (``retry_after`` in seconds when the server said)
    │   └── ServerError              5xx
    ├── NetworkError                 no answer: connection refused/reset, DNS, TLS, timeout
    ├── StreamError                  a reply stream that started but did not finish cleanly
    │   ├── StreamInterrupted        connection lost, idle too long, or EOF with no finish_reason
    │   └── StreamFailed             the server sent an error inside the stream
    ├── StorageError                 reading or writing user data failed
    │   ├── DiskFull                 ENOSPC / EDQUOT
    │   ├── ReadOnlyConversation     written by a newer version; opened read-only
    │   ├── AlreadyLocked            another Writer Desktop has this data folder open
    │   ├── ConversationNotFound     (store.py) deleted meanwhile
    │   └── CorruptConversation      (store.py) unreadable; the file was set aside unchanged
    └── SecretsError                 the OS keyring is missing, locked, failing or hanging

Third-party exceptions (httpx, OSError, keyring) are translated where they are caught; the UI shows
``user_message`` and never a Python repr. No error ever carries the API key.
"""

from __future__ import annotations

import math


class WriterError(Exception):
    """Base of every error Writer Desktop reports.

    ``kind`` names the fix the UI offers and is stored with a failed reply (``error_kind``):
    ``auth`` (update the key), ``model`` (choose another model), ``rate_limit``, ``network``,
    ``server``, ``bad_request``, ``forbidden``, ``stream``, ``storage``, ``config``, ``keyring``.
    """

    kind = "error"

    @property
    def user_message(self) -> str:
        """A sentence fit to show the user."""
        return str(self) or type(self).__name__


class ConfigError(WriterError):
    """A setting or environment variable cannot be used as given."""

    kind = "config"


class ApiError(WriterError):
    """The API answered with an error status.

    ``description`` is Writer's human text (``errors[*].description``); ``tpe`` and ``key`` are
    Writer's machine-readable type and key, kept for logic and logs.
    """

    kind = "api"

    retryable = False

    def __init__(
        self,
        status: int,
        description: str,
        *,
        tpe: str | None = None,
        key: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.tpe = tpe
        self.key = key
        self.retry_after = retry_after

    @property
    def user_message(self) -> str:
        """Writer's description; for a retryable error, also how long Writer asked us to wait
        (shown when that wait was too long to sit through, or the retries ran out)."""
        text = super().user_message
        if self.retryable and self.retry_after is not None and self.retry_after >= 1:
            stop = "" if text.endswith((".", "!", "?")) else "."
            wait = human_duration(self.retry_after)
            text = f"{text}{stop} Writer asks to wait {wait} before trying again."
        return text

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status}, description={self.description!r}, "
            f"tpe={self.tpe!r}, key={self.key!r})"
        )


class BadRequest(ApiError):
    """400 or 422: the request was refused as malformed, too large, or blocked by a guardrail."""

    kind = "bad_request"

    @property
    def guardrail(self) -> bool:
        return self.key is not None and "guardrail" in self.key


class AuthError(ApiError):
    """401: the API key was rejected."""

    kind = "auth"


class MissingKey(AuthError):
    """No API key is set (the user removed it): nothing was sent; a key must be given first."""

    def __init__(self) -> None:
        super().__init__(0, "No API key is set. Add your Writer API key to send this.")


class UnusableKey(AuthError):
    """The API key holds characters no key has (``core.api_key``): it was not sent."""

    def __init__(self, problem: str) -> None:
        super().__init__(0, f"{problem} It was not sent.")


class Forbidden(ApiError):
    """403: the key is valid but may not do this."""

    kind = "forbidden"


class ModelNotFound(ApiError):
    """404: usually an unknown or retired model id."""

    kind = "model"


class RateLimited(ApiError):
    """429: too many requests or tokens; ``retry_after`` says how long to wait when known."""

    kind = "rate_limit"
    retryable = True


class ServerError(ApiError):
    """5xx: Writer's side failed."""

    kind = "server"
    retryable = True


class RetryableStatus(ApiError):
    """408 or 409: transient, worth another attempt."""

    kind = "server"
    retryable = True


class NetworkError(WriterError):
    """The request got no answer: refused, reset, DNS, TLS or a timeout before any reply."""

    kind = "network"

    retryable = True


class StreamError(WriterError):
    """A reply stream started but did not finish; ``partial_text`` is what arrived."""

    def __init__(self, message: str, partial_text: str = "") -> None:
        super().__init__(message)
        self.partial_text = partial_text


class StreamInterrupted(StreamError):
    """The connection was lost, went idle, or ended without a ``finish_reason``."""

    kind = "network"


class StreamStalled(StreamInterrupted):
    """Writer kept the connection but sent no text for the idle timeout: not a lost connection."""

    kind = "stalled"


class StreamFailed(StreamError):
    """The server reported an error inside the stream (``event: error`` or an error object)."""

    kind = "stream"

    def __init__(
        self,
        message: str,
        partial_text: str = "",
        *,
        tpe: str | None = None,
        key: str | None = None,
    ) -> None:
        super().__init__(message, partial_text)
        self.tpe = tpe
        self.key = key


class StorageError(WriterError):
    """Reading or writing user data failed; nothing on disk was damaged."""

    kind = "storage"


class DiskFull(StorageError):
    """The disk (or quota) is full."""


class ReadOnlyConversation(StorageError):
    """The conversation was written by a newer version of Writer Desktop and is read-only here."""


class AlreadyLocked(StorageError):
    """Someone else holds the data folder's lock: usually another running Writer Desktop."""


class SecretsError(WriterError):
    """The OS keyring could not be used (absent, locked, failing or hanging)."""

    kind = "keyring"


def human_duration(seconds: float) -> str:
    """A wait in words: ``45 seconds``, ``about 3 minutes``, ``about 12 days``, ``about 3 years``
    (``more than a century`` for anything longer, or infinite)."""
    s = max(0.0, seconds)
    if not math.isfinite(s) or s >= 100 * 365.25 * 86400:
        return "more than a century"
    if s < 90:
        n = max(1, round(s))
        return f"{n} second{'s' if n != 1 else ''}"
    for unit, size, limit in (
        ("minutes", 60, 90 * 60),
        ("hours", 3600, 36 * 3600),
        ("days", 86400, 2 * 365 * 86400),
    ):
        if s < limit:
            return f"about {round(s / size)} {unit}"
    return f"about {round(s / (365.25 * 86400))} years"
