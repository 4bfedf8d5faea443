"""Loggers that would print secrets are pinned, whatever level the provider's own logger has."""

from __future__ import annotations

import logging

import access_token_secret.adapter.handler  # noqa: F401 - the import is what configures logging


def test_botocore_and_crhelper_cannot_log_bodies_or_events() -> None:
    assert logging.getLogger("botocore").level == logging.WARNING
    assert logging.getLogger("botocore.endpoint").getEffectiveLevel() == logging.WARNING
    assert logging.getLogger("urllib3").level == logging.WARNING
    assert logging.getLogger("crhelper.resource_helper").getEffectiveLevel() == logging.INFO
