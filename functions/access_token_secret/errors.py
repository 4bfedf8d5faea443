"""The provider's errors. A :class:`ProviderError`'s ``reason`` becomes CloudFormation's ``Reason``: what is
wrong and how to fix it, never a property value (a value could be the access token). Any other exception is
a bug, which the adapter reports as :func:`internal_error_reason`."""

from __future__ import annotations

from typing import Final

# CloudFormation shows a Reason of at most this many characters (the adapter cuts longer ones).
MAX_REASON_CHARS: Final = 255


def shorten(text: str, limit: int = MAX_REASON_CHARS) -> str:
    """Keep the beginning (what failed), cut the end; CloudFormation shows the first words."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def internal_error_reason(request_id: str) -> str:
    """The only Reason an unexpected exception gets: its text could hold anything."""
    return f"Internal error; see the provider's logs for request {request_id[:64]}"


class ProviderError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class InvalidPropertiesError(ProviderError):
    """The template's properties (or the event) are not acceptable."""


class ProviderConfigurationError(ProviderError):
    """The provider itself is misconfigured (environment, Region)."""


class KmsKeyError(ProviderError):
    """``KmsKeyId`` does not resolve to a key MediaTailor can use."""


class SecretConflictError(ProviderError):
    """The secret is not one this resource may take or change as asked."""


class AwsCallError(ProviderError):
    """An AWS call failed for good (after botocore's retries); ``operation`` (the IAM action)
    and ``code`` (AWS's error code) let callers branch without parsing ``reason``."""

    def __init__(self, reason: str, *, operation: str, code: str) -> None:
        super().__init__(reason)
        self.operation = operation
        self.code = code


class NotFoundError(AwsCallError):
    pass


class ScheduledForDeletionError(AwsCallError):
    """A read refused: the secret is scheduled for deletion."""


class RaceError(AwsCallError):
    """A write refused because the secret is no longer as observed: another copy of the event (Lambda
    delivers at least once, copies can run at once) or a retried call got there first (:mod:`~.aws.translate`)."""
