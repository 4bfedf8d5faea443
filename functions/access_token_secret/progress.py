"""Shared request state: written by the request thread, read by the adapter's timeout thread.

It lives outside both the adapter and the AWS layer because both use it: the applier records
each secret as soon as it exists, and the adapter's timer reads it to tell CloudFormation which
secret a request that ran out of time stands for.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field


@dataclass
class Progress:
    """What exists so far; written by the request thread, read by the timeout thread.

    ``secret_arn`` is the secret the request now stands for (created or adopted);
    ``created_arn`` only one that this request's CreateSecret made, which is the only kind a
    failed Update may remove again.
    """

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
