"""Prometheus metrics: updates, outcomes by level, errors, duplicates, flood drops and update latency."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

CONTENT_TYPE = CONTENT_TYPE_LATEST


class Metrics:
    """One registry per bot instance, so tests and several bots in a process never collide."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.updates = Counter("twitchcheck_updates", "Updates processed, by kind", ["kind"], registry=self.registry)
        self.outcomes = Counter(
            "twitchcheck_outcomes", "Recommendations given, by level", ["level"], registry=self.registry
        )
        self.errors = Counter("twitchcheck_errors", "Errors raised while handling updates", registry=self.registry)
        self.duplicates = Counter(
            "twitchcheck_duplicate_updates", "Redelivered updates ignored", registry=self.registry
        )
        self.dropped = Counter(
            "twitchcheck_dropped_updates",
            "Updates dropped unhandled because their chat already had too many queued",
            registry=self.registry,
        )
        self.webhook_refused = Counter(
            "twitchcheck_webhook_refused",
            "Webhook requests or connections refused, by reason",
            ["reason"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "twitchcheck_update_seconds",
            "Time to handle one update",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )

    def render(self) -> bytes:
        """The Prometheus text exposition of every metric."""
        return generate_latest(self.registry)
