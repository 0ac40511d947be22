"""Titles as lists show them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from writer_desktop.core.titles import UNTITLED, clean_title, clip, shown_title, visible_end

FAMILY = "👨\u200d👩\u200d👧\u200d👦"  # one emoji: four people joined by three ZWJs


def test_bidirectional_controls_cannot_reorder_a_title() -> None:
    # Shown as is, "\u202e" turned the rest of the title around: "evil" read as "live".
    assert shown_title("Budget \u202eevil\u202c") == "Budget evil"
    assert shown_title("a\u2066b\u2069c\u200fd\u061c") == "a b c d"


def test_control_characters_and_runs_of_spaces_show_as_one_space() -> None:
    assert shown_title("line one\nline two\t\x00end\x9b") == "line one line two end"
    assert shown_title("  lots   of   room  ") == "lots of room"


def test_blank_titles_are_untitled_everywhere() -> None:
    assert UNTITLED == "Untitled"  # the list, exports, branches and the CLI say the same
    assert shown_title("") == UNTITLED
    assert shown_title(" \u202e\n") == UNTITLED


def test_other_scripts_are_left_alone() -> None:
    assert shown_title("שלום עולם مرحبا 日本語 🚀") == "שלום עולם مرحبا 日本語 🚀"


def test_the_title_edited_on_rename_is_the_one_shown_but_blank_stays_blank() -> None:
    assert clean_title("abc\u202efed.exe\u202c end") == "abc fed.exe end"
    assert clean_title(" \u202e ") == ""


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("short", 10, "short"),
        ("a long title here", 10, "a long ti…"),
        ("ab" + FAMILY + "cd", 8, "ab…"),  # the family whole or not at all: never two of them
        ("ab" + FAMILY + "cd", 10, "ab" + FAMILY + "…"),
        ("xy🇫🇷🇩🇪z", 6, "xy🇫🇷…"),  # two flags: never 🇷🇩 or a lone half
        ("xy🇫🇷🇩🇪z", 5, "xy🇫🇷…"),
        ("xy🇫🇷🇩🇪z", 4, "xy…"),
        ("ok 👍🏽👍🏽", 6, "ok 👍🏽…"),  # a skin tone stays with its hand
        ("ok 👍🏽👍🏽", 5, "ok…"),
        ("cafe\u0301 au lait", 5, "caf…"),  # an accent stays with its letter
        ("❤\ufe0f❤\ufe0f", 3, "❤\ufe0f…"),
    ],
)
def test_clip_cuts_between_what_a_reader_sees_as_characters(
    text: str, limit: int, expected: str
) -> None:
    assert clip(text, limit) == expected


@given(st.text(max_size=80), st.integers(min_value=1, max_value=90))
def test_clip_is_never_longer_and_keeps_a_prefix(text: str, limit: int) -> None:
    cut = clip(text, limit)
    assert len(cut) <= max(limit, 1)
    assert text.startswith(cut.removesuffix("…").rstrip()) or cut == text
    end = visible_end(text, limit)
    assert end <= limit
    assert end == len(text) or end == 0 or text[end - 1] != "\u200d"
