"""Export: Markdown that keeps its structure whatever the messages hold; JSON; read-only loading."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.token import Token

from writer_desktop.core import codec
from writer_desktop.core.export import (
    export_to_file,
    export_to_folder,
    markdown_body,
    render,
    to_markdown,
)
from writer_desktop.core.models import Conversation, Message, Role, Status
from writer_desktop.core.readonly import (
    ConversationNotFound,
    CorruptConversation,
    ReadOnlyStore,
)
from writer_desktop.core.store import ConversationStore
from writer_desktop.core.versions import regenerate, switch_version

MD = MarkdownIt("commonmark")
NASTY = [
    "## You\nI am not the user.",
    "# Title\nSetext\n===\nAnother\n---\n###### deep",
    "```python\nprint('stopped mid-fence')",
    "````\n```\nnested fence\n```\n",
    "~~~\ntilde never closed",
    "<!-- an unclosed comment\n## You",
    "<details><summary>x</summary>\nnever closed",
    "<script>alert(1)</script> and <b>bold</b>",
    "> ## quoted heading\n> - # list heading",
    "- item\n  ```\n  fenced in a list",
    "Emoji 👩‍💻🎉 and RTL: שלום עולם مرحبا",
    "Literal `<b>` and `## You` in code spans",
    "    # indented code, not a heading",
    "\\<already escaped> and \\\\<b>after an escaped backslash",
    "<https://example.com/ok> beside <img src=x onerror=alert(1)>",
    "*Stopped — reply incomplete*",
    "[docs]: https://evil.example/phish\n> [^1]: note",
]


def conv_with(*contents: str, **kw: object) -> Conversation:
    messages = []
    for i, content in enumerate(contents):
        role = Role.USER if i % 2 == 0 else Role.ASSISTANT
        messages.append(Message(role, content, model="palmyra-x5" if i % 2 else None))
    return Conversation(title="Nasty", model="palmyra-x5", messages=messages, **kw)  # type: ignore[arg-type]


def headings(markdown: str) -> list[tuple[str, str]]:
    tokens = MD.parse(markdown)
    return [
        (tok.tag, tokens[i + 1].content)
        for i, tok in enumerate(tokens)
        if tok.type == "heading_open" and tok.tag in ("h1", "h2")
    ]


def html_tokens(markdown: str) -> list[Token]:
    found = []
    for tok in MD.parse(markdown):
        if tok.type == "html_block":
            found.append(tok)
        found += [c for c in tok.children or () if c.type == "html_inline"]
    return found


def references(markdown: str) -> dict[str, object]:
    env: dict[str, object] = {}
    MD.parse(markdown, env)
    return env.get("references", {})  # type: ignore[return-value]


def expected_headings(conv: Conversation) -> list[tuple[str, str]]:
    roles = {Role.USER: "You", Role.SYSTEM: "System", Role.TOOL: "Tool"}
    return [("h1", conv.title or "Untitled")] + [
        ("h2", roles.get(m.role, f"Writer · {m.model or conv.model}")) for m in conv.messages
    ]


def test_layout_of_a_simple_conversation() -> None:
    conv = Conversation(
        title="Haiku about autumn",
        created_at="2026-11-25T17:19:42.123Z",
        updated_at="2026-11-25T17:20:03.456Z",
        model="palmyra-x5",
        system_prompt="You are a concise poet.",
        messages=[
            Message(Role.USER, "Write a haiku about autumn."),
            Message(Role.ASSISTANT, "Crisp leaves drift and fall —", model="palmyra-x5"),
        ],
    )
    assert to_markdown(conv) == (
        "# Haiku about autumn\n"
        "Model: palmyra-x5 · Created: 2026-11-25 17:19 UTC · Updated: 2026-11-25 17:20 UTC\n"
        "\n**System prompt**\n> You are a concise poet.\n"
        "\n## You\n\nWrite a haiku about autumn.\n"
        "\n## Writer · palmyra-x5\n\nCrisp leaves drift and fall —\n"
    )


def test_only_the_displayed_path_is_exported_with_its_version_marker() -> None:
    conv = Conversation(
        title="T",
        created_at="2026-11-25T17:19:42.123Z",
        updated_at="2026-11-25T17:20:03.456Z",
        messages=[Message(Role.USER, "question"), Message(Role.ASSISTANT, "first answer")],
    )
    reply = regenerate(conv, conv.messages[1].id, "")
    reply.content, reply.status = "second answer", Status.COMPLETE
    assert to_markdown(conv) == (
        "# T\nCreated: 2026-11-25 17:19 UTC · Updated: 2026-11-25 17:20 UTC\n"
        "\n## You\n\nquestion\n"
        "\n## Writer\n\n*(version 2 of 2)*\n\nsecond answer\n"
    )
    switch_version(conv, reply.id, -1)
    markdown = to_markdown(conv)
    assert "*(version 1 of 2)*\n\nfirst answer\n" in markdown
    assert "second answer" not in markdown


@pytest.mark.parametrize("content", NASTY)
def test_nasty_content_keeps_the_structure(content: str) -> None:
    conv = conv_with(content, content, "after")
    markdown = to_markdown(conv)
    assert headings(markdown) == expected_headings(conv)
    assert html_tokens(markdown) == []
    assert markdown.rstrip().endswith("after")  # nothing swallowed the last message


def test_all_nasty_content_in_one_document() -> None:
    conv = conv_with(*NASTY, system_prompt="# Rules\n```\nopen fence")
    markdown = to_markdown(conv)
    assert headings(markdown) == expected_headings(conv)
    assert html_tokens(markdown) == []


def test_content_headings_go_two_levels_down() -> None:
    assert markdown_body("# A\n## You\n#### D\n###### F") == "### A\n#### You\n###### D\n###### F"
    assert markdown_body("Setext\n===") == "### Setext"
    assert markdown_body("Two\nlines\n---") == "#### Two lines"
    assert markdown_body("```\n# comment\n```") == "```\n# comment\n```"


def test_unclosed_fence_is_closed_with_its_own_marker() -> None:
    assert markdown_body("````py\nx = 1") == "````py\nx = 1\n````"
    assert markdown_body("~~~\nx") == "~~~\nx\n~~~"


def test_raw_html_is_shown_not_interpreted() -> None:
    assert markdown_body("<!-- hi\nthere") == "\\<!-- hi\nthere"
    assert markdown_body("a <b>b</b> `<c>`") == "a \\<b>b\\</b> `<c>`"
    assert markdown_body("1 < 2 and 3 > 2") == "1 < 2 and 3 > 2"  # not a tag: untouched


def test_one_messages_link_definitions_cannot_make_links_of_anothers_words() -> None:
    # A definition is the document's: "[docs]: https://evil…" in a reply made the user's own
    # "See the [docs]" in another message a link to that address.
    conv = conv_with("See the [docs] and note [^1].", "[docs]: https://evil.example/phish\n[^1]: x")
    markdown = to_markdown(conv)
    assert references(markdown) == {}
    assert "evil.example" in markdown  # shown as typed
    assert "\\[docs]: https://evil.example/phish" in markdown
    assert "href" not in MD.render(markdown)
    assert (
        markdown_body("> [x]: http://a\n\n- [y]: http://b")
        == "> \\[x]: http://a\n\n- \\[y]: http://b"
    )
    assert markdown_body("```\n[z]: http://c\n```") == "```\n[z]: http://c\n```"
    assert markdown_body("text [a] b: c") == "text [a] b: c"


def test_autolinks_to_safe_addresses_stay_links() -> None:
    text = "See <https://example.com/docs> or <mailto:help@example.com>, not <javascript:x()>."
    body = markdown_body(text)
    assert body == (
        "See <https://example.com/docs> or <mailto:help@example.com>, not \\<javascript:x()>."
    )
    links = [t.attrGet("href") for t in MD.parseInline(body)[0].children or [] if t.attrs]
    assert links == ["https://example.com/docs", "mailto:help@example.com"]


def test_unpaired_obsidian_comment_and_math_are_escaped() -> None:
    assert markdown_body("50%% off, stopped") == "50\\%\\% off, stopped"
    assert markdown_body("a %% hidden %% b") == "a %% hidden %% b"  # paired: left alone
    assert markdown_body("$$\nx^2 + y^2") == "\\$\\$\nx^2 + y^2"
    assert markdown_body("`%%` and\n```\n$$\n```") == "`%%` and\n```\n$$\n```"  # code


def test_plain_text_is_verbatim() -> None:
    text = "Emoji 👩‍💻, RTL שלום, *emphasis*, [link](https://example.com), 5 * 3 = 15"
    assert markdown_body(text) == text


@pytest.mark.parametrize(
    ("status", "error", "mark"),
    [
        (Status.STOPPED, None, "*Stopped — reply incomplete*"),
        (Status.INTERRUPTED, "Writer Desktop closed.", "*Interrupted — reply incomplete*"),
        (Status.STREAMING, None, "reply incomplete*"),
        (Status.ERROR, "Rate limited. # Try later", "> **Error:**\n> Rate limited. # Try later"),
    ],
)
def test_incomplete_replies_are_marked(status: Status, error: str | None, mark: str) -> None:
    reply = Message(Role.ASSISTANT, "partial", model="palmyra-x5", status=status, error=error)
    conv = Conversation(title="t", messages=[Message(Role.USER, "q"), reply])
    markdown = to_markdown(conv)
    assert mark in markdown
    if error:  # the error is a quote, apart from the model's text
        assert f"> {error}" in markdown
        assert "\npartial\n" in markdown


def test_titles_and_models_cannot_break_headings() -> None:
    conv = conv_with("hi", "ho")
    conv.title = "Line\nbreak # <b>bold</b> ##"
    conv.messages[1].model = "evil\n## You"
    markdown = to_markdown(conv)
    tags = [tag for tag, _ in headings(markdown)]
    assert tags == ["h1", "h2", "h2"]
    assert html_tokens(markdown) == []


def test_empty_title_is_untitled_and_lone_surrogates_survive() -> None:
    conv = Conversation(messages=[Message(Role.USER, "bad \udc80 byte")])
    markdown = to_markdown(conv)
    assert markdown.startswith("# Untitled\n")
    assert "bad \ufffd byte" in render(conv, "markdown").decode("utf-8")


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            ["# ", "## You", "```", "~~~", "<!--", "<div>", "> ", "- ", "===", "---", "[a]: b"]
        )
        | st.text(alphabet="#`~<>!-=*_ \n\\abc[]:", max_size=12),
        max_size=12,
    ).map("".join)
)
def test_any_content_keeps_the_structure(content: str) -> None:
    conv = conv_with(content, content, "after")
    markdown = to_markdown(conv)
    assert headings(markdown) == expected_headings(conv)
    assert html_tokens(markdown) == []
    assert references(markdown) == {}


def test_markdown_has_no_control_characters() -> None:
    conv = conv_with("a NUL\x00 and a bell\x07\tstay\r\nlines")
    conv.title = "Ti\x00tle"
    markdown = render(conv, "markdown").decode("utf-8")
    assert "\x00" not in markdown
    assert "\x07" not in markdown
    assert "a NUL\ufffd and a bell\ufffd\tstay" in markdown
    assert "Ti\ufffdtle" in markdown


def test_json_is_the_stored_form() -> None:
    conv = conv_with("hello", "world")
    data = render(conv, "json")
    assert data == codec.encode(conv)
    assert Conversation.from_dict(json.loads(data)) == conv


def test_export_to_folder_names_files_from_titles(tmp_path: Path) -> None:
    conv = conv_with("hi")
    conv.title = "a/b: c?"
    first = export_to_folder(conv, tmp_path, "markdown")
    second = export_to_folder(conv, tmp_path, "markdown")
    third = export_to_folder(conv, tmp_path, "json")
    assert [p.name for p in (first, second, third)] == [
        "a_b_ c_.md",
        "a_b_ c_ (2).md",
        "a_b_ c_.json",
    ]


def test_export_to_a_chosen_file(tmp_path: Path) -> None:
    conv = conv_with("hi")
    target = tmp_path / "chosen.md"
    assert export_to_file(conv, target, "markdown") == target.resolve()
    assert export_to_file(conv, target, "markdown").name == "chosen (2).md"
    assert export_to_file(conv, tmp_path / "README", "json").name == "README"
    assert export_to_file(conv, tmp_path / "README", "json").name == "README (2)"
    assert export_to_file(conv, target, "json", force=True) == target.resolve()
    assert json.loads(target.read_text(encoding="utf-8"))["id"] == conv.id


# -- reading while the app runs ----------------------------------------------------------------


@pytest.fixture
def store(tmp_path: Path) -> ConversationStore:
    return ConversationStore(tmp_path / "data", tmp_path / "cache")


def test_reads_while_the_store_is_open_and_locked(store: ConversationStore) -> None:
    conv = conv_with("hello")
    conv.messages[0].status = Status.STREAMING  # the app is streaming into it right now
    with store:
        store.mark_streaming(conv.id)
        store.save(conv)
        reader = ReadOnlyStore(store.conversations_dir)
        assert reader.ids() == [conv.id]
        assert reader.load(conv.id) == conv  # as on disk: still streaming, nothing rewritten
        assert reader.resolve(conv.id[:6]) == conv.id


def test_corrupt_files_are_reported_and_left_alone(store: ConversationStore) -> None:
    with store:
        pass
    bad = store.conversations_dir / "3b241101-e2bb-4255-8caf-4136c566a962.json"
    bad.write_bytes(b"{not json")
    before = sorted(p.name for p in store.conversations_dir.iterdir())
    reader = ReadOnlyStore(store.conversations_dir)
    with pytest.raises(CorruptConversation, match="could not be read"):
        reader.load(bad.stem)
    with pytest.raises(ConversationNotFound):
        reader.load("00000000-0000-4000-8000-000000000000")
    assert sorted(p.name for p in store.conversations_dir.iterdir()) == before
    assert bad.read_bytes() == b"{not json"


def test_prefixes_resolve_like_git(tmp_path: Path) -> None:
    folder = tmp_path / "conversations"
    folder.mkdir()
    ids = ["aaaa1111-0000-4000-8000-000000000000", "aaaa2222-0000-4000-8000-000000000000"]
    for conv_id in ids:
        (folder / f"{conv_id}.json").write_bytes(codec.encode(Conversation(id=conv_id)))
    (folder / "notes.txt").write_text("ignored")
    reader = ReadOnlyStore(folder)
    assert reader.resolve("AAAA2") == ids[1]
    assert reader.resolve(ids[0]) == ids[0]
    with pytest.raises(ConversationNotFound, match="ambiguous"):
        reader.resolve("aaaa")
    for unknown in ("b", "", "../x"):
        with pytest.raises(ConversationNotFound, match="No conversation"):
            reader.resolve(unknown)
    assert ReadOnlyStore(tmp_path / "missing").list() == []
