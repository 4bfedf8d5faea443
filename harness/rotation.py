"""Plays Secrets Manager's rotation service on the simulated clock (test code), where moto does
not: RotateSecret, CancelRotateSecret, the rotation fields of DescribeSecret and ListSecrets, the
four steps of a Lambda rotation function, schedules and retries.

What it plays, with the source of each rule:

* **RotateSecret** (Secrets Manager API reference, RotateSecret) configures rotation and starts
  it asynchronously: the answer (``ARN``, ``Name``, ``VersionId``) comes back at once, the steps
  run later (:meth:`RotationService.run_due`, :meth:`RotationService.advance`). Before it
  answers, the placeholder exists: a version whose VersionId is the ``ClientRequestToken``,
  labelled AWSPENDING, with no value, so ``GetSecretValue(VersionId=token,
  VersionStage="AWSPENDING")`` fails with ResourceNotFoundException, which is how AWS's rotation
  templates decide to put the value (aws-samples/aws-secrets-manager-rotation-lambdas,
  SecretsManagerRotationTemplate). Without configuration parameters it rotates "with the values
  already stored"; without a stored function it answers InvalidRequestException.
* **The AWSPENDING rule** (RotateSecret): "If the AWSPENDING staging label is present but not
  attached to the same version as AWSCURRENT, then any later invocation of RotateSecret assumes
  that a previous rotation request is still in progress and returns an error." The code and
  message are AWS's as users report them (InvalidRequestException, "A previous rotation isn't
  complete. That rotation will be reattempted.", hashicorp/terraform-provider-aws#35023). A
  refused call changes nothing. AWSPENDING on the AWSCURRENT version is no obstacle.
* **The four steps** (Secrets Manager User Guide, "Rotation by Lambda function" and "How rotation
  works"): createSecret, setSecret, testSecret, finishSecret, in order, each a synchronous
  invocation with ``{"Step", "SecretId" (the ARN), "ClientRequestToken", "RotationToken"}``. The
  UG's parameter list spells the steps ``create_secret`` ...; its "How rotation works" page and
  AWS's templates (which compare ``step == "createSecret"``) use camelCase, which is what this
  sends. A step fails when the function raises or outlives its timeout; the next steps do not
  run, and the labels stay where the function left them (RotateSecret: "When rotation is
  unsuccessful, the AWSPENDING staging label might be attached to an empty secret version").
* **RotateImmediately=false** (RotateSecret, RotateImmediately): "Secrets Manager tests the
  rotation configuration by running the testSecret step of the Lambda rotation function. The
  test creates an AWSPENDING version of the secret and then removes it." Only testSecret runs,
  against the empty placeholder; then the version is gone (hidden from DescribeSecret and
  ListSecretVersionIds, since moto cannot delete a version). The schedule starts from the call.
* **Schedules** (:mod:`harness.rotation_schedule`): the rules are validated as AWS documents
  them, kept and shown exactly as written. Each window's rotation starts when it opens ("at any
  time during the window": the stand-in picks the opening).
* **DescribeSecret / ListSecrets** (API reference, DescribeSecret and RotationRulesType):
  ``RotationEnabled``, ``RotationLambdaARN``, ``RotationRules`` as written plus, after a
  successful rotation on a ``ScheduleExpression``, the ``AutomaticallyAfterDays`` Secrets
  Manager "calculated from the rotation schedule" (the CLI's describe-secret example shows both);
  ``LastRotatedDate`` (the last successful rotation) and ``NextRotationDate`` ("on or before":
  the close of the window due after the last success, so in the past while rotations fail,
  "If rotation is unsuccessful, this date may be in the past"); both null when rotation is
  disabled. A secret never configured shows no rotation field at all.
* **Manual writes** (UG, "Rotation by Lambda function"; RotationRulesType): a PutSecretValue or
  UpdateSecret that makes a new AWSCURRENT "is considered a valid rotation" for the next date.
  A new version written during a rotation abandons it (UG, CloudTrail entries,
  ``RotationAbandoned``: Secrets Manager removes AWSPENDING "to allow future rotations to
  succeed"); its retries stop.
* **CancelRotateSecret** (API reference): rotation off, a rotation in progress cancelled (no
  further step runs), labels left as they are; the answer's ``VersionId`` names the version
  "created during the rotation" that may still carry AWSPENDING and block later rotations. A
  secret never configured answers InvalidRequestException, as moto does.
* **Permissions** (UG, "Troubleshoot rotation"): Secrets Manager checks that the function's
  resource policy lets ``secretsmanager.amazonaws.com`` invoke it (``invoke_permitted``);
  AccessDeniedException otherwise.

What is not documented, and what the stand-in chooses:

* **Retries.** AWS documents only that "If any rotation step fails, Secrets Manager retries the
  entire rotation process multiple times" (UG) and that the token "prevent[s] the accidental
  creation of duplicate versions if there are failures and retries during rotation"
  (RotateSecret, ClientRequestToken). Not when, how often, or whether within the window. The
  stand-in retries the whole rotation, from createSecret, with the same token, after each of
  ``retry_delays_s`` (default one hour, twice), only while that version still carries AWSPENDING
  and not AWSCURRENT; the configuration test is not retried.
* **A window that opens on a rotation in progress.** The error says "That rotation will be
  reattempted". With ``stuck_pending="reattempt"`` (default) the window's rotation runs with the
  token of the version that carries AWSPENDING, whoever wrote it: the harsher case for a
  rotation function, which must then refuse a version it did not stage. ``"skip"`` skips the
  window instead.
* AWSPENDING left on the new AWSCURRENT version by a finished rotation stays there (AWS allows
  it; its current template removes it itself). CancelRotateSecret keeps the function and the
  rules (RotateSecret without them then re-enables with the stored values). A failed
  configuration test leaves its empty AWSPENDING version (as a failed rotation may). A token
  that names an existing version is refused (InvalidRequestException). A function unknown to
  the stand-in answers ResourceNotFoundException (moto's answer). A rotation "succeeds" when its
  four steps return, whatever they did, as Secrets Manager cannot tell either.

How the provider's Lambda reaches it: :mod:`harness.rotation_front` sits between the fault proxy
and moto and answers those calls (see its docstring for why this seam).

moto's behaviour this relies on or works around (moto 5.2, read from its source):

* relied on: RotateSecret naming a function moto's Lambda does not have first adds the empty
  AWSPENDING version under the token (moving AWSPENDING off any other version), then fails with
  ResourceNotFoundException; that is how the stand-in makes the placeholder, as Secrets Manager
  itself would, with no value. GetSecretValue of a version without a value answers
  ResourceNotFoundException, as AWS does for the placeholder; PutSecretValue with the
  placeholder's token fills that version.
* worked around: moto refuses RotateSecret while AWSPENDING sits on the AWSCURRENT version (the
  stand-in takes the label off first, which is where AWS's placeholder would take it from);
  moto stores only ``AutomaticallyAfterDays`` and sets ``RotationEnabled`` only when it is above
  0, invokes functions only in its own Lambda backend (a stub without Docker), copies the
  current value into a kept AWSPENDING version on ``RotateImmediately=false`` and moves
  AWSCURRENT to an empty version on ``True``; its CancelRotateSecret only clears
  ``RotationEnabled``. The stand-in therefore never forwards RotateSecret or CancelRotateSecret
  and replaces moto's rotation fields in every DescribeSecret and ListSecrets answer. moto keeps
  versions without labels and lists them with no stages; only the versions AWS removes (the
  configuration test's) are hidden.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final, Literal

from botocore.exceptions import ClientError

from .account import make_arn
from .clock import SimulatedClock
from .lambda_context import LambdaContext
from .rotation_schedule import RulesError, Schedule

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient

RotationFunction = Callable[[dict[str, Any], Any], object]

STEPS: Final = ("createSecret", "setSecret", "testSecret", "finishSecret")
PENDING: Final = "AWSPENDING"
CURRENT: Final = "AWSCURRENT"
# A Wednesday, midnight UTC: where clock.now == 0 falls unless a test says otherwise.
DEFAULT_EPOCH: Final = datetime(2025, 1, 1, tzinfo=UTC)
DEFAULT_RETRY_DELAYS_S: Final = (3600.0, 3600.0)
# A function moto's Lambda never has: RotateSecret naming it leaves only the empty placeholder.
PLACEHOLDER_MAKER: Final = make_arn("lambda", "function:rotation-stand-in-makes-the-placeholder")
PREVIOUS_ROTATION: Final = "A previous rotation isn't complete. That rotation will be reattempted."
ROTATION_FIELDS: Final = (
    "RotationEnabled",
    "RotationLambdaARN",
    "RotationRules",
    "LastRotatedDate",
    "NextRotationDate",
)


class ServiceError(Exception):
    """An error answer, as Secrets Manager sends it (``__type`` and message; never a value)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass
