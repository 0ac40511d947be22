"""Edit, regenerate, switch versions, branch: pure operations that never destroy anything."""

from __future__ import annotations

import copy
import itertools
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from writer_desktop.core.codec import decode, encode
from writer_desktop.core.models import (
    Conversation,
    Message,
    Params,
    Role,
    Status,
    Usage,
    walk_messages,
)
from writer_desktop.core.reply import request_messages
from writer_desktop.core.store import ConversationStore
from writer_desktop.core.versions import (
    VersionError,
    branch_copy,
    edit_message,
    last_message_id,
    regenerate,
    switch_version,
    version_position,
)

_times = itertools.count()


def msg(role: Role, content: str) -> Message:
    """Messages with increasing times, as a real conversation has."""
    moment = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=next(_times))
    return Message(role, content, created_at=moment.isoformat().replace("+00:00", "Z"))


def conversation() -> Conversation:
    return Conversation(
        title="Chat",
        model="palmyra-x5",
        system_prompt="Be brief.",
        params=Params(temperature=0.3, max_tokens=100),
        messages=[
            msg(Role.USER, "q1"),
            msg(Role.ASSISTANT, "a1"),
            msg(Role.USER, "q2"),
            msg(Role.ASSISTANT, "a2"),
        ],
    )


def finish(reply: Message, text: str) -> None:
    reply.content = text
    reply.status = Status.COMPLETE


def contents(conv: Conversation) -> set[str]:
    return {m.content for m in walk_messages(conv.messages)}


def shown(conv: Conversation) -> list[str]:
    return [m.content for m in conv.messages]


def round_trip(conv: Conversation) -> Conversation:
    return decode(encode(conv), conv.id)


def test_regenerate_keeps_the_old_reply_as_version_one_of_two() -> None:
    conv = conversation()
    old = conv.messages[3]
    new = regenerate(conv, old.id, "palmyra-x4")
    assert conv.messages[3] is new
    assert (new.role, new.status, new.content, new.model) == (
        Role.ASSISTANT,
        Status.STREAMING,
        "",
        "palmyra-x4",
    )
    assert [v.message for v in new.versions] == [old]
    assert new.versions[0].following == []
    assert version_position(new) == (2, 2)
    assert new.created_at > old.created_at


def test_edit_moves_the_message_and_what_followed_into_a_version() -> None:
    conv = conversation()
    old_q1, a1 = conv.messages[0], conv.messages[1]
    new = edit_message(conv, old_q1.id, "q1 edited")
    assert shown(conv) == ["q1 edited"]
    [version] = new.versions
    assert version.message is old_q1
    assert [m.content for m in version.following] == ["a1", "q2", "a2"]
    assert version.following[0] is a1
    assert version_position(new) == (2, 2)


def test_edit_carries_the_old_versions_over() -> None:
    conv = conversation()
    first = edit_message(conv, conv.messages[2].id, "q2 b")
    conv.messages.append(msg(Role.ASSISTANT, "a2 b"))
    second = edit_message(conv, first.id, "q2 c")
    assert [v.message.content for v in second.versions] == ["q2", "q2 b"]
    assert first.versions == []  # moved up, not duplicated
    assert version_position(second) == (3, 3)
    assert {"a2", "a2 b"} <= contents(conv)


def test_switching_back_and_forth_shows_each_version() -> None:
    conv = conversation()
    reply = regenerate(conv, conv.messages[3].id, "palmyra-x5")
    finish(reply, "a2 again")
    older = switch_version(conv, reply.id, -1)
    assert shown(conv)[-1] == "a2"
    assert version_position(older) == (1, 2)
    newer = switch_version(conv, older.id, +1)
    assert newer is reply
    assert shown(conv)[-1] == "a2 again"
    assert version_position(newer) == (2, 2)


