"""The API address: Writer's by default; plain http only to this computer, so a key never
travels unencrypted. Kept apart from :mod:`.api` so that settings can check an address without
loading the HTTP stack."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from .errors import ConfigError

DEFAULT_BASE_URL = "https://api.writer.com"
_LOOPBACK_NAMES = {"localhost", "localhost.localdomain"}


def check_base_url(url: str) -> str:
    """Return ``url`` normalised (no trailing slash, no ``/v1``, ``/v1/chat`` …) or raise
    :class:`ConfigError`.

    ``https`` is always accepted; plain ``http`` only for loopback hosts, so a key is never sent
    in clear text over a network.
    """
    raw = url.strip()
    try:
        parts = urlsplit(raw)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise ConfigError(f"The API address {raw!r} is not a valid URL.") from None
    if parts.scheme not in ("http", "https"):
        raise ConfigError(f"The API address {raw!r} must start with https://.")
    if not host:  # "https://" alone was told to start with https://
        raise ConfigError(f"The API address {raw!r} has no host name after {parts.scheme}://.")
    if parts.username or parts.password:
        raise ConfigError("The API address must not contain a user name or password.")
    if parts.scheme == "http" and not _is_loopback(host):
        raise ConfigError(
            f"Refusing plain http:// for {host}: the API key would travel unencrypted. "
            "Use https://, or http:// only for this computer (127.0.0.1, ::1, localhost)."
        )
    if parts.query or parts.fragment or raw.endswith(("?", "#")) or any(c.isspace() for c in raw):
        raise ConfigError(
            f"The API address {raw!r} must be a plain address such as {DEFAULT_BASE_URL}, "
            "without spaces, ? or #."
        )
    address = raw.rstrip("/")
    # The app adds /v1/chat itself; an address copied with the version (as other clients want
    # it) or with the endpoint (as curl examples show it) would ask for /v1/v1/chat or
    # /v1/chat/v1/chat, and Writer's 404 would read as an unknown model.
    lowered = address.lower()
    for ending in _ENDPOINTS:
        if lowered.endswith(ending):
            address = address[: -len(ending)].rstrip("/")
            break
    return address


# Longest first: what the app adds itself, as an address may end with it.
_ENDPOINTS = ("/v1/chat/completions", "/v1/completions", "/v1/chat", "/v1/models", "/v1")


def is_loopback_url(url: str) -> bool:
    """Whether ``url`` points at this computer."""
    try:
        return _is_loopback(urlsplit(url).hostname or "")
    except ValueError:
        return False


def _is_loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
