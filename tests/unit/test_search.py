"""Full-text search: ranking, prefixes, diacritics, CJK, hostile queries, rebuilds and updates."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from writer_desktop.core.models import Conversation, Message, Role
from writer_desktop.core.readonly import ReadOnlyStore
from writer_desktop.core.search import (
    MARK_END,
    MARK_START,
    SEARCH_NAME,
    SearchIndex,
    fts_query,
    snippet_parts,
)
from writer_desktop.core.store import ConversationStore


def conv(title: str, *texts: str) -> Conversation:
    roles = (Role.USER, Role.ASSISTANT)
    return Conversation(
        title=title, messages=[Message(roles[i % 2], t) for i, t in enumerate(texts)]
    )


@pytest.fixture
def index() -> Iterator[SearchIndex]:
    with SearchIndex(None) as opened:
        yield opened


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ConversationStore]:
    with ConversationStore(tmp_path / "data", tmp_path / "cache") as opened:
        yield opened


def found(index: SearchIndex, query: str) -> list[str]:
    return [h.snippet.replace(MARK_START, "[").replace(MARK_END, "]") for h in index.search(query)]


def test_hits_carry_ids_and_highlighted_snippets(index: SearchIndex) -> None:
    c = conv("Autumn poems", "Write a haiku about maple leaves.", "Crisp maple leaves drift.")
    index.update(c)
    hits = index.search("maple")
    assert {h.message_id for h in hits} == {c.messages[0].id, c.messages[1].id}
    assert {h.conversation_id for h in hits} == {c.id}
    assert all(h.title == "Autumn poems" for h in hits)
    assert f"{MARK_START}maple{MARK_END}" in hits[0].snippet
    title_hit = index.search("poems")[0]
    assert title_hit.message_id is None
    assert title_hit.snippet == f"Autumn {MARK_START}poems{MARK_END}"


def test_ranking_prefers_titles_and_more_matches(index: SearchIndex) -> None:
    in_title = conv("Sourdough starter", "How do I feed it?")
    often = conv("Baking", "sourdough sourdough sourdough bread")
    once = conv(
        "Cooking", "Pasta, rice, and a long story that mentions sourdough once among many words"
    )
    for c in (once, often, in_title):
        index.update(c)
    assert [h.conversation_id for h in index.search("sourdough")] == [
        in_title.id,
        often.id,
        once.id,
    ]
    ranks = [h.rank for h in index.search("sourdough")]
    assert ranks == sorted(ranks)


def test_all_words_must_match_in_any_order(index: SearchIndex) -> None:
    index.update(conv("t", "the quick brown fox", "a brown dog"))
    assert found(index, "fox brown") == ["the quick [brown] [fox]"]
    assert found(index, "brown cat") == []


def test_last_word_is_a_prefix_while_typing(index: SearchIndex) -> None:
    index.update(conv("t", "Photosynthesis in plants"))
    assert found(index, "photosyn") == ["[Photosynthesis] in plants"]
    assert found(index, "photosyn ") == []  # a finished word is matched whole
    assert found(index, "photosyn plants") == []  # only the last word is a prefix


def test_diacritics_and_case_are_ignored(index: SearchIndex) -> None:
    index.update(conv("Café in Tōkyō", "Ångström, naïve, CRÈME brûlée, Straße"))
    assert found(index, "cafe") == ["[Café] in Tōkyō"]
    assert found(index, "TOKYO") == ["Café in [Tōkyō]"]
    assert len(found(index, "angstrom naive creme brulee")) == 1
    assert len(found(index, "café")) == 1
    assert len(index.search("cafe\u0301")) == 1  # decomposed accent in the query


@pytest.mark.parametrize(
    ("query", "snippet"),
    [
        ("東京", "我住在[東京]都新宿区，很方便。"),
        ("新宿", "我住在東京都[新宿]区，很方便。"),
        ("京都新", "我住在東[京都新]宿区，很方便。"),
        ("方", "我住在東京都新宿区，很[方]便。"),
        ("カタカナ", "ひらがなと[カタカナ]を混ぜた文"),
        ("서울에서", "저는 [서울에서] 살아요"),
        ("서울", "저는 [서울]에서 살아요"),
    ],
)
def test_cjk_is_found_by_any_run_of_characters(
    index: SearchIndex, query: str, snippet: str
) -> None:
    index.update(
        conv(
            "t",
            "我住在東京都新宿区，很方便。",
            "ひらがなとカタカナを混ぜた文",
            "저는 서울에서 살아요",
        )
    )
    assert found(index, query) == [snippet]


HOSTILE = [
    '"', '""', "'", "*", "**", "a*b", "AND", "OR", "NOT", "and or not", "-", "-fox", "+",
    "NEAR(", "NEAR(fox brown", "NEAR(fox, 2)", "(", ")", "()", "fox)", "title:fox", ":", "^fox",
    "{title body}: fox", "\\", "\x00", "\x02fox\x03", "fox AND", "AND fox", '"fox', "fox\"'",
    "  ", "", "—", "🦊", "\udc80", "a" * 5000, "fox " * 300,
]  # fmt: skip


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_queries_never_raise(index: SearchIndex, query: str) -> None:
    index.update(conv("Fox title", "the quick brown fox and the NEAR operator"))
    assert isinstance(index.search(query), list)


def test_syntax_words_are_searched_as_text(index: SearchIndex) -> None:
    index.update(conv("t", "the quick brown fox", "NEAR the river AND the sea"))
    assert found(index, "NEAR") == ["[NEAR] the river AND the sea"]
    assert found(index, "-fox") == ["the quick brown [fox]"]
    assert found(index, '"quick brown"') == ["the [quick] [brown] fox"]
    assert fts_query('say "hi" NEAR(') == '"say" """hi""" "NEAR(" *'


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(query=st.text(max_size=40))
def test_any_query_never_raises(index: SearchIndex, query: str) -> None:
    index.update(conv("t", "some text to search"))
    index.search(query)


def test_markers_in_text_cannot_fake_highlights(index: SearchIndex) -> None:
    index.update(conv("t", "plain \x02not a hit\x03 words"))
    (hit,) = index.search("words")
    assert hit.snippet.count(MARK_START) == 1


def test_limit(index: SearchIndex) -> None:
    for i in range(30):
        index.update(conv(f"t{i}", "common word"))
    assert len(index.search("common", limit=7)) == 7
    assert index.search("common", limit=0) == []


def test_update_replaces_and_remove_forgets(index: SearchIndex) -> None:
    c = conv("t", "old words")
    index.update(c)
    c.messages[0].content = "new words"
    index.update(c)
    assert found(index, "old") == []
    assert found(index, "new") == ["[new] words"]
    index.remove(c.id)
    assert index.search("words") == []


def test_sync_follows_the_store(tmp_path: Path, store: ConversationStore) -> None:
    a, b = conv("Alpha", "apples"), conv("Beta", "bananas")
    store.save(a)
    store.save(b)
    with SearchIndex(tmp_path / SEARCH_NAME) as index:
        assert index.sync(store) == 2
        assert index.sync(store) == 0  # nothing changed: nothing re-read
        a.messages[0].content = "apricots"
        store.save(a)
        store.delete(b.id)
        assert index.sync(store) == 2
        assert [h.conversation_id for h in index.search("apricots")] == [a.id]
        assert index.search("apples") == []
        assert index.search("bananas") == []


def test_sync_from_read_only_store_while_locked(tmp_path: Path, store: ConversationStore) -> None:
    store.save(conv("Alpha", "apples"))
    with SearchIndex(tmp_path / SEARCH_NAME) as index:
        assert index.sync(ReadOnlyStore(store.conversations_dir)) == 1
        assert len(index.search("apples")) == 1


def test_unreadable_file_is_left_out(tmp_path: Path, store: ConversationStore) -> None:
    store.save(conv("Alpha", "apples"))
    bad = store.conversations_dir / "3b241101-e2bb-4255-8caf-4136c566a962.json"
    bad.write_text("{broken", encoding="utf-8")
    with SearchIndex(None) as index:
        index.sync(ReadOnlyStore(store.conversations_dir))
        assert len(index.search("apples")) == 1
    assert bad.read_text(encoding="utf-8") == "{broken"  # left as it was


def test_deleted_index_is_rebuilt(tmp_path: Path, store: ConversationStore) -> None:
    store.save(conv("Alpha", "apples"))
    path = tmp_path / SEARCH_NAME
    with SearchIndex(path) as index:
        index.sync(store)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    with SearchIndex(path) as index:
        assert index.search("apples") == []
        assert index.sync(store) == 1
        assert len(index.search("apples")) == 1


@pytest.mark.parametrize(
    "garbage", [b"not a database at all" * 100, b"SQLite format 3\x00" + b"\xff" * 5000]
)
def test_corrupt_index_is_rebuilt(tmp_path: Path, store: ConversationStore, garbage: bytes) -> None:
    store.save(conv("Alpha", "apples"))
    path = tmp_path / SEARCH_NAME
    path.write_bytes(garbage)
    with SearchIndex(path) as index:
        assert index.sync(store) == 1
        assert len(index.search("apples")) == 1


def test_index_of_another_version_is_rebuilt(tmp_path: Path, store: ConversationStore) -> None:
    store.save(conv("Alpha", "apples"))
    path = tmp_path / SEARCH_NAME
    with SearchIndex(path) as index:
        index.sync(store)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    with SearchIndex(path) as index:
        assert index.search("apples") == []
        assert index.sync(store) == 1


def test_index_damaged_while_open_starts_afresh(tmp_path: Path, store: ConversationStore) -> None:
    store.save(conv("Alpha", "apples"))
    with SearchIndex(tmp_path / SEARCH_NAME) as index:
        index.sync(store)
        conn = index._conn
        assert conn is not None
        conn.execute("DROP TABLE docs")  # as if the file were damaged behind our back
        assert index.search("apples") == []  # no exception: a fresh index
        assert index.sync(store) == 1
        assert len(index.search("apples")) == 1


def test_a_failing_query_does_not_wipe_the_index(
    index: SearchIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    index.update(conv("t", "apples"))
    monkeypatch.setattr("writer_desktop.core.search.fts_query", lambda text: "NEAR(")
    assert index.search("apples") == []  # an FTS5 syntax error, swallowed
    monkeypatch.undo()
    assert len(index.search("apples")) == 1  # and the index is still there


def test_snippet_parts() -> None:
    snippet = f"a {MARK_START}b{MARK_END} c {MARK_START}d{MARK_END}"
    assert snippet_parts(snippet) == [("a ", False), ("b", True), (" c ", False), ("d", True)]
    assert snippet_parts("") == []
