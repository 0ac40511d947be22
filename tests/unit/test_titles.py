"""Titles as lists show them."""

from __future__ import annotations

from writer_desktop.core.titles import UNTITLED, clean_title, shown_title


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