class Function:
    """A rotation function as Secrets Manager sees it: its handler, timeout and resource policy."""

    handler: RotationFunction
    timeout_s: float = 30.0
    invoke_permitted: bool = True


@dataclass
class Attempt:
    """One run of the steps. ``reason``: immediate, test, scheduled or retry; ``outcome``:
    running, succeeded, failed, cancelled or abandoned; ``error`` names the failed step's
    exception type (or "timed out"), never a message that could hold a value."""

    secret_arn: str
    token: str
    reason: str
    started: datetime
    steps: list[str] = field(default_factory=list)
    outcome: str = "running"
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.outcome == "succeeded"


@dataclass(frozen=True)
class Event:
    """What CloudTrail would record (UG, "Log Secrets Manager events with CloudTrail")."""

    at: datetime
    name: str  # RotationStarted, RotationSucceeded, RotationFailed, RotationAbandoned
    secret_arn: str
    token: str


@dataclass
class _Work:
    due: datetime
    arn: str
    token: str
    reason: str
    retries_left: int
    generation: int


@dataclass
class _Rotation:
    """What Secrets Manager keeps about one secret's rotation."""

    arn: str
    name: str
    function_arn: str
    base: datetime  # the last successful rotation, manual write or configuration
    rules: dict[str, Any] | None = None
    schedule: Schedule | None = None
    enabled: bool = True
    served: datetime | None = None  # the opening of the last window that ran
    last_rotated: datetime | None = None
    interval_days: int | None = None
    generation: int = 0  # moves on CancelRotateSecret: queued work and running steps stop
    tokens: set[str] = field(default_factory=set)
    abandoned: set[str] = field(default_factory=set)
    hidden: set[str] = field(default_factory=set)  # versions AWS would have removed


