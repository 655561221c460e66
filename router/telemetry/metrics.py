"""Prometheus metrics, fed by the same records as the routing log.

One `observe_request` per upstream request and one `observe_decision` per Auto decision,
called where those records are written, so the counters equal the ledger by
construction and nothing is counted per streamed event. Every label is bounded: an
endpoint, a configured slug, a status, a reason, an error code; never a task id, a prompt
or a key. Each app has its own registry, so several proxies in one process (the tests)
keep their numbers apart.
"""

from __future__ import annotations

import contextvars
from collections.abc import Mapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

CONTENT_TYPE = CONTENT_TYPE_LATEST

# The endpoint a request came in on, set by the front door's middleware for the
# request's task and read where its record is written.
current_endpoint: contextvars.ContextVar[str] = contextvars.ContextVar(
    "autorouter_endpoint", default="other"
)

ENDPOINTS = {
    "/v1/responses": "responses",
    "/responses": "responses",
    "/v1/responses/compact": "compact",
    "/responses/compact": "compact",
    "/v1/messages": "messages",
    "/v1/chat/completions": "chat_completions",
    "/chat/completions": "chat_completions",
}

_LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300)
_TTFT_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30)
_TOKEN_KINDS = ("input", "cached", "output", "reasoning")


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter(
            "autorouter_requests",
            "Upstream requests, by front door, model and final status.",
            ["endpoint", "model", "status"],
            registry=r,
        )
        self.duration = Histogram(
            "autorouter_request_duration_seconds",
            "Time from the request's arrival to its last byte.",
            ["endpoint"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.ttft = Histogram(
            "autorouter_time_to_first_token_seconds",
            "Time from the request's arrival to the first output sent to the client.",
            ["model"],
            buckets=_TTFT_BUCKETS,
            registry=r,
        )
        self.tokens = Counter(
            "autorouter_tokens", "Tokens by model and kind.", ["model", "kind"], registry=r
        )
        self.cost = Counter(
            "autorouter_cost_usd", "Cost at the configured prices.", ["model"], registry=r
        )
        self.decisions = Counter(
            "autorouter_auto_decisions",
            "Auto decisions by chosen model and reason.",
            ["model", "reason"],
            registry=r,
        )
        self.classifier_calls = Counter(
            "autorouter_classifier_calls",
            "Classifier calls by outcome (ok, error).",
            ["outcome"],
            registry=r,
        )
        self.upstream_errors = Counter(
            "autorouter_upstream_errors",
            "Upstream requests that ended in an error, by model and error code.",
            ["model", "code"],
            registry=r,
        )
        self.inflight = Gauge(
            "autorouter_inflight_requests", "Requests being served now.", registry=r
        )
        # Labelled children, each looked up once: a request's record then costs a few
        # additions instead of a dozen label resolutions (about 20 -> 8 us).
        self._per_model: dict[str, tuple[Any, ...]] = {}
        self._children: dict[tuple[Any, ...], Any] = {}

    def _child(self, metric: Any, *labels: str) -> Any:
        key = (metric, *labels)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(*labels)
        return child

    def _model_children(self, model: str) -> tuple[Any, ...]:
        children = self._per_model.get(model)
        if children is None:
            children = (
                *(self.tokens.labels(model, kind) for kind in _TOKEN_KINDS),
                self.cost.labels(model),
                self.ttft.labels(model),
            )
            self._per_model[model] = children
        return children

    def observe_request(self, fields: Mapping[str, Any]) -> None:
        """Count one routing-log `request` record."""
        model = str(fields.get("slug"))
        endpoint = current_endpoint.get()
        self._child(self.requests, endpoint, model, str(fields.get("status"))).inc()
        latency = fields.get("latency_ms")
        if isinstance(latency, int | float):
            self._child(self.duration, endpoint).observe(latency / 1000.0)
        inp, cached, out, reasoning, cost, ttft = self._model_children(model)
        for child, name in (
            (inp, "input_tokens"),
            (cached, "cached_tokens"),
            (out, "output_tokens"),
            (reasoning, "reasoning_tokens"),
        ):
            count = fields.get(name)
            if count:
                child.inc(count)
        price = fields.get("cost_usd")
        if isinstance(price, int | float):
            cost.inc(price)
        first = fields.get("ttft_ms")
        if isinstance(first, int | float):
            ttft.observe(first / 1000.0)
        error = fields.get("error")
        if error:
            self._child(self.upstream_errors, model, str(error)).inc()

    def observe_decision(self, fields: Mapping[str, Any]) -> None:
        """Count one routing-log `route` record."""
        chosen, reason = str(fields.get("chosen")), str(fields.get("reason"))
        self._child(self.decisions, chosen, reason).inc()
        if fields.get("classifier_ms") is not None and not fields.get("cache_hit"):
            outcome = "error" if fields.get("classifier_error") else "ok"
            self._child(self.classifier_calls, outcome).inc()

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
