"""How fast full-text search is: ``SearchIndex`` over many conversations of varied text.

Usage: ``python benchmarks/search.py [--count 10000] [--messages 20] [--seed 7]``. Writes
``--count`` conversation files of ``--messages`` messages each into a temporary folder (Zipf-
distributed English-like words, some accented words, code, and Chinese/Japanese/Korean text in a
few conversations; deterministic for a seed), builds the index with ``sync`` from a
``ReadOnlyStore`` (reading and decoding every file), then times each query of a varied set
(common, rare, accented, CJK, several words, prefixes as typed, hostile syntax, no match) five
times. Prints median and p95 of all timings, the build time and the index size. Target: median
≤ 50 ms, p95 ≤ 150 ms for 10,000 × 20.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.common import Figure  # noqa: E402


def words(text: str) -> list[str]:
    return text.split()


COMMON = words(
    "the of and to a in is it you that he was for on are with as I his they be at one have this "
    "from or had by word but what some we can out other were all there when up use your how said "
    "an each she which do their time if will way about many then them write would like so these "
    "her long make thing see him two has look more day could go come did number sound no most "
    "people my over know water than call first who may down side been now find any new work part "
    "take get place made live where after back little only round man year came show every good "
    "me give our under name very through just form sentence great think say help low line differ "
    "turn cause much mean before move right boy old too same tell does set three want air well "
    "also play small end put home read hand port large spell add even land here must big high "
    "such follow act why ask men change went light kind off need house picture try us again "
    "animal point mother world near build self earth father head stand own page should country "
    "found answer school grow study still learn plant cover food sun four between state keep eye "
    "never last let thought city tree cross farm hard start might story saw far sea draw left "
    "late run while press close night real life few north open seem together next white children "
    "begin got walk example ease paper group always music those both mark often letter until mile "
    "river car feet care second book carry took science eat room friend began idea fish mountain "
    "stop once base hear horse cut sure watch color face wood main enough plain girl usual young "
    "ready above ever red list though feel talk bird soon body dog family direct pose leave song "
    "measure door product black short numeral class wind question happen complete ship area half "
    "rock order fire south problem piece told knew pass since top whole king space heard best hour"
)
TOPICS = words(
    "python function variable database query index schema migration deploy kubernetes docker "
    "haiku poem sonnet autumn maple recipe sourdough starter photosynthesis chlorophyll invoice "
    "marketing campaign quarterly revenue forecast palmyra tokenizer embedding latency benchmark"
)
ACCENTED = words("café naïve résumé crème brûlée Ångström jalapeño Zürich São Paulo Kraków")
CJK = [
    "我住在東京都新宿区，很方便。",
    "今日はとても良い天気ですね。",
    "저는 서울에서 살아요. 한국어를 공부하고 있어요.",
    "机器学习模型需要大量的训练数据。",
    "プログラミングはとても楽しいです。",
]
CODE = "```python\ndef total(items):\n    return sum(i.price for i in items)\n```"
QUERIES = [
    "the", "water", "people", "sound", "mountain river", "school study learn", "python",
    "python function", "database index", "sourdough", "sourdough starter", "photosynthesis",
    "haiku autumn", "quarterly revenue forecast", "kubernetes docker deploy", "palmyra",
    "cafe", "creme brulee", "zurich", "sao paulo", "krakow", "東京", "天気", "서울", "学習",
    "プログラミング", "wa", "wat", "wate", "pho", "photo", "photos", "sou", "sourd", "kub",
    "kube", "data", "datab", "the wat", "mountain riv", '"quoted phrase"', "NEAR(water",
    "water AND fire", "-fire", "*", "fire*", "title:python", "zzzzqqq", "xylophone quartz",
    "def total", "sum price items", "invoice marketing", "latency benchmark", "embedding",
]  # fmt: skip


def make_text(rng: random.Random, vocab: list[str], weights: list[float], words: int) -> str:
    picked = rng.choices(vocab, cum_weights=weights, k=words)
    if rng.random() < 0.3:
        picked.insert(rng.randrange(len(picked) + 1), rng.choice(TOPICS))
    if rng.random() < 0.05:
        picked.insert(rng.randrange(len(picked) + 1), rng.choice(ACCENTED))
    text = " ".join(picked)
    if rng.random() < 0.1:
        text += "\n\n" + CODE
    return text


def build_corpus(folder: Path, count: int, messages: int, seed: int) -> None:
    from writer_desktop.core.codec import encode
    from writer_desktop.core.models import Conversation, Message, Role

    rng = random.Random(seed)
    syllables = ["ka", "lo", "mi", "ren", "sa", "tor", "vel", "qui", "dan", "por", "ex", "ul"]
    invented = sorted({"".join(rng.choices(syllables, k=rng.randint(2, 4))) for _ in range(30000)})
    vocab = COMMON + TOPICS + invented
    cum, total = [], 0.0
    for rank in range(1, len(vocab) + 1):
        total += 1 / rank  # Zipf: the n-th word is 1/n as frequent as the first
        cum.append(total)
    for n in range(count):
        cjk = rng.random() < 0.05
        msgs = []
        for i in range(messages):
            role = Role.USER if i % 2 == 0 else Role.ASSISTANT
            words = rng.randint(5, 40) if role is Role.USER else rng.randint(20, 250)
            text = make_text(rng, vocab, cum, words)
            if cjk:
                text = rng.choice(CJK) + " " + text
            msgs.append(Message(role, text, id=f"m{i}"))
        title = " ".join(rng.choices(vocab[:400], k=rng.randint(2, 6))).capitalize()
        conv = Conversation(
            id=f"{rng.getrandbits(32):08x}-0000-4000-8000-{n:012d}", title=title, messages=msgs
        )
        (folder / f"{conv.id}.json").write_bytes(encode(conv))


def measure(count: int, messages: int, seed: int, repeat: int) -> dict[str, object]:
    """Build a corpus and an index in a temporary folder; time every query ``repeat`` times."""
    root = Path(__file__).resolve().parents[1]
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    from writer_desktop.core.readonly import ReadOnlyStore
    from writer_desktop.core.search import SEARCH_NAME, SearchIndex

    base = Path(tempfile.mkdtemp(prefix="search-bench-"))
    try:
        folder = base / "conversations"
        folder.mkdir()
        started = time.perf_counter()
        build_corpus(folder, count, messages, seed)
        corpus_s = time.perf_counter() - started
        corpus_mb = sum(p.stat().st_size for p in folder.iterdir()) / 2**20
        path = base / SEARCH_NAME
        with SearchIndex(path) as index:
            started = time.perf_counter()
            index.sync(ReadOnlyStore(folder))
            build_s = time.perf_counter() - started
        index_mb = sum(p.stat().st_size for p in base.glob(f"{SEARCH_NAME}*")) / 2**20
        timings: list[float] = []
        worst: list[tuple[float, str, int]] = []
        with SearchIndex(path) as index:
            for query in QUERIES:
                per_query = []
                for _ in range(repeat):
                    started = time.perf_counter()
                    hits = index.search(query)
                    per_query.append((time.perf_counter() - started) * 1000)
                timings += per_query
                worst.append((statistics.median(per_query), query, len(hits)))
    finally:
        shutil.rmtree(base, ignore_errors=True)
    timings.sort()
    return {
        "median": statistics.median(timings),
        "p95": timings[min(len(timings) - 1, round(0.95 * len(timings)) - 1)],
        "corpus_mb": corpus_mb, "corpus_s": corpus_s, "build_s": build_s,
        "index_mb": index_mb, "queries": len(QUERIES), "worst": sorted(worst, reverse=True),
    }  # fmt: skip


def figures(runs: int = 5, count: int = 10_000, messages: int = 20) -> list[Figure]:
    """Figure 5: median and p95 of every query × ``runs`` over ``count`` × ``messages``."""
    m = measure(count, messages, seed=7, repeat=runs)
    med, p95 = float(str(m["median"])), float(str(m["p95"]))
    index_mb, build_s = float(str(m["index_mb"])), float(str(m["build_s"]))
    where = f"{count:,} × {messages}, {m['queries']} queries × {runs}"
    return [
        Figure(5, "search: median per query", med, "ms", "≤ 50", med <= 50, where),
        Figure(5, "search: p95 per query", p95, "ms", "≤ 150", p95 <= 150,
               f"index {index_mb:.0f} MiB, built in {build_s:.0f} s"),
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--messages", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    m = measure(args.count, args.messages, args.seed, args.repeat)
    worst = m["worst"]
    assert isinstance(worst, list)
    rows = [
        ("conversations × messages", f"{args.count} × {args.messages}"),
        ("corpus (JSON files)", f"{m['corpus_mb']:.0f} MiB, written in {m['corpus_s']:.1f} s"),
        ("index build (sync from files)", f"{m['build_s']:.1f} s"),
        ("index size", f"{m['index_mb']:.0f} MiB"),
        ("queries × repeats", f"{m['queries']} × {args.repeat}"),
        ("median per query", f"{m['median']:.1f} ms"),
        ("p95 per query", f"{m['p95']:.1f} ms"),
        ("slowest query (median)", "{1!r}: {0:.1f} ms".format(*worst[0])),
    ]
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"{label:<{width}}  {value}")
    print("\nslowest five:")
    for ms, query, count in worst[:5]:
        print(f"  {ms:7.1f} ms  {count:3d} hits  {query!r}")


if __name__ == "__main__":
    main()