@dataclass(frozen=True)
class WriteSnapshot:
    """The versions before a PutSecretValue or UpdateSecret, to judge it once it is done."""

    arn: str
    token: str | None
    before: Mapping[str, list[str]]


def _holder(versions: Mapping[str, list[str]], stage: str) -> str | None:
    return next((version for version, stages in versions.items() if stage in stages), None)


def in_flight(versions: Mapping[str, list[str]]) -> str | None:
    """The version a rotation in progress holds: AWSPENDING on another version than AWSCURRENT."""
    pending = _holder(versions, PENDING)
    return pending if pending is not None and CURRENT not in versions[pending] else None


class RotationService:
    """Secrets Manager's rotation, over moto's storage (``secretsmanager`` is a client straight
    to moto: the service's own actions are not the provider's calls). Register the functions by
    ARN, put :mod:`harness.rotation_front` in front of moto, and move time with :meth:`advance`."""

    def __init__(
        self,
        clock: SimulatedClock,
        secretsmanager: SecretsManagerClient,
        *,
        epoch: datetime = DEFAULT_EPOCH,
        retry_delays_s: tuple[float, ...] = DEFAULT_RETRY_DELAYS_S,
        stuck_pending: Literal["reattempt", "skip"] = "reattempt",
    ) -> None:
        self.clock = clock
        self.epoch = epoch
        self.retry_delays_s = retry_delays_s
        self.stuck_pending = stuck_pending
        self.functions: dict[str, Function] = {}
        self.attempts: list[Attempt] = []
        self.events: list[Event] = []
        self._sm = secretsmanager
        self._rotations: dict[str, _Rotation] = {}
        self._queue: list[_Work] = []
        self._stragglers: list[threading.Thread] = []
        self._lock = threading.RLock()

    # Setup and time ----------------------------------------------------------------------

    def register(
        self, name: str, handler: RotationFunction, *, timeout_s: float = 30.0, invoke_permitted: bool = True
    ) -> str:
        """A rotation function in this account and Region; returns its ARN."""
        arn = make_arn("lambda", f"function:{name}")
        self.functions[arn] = Function(handler, timeout_s, invoke_permitted)
        return arn

    @property
    def now(self) -> datetime:
        return self.epoch + timedelta(seconds=self.clock.now)

    def at(self, moment: datetime) -> float:
        """The clock reading of ``moment``."""
        return (moment - self.epoch).total_seconds()

    def next_due(self) -> _Work | None:
        """The earliest queued work or window opening, across all secrets."""
        with self._lock:
            candidates = list(self._queue)
            for rotation in self._rotations.values():
                if rotation.enabled and rotation.schedule is not None:
                    after = max(rotation.base, rotation.served) if rotation.served else rotation.base
                    opening = rotation.schedule.next_opening(after)
                    retries = len(self.retry_delays_s)
                    candidates.append(_Work(opening, rotation.arn, "", "scheduled", retries, rotation.generation))
        return min(candidates, key=lambda work: work.due, default=None)

    def run_due(self) -> list[Attempt]:
        """Run everything due by now (the work RotateSecret started, windows, retries)."""
        ran: list[Attempt] = []
        while (work := self.next_due()) is not None and work.due <= self.now:
            attempt = self._run(work)
            if attempt is not None:
                ran.append(attempt)
        return ran

    def advance(self, seconds: float) -> list[Attempt]:
        """Move the clock forward, stopping at each due moment to run what is due then."""
        target = self.clock.now + seconds
        ran: list[Attempt] = []
        while (work := self.next_due()) is not None and self.at(work.due) <= target:
            self.clock.advance(max(0.0, self.at(work.due) - self.clock.now))
            ran.extend(self.run_due())
        self.clock.advance(target - self.clock.now)
        return ran

    def settle(self, timeout_s: float = 30.0) -> None:
        """Wait for steps that outlived their timeout (a test must not leave them behind)."""
        for thread in self._stragglers:
            thread.join(timeout_s)

    # The API calls the front answers -----------------------------------------------------

    def rotate_secret(self, request: Mapping[str, Any]) -> dict[str, Any]:
        secret = self._describe(str(request.get("SecretId", "")))
        arn = str(secret["ARN"])
        self._refuse_unusable(secret)
        with self._lock:
            existing = self._rotations.get(arn)
        token = str(request.get("ClientRequestToken") or uuid.uuid4())
        if not 32 <= len(token) <= 64:
            raise ServiceError("InvalidParameterException", "ClientRequestToken must be 32-64 characters long.")
        rules = request.get("RotationRules")
        schedule = existing.schedule if existing is not None else None
        if rules is not None:
            try:
                schedule = Schedule.parse(rules, self.now)
            except RulesError as error:
                raise ServiceError("InvalidParameterException", str(error)) from None
        function_arn = request.get("RotationLambdaARN") or (existing.function_arn if existing else None)
        self._check_function(function_arn)
        assert function_arn is not None
        versions = dict(secret.get("VersionIdsToStages", {}))
        answer = {"ARN": arn, "Name": secret["Name"], "VersionId": token}
        if existing is not None and token in existing.tokens and in_flight(versions) == token:
            return answer  # the same request again (ClientRequestToken: idempotency)
        if in_flight(versions) is not None:
            raise ServiceError("InvalidRequestException", PREVIOUS_ROTATION)
        self._make_placeholder(arn, token, versions)
        immediately = bool(request.get("RotateImmediately", True))
        with self._lock:
            rotation = existing or _Rotation(arn, str(secret["Name"]), function_arn, self.now)
            rotation.function_arn = function_arn
            if rules is not None:
                rotation.rules, rotation.schedule = dict(rules), schedule
            if rules is not None or not rotation.enabled:
                rotation.base, rotation.served = self.now, None
            rotation.enabled = True
            rotation.tokens.add(token)
            self._rotations[arn] = rotation
            retries = len(self.retry_delays_s) if immediately else 0
            reason = "immediate" if immediately else "test"
            self._queue.append(_Work(self.now, arn, token, reason, retries, rotation.generation))
        return answer

    def cancel_rotate_secret(self, request: Mapping[str, Any]) -> dict[str, Any]:
        secret = self._describe(str(request.get("SecretId", "")))
        arn = str(secret["ARN"])
        if secret.get("DeletedDate"):
            raise ServiceError(
                "InvalidRequestException", "You can't perform this operation on a secret marked deleted."
            )
        with self._lock:
            rotation = self._rotations.get(arn)
            if rotation is None:
                raise ServiceError(
                    "InvalidRequestException",
                    "You tried to enable rotation on a secret that doesn't already have a Lambda function ARN "
                    "configured and you didn't include such an ARN as a parameter in this call.",
                )
            rotation.enabled = False
            rotation.generation += 1
            self._queue = [work for work in self._queue if work.arn != arn]
        answer: dict[str, Any] = {"ARN": arn, "Name": secret["Name"]}
        version = in_flight(secret.get("VersionIdsToStages", {}))
        if version is not None:
            answer["VersionId"] = version
        return answer

    def describe(self, entry: dict[str, Any]) -> dict[str, Any]:
        """A DescribeSecret answer or ListSecrets entry with AWS's rotation fields, not moto's."""
        for name in ROTATION_FIELDS:
            entry.pop(name, None)
        with self._lock:
            rotation = self._rotations.get(str(entry.get("ARN")))
            if rotation is None:
                return entry
            for key in ("VersionIdsToStages", "SecretVersionsToStages"):
                if key in entry:
                    entry[key] = {v: s for v, s in entry[key].items() if v not in rotation.hidden}
            entry["RotationEnabled"] = rotation.enabled
            entry["RotationLambdaARN"] = rotation.function_arn
            if rotation.rules is not None:
                rules = dict(rotation.rules)
                if "ScheduleExpression" in rules and rotation.interval_days is not None:
                    rules["AutomaticallyAfterDays"] = rotation.interval_days
                entry["RotationRules"] = rules
            if rotation.enabled and rotation.last_rotated is not None:
                entry["LastRotatedDate"] = rotation.last_rotated.timestamp()
            if rotation.enabled and rotation.schedule is not None:
                entry["NextRotationDate"] = rotation.schedule.window_after(rotation.base).closes.timestamp()
        return entry

    def list_versions(self, answer: dict[str, Any]) -> dict[str, Any]:
        """A ListSecretVersionIds answer without the versions AWS would have removed. (moto puts
        the secret's name where its ARN belongs in this answer: either is matched.)"""
        named = {answer.get("ARN"), answer.get("Name")}
        with self._lock:
            hidden = {v for r in self._rotations.values() if named & {r.arn, r.name} for v in r.hidden}
        answer["Versions"] = [v for v in answer.get("Versions", []) if v.get("VersionId") not in hidden]
        return answer

    def before_write(self, request: Mapping[str, Any]) -> WriteSnapshot | None:
        """Before a PutSecretValue or UpdateSecret reaches moto (``None``: nothing to judge)."""
        if "SecretString" not in request and "SecretBinary" not in request:
            return None
        try:
            secret = self._describe(str(request.get("SecretId", "")))
        except ServiceError:
            return None  # moto answers it
        arn = str(secret["ARN"])
        with self._lock:
            if arn not in self._rotations:
                return None
        token = request.get("ClientRequestToken")
        return WriteSnapshot(arn, str(token) if token else None, dict(secret.get("VersionIdsToStages", {})))

    def after_write(self, write: WriteSnapshot) -> None:
        """After it succeeded: a new AWSCURRENT counts as a rotation for the next date, and a new
        version written by anyone but the rotation abandons the rotation in progress."""
        after = self._versions(write.arn)
        if not set(after) - set(write.before):
            return
        abandoned = in_flight(write.before)
        with self._lock:
            rotation = self._rotations[write.arn]
            if _holder(after, CURRENT) != _holder(write.before, CURRENT):
                rotation.base = self.now
            if abandoned is None or abandoned not in rotation.tokens or write.token == abandoned:
                return
            rotation.abandoned.add(abandoned)
            self._queue = [w for w in self._queue if not (w.arn == write.arn and w.token == abandoned)]
        if PENDING in after.get(abandoned, []):
            self._sm.update_secret_version_stage(
                SecretId=write.arn, VersionStage=PENDING, RemoveFromVersionId=abandoned
            )
        self.events.append(Event(self.now, "RotationAbandoned", write.arn, abandoned))

    # Running the steps -------------------------------------------------------------------

    def _run(self, work: _Work) -> Attempt | None:
        with self._lock:
            if work in self._queue:
                self._queue.remove(work)
            rotation = self._rotations.get(work.arn)
            if rotation is None or rotation.generation != work.generation:
                return None
            if work.reason == "scheduled":
                rotation.served = work.due
                # The window's rotation replaces any retry still waiting.
                self._queue = [w for w in self._queue if not (w.arn == work.arn and w.reason == "retry")]
        token = self._token_for(work, rotation)
        if token is None:
            return None
        attempt = Attempt(work.arn, token, work.reason, self.now)
        self.attempts.append(attempt)
        self.events.append(Event(self.now, "RotationStarted", work.arn, token))
        function = self.functions[rotation.function_arn]
        for step in ("testSecret",) if work.reason == "test" else STEPS:
            if token in rotation.abandoned or rotation.generation != work.generation:
                attempt.outcome = "abandoned" if token in rotation.abandoned else "cancelled"
                return attempt
            attempt.steps.append(step)
            error = self._invoke(rotation, function, step, token)
            if error is not None:
                return self._failed(attempt, work, rotation, error)
        if work.reason == "test":
            self._remove_test_version(rotation, token)
        else:
            with self._lock:
                rotation.last_rotated = rotation.base = self.now
                if rotation.schedule is not None:
                    rotation.interval_days = rotation.schedule.interval_days(self.now)
        attempt.outcome = "succeeded"
        self.events.append(Event(self.now, "RotationSucceeded", work.arn, token))
        return attempt

    def _token_for(self, work: _Work, rotation: _Rotation) -> str | None:
        """The version this work rotates, or ``None`` when there is nothing to run."""
        try:
            secret = self._sm.describe_secret(SecretId=work.arn)
        except ClientError:
            return None  # the secret is gone
        if secret.get("DeletedDate"):
            return None  # RotateSecret refuses a secret marked deleted; its windows are skipped too
        versions = {version: list(stages) for version, stages in secret.get("VersionIdsToStages", {}).items()}
        if work.reason != "scheduled":
            stages = versions.get(work.token, [])
            # A retry runs only while its version is still the rotation in progress.
            if work.reason == "retry" and (PENDING not in stages or CURRENT in stages):
                return None
            return work.token
        return self._scheduled_token(work.arn, rotation, versions)

    def _scheduled_token(self, arn: str, rotation: _Rotation, versions: Mapping[str, list[str]]) -> str | None:
        """A window's token: a new placeholder, or the rotation in progress (``stuck_pending``)."""
        stuck = in_flight(versions)
        if stuck is not None:
            if self.stuck_pending == "skip":
                return None
            with self._lock:
                rotation.tokens.add(stuck)
            return stuck
        token = str(uuid.uuid4())
        self._make_placeholder(arn, token, versions)
        with self._lock:
            rotation.tokens.add(token)
        return token

    def _invoke(self, rotation: _Rotation, function: Function, step: str, token: str) -> str | None:
        """One synchronous invocation (Lambda's timeout counts as an error); the error's type."""
        event = {
            "Step": step,
            "SecretId": rotation.arn,
            "ClientRequestToken": token,
            "RotationToken": str(uuid.uuid4()),
        }
        errors: list[BaseException] = []
        name = rotation.function_arn.rsplit(":", 1)[-1]

        def run() -> None:
            try:
                function.handler(event, LambdaContext(timeout_s=function.timeout_s, function_name=name))
            except Exception as error:  # noqa: BLE001 - any error fails the step, as in Lambda
                errors.append(error)

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        thread.join(function.timeout_s)
        if thread.is_alive():
            self._stragglers.append(thread)
            return "timed out"
        if not errors:
            return None
        error = errors[0]
        if isinstance(error, ClientError):
            return f"ClientError {error.response.get('Error', {}).get('Code', '')}"
        return type(error).__name__

    def _failed(self, attempt: Attempt, work: _Work, rotation: _Rotation, error: str) -> Attempt:
        attempt.outcome, attempt.error = "failed", error
        self.events.append(Event(self.now, "RotationFailed", work.arn, attempt.token))
        if work.reason != "test" and work.retries_left > 0:
            delay = self.retry_delays_s[len(self.retry_delays_s) - work.retries_left]
            retry = _Work(
                self.now + timedelta(seconds=delay),
                work.arn,
                attempt.token,
                "retry",
                work.retries_left - 1,
                work.generation,
            )
            with self._lock:
                self._queue.append(retry)
        return attempt

    def _remove_test_version(self, rotation: _Rotation, token: str) -> None:
        """RotateImmediately: "The test creates an AWSPENDING version of the secret and then removes it"."""
        if PENDING in self._versions(rotation.arn).get(token, []):
            self._sm.update_secret_version_stage(SecretId=rotation.arn, VersionStage=PENDING, RemoveFromVersionId=token)
        with self._lock:
            rotation.hidden.add(token)

    # Secrets Manager's own view of the secret (straight to moto) -------------------------

    def _describe(self, secret_id: str) -> dict[str, Any]:
        try:
            return dict(self._sm.describe_secret(SecretId=secret_id))
        except ClientError as error:
            details = error.response.get("Error", {})
            raise ServiceError(str(details.get("Code", "")), str(details.get("Message", ""))) from None

    def _versions(self, arn: str) -> dict[str, list[str]]:
        return {k: list(v) for k, v in self._sm.describe_secret(SecretId=arn).get("VersionIdsToStages", {}).items()}

    @staticmethod
    def _refuse_unusable(secret: Mapping[str, Any]) -> None:
        """RotateSecret, InvalidRequestException: a secret marked deleted, or managed by another service."""
        if secret.get("DeletedDate"):
            raise ServiceError(
                "InvalidRequestException", "You can't perform this operation on a secret marked deleted."
            )
        if secret.get("OwningService"):
            raise ServiceError("InvalidRequestException", "The secret is managed by another service.")

    def _check_function(self, function_arn: str | None) -> None:
        if not function_arn:
            raise ServiceError(
                "InvalidRequestException",
                "You tried to enable rotation on a secret that doesn't already have a Lambda function ARN configured "
                "and you didn't include such an ARN as a parameter in this call.",
            )
        function = self.functions.get(function_arn)
        if function is None:
            raise ServiceError("ResourceNotFoundException", f"Resource not found for ARN '{function_arn}'.")
        if not function.invoke_permitted:
            raise ServiceError(
                "AccessDeniedException",
                "Secrets Manager cannot invoke the specified Lambda function. Ensure that the function policy "
                "grants access to the principal secretsmanager.amazonaws.com.",
            )

    def _make_placeholder(self, arn: str, token: str, versions: Mapping[str, list[str]]) -> None:
        """The empty AWSPENDING version under ``token`` (see the module docstring for how moto is
        made to hold it)."""
        if token in versions:
            raise ServiceError("InvalidRequestException", "ClientRequestToken names an existing version of the secret.")
        pending = _holder(versions, PENDING)
        if pending is not None and CURRENT in versions[pending]:
            # moto refuses RotateSecret in this state (AWS does not); AWS's placeholder takes the label from here.
            self._sm.update_secret_version_stage(SecretId=arn, VersionStage=PENDING, RemoveFromVersionId=pending)
        try:
            self._sm.rotate_secret(
                SecretId=arn, ClientRequestToken=token, RotationLambdaARN=PLACEHOLDER_MAKER, RotateImmediately=True
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
                raise
        else:
            raise RuntimeError("moto ran a rotation function it should not have")
        if self._versions(arn).get(token) != [PENDING]:
            raise RuntimeError("moto did not make the empty AWSPENDING version")
