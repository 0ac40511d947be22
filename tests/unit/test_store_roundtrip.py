"""What is saved is what loads: any text, big messages, odd characters; files match the schema."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from datetime import UTC
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from writer_desktop.core.codec import decode, encode
from writer_desktop.core.models import (
    Conversation,
    Message,
    Params,
    Role,
    Status,
    Usage,
    Version,
)
from writer_desktop.core.store import ConversationStore
from writer_desktop.core.versions import branch_copy, switch_version

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "docs" / "conversation.schema.json").read_text("utf-8")
)
KNOWN = {
    "schema_version", "id", "title", "created_at", "updated_at", "model", "system_prompt",
    "params", "pinned", "messages",
}  # fmt: skip
MESSAGE_KNOWN = {
    "id", "role", "content", "created_at", "model", "status", "finish_reason", "usage", "error",
    "error_kind", "versions",
}  # fmt: skip
SPECIAL = (  # emoji sequences, CJK, Hangul, RTL text and marks, combining, controls, NUL, BOM
    "😀👩‍👩‍👧‍👦🏳️‍🌈中文字日本語한국어עבריתالعربية"
    '\u200f\u202e\u0301\x00\x1f\x7f\n\r\t"\\/\ufeff\U0010fffd'
)

texts = st.text(st.one_of(st.characters(codec="utf-8"), st.sampled_from(SPECIAL)), max_size=40)
times = st.datetimes(timezones=st.just(UTC)).map(
    lambda d: d.isoformat(timespec="milliseconds").replace("+00:00", "Z")
)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63)
    | st.floats(allow_nan=False, allow_infinity=False)
    | texts,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=8,
)
plain_messages = st.builds(
    Message,
    role=st.sampled_from(Role),
    content=texts,
    id=st.uuids().map(str),
    created_at=times,
    model=st.none() | texts,
    status=st.sampled_from([s for s in Status if s is not Status.STREAMING]),
    finish_reason=st.none() | texts,
    usage=st.none() | st.builds(Usage, *(st.integers(0, 2**40) for _ in range(3))),
    error=st.none() | texts,
    extra=st.dictionaries(texts.filter(lambda k: k not in MESSAGE_KNOWN), json_values, max_size=2),
)
versions = st.builds(Version, plain_messages, st.lists(plain_messages, max_size=2))
messages = st.builds(
    lambda message, kept: dataclasses.replace(message, versions=kept),
    plain_messages,
    st.lists(versions, max_size=2),
)
conversations = st.builds(
    Conversation,
    id=st.uuids().map(str),
    title=texts,
    created_at=times,
    updated_at=times,
    model=texts,
    system_prompt=texts,
    params=st.builds(Params, st.floats(0, 2), st.integers(1, 10**6)),
    pinned=st.booleans(),
    messages=st.lists(messages, max_size=4),
    extra=st.dictionaries(texts.filter(lambda k: k not in KNOWN), json_values, max_size=3),
)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ConversationStore]:
    with ConversationStore(tmp_path / "data", tmp_path / "cache") as opened:
        yield opened


def saved_json(store: ConversationStore, conv_id: str) -> Any:
    return json.loads((store.conversations_dir / f"{conv_id}.json").read_bytes())


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(conv=conversations)
def test_round_trip(store: ConversationStore, conv: Conversation) -> None:
    store.save(conv)
    assert store.load(conv.id) == conv
    data = saved_json(store, conv.id)
    jsonschema.validate(data, SCHEMA)
    [summary] = [s for s in store.list() if s.id == conv.id]
    assert (summary.title, summary.message_count) == (conv.title, len(conv.messages))


def test_one_megabyte_message(store: ConversationStore) -> None:
    conv = Conversation(messages=[Message(Role.ASSISTANT, "中文 😀 abc\x00 " * 100_000)])
    assert len(conv.messages[0].content) >= 10**6
    store.save(conv)
    store.close()
    with ConversationStore(store.root, store.cache_dir) as again:
        assert again.load(conv.id) == conv


def test_lone_surrogates_are_kept_as_json_escapes(store: ConversationStore) -> None:
    conv = Conversation(title="a\ud800b", messages=[Message(Role.USER, "\udfff x \ud83d")])
    store.save(conv)
    raw = (store.conversations_dir / f"{conv.id}.json").read_bytes()
    raw.decode("utf-8")  # valid UTF-8
    assert b'"a\\ud800b"' in raw
    assert store.load(conv.id) == conv
    assert store.list()[0].title == "a\ufffdb"  # the index cannot hold them: shown as U+FFFD


def test_unknown_top_level_keys_survive_a_save(store: ConversationStore) -> None:
    conv = Conversation(title="x")
    data = conv.to_dict()
    data["added_by_a_plugin"] = {"keep": [1, 2]}
    (store.conversations_dir / f"{conv.id}.json").write_text(json.dumps(data), "utf-8")
    store.refresh()
    loaded = store.load(conv.id)
    loaded.title = "renamed"
    store.save(loaded)
    saved = saved_json(store, conv.id)
    assert saved["added_by_a_plugin"] == {"keep": [1, 2]}
    assert list(saved)[-1] == "added_by_a_plugin"


def test_unknown_message_keys_survive_a_save_and_a_branch(store: ConversationStore) -> None:
    # Kept inside messages too: a later version's new message field (as `versions` and
    # `error_kind` once were) was dropped by an older one at its next save of the file.
    reply = Message(Role.ASSISTANT, "an answer", created_at="2026-01-02T00:00:00.000Z")
    earlier = Message(Role.ASSISTANT, "the first", created_at="2026-01-01T00:00:00.000Z")
    reply.versions = [Version(earlier)]
    conv = Conversation(title="x", messages=[Message(Role.USER, "q"), reply])
    data = conv.to_dict()
    data["messages"][1]["citations"] = [{"url": "https://example.com", "n": 1}]
    data["messages"][1]["versions"][0]["message"]["citations"] = []
    (store.conversations_dir / f"{conv.id}.json").write_text(json.dumps(data), "utf-8")
    store.refresh()
    loaded = store.load(conv.id)
    loaded.title = "renamed"
    store.save(loaded)
    saved = saved_json(store, conv.id)["messages"][1]
    assert saved["citations"] == [{"url": "https://example.com", "n": 1}]
    assert list(saved)[-1] == "citations"  # after the known keys
    assert saved["versions"][0]["message"]["citations"] == []
    assert branch_copy(loaded, reply.id).messages[1].extra == {"citations": saved["citations"]}
    shown = switch_version(loaded, reply.id, -1)  # the versions swap: both keep theirs
    assert shown.extra == {"citations": []}
    assert loaded.messages[1].versions[0].message.extra["citations"][0]["n"] == 1


def test_schema_rejects_what_the_loader_rejects() -> None:
    good = Conversation(messages=[Message(Role.USER, "hi")]).to_dict()
    jsonschema.validate(good, SCHEMA)
    for key, value in [
        ("id", "not-a-uuid"),
        ("messages", "x"),
        ("pinned", 1),
        ("schema_version", 2),
    ]:
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate({**good, key: value}, SCHEMA)
    bad_versions = {**good["messages"][0], "versions": [{"following": []}]}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**good, "messages": [bad_versions]}, SCHEMA)
    bad_message = {**good["messages"][0], "status": "thinking"}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**good, "messages": [bad_message]}, SCHEMA)


def test_documented_example_is_valid() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "data-format.md").read_text("utf-8")
    example = doc.split("```json\n", 1)[1].split("```", 1)[0]
    data = json.loads(example)
    jsonschema.validate(data, SCHEMA)
    conv = decode(example.encode(), data["id"])
    assert encode(conv).decode() == example  # the example is exactly what the app writes
