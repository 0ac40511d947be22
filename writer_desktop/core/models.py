"""Conversations and messages as plain data, with a strict, versioned JSON form.

The JSON form is documented in ``docs/data-format.md`` (schema: ``docs/conversation.schema.json``).
Users and scripts read these files: change it only by raising ``SCHEMA_VERSION`` with a migration.
``from_dict`` validates everything it reads and raises ``ValueError`` on anything malformed.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

SCHEMA_VERSION = 1


class Role(StrEnum):
    SYSTEM = "system"
    USER = "user"
    ASSISTANT = "assistant"
    TOOL = "tool"


class Status(StrEnum):
    """Where a message stands. Only ``complete`` means the model finished normally."""

    COMPLETE = "complete"
    STREAMING = "streaming"
    STOPPED = "stopped"
    INTERRUPTED = "interrupted"
    ERROR = "error"


def utc_now() -> str:
    """The current time as ISO 8601 UTC with milliseconds, e.g. ``2026-11-25T17:19:42.123Z``."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_id() -> str:
    import uuid  # with the platform module it loads, ~2 ms the first frame does without

    return str(uuid.uuid4())


def _check_time(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a string")
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{name} is not an ISO 8601 time: {value[:40]!r}") from None
    return value


def _check_str(value: Any, name: str, *, optional: bool = False) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a string")
    return value


def _check_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer")
    return value


@dataclass(slots=True)
class Usage:
    """Token counts for one reply, as reported by the API."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0

    def to_dict(self) -> dict[str, int]:
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.total_tokens,
        }

    @classmethod
    def from_dict(cls, data: Any) -> Usage:
        if not isinstance(data, dict):
            raise ValueError("usage must be an object")
        return cls(
            prompt_tokens=_check_int(data.get("prompt_tokens", 0), "usage.prompt_tokens"),
            completion_tokens=_check_int(
                data.get("completion_tokens", 0), "usage.completion_tokens"
            ),
            total_tokens=_check_int(data.get("total_tokens", 0), "usage.total_tokens"),
        )


@dataclass(slots=True)
class Params:
    """Sampling parameters sent with each request of a conversation."""

    temperature: float = 0.7
    max_tokens: int = 4096

    def to_dict(self) -> dict[str, Any]:
        return {"temperature": self.temperature, "max_tokens": self.max_tokens}

    @classmethod
    def from_dict(cls, data: Any) -> Params:
        if not isinstance(data, dict):
            raise ValueError("params must be an object")
        temperature = data.get("temperature", 0.7)
        if (
            isinstance(temperature, bool)
            or not isinstance(temperature, int | float)
            or not math.isfinite(temperature)
            or not 0 <= temperature <= 2
        ):
            raise ValueError("params.temperature must be a number from 0 to 2")
        max_tokens = _check_int(data.get("max_tokens", 4096), "params.max_tokens")
        if max_tokens < 1:
            raise ValueError("params.max_tokens must be at least 1")
        return cls(temperature=float(temperature), max_tokens=max_tokens)


_MESSAGE_KEYS = frozenset(
    ("id", "role", "content", "created_at", "model", "status", "finish_reason", "usage", "error",
     "error_kind", "versions")
)  # fmt: skip


@dataclass(slots=True)
class Message:
    """One message. ``error`` is the user-facing text of what went wrong, if anything did."""

    role: Role
    content: str
    id: str = field(default_factory=new_id)
    created_at: str = field(default_factory=utc_now)
    model: str | None = None
    status: Status = Status.COMPLETE
    finish_reason: str | None = None
    usage: Usage | None = None
    error: str | None = None
    error_kind: str | None = None
    """What failed (``WriterError.kind``: ``auth``, ``model``, ``network`` …): the fix offered."""
    versions: list[Version] = field(default_factory=list)
    """Earlier states of this place in the conversation, oldest first (``core.versions``)."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Keys this version does not know (a later version's), kept so a save does not drop them."""

    def to_dict(self) -> dict[str, Any]:
        data = {
            "id": self.id,
            "role": self.role.value,
            "content": self.content,
            "created_at": self.created_at,
            "model": self.model,
            "status": self.status.value,
            "finish_reason": self.finish_reason,
            "usage": self.usage.to_dict() if self.usage else None,
            "error": self.error,
            "error_kind": self.error_kind,
            "versions": [v.to_dict() for v in self.versions],
        }
        # After the known keys, never over them; copied, as every to_dict() is fresh (``codec``).
        for key, value in copy.deepcopy(self.extra).items() if self.extra else ():
            data.setdefault(key, value)
        return data

    @classmethod
    def from_dict(cls, data: Any) -> Message:
        if not isinstance(data, dict):
            raise ValueError("a message must be an object")
        try:
            role = Role(str(data.get("role")))
            status = Status(data.get("status", "complete"))
        except ValueError as exc:
            raise ValueError(f"message: {exc}") from None
        usage = data.get("usage")
        versions = data.get("versions", [])
        if not isinstance(versions, list):
            raise ValueError("message.versions must be a list")
        return cls(
            id=str(_check_str(data.get("id"), "message.id")),
            role=role,
            content=str(_check_str(data.get("content"), "message.content")),
            created_at=_check_time(data.get("created_at"), "message.created_at"),
            model=_check_str(data.get("model"), "message.model", optional=True),
            status=status,
            finish_reason=_check_str(
                data.get("finish_reason"), "message.finish_reason", optional=True
            ),
            usage=Usage.from_dict(usage) if usage is not None else None,
            error=_check_str(data.get("error"), "message.error", optional=True),
            error_kind=_check_str(data.get("error_kind"), "message.error_kind", optional=True),
            versions=[Version.from_dict(v) for v in versions],
            extra={k: v for k, v in data.items() if k not in _MESSAGE_KEYS},
        )


@dataclass(slots=True)
class Version:
    """An earlier state of one place in a conversation: the message as it was there, and the
    messages that followed it then. Edit, regenerate and switching versions keep these."""

    message: Message
    following: list[Message] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "message": self.message.to_dict(),
            "following": [m.to_dict() for m in self.following],
        }

    @classmethod
    def from_dict(cls, data: Any) -> Version:
        if not isinstance(data, dict):
            raise ValueError("a version must be an object")
        following = data.get("following", [])
        if not isinstance(following, list):
            raise ValueError("version.following must be a list")
        return cls(
            message=Message.from_dict(data.get("message")),
            following=[Message.from_dict(m) for m in following],
        )