def test_switching_brings_back_what_followed() -> None:
    conv = conversation()
    edited = edit_message(conv, conv.messages[0].id, "q1 b")
    conv.messages.append(msg(Role.ASSISTANT, "a1 b"))
    original = switch_version(conv, edited.id, -1)
    assert shown(conv) == ["q1", "a1", "q2", "a2"]
    assert version_position(original) == (1, 2)
    switch_version(conv, original.id, +1)
    assert shown(conv) == ["q1 b", "a1 b"]


def test_cycling_through_all_versions_restores_the_exact_original() -> None:
    conv = conversation()
    for text in ("a2 b", "a2 c", "a2 d"):
        finish(regenerate(conv, conv.messages[3].id, "palmyra-x5"), text)
    edit_message(conv, conv.messages[2].id, "q2 b")
    conv.messages.append(msg(Role.ASSISTANT, "a2 e"))
    conv = round_trip(conv)
    before = copy.deepcopy(conv.to_dict())
    place = 2
    k, n = version_position(conv.messages[place])
    assert (k, n) == (2, 2)
    seen = [shown(conv)]
    for _ in range(k - 1):  # down to the oldest …
        switch_version(conv, conv.messages[place].id, -1)
        seen.append(shown(conv))
        # … and through every state of the reply below it, and back.
        reply_k, reply_n = version_position(conv.messages[3])
        for step in [-1] * (reply_k - 1) + [+1] * (reply_n - 1) + [-1] * (reply_n - reply_k):
            switch_version(conv, conv.messages[3].id, step)
            seen.append(shown(conv))
    for _ in range(k - 1):
        switch_version(conv, conv.messages[place].id, +1)
    assert conv.to_dict() == before
    assert ["q1", "a1", "q2", "a2"] in seen
    assert {s[-1] for s in seen} == {"a2", "a2 b", "a2 c", "a2 d", "a2 e"}


def test_switching_past_the_ends_is_refused() -> None:
    conv = conversation()
    reply = regenerate(conv, conv.messages[3].id, "palmyra-x5")
    with pytest.raises(VersionError):
        switch_version(conv, reply.id, +1)
    with pytest.raises(VersionError):
        switch_version(conv, conv.messages[0].id, -1)  # no versions at all
    assert switch_version(conv, reply.id, 0) is reply


def test_wrong_roles_and_unknown_ids_are_refused() -> None:
    conv = conversation()
    with pytest.raises(VersionError):
        edit_message(conv, conv.messages[1].id, "x")
    with pytest.raises(VersionError):
        regenerate(conv, conv.messages[0].id, "m")
    with pytest.raises(VersionError):
        branch_copy(conv, "nope")
    assert shown(conv) == ["q1", "a1", "q2", "a2"]


def test_nothing_is_ever_destroyed() -> None:
    conv = conversation()
    ever: set[str] = set(shown(conv))
    finish(regenerate(conv, conv.messages[3].id, "m"), "a2 b")
    ever |= set(shown(conv))
    edited = edit_message(conv, conv.messages[0].id, "q1 b")
    conv.messages.append(msg(Role.ASSISTANT, "a1 c"))
    ever |= set(shown(conv))
    switch_version(conv, edited.id, -1)
    assert shown(conv) == ["q1", "a1", "q2", "a2 b"]
    finish(regenerate(conv, conv.messages[1].id, "m"), "a1 b")
    ever |= set(shown(conv))
    edit_message(conv, conv.messages[0].id, "q1 c")
    ever |= set(shown(conv))
    assert ever == {"q1", "a1", "q2", "a2", "a2 b", "q1 b", "a1 c", "a1 b", "q1 c"}
    loaded = round_trip(conv)
    assert ever <= contents(loaded)
    assert loaded == conv


