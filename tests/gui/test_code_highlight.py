"""A growing code block is highlighted from a cached prefix while it streams, exactly once done."""

from __future__ import annotations

from writer_desktop.ui.render import CodeHighlighter, make_markdown, markdown_html

PLAIN_PYTHON = "".join(
    f"def function_{i}(x: int) -> int:\n    return x * {i} + len('text {i}')  # note {i}\n"
    for i in range(120)  # ~11,000 characters: several checkpoints
)


def highlighter() -> CodeHighlighter:
    hl = make_markdown().options["highlight"]
    assert isinstance(hl, CodeHighlighter)
    return hl


def test_streaming_pieces_give_the_same_html_as_one_whole_highlight() -> None:
    streaming, whole = highlighter(), highlighter()
    streaming.streaming = True
    for end in range(1, len(PLAIN_PYTHON) + 1, 97):  # growing as a reply does, mid-line too
        code = PLAIN_PYTHON[:end]
        assert streaming(code, "python") == whole(code, "python"), end
    assert len(streaming._prefixes) == 1  # one growing block, its prefix advanced


def test_a_string_open_across_a_checkpoint_is_exact_once_the_reply_is_done() -> None:
    code = 'x = 1\n"""\n' + "inside a docstring, not code: def if return\n" * 80 + '"""\ny = 2\n'
    md = make_markdown()
    text = f"```python\n{code}```\n"
    exact, _ = markdown_html(make_markdown(), text)
    for end in range(10, len(text), 211):
        markdown_html(md, text[:end], streaming=True)  # may colour the docstring's end wrongly
    assert markdown_html(md, text)[0] == exact  # the finished reply is highlighted whole


def test_other_blocks_and_languages_do_not_share_a_prefix() -> None:
    hl = highlighter()
    hl.streaming = True
    first = PLAIN_PYTHON[:4000]
    hl(first, "python")
    other = "SELECT name FROM users;\n" * 200
    assert hl(other, "sql") == highlighter()(other, "sql")
    assert hl(first, "text") == highlighter()(first, "text")  # the same code, another language