def walk_messages(messages: list[Message]) -> Iterator[Message]:
    """Every message, displayed or kept in a version, depth first."""
    for message in messages:
        yield message
        for version in message.versions:
            yield from walk_messages([version.message, *version.following])


@dataclass(slots=True)
class Conversation:
    """A conversation: metadata plus its messages in order."""

    id: str = field(default_factory=new_id)
    title: str = ""
    created_at: str = field(default_factory=utc_now)
    updated_at: str = ""
    model: str = ""
    system_prompt: str = ""
    params: Params = field(default_factory=Params)
    pinned: bool = False
    messages: list[Message] = field(default_factory=list)
    schema_version: int = SCHEMA_VERSION
    extra: dict[str, Any] = field(default_factory=dict)
    """Top-level keys this version does not know, kept so a save does not drop them."""
    original: bytes | None = field(default=None, repr=False, compare=False)
    """A newer version's file as read (such a conversation is never saved): what a JSON export
    writes, since what this version understood of it may be less (``codec``)."""

    def __post_init__(self) -> None:
        if not self.updated_at:
            self.updated_at = self.created_at

    @property
    def read_only(self) -> bool:
        """Written by a newer version: shown, never saved."""
        return self.schema_version > SCHEMA_VERSION

    def touch(self) -> None:
        self.updated_at = utc_now()

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "schema_version": self.schema_version,
            "id": self.id,
            "title": self.title,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "model": self.model,
            "system_prompt": self.system_prompt,
            "params": self.params.to_dict(),
            "pinned": self.pinned,
            "messages": [m.to_dict() for m in self.messages],
        }
        # Unknown keys go after the known ones (stable, readable order) and never override them.
        for key, value in self.extra.items():
            data.setdefault(key, value)
        return data

    @classmethod
    def from_dict(cls, data: Any) -> Conversation:
        if not isinstance(data, dict):
            raise ValueError("a conversation must be a JSON object")
        version = data.get("schema_version")
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise ValueError("schema_version must be a positive integer")
        conv_id = _check_str(data.get("id"), "id")
        import uuid

        try:  # in the one form file names use: "{3FD4F7A1-…}" from other tools is the same id
            conv_id = str(uuid.UUID(str(conv_id).lower()))
        except ValueError:
            raise ValueError("id must be a UUID") from None
        messages = data.get("messages")
        if not isinstance(messages, list):
            raise ValueError("messages must be a list")
        pinned = data.get("pinned", False)
        if not isinstance(pinned, bool):
            raise ValueError("pinned must be true or false")
        known = {
            "schema_version", "id", "title", "created_at", "updated_at", "model",
            "system_prompt", "params", "pinned", "messages",
        }  # fmt: skip
        return cls(
            schema_version=version,
            id=str(conv_id),
            title=str(_check_str(data.get("title", ""), "title")),
            created_at=_check_time(data.get("created_at"), "created_at"),
            updated_at=_check_time(data.get("updated_at"), "updated_at"),
            model=str(_check_str(data.get("model", ""), "model")),
            system_prompt=str(_check_str(data.get("system_prompt", ""), "system_prompt")),
            params=Params.from_dict(data.get("params", {})),
            pinned=pinned,
            messages=[Message.from_dict(m) for m in messages],
            extra={k: v for k, v in data.items() if k not in known},
        )
