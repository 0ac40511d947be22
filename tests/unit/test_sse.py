"""The SSE decoder: framing rules, and identical events whatever the byte split."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from writer_desktop.core.sse import ServerSentEvent, SSEDecoder


def decode_all(pieces: list[bytes]) -> list[ServerSentEvent]:
    decoder = SSEDecoder()
    events: list[ServerSentEvent] = []
    for piece in pieces:
        events.extend(decoder.decode(piece))
    events.extend(decoder.flush())
    return events


def test_basic_event_and_comment() -> None:
    body = b': keep-alive\n\ndata: {"a": 1}\n\n'
    assert decode_all([body]) == [ServerSentEvent('{"a": 1}')]


def test_multiple_data_lines_join_with_newline_and_one_space_dropped() -> None:
    body = b"data: one\ndata:two\ndata:  three\n\n"
    assert decode_all([body]) == [ServerSentEvent("one\ntwo\n three")]


def test_named_event_id_and_retry() -> None:
    body = b"event: error\nid: 7\nretry: 300\ndata: {}\n\n"
    assert decode_all([body]) == [ServerSentEvent("{}", event="error", id="7", retry=300)]


def test_event_type_resets_after_dispatch() -> None:
    body = b"event: error\ndata: x\n\ndata: y\n\n"
    events = decode_all([body])
    assert [e.event for e in events] == ["error", "message"]


def test_event_without_data_is_dropped() -> None:
    assert decode_all([b"event: ping\n\n", b"id: 3\n\n"]) == []


def test_unterminated_last_event_is_not_dispatched() -> None:
    decoder = SSEDecoder()
    assert decoder.decode(b"data: complete\n\ndata: partial") == [ServerSentEvent("complete")]
    assert decoder.pending
    assert decoder.flush() == []


def test_crlf_split_across_pieces_counts_once() -> None:
    events = decode_all([b"data: a\r", b"\n\r", b"\ndata: b\r\n\r\n"])
    assert events == [ServerSentEvent("a"), ServerSentEvent("b")]


def test_invalid_utf8_becomes_replacement_character() -> None:
    assert decode_all([b"data: \xff\xfeok\n\n"]) == [ServerSentEvent("\ufffd\ufffdok")]


def test_field_without_colon_and_unknown_fields_ignored() -> None:
    assert decode_all([b"data\nfoo: bar\n\n"]) == [ServerSentEvent("")]


_payload_text = st.text(
    alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\r\n"),
    max_size=40,
)


@st.composite
def streams(draw: st.DrawFn) -> tuple[bytes, list[list[str]]]:
    """A stream of events (each a list of data lines) in one line-ending style, as bytes."""
    ending = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    events = draw(st.lists(st.lists(_payload_text, min_size=1, max_size=3), max_size=8))
    out: list[str] = []
    for lines in events:
        if draw(st.booleans()):
            out.append(": keep-alive" + ending)
        out.extend(f"data: {line}{ending}" for line in lines)
        out.append(ending)
    return "".join(out).encode("utf-8"), events


@settings(max_examples=300, deadline=None)
@given(data=streams(), cuts=st.lists(st.integers(min_value=0, max_value=10_000), max_size=25))
def test_any_split_gives_identical_events(
    data: tuple[bytes, list[list[str]]], cuts: list[int]
) -> None:
    body, events = data
    points = sorted({c % (len(body) + 1) for c in cuts})
    pieces = [body[a:b] for a, b in zip([0, *points], [*points, len(body)], strict=True)]
    expected = [ServerSentEvent("\n".join(lines)) for lines in events]
    assert decode_all([body]) == expected
    assert decode_all(pieces) == expected
    assert decode_all([body[i : i + 1] for i in range(len(body))]) == expected


def test_multibyte_characters_split_inside() -> None:
    body = "data: café 日本語 🎉\n\n".encode()
    for i in range(len(body)):
        assert decode_all([body[:i], body[i:]]) == [ServerSentEvent("café 日本語 🎉")]


def test_a_line_in_thousands_of_pieces_is_one_event() -> None:
    # Each piece was added to one string, copying it all again: 20 MB took 6.3 s, now 0.06 s
    # (benchmarks/sse_line.py).
    decoder = SSEDecoder()
    assert decoder.decode(b"data: ") == []
    for _ in range(5_000):
        assert decoder.decode(b"abcd\xc3") == []  # a character cut between pieces too
        assert decoder.decode(b"\xa9") == []
        assert decoder.pending
    [event] = decoder.decode(b"\r\n\r\n")
    assert event.data == "abcd\u00e9" * 5_000
    assert not decoder.pending


def test_finish_dispatches_the_event_the_body_ended_without_a_blank_line() -> None:
    decoder = SSEDecoder()
    assert decoder.decode(b"data: one\n\nevent: last\ndata: tw") == [ServerSentEvent("one")]
    assert decoder.decode(b"o") == []
    assert decoder.finish() == [ServerSentEvent("two", "last")]
    assert not decoder.pending
    assert decoder.finish() == []