def test_branch_copies_the_path_up_to_a_message() -> None:
    conv = conversation()
    conv.messages[1].usage = Usage(1, 2, 3)
    regenerate(conv, conv.messages[3].id, "m")  # versions and a streaming reply
    before = copy.deepcopy(conv.to_dict())
    branch = branch_copy(conv, conv.messages[3].id)
    assert conv.to_dict() == before  # the original is untouched
    assert branch.id != conv.id
    assert branch.title == "Chat (branch)"
    assert (branch.model, branch.system_prompt, branch.params) == (
        conv.model,
        conv.system_prompt,
        conv.params,
    )
    assert branch.params is not conv.params
    assert shown(branch) == shown(conv)
    assert all(m.versions == [] for m in branch.messages)
    assert not {m.id for m in branch.messages} & {m.id for m in conv.messages}
    assert branch.messages[1].usage == Usage(1, 2, 3)
    assert branch.messages[1].usage is not conv.messages[1].usage
    assert branch.messages[3].status is Status.STOPPED  # nothing streams into a copy
    assert shown(branch_copy(conv, conv.messages[0].id)) == ["q1"]


def test_branch_of_an_untitled_conversation() -> None:
    conv = Conversation(messages=[msg(Role.USER, "x")])
    assert branch_copy(conv, conv.messages[0].id).title == "Untitled (branch)"


def test_versions_are_never_sent_to_the_api() -> None:
    conv = conversation()
    finish(regenerate(conv, conv.messages[3].id, "m"), "a2 b")
    edited = edit_message(conv, conv.messages[2].id, "q2 b")
    reply = msg(Role.ASSISTANT, "")
    conv.messages.append(reply)
    sent = request_messages(conv, reply)
    assert sent == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "q1"},
        {"role": "assistant", "content": "a1"},
        {"role": "user", "content": "q2 b"},
    ]
    assert "versions" not in json.dumps(sent)
    assert edited.versions  # they exist, they are just not sent


def test_last_message_id() -> None:
    conv = conversation()
    assert last_message_id(conv, Role.USER) == conv.messages[2].id
    assert last_message_id(conv, Role.ASSISTANT) == conv.messages[3].id
    assert last_message_id(Conversation(), Role.USER) is None


def test_new_states_are_newest_even_when_the_clock_is_behind() -> None:
    conv = conversation()
    conv.messages[3].created_at = "2999-01-01T00:00:00.000Z"
    new = regenerate(conv, conv.messages[3].id, "m")
    assert new.created_at == "2999-01-01T00:00:00.001Z"
    assert version_position(new) == (2, 2)


def test_missing_versions_key_reads_as_none_and_is_written() -> None:
    conv = conversation()
    data: dict[str, Any] = conv.to_dict()
    for message in data["messages"]:
        assert message.pop("versions") == []
    assert Conversation.from_dict(data) == conv
    assert all("versions" in m for m in Conversation.from_dict(data).to_dict()["messages"])


@pytest.mark.parametrize(
    "versions",
    [{}, [1], [{"message": "x"}], [{"message": None}], [{"following": []}]],
)
def test_malformed_versions_are_rejected(versions: object) -> None:
    data = conversation().to_dict()
    data["messages"][0]["versions"] = versions
    with pytest.raises(ValueError, match=r"version|message"):
        Conversation.from_dict(data)


def test_malformed_following_is_rejected() -> None:
    data = conversation().to_dict()
    first = data["messages"][0]
    data["messages"][1]["versions"] = [{"message": dict(first), "following": "x"}]
    with pytest.raises(ValueError, match="following"):
        Conversation.from_dict(data)


def test_an_orphaned_streaming_reply_kept_in_a_version_is_marked_interrupted(
    tmp_path: Path,
) -> None:
    conv = conversation()
    conv.messages[3].status = Status.STREAMING  # the app died while it streamed …
    edit_message(conv, conv.messages[2].id, "q2 b")  # … after an edit had moved it
    with ConversationStore(tmp_path / "data", tmp_path / "cache") as store:
        store.save(conv)
        assert store.list()[0].has_streaming
    with ConversationStore(tmp_path / "data", tmp_path / "cache") as store:
        loaded = store.load(conv.id)
        [kept] = loaded.messages[2].versions[0].following
        assert kept.status is Status.INTERRUPTED
        assert not store.list()[0].has_streaming
