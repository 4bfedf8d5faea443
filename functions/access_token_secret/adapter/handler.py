"""Lambda entry point: ``access_token_secret.adapter.handler.lambda_handler``.

Clients and settings are built once per process, at import; nothing touches the network then.
If that fails (no Region, a bad ``SECRET_NAME_PREFIX``), the function still answers every
request, FAILED with a Reason that says what is misconfigured, instead of leaving the stack
waiting for an hour.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final, TypeVar

from ..aws.clients import CLIENT_TIMING, ClientTiming, build_clients
from ..aws.kms import Kms
from ..aws.secretsmanager import SecretsManager
from ..errors import InvalidPropertiesError, ProviderConfigurationError, ProviderError, internal_error_reason
from ..logs import count_outcome, logger, metrics
from ..plan.context import ProviderSettings, ResourceIdentity
from ..plan.naming import prefix_problem
from ..plan.properties import parse_deletion_options
from ..progress import Progress
from ..service import AccessTokenSecretService, Result
from ..version import VERSION
from . import inputs
from .deadline import (
    DEFAULT_SERVICE_TIMEOUT_S,
    SERVICE_TIMEOUT_PROBLEM,
    cloudformation_wait,
    service_timeout,
    signing_time,
)
from .envelope import (
    Envelope,
    destination_problem,
    envelope_problem,
    parse_envelope,
    response_url_of,
)
from .resource import ProviderResource
from .response import ResponseDestinations, build_body, deliver, request_key

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

T = TypeVar("T")
DEFAULT_PREFIX: Final = "mediatailor/"
# Answer this long before the Lambda deadline when AWS calls hang (at least 5 s: CloudFormation
# must get the answer before Lambda stops the function).
DEADLINE_MARGIN_S: Final = 8.0


@dataclass(frozen=True)
class Timing:
    """The provider's time budget: how early it answers, how long each AWS call may take.

    The defaults are production's. Tests replace :data:`TIMING` and the service built with it
    (``fast_timing`` in tests/integration/conftest.py) so that a timeout costs them a second,
    and keep one test per real value.
    """

    deadline_margin_s: float = DEADLINE_MARGIN_S
    clients: ClientTiming = CLIENT_TIMING


TIMING = Timing()


def settings_from_environment(environ: Mapping[str, str]) -> ProviderSettings:
    region = environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION")
    if not region:
        raise ProviderConfigurationError("Provider misconfigured: AWS_REGION is not set")
    prefix = environ.get("SECRET_NAME_PREFIX", DEFAULT_PREFIX)
    problem = prefix_problem(prefix)
    if problem:
        raise ProviderConfigurationError(f"Provider misconfigured: {problem}")
    return ProviderSettings(region=region, name_prefix=prefix)


def build_service(environ: Mapping[str, str], timing: ClientTiming = CLIENT_TIMING) -> AccessTokenSecretService:
    settings = settings_from_environment(environ)
    clients = build_clients(settings.region, timing)
    return AccessTokenSecretService(
        secrets=SecretsManager(clients.secretsmanager), kms=Kms(clients.kms), settings=settings
    )


_DESTINATIONS = ResponseDestinations.from_environment(os.environ)


def _deliver(url: str, body: bytes) -> bool:
    return deliver(url, body, destinations=_DESTINATIONS)


_SERVICE: AccessTokenSecretService | None = None
_INIT_FAILURE: str | None = None
logger.info("provider starting", extra={"provider_version": VERSION})  # once per cold start
try:
    _SERVICE = build_service(os.environ, TIMING.clients)
except ProviderError as error:
    _INIT_FAILURE = error.reason
except Exception:  # noqa: BLE001 - any init failure must still be answered
    logger.exception("provider initialisation failed")
    _INIT_FAILURE = "Provider initialisation failed; see the provider's logs"


def response_data(result: Result) -> tuple[dict[str, str], bool]:
    """``Fn::GetAtt`` attributes, and whether the response must be ``NoEcho``."""
    outcome, props = result.outcome, result.props
    data = {
        "SecretArn": outcome.arn,
        "SecretName": outcome.name,
        "SecretStringKey": props.secret_string_key,
        "KmsKeyArn": result.kms_key_arn,
        "VersionId": outcome.version_id or "",
        "ProviderVersion": VERSION,
    }
    if props.header_name is not None:
        data["HeaderName"] = props.header_name
    if props.return_access_token and outcome.token is not None:
        current = outcome.token
        data["AccessToken"] = current.reveal()
        data["NextAccessToken"] = (outcome.pending_token or current).reveal()
        data["PreviousAccessToken"] = (outcome.previous_token or current).reveal()
        return data, True
    return data, False


def _cloudformation_waits(envelope: Envelope) -> tuple[float | None, str | None]:
    """How long CloudFormation still waits for the answer, and why the request must be refused
    without running (``None``: it may run). A stale request is logged and counted as FAILED."""
    timeout_s = service_timeout(envelope.properties)
    if timeout_s is None:
        if envelope.request_type != "Delete":
            return None, SERVICE_TIMEOUT_PROBLEM
        timeout_s = DEFAULT_SERVICE_TIMEOUT_S  # a Delete is never refused for its properties
    wait = cloudformation_wait(envelope.response_url, timeout_s, datetime.now(UTC))
    if not wait.stale(TIMING.deadline_margin_s):
        return wait.seconds_left, None
    logger.warning(
        "stale request: CloudFormation stopped waiting for it; nothing done",
        extra={"age_s": wait.age_s, "service_timeout_s": timeout_s, "seconds_left": wait.seconds_left},
    )
    return wait.seconds_left, wait.reason()


class _Request:
    """One invocation: binds the service to crhelper's callbacks and remembers progress."""

    def __init__(self, service: AccessTokenSecretService | None, envelope: Envelope) -> None:
        self.service = service
        self.envelope = envelope
        signed_at = signing_time(envelope.response_url)
        self.identity = ResourceIdentity(envelope.stack_id, envelope.logical_id, envelope.request_id, signed_at)
        self.progress = Progress()
        waits_s, refusal = _cloudformation_waits(envelope)
        self.refused = refusal is not None
        if service is None:
            refusal = refusal or _INIT_FAILURE or "Provider is not initialised"
        self.resource = ProviderResource(
            envelope,
            create=self.create,
            update=self.update,
            delete=self.delete,
            failure_physical_id=self.failure_physical_id,
            deliver=_deliver,
            margin_s=TIMING.deadline_margin_s,
            cloudformation_waits_s=waits_s,
            refusal=refusal,
        )

    def failure_physical_id(self) -> str:
        """Update/Delete keep the event's ID; a failed Create names what may exist.

        The secret's ARN once it exists; otherwise the intended secret name, so that the
        rollback Delete can remove a secret created by a call that timed out; otherwise (the
        properties were invalid, or an existing secret was being adopted: it must survive the
        rollback) a marker that no secret name can match.
        """
        if self.envelope.request_type != "Create":
            return self.envelope.physical_id
        if self.refused or self.progress.adopting:
            return self._not_created()
        current = self.progress.current_secret()
        if current:
            return current
        if self.service is not None:
            try:
                props = inputs.properties(self.envelope.properties, name_prefix=self.service.settings.name_prefix)
                return self.service.name_on_create(props, self.identity)
            except InvalidPropertiesError:
                pass
        return self._not_created()

    def _not_created(self) -> str:
        """A marker no secret name can match: the rollback Delete touches nothing."""
        return f"{self.envelope.logical_id[:200]}#not-created#{self.envelope.request_id[:100]}"

    def _guarded(self, work: Callable[[], T]) -> T | None:
        """Run ``work``; on any failure mark the response FAILED with a safe Reason, return None."""
        try:
            return work()
        except ProviderError as error:
            logger.warning("request failed", extra={"reason": error.reason, "error": type(error).__name__})
            self.resource.fail(error.reason)
        except Exception:  # noqa: BLE001 - reported to CloudFormation without internals
            logger.exception("unexpected error")
            self.resource.fail(internal_error_reason(self.identity.request_id))
        return None

    def _answer(self, result: Result | None) -> str:
        if result is None:
            return self.failure_physical_id()
        self.resource.Data, self.resource.NoEcho = response_data(result)
        return result.outcome.arn

    def create(self, event: dict[str, Any], context: LambdaContext) -> str:
        service = self._service()
        prefix = service.settings.name_prefix

        def create() -> Result:
            return service.create(
                self.identity, inputs.properties(self.envelope.properties, name_prefix=prefix), self.progress
            )

        return self._answer(self._guarded(create))

    def update(self, event: dict[str, Any], context: LambdaContext) -> str:
        service = self._service()
        envelope, prefix = self.envelope, service.settings.name_prefix

        def update() -> Result:
            reference = inputs.secret_reference(envelope.physical_id, prefix)
            props = inputs.properties(envelope.properties, name_prefix=prefix)
            old = inputs.old_properties(envelope.old_properties, name_prefix=prefix)
            return service.update(self.identity, reference, props, old, self.progress)

        physical_id = self._answer(self._guarded(update))
        # FAILED, or already answered FAILED by the timeout thread while this kept running.
        if self.resource.Status == "FAILED" or self.resource.sent:
            self._discard_new_secret(service)
        return physical_id

    def _discard_new_secret(self, service: AccessTokenSecretService) -> None:
        """A failed replacement must not leave its new secret behind: CloudFormation keeps the
        old PhysicalResourceId and will never ask to delete the new one. Deletion goes through
        the recovery window, so a retried update simply restores it."""
        created = self.progress.created_secret()
        if not created or created == self.envelope.physical_id:
            return
        try:
            service.delete(self.identity, created, parse_deletion_options(self.envelope.properties))
        except Exception:  # noqa: BLE001 - the FAILED answer matters more; the log says what is left
            logger.exception("could not remove the secret a failed update created", extra={"secret_arn": created})

    def delete(self, event: dict[str, Any], context: LambdaContext) -> str:
        service = self._service()
        prefix, options = service.settings.name_prefix, parse_deletion_options(self.envelope.properties)
        self._guarded(
            lambda: service.delete(self.identity, inputs.deleted_reference(self.envelope.physical_id, prefix), options)
        )
        return self.envelope.physical_id

    def _service(self) -> AccessTokenSecretService:
        if self.service is None:  # crhelper answers init failures before calling us
            raise ProviderConfigurationError(_INIT_FAILURE or "Provider is not initialised")
        return self.service


