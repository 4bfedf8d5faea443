"""Lambda entry point ``lambda_handler``. The service is built once per process, at import, without
network; if that fails (no Region, a bad ``SECRET_NAME_PREFIX``), every request is still answered
FAILED with a Reason saying what is misconfigured, instead of leaving the stack waiting."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any, Final

from ..aws.clients import CLIENT_TIMING, ClientTiming, build_clients
from ..aws.kms import Kms
from ..aws.secretsmanager import SecretsManager
from ..errors import InvalidPropertiesError, ProviderConfigurationError, ProviderError, internal_error_reason
from ..logs import count_outcome, logger, metrics
from ..plan.context import ProviderSettings, ResourceIdentity
from ..plan.naming import default_secret_name, prefix_problem
from ..plan.properties import SecretProperties, parse_deletion_options
from ..progress import Progress
from ..service import AccessTokenSecretService, Result
from ..version import VERSION
from . import deadline, inputs
from .envelope import Envelope, destination_problem, envelope_problem, parse_envelope, response_url_of
from .resource import ProviderResource
from .response import ResponseDestinations, deliver, request_key, respond

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

DEFAULT_PREFIX: Final = "mediatailor/"
DEADLINE_MARGIN_S: Final = 8.0  # answer this early when AWS hangs (>= 5 s: the PUT must land in time)


@dataclass(frozen=True)
class Timing:
    """How early the provider answers, how long each AWS call may take (production's defaults)."""

    deadline_margin_s: float = DEADLINE_MARGIN_S
    clients: ClientTiming = CLIENT_TIMING


TIMING = Timing()


def build_service(environ: Mapping[str, str], timing: ClientTiming = CLIENT_TIMING) -> AccessTokenSecretService:
    region = environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION")
    if not region:
        raise ProviderConfigurationError("Provider misconfigured: AWS_REGION is not set")
    prefix = environ.get("SECRET_NAME_PREFIX", DEFAULT_PREFIX)
    if problem := prefix_problem(prefix):
        raise ProviderConfigurationError(f"Provider misconfigured: {problem}")
    secrets, kms = build_clients(region, timing)
    settings = ProviderSettings(region, prefix)
    return AccessTokenSecretService(secrets=SecretsManager(secrets), kms=Kms(kms), settings=settings)


def _start() -> AccessTokenSecretService | str:
    """The service, or the Reason every request gets because it could not be built."""
    logger.info("provider starting", extra={"provider_version": VERSION})  # once per cold start
    try:
        return build_service(os.environ, TIMING.clients)
    except ProviderError as error:
        return error.reason
    except Exception:  # noqa: BLE001 - any init failure must still be answered
        logger.exception("provider initialisation failed")
        return "Provider initialisation failed; see the provider's logs"


_DESTINATIONS = ResponseDestinations.from_environment(os.environ)
_SERVICE = _start()
_deliver = partial(deliver, destinations=_DESTINATIONS)


def response_data(result: Result) -> tuple[dict[str, str], bool]:
    """``Fn::GetAtt`` attributes, and whether the response must be ``NoEcho``."""
    outcome, props = result.outcome, result.props
    data = {"SecretArn": outcome.arn, "SecretName": outcome.name, "SecretStringKey": props.secret_string_key}
    data |= {"KmsKeyArn": result.kms_key_arn, "VersionId": outcome.version_id or "", "ProviderVersion": VERSION}
    if props.header_name is not None:
        data["HeaderName"] = props.header_name
    current = outcome.token
    if not props.return_access_token or current is None:
        return data, False
    data["AccessToken"] = current.reveal()
    data["NextAccessToken"] = (outcome.pending_token or current).reveal()
    data["PreviousAccessToken"] = (outcome.previous_token or current).reveal()
    return data, True


def _admit(envelope: Envelope) -> tuple[AccessTokenSecretService, deadline.Wait] | str:
    """The service and the seconds CloudFormation still waits for the answer; or why the request
    is answered FAILED without running, logged as one warning."""
    timeout_s = deadline.service_timeout(envelope.properties)
    if timeout_s is None and envelope.request_type != "Delete":  # a Delete is never refused for its properties
        return _refused(deadline.SERVICE_TIMEOUT_PROBLEM)
    now = datetime.now(UTC)
    wait = deadline.cloudformation_wait(envelope.response_url, timeout_s or deadline.DEFAULT_SERVICE_TIMEOUT_S, now)
    if wait.stale(TIMING.deadline_margin_s):
        logger.warning("stale request: CloudFormation stopped waiting for it; nothing done", extra=asdict(wait))
        return wait.reason()
    if isinstance(_SERVICE, str):
        return _refused(_SERVICE)
    return _SERVICE, wait


def _refused(reason: str) -> str:
    logger.warning("request refused; nothing done", extra={"reason": reason})
    return reason


def _not_created(envelope: Envelope) -> str:
    """A marker no secret name can match: the rollback Delete touches nothing."""
    return f"{envelope.logical_id[:200]}#not-created#{envelope.request_id[:100]}"


class _Request:
    """One admitted invocation: binds the service to crhelper's callbacks and remembers progress."""

    def __init__(self, service: AccessTokenSecretService, wait: deadline.Wait, envelope: Envelope) -> None:
        self.service, self.envelope, self.progress = service, envelope, Progress()
        self.identity = ResourceIdentity(envelope.stack_id, envelope.logical_id, envelope.request_id, wait.signed_at)
        self.resource = ProviderResource(
            envelope,
            self,
            deliver=_deliver,
            margin_s=TIMING.deadline_margin_s,
            cloudformation_waits_s=wait.seconds_left,
        )

    def failure_physical_id(self) -> str:
        """Update/Delete keep the event's ID. A failed Create names the secret once it exists,
        else its intended name (the rollback Delete removes what a timed-out call created), else
        (invalid properties, or an adoption: that secret must survive the rollback) a marker."""
        if self.envelope.request_type != "Create":
            return self.envelope.physical_id
        if self.progress.adopting:
            return _not_created(self.envelope)
        if current := self.progress.secret_arn:
            return current
        try:
            return self._props().secret_name or default_secret_name(self.identity, self.service.settings.name_prefix)
        except InvalidPropertiesError:
            return _not_created(self.envelope)

    def _props(self) -> SecretProperties:
        return inputs.properties(self.envelope.properties, name_prefix=self.service.settings.name_prefix)

    def _guarded[T](self, work: Callable[[], T]) -> T | None:
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
        return self._answer(self._guarded(lambda: self.service.create(self.identity, self._props(), self.progress)))

    def update(self, event: dict[str, Any], context: LambdaContext) -> str:
        physical_id = self._answer(self._guarded(self._update))
        if self.resource.Status == "FAILED" or self.resource.sent:  # or the timer answered FAILED meanwhile
            self._discard_new_secret()
        return physical_id

    def _update(self) -> Result:
        envelope, prefix = self.envelope, self.service.settings.name_prefix
        reference = inputs.secret_reference(envelope.physical_id, prefix)
        old = inputs.old_properties(envelope.old_properties, name_prefix=prefix)
        return self.service.update(self.identity, reference, self._props(), old, self.progress)

    def _discard_new_secret(self) -> None:
        """CloudFormation keeps a failed replacement's old PhysicalResourceId and never asks to
        delete the new secret; deleted through the recovery window, a retry restores it."""
        created = self.progress.created_arn
        if not created or created == self.envelope.physical_id:
            return
        try:
            self.service.delete(self.identity, created, parse_deletion_options(self.envelope.properties))
        except Exception:  # noqa: BLE001 - the FAILED answer matters more; the log says what is left
            logger.exception("could not remove the secret a failed update created", extra={"secret_arn": created})

    def delete(self, event: dict[str, Any], context: LambdaContext) -> str:
        envelope, prefix = self.envelope, self.service.settings.name_prefix
        options = parse_deletion_options(envelope.properties)
        self._guarded(
            lambda: self.service.delete(self.identity, inputs.deleted_reference(envelope.physical_id, prefix), options)
        )
        return envelope.physical_id


def _answer_unprocessed(event: object, problem: str) -> None:
    """FAILED, with no AWS call: the event is malformed or not meant for this function."""
    count_outcome("Unprocessed", "FAILED")
    if not isinstance(event, Mapping) or not response_url_of(event):
        logger.error("request without ResponseURL; there is no one to answer", extra={"problem": problem})
        return
    envelope = parse_envelope(event)
    logger.warning("request not processed", extra={"problem": problem})
    physical_id = envelope.physical_id or f"{envelope.logical_id[:200] or 'unknown'}#malformed-request"
    respond(envelope, "FAILED", problem, physical_id, deliver=_deliver)


@metrics.log_metrics
@logger.inject_lambda_context(log_event=False, clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> None:
    url = response_url_of(event)
    if url and _DESTINATIONS.refuses(url, request_key(event)):
        count_outcome("Unprocessed", "FAILED")  # a forged event: act on nothing, answer no one
        return
    problem = envelope_problem(event) or destination_problem(event, context.invoked_function_arn)
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
    admitted = _admit(envelope)
    if not isinstance(admitted, str):
        _Request(*admitted, envelope).resource(event, context)
        return
    count_outcome(envelope.request_type, "FAILED")
    physical_id = _not_created(envelope) if envelope.request_type == "Create" else envelope.physical_id
    respond(envelope, "FAILED", admitted, physical_id, deliver=_deliver)
