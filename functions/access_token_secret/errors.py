"""The provider's error hierarchy.

Every error the provider raises on purpose carries a ``reason`` that is safe to show in
CloudFormation's ``Reason`` field: it names what is wrong and how to fix it, never a property
value (a value could be the access token). Anything that is not a :class:`ProviderError` is a
bug and is reported as a generic internal error by the adapter.
"""

from __future__ import annotations

from typing import Final

# CloudFormation shows at most 256 characters of a Reason; every Reason the provider sends fits.
MAX_REASON_CHARS: Final = 255


def internal_error_reason(request_id: str) -> str:
    """The only Reason an unexpected exception gets: its text could hold anything."""
    return f"Internal error; see the provider's logs for request {request_id[:64]}"


class ProviderError(Exception):
    """Base class: ``reason`` is short, actionable and free of secret material."""

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
    """The secret name is taken by a secret this resource does not own."""


class AwsCallError(ProviderError):
    """An AWS call failed for good (after botocore's retries).

    ``operation`` is the IAM action (``secretsmanager:PutResourcePolicy``) and ``code`` the AWS
    error code, so that callers can branch on them without parsing ``reason``.
    """

    def __init__(self, reason: str, *, operation: str, code: str) -> None:
        super().__init__(reason)
        self.operation = operation
        self.code = code


class AccessDeniedError(AwsCallError):
    """The provider's role lacks a permission; ``reason`` names the action."""


class NotFoundError(AwsCallError):
    """The addressed resource does not exist (control flow, rarely shown to users)."""


class ScheduledForDeletionError(AwsCallError):
    """A read refused: the secret is scheduled for deletion."""


class RaceError(AwsCallError):
    """A write refused because the secret is no longer as it was observed: another copy of the
    event (Lambda delivers at least once, and two copies can run at once) or a retried call got
    there first. The secret is observed again and the plan made again from that."""


class NameTakenError(RaceError):
    """CreateSecret: the name is taken, or in its recovery window."""


class VersionTakenError(RaceError):
    """PutSecretValue: this request's VersionId holds another value, or the secret was
    scheduled for deletion meanwhile."""


class LabelMovedError(RaceError):
    """UpdateSecretVersionStage: the label is no longer on the version the plan saw."""


class AlreadyDeletedError(RaceError):
    """DeleteSecret: the secret is already scheduled for deletion ("currently marked deleted")."""
