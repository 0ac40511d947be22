"""Magic prompts: a last user message starting with ``/`` selects a behaviour (see ``/help``)."""

from __future__ import annotations

from typing import Literal

from . import behaviours as b
from .texts import HELP_REPLY, HOSTILE_REPLY, MARKDOWN_REPLY, echo_reply

_CUT_MODES: dict[str, Literal["reset", "close", "end"]] = {
    "reset": "reset",
    "close": "close",
    "end": "end",
}
_STALL_ENDS: dict[str, Literal["end", "close", "resume"]] = {
    "end": "end",
    "close": "close",
    "resume": "resume",
}


def _int(args: list[str], i: int, default: int) -> int:
    return int(args[i]) if len(args) > i else default


def _float(args: list[str], i: int, default: float) -> float:
    return float(args[i]) if len(args) > i else default


def parse_magic(prompt: str) -> b.Behaviour | None:
    """The behaviour a magic prompt asks for, or ``None`` for an ordinary prompt."""
    words = prompt.strip().split()
    if not words or not words[0].startswith("/"):
        return None
    command, args = words[0][1:].lower(), words[1:]
    try:
        return _dispatch(command, args)
    except (ValueError, KeyError):
        return b.Reply(text=f"Bad arguments for `/{command}`.\n\n{HELP_REPLY}")


def _dispatch(command: str, args: list[str]) -> b.Behaviour | None:
    match command:
        case "help":
            return b.Reply(text=HELP_REPLY)
        case "tokens":
            return b.Tokens(_int(args, 0, 1000))
        case "slow":
            tps = _float(args, 0, 20.0)
            return b.Trickle(n=_int(args, 1, 200), delay_per_token=1.0 / max(tps, 0.001))
        case "pace":  # like /slow, but each event in one write, as a real server sends it
            tps = _float(args, 0, 1000.0)
            return b.Trickle(
                n=_int(args, 1, 10_000), delay_per_token=1.0 / max(tps, 0.001), whole_events=True
            )
        case "error":
            return b.Error(_int(args, 0, 500))
        case "guardrail":
            return b.Guardrail()
        case "ratelimit":
            return b.RateLimit(retry_after=args[0] if args else "2")
        case "cut":
            mode = _CUT_MODES[args[1] if len(args) > 1 else "reset"]
            return b.CutAfter(_int(args, 0, 300), mode)
        case "stall":
            then = _STALL_ENDS[args[1] if len(args) > 1 else "resume"]
            return b.Stall(1200, _float(args, 0, 30.0), then)
        case "keepalive":
            return b.KeepAliveOnly(_float(args, 0, 10.0))
        case "length":
            text = "This answer stops early because it ran into the max_tokens lim"
            return b.Reply(text=text, finish_reason="length")
        case "filter":
            return b.Reply(text="I started to answer, but", finish_reason="content_filter")
        case "streamerror":
            return b.StreamErrorEvent(after_tokens=5)
        case "dataerror":
            return b.DataErrorObject(after_tokens=5)
        case "malformed":
            return b.MalformedChunk()
        case "done":
            return b.Reply(text=echo_reply("/done"), done_marker=True)
        case "whole":
            return b.WholeBody()
        case "markdown":
            return b.Reply(text=MARKDOWN_REPLY)
        case "hostile":
            return b.Reply(text=HOSTILE_REPLY)
    return None
