"""Request state shared by the applier, which records each secret as soon as it exists, and the adapter's
timeout thread, which names it for a request that ran out of time. Each reader takes one attribute, which
a thread reads or writes atomically: no lock is needed."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Progress:
    """``secret_arn``: the secret the request now stands for (created or adopted); ``created_arn``: one
    this request's CreateSecret made, the only kind a failed Update may remove again."""

    secret_arn: str | None = None
    created_arn: str | None = None
    adopting: bool = False

    def record_secret(self, arn: str, *, created: bool = False) -> None:
        self.secret_arn = arn
        if created:
            self.created_arn = arn
