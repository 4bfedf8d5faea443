"""Shared request state: the applier records each secret as soon as it exists, and the
adapter's timeout thread reads it to tell CloudFormation which secret a request that ran out of
time stands for. Both layers use it, so it belongs to neither.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field


@dataclass
class Progress:
    """``secret_arn``: the secret the request now stands for (created or adopted);
    ``created_arn``: one this request's CreateSecret made, the only kind a failed Update may
    remove again."""

    secret_arn: str | None = None
    created_arn: str | None = None
    adopting: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def mark_adopting(self) -> None:
        with self._lock:
            self.adopting = True

    def record_secret(self, arn: str, *, created: bool = False) -> None:
        with self._lock:
            self.secret_arn = arn
            if created:
                self.created_arn = arn

    def current_secret(self) -> str | None:
        with self._lock:
            return self.secret_arn

    def created_secret(self) -> str | None:
        with self._lock:
            return self.created_arn
