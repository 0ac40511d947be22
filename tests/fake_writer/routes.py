"""Routing and validation of the fake Writer API: which response a request gets."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from . import behaviours as b
from . import plan
from .magic import parse_magic
from .texts import last_user_text
from .wire import Request

CHAT = "/v1/chat"
MODELS = "/v1/models"
# Fields Writer's chat endpoint does not accept (see writer-api.md).
REJECTED_FIELDS = ("seed", "presence_penalty", "frequency_penalty", "top_logprobs", "user")


def authorized(req: Request, api_key: str | None) -> bool:
    """A ``Bearer`` key is present and matches ``api_key`` (any key if ``api_key`` is None)."""
    scheme, _, key = req.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        return False
    return api_key is None or key.strip() == api_key


def route(
    req: Request,
    *,
    api_key: str | None,
    models: Sequence[Mapping[str, str]],
    strict: bool,
    pop: Callable[[str], b.Behaviour | None],
    next_seed: Callable[[], int],
    defaults: plan.Defaults,
) -> plan.Response:
    """The response for ``req``; ``pop(path)`` yields the next scripted behaviour, if any."""
    if not authorized(req, api_key):
        return plan.error_response(b.Error(401))
    if req.path == MODELS:
        if req.method != "GET":
            return plan.error_response(b.Error(405))
        return plan.models_response(models, pop(MODELS))
    if req.path != CHAT:
        return plan.error_response(b.Error(404, f"No route for {req.method} {req.path}"))
    if req.method != "POST":
        return plan.error_response(b.Error(405))
    try:
        body = json.loads(req.body)
    except ValueError:
        return plan.error_response(b.Error(400, "Request body is not valid JSON"))
    problem = invalid_chat(body, models, strict)
    if problem is not None:
        return plan.error_response(problem)
    behaviour = pop(CHAT) or parse_magic(last_user_text(body["messages"]))
    return plan.chat_response(body, behaviour, defaults, next_seed())


def invalid_chat(body: Any, models: Sequence[Mapping[str, str]], strict: bool) -> b.Error | None:
    """The error a chat request body deserves, or None if it is acceptable."""
    if not isinstance(body, dict):
        return b.Error(400, "Request body must be a JSON object")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        return b.Error(400, "model: field is required", key="fail.badRequest.model")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return b.Error(400, "messages: must contain at least one message")
    if strict:
        for name in REJECTED_FIELDS:
            if name in body:
                return b.Error(400, f"Unrecognized field: {name}", key="fail.badRequest.field")
    if model not in {m.get("id") for m in models}:
        return b.Error(404, f"Model {model} not found", key="fail.notFound")
    return None