def _answer_unprocessed(event: object, problem: str) -> None:
    """FAILED, with no AWS call: the event is malformed or not meant for this function."""
    count_outcome("Unprocessed", "FAILED")
    url = response_url_of(event)
    if not url:
        logger.error("request without ResponseURL; there is no one to answer", extra={"problem": problem})
        return
    fields: Mapping[str, object] = event if isinstance(event, Mapping) else {}

    def text(name: str) -> str:
        value = fields.get(name)
        return value if isinstance(value, str) else ""

    physical_id = text("PhysicalResourceId") or f"{text('LogicalResourceId')[:200] or 'unknown'}#malformed-request"
    logger.warning("request not processed", extra={"problem": problem})
    _deliver(
        url,
        build_body(
            {
                "Status": "FAILED",
                "Reason": problem,
                "PhysicalResourceId": physical_id,
                "StackId": text("StackId"),
                "RequestId": text("RequestId"),
                "LogicalResourceId": text("LogicalResourceId"),
                "Data": {},
            }
        ),
    )


@metrics.log_metrics
@logger.inject_lambda_context(log_event=False, clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> None:
    url = response_url_of(event)
    if url and _DESTINATIONS.refuses(url, request_key(event)):
        # Not CloudFormation's response bucket, or a genuine URL of another request (relayed):
        # a forged event. Act on nothing, answer no one.
        count_outcome("Unprocessed", "FAILED")
        return
    problem = envelope_problem(event)
    if problem is None:
        problem = destination_problem(event, context.invoked_function_arn)
    if problem is not None:
        _answer_unprocessed(event, problem)
        return
    envelope = parse_envelope(event)
    logger.append_keys(
        request_type=envelope.request_type,
        logical_resource_id=envelope.logical_id,
        physical_resource_id=envelope.physical_id or None,
        cfn_request_id=envelope.request_id,
    )
    _Request(_SERVICE, envelope).resource(event, context)
