"""The chunk parser: Writer's stream quirks become clean typed events."""

from __future__ import annotations

import json
from typing import Any

import pytest

from writer_desktop.core.errors import StreamFailed
from writer_desktop.core.models import Usage
from writer_desktop.core.sse import ServerSentEvent
from writer_desktop.core.stream import ChunkParser, Finished, TextDelta, error_description


def chunk(
    content: str | None, finish: str | None = None, *, usage: Any = None, cid: str = "x"
) -> str:
    return json.dumps(
        {
            "id": cid,
            "object": "chat.completion.chunk",
            "choices": [
                {
                    "index": 0,
                    "finish_reason": finish,
                    "delta": {
                        "content": content,
                        "role": "assistant",
                        "tool_calls": None,
                        "graph_data": {"sources": None, "status": None, "subqueries": None},
                        "refusal": None,
                    },
                    "logprobs": None,
                }
            ],
            "created": 1731919162,
            "model": "palmyra-x5",
            "usage": usage,
            "system_fingerprint": "v1",
            "service_tier": None,
        }
    )


def feed(parser: ChunkParser, *datas: str, event: str = "message") -> list[TextDelta]:
    out: list[TextDelta] = []
    for data in datas:
        out.extend(parser.feed(ServerSentEvent(data, event=event)))
    return out


def test_quirks_give_clean_text_and_finish() -> None:
    parser = ChunkParser()
    deltas = feed(
        parser,
        chunk("", cid="a"),  # empty first content
        chunk(None, cid="b"),  # null content means absent
        chunk("Hel", cid="c"),  # role repeats: never appended
        chunk("lo", "stop", cid="d"),  # content on the finishing chunk
        json.dumps(
            {
                "id": "e",
                "choices": [],
                "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
            }
        ),
    )
    assert [d.text for d in deltas] == ["Hel", "lo"]
    assert parser.text == "Hello"
    assert parser.finished() == Finished("stop", Usage(3, 2, 5))


def test_usage_on_last_content_chunk() -> None:
    parser = ChunkParser()
    feed(
        parser,
        chunk(
            "Hi", "length", usage={"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}
        ),
    )
    assert parser.finished() == Finished("length", Usage(1, 1, 2))


def test_done_marker_sets_done_and_no_finish_means_cut_off() -> None:
    parser = ChunkParser()
    feed(parser, chunk("partial"), "[DONE]")
    assert parser.done
    assert parser.finished() is None
    assert parser.text == "partial"


def test_error_event_raises_with_description_and_partial_text() -> None:
    parser = ChunkParser()
    feed(parser, chunk("so far"))
    body = json.dumps(
        {
            "tpe": "ServerError",
            "errors": [{"description": "Model overloaded", "key": "fail.overloaded"}],
        }
    )
    with pytest.raises(StreamFailed) as info:
        feed(parser, body, event="error")
    assert info.value.user_message == "Model overloaded"
    assert info.value.partial_text == "so far"
    assert info.value.key == "fail.overloaded"


@pytest.mark.parametrize(
    "body",
    [
        {
            "tpe": "BadRequest",
            "errors": [{"description": "Blocked by guardrail", "key": "fail.guardrail.blocked"}],
        },
        {"error": {"message": "Blocked by guardrail"}},
        {"errors": [{"description": "Blocked by guardrail"}]},
    ],
)
def test_error_object_on_plain_data_line_is_an_error(body: dict[str, Any]) -> None:
    parser = ChunkParser()
    with pytest.raises(StreamFailed, match="Blocked by guardrail"):
        feed(parser, json.dumps(body))


def test_malformed_json_fails_keeping_partial() -> None:
    parser = ChunkParser()
    feed(parser, chunk("abc"))
    with pytest.raises(StreamFailed) as info:
        feed(parser, "{not json")
    assert info.value.partial_text == "abc"


def test_other_choice_indexes_ignored() -> None:
    parser = ChunkParser()
    data = json.loads(chunk("zero"))
    data["choices"].append({"index": 1, "delta": {"content": "one"}, "finish_reason": None})
    feed(parser, json.dumps(data))
    assert parser.text == "zero"


def test_error_description_fallbacks() -> None:
    assert error_description(None, "fallback") == ("fallback", None, None)
    assert error_description({"errors": "nonsense"}, "fb")[0] == "fb"
    desc, tpe, key = error_description(
        {
            "tpe": "T",
            "errors": [
                {"description": "A", "key": "k"},
                {"description": "A"},
                {"description": "B"},
            ],
        },
        "fb",
    )
    assert (desc, tpe, key) == ("A; B", "T", "k")
