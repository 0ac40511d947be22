"""``codec.Encoder`` writes what ``codec.encode`` writes, however the conversation changes."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from writer_desktop.core import codec
from writer_desktop.core.errors import StorageError
from writer_desktop.core.models import Conversation, Message, Role, Status, Usage, Version


def long_conversation(n: int = 120) -> Conversation:
    conv = Conversation(title="long", extra={"later": {"messages": [], "x": [1, 2.5, None]}})
    for i in range(n):
        role = Role.USER if i % 2 == 0 else Role.ASSISTANT
        conv.messages.append(Message(role, f'message {i}\nline "two" \\ é 日本 \u2028 \ud800'))
    return conv


# One change to a conversation, as the app makes them: a reply growing, finishing or failing,
# an edit kept as a version, a message added or removed, a title, an unknown top-level key.
CHANGES = st.sampled_from(
    [
        "grow",
        "finish",
        "fail",
        "version",
        "append",
        "remove",
        "title",
        "extra",
        "message_extra",
        "usage",
        "none",
    ]
)


def change(conv: Conversation, what: str, text: str, at: int) -> None:
    message = conv.messages[at % len(conv.messages)]
    match what:
        case "grow":
            message.content += text
        case "finish":
            message.status, message.finish_reason = Status.COMPLETE, "stop"
        case "fail":
            message.status, message.error, message.error_kind = Status.ERROR, text, "network"
        case "version":
            message.versions.append(
                Version(Message(Role.USER, text), [Message(Role.ASSISTANT, "")])
            )
        case "append":
            conv.messages.append(Message(Role.ASSISTANT, text, status=Status.STREAMING))
        case "remove":
            if len(conv.messages) > 1:
                conv.messages.remove(message)
        case "title":
            conv.title = text
        case "extra":
            conv.extra["later"] = {"text": text}
        case "message_extra":
            message.extra["later"] = {"text": text, "n": [at]}
        case "usage":
            message.usage = Usage(at, len(text), at + len(text))
        case "none":
            pass


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(CHANGES, st.text(max_size=30), st.integers(0, 500)), max_size=12))
def test_the_same_bytes_as_a_whole_encode_after_any_changes(
    changes: list[tuple[str, str, int]],
) -> None:
    conv = long_conversation()
    encoder = codec.Encoder()
    assert encoder.encode(conv) == codec.encode(conv)
    for what, text, at in changes:
        change(conv, what, text, at)
        assert encoder.encode(conv) == codec.encode(conv), what


def test_another_conversation_and_short_ones_are_encoded_whole() -> None:
    encoder = codec.Encoder()
    first, second = long_conversation(), long_conversation()
    short = Conversation(messages=[Message(Role.USER, "hi")])
    for conv in (first, second, short, first):
        assert encoder.encode(conv) == codec.encode(conv)
    second.messages[0].id = first.messages[0].id  # same message id, another conversation
    assert encoder.encode(second) == codec.encode(second)


def test_what_json_cannot_hold_is_refused_and_then_forgotten() -> None:
    encoder = codec.Encoder()
    conv = long_conversation()
    encoder.encode(conv)
    conv.messages[3].usage = Usage(1, 1, 2)
    conv.messages[3].usage.total_tokens = float("nan")  # type: ignore[assignment]
    with pytest.raises(StorageError, match="cannot be written"):
        encoder.encode(conv)
    conv.messages[3].usage.total_tokens = 2
    assert encoder.encode(conv) == codec.encode(conv)


def test_only_what_changed_is_encoded_again(monkeypatch: pytest.MonkeyPatch) -> None:
    conv = long_conversation(2000)
    encoder = codec.Encoder()
    encoder.encode(conv)
    dumped: list[object] = []
    whole = codec._dumps

    def counted(data: object) -> str:
        dumped.append(data)
        return whole(data)

    monkeypatch.setattr(codec, "_dumps", counted)
    conv.messages[-1].content += " more"
    assert encoder.encode(conv) == codec.encode(conv)
    # by the encoder: the changed message and the rest of the file; then the whole, by encode
    assert [type(d) for d in dumped] == [dict, dict, dict]
    assert dumped[0] == conv.messages[-1].to_dict()
    assert len(dumped[2]["messages"]) == 2000  # type: ignore[index]
