"""Random stack histories: the provider's promises checked after every step of every history.

A hypothesis ``RuleBasedStateMachine`` whose rules are stack operations a user runs (rotations,
staging and promotion, supplied tokens, key changes, renames, JSON-key and header changes,
``ReturnAccessToken`` on and off, failed updates with CloudFormation's rollback, redeliveries,
a crash after the k-th AWS call and its redelivery, stack delete), played through the harness's
CloudFormation against moto over HTTP, with the MediaTailor stand-in updating its source
location whenever CloudFormation would (a new SecretArn, SecretStringKey or HeaderName).

A shadow model keeps what the template asks for and which tokens the operator was told; after
every rule the invariants compare it with what AWS holds and what the provider answered:

* MediaTailor fetches from the origin, sending the token the model expects as current;
* AWSCURRENT and AWSPENDING hold the tokens the model expects, and the attributes say so
  (``NextAccessToken`` is AWSPENDING's token or AccessToken; ``PreviousAccessToken`` is
  AWSPREVIOUS's, and the token that was current when this update changed it in place);
* a rollback brings back exactly the tokens the operator was told before the failed update;
  a RotationId that is still current, pending or previous names the same token again;
* a redelivered event writes nothing and answers the same;
* exactly one secret of the resource is live (none after the stack delete), and a foreign
  secret is never changed.

``HISTORIES`` (environment) sets how many histories run (``make test``: a few; ``make soak``:
200); with ``HISTORY_REPORT`` set to a file, the rules drawn are counted into it.
"""

from __future__ import annotations

import json
import os
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from access_token_secret.plan.record import APPLIED_TAG, DELETED_TAG
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from harness.account import ACCOUNT, DEPLOYER, REGION
from harness.cloudformation import CloudFormation, ResourceState, Response, Stack
from harness.emulator import Emulator
from harness.example_stack import EXAMPLE
from harness.faults import Fault, FaultProxy
from harness.listener import ResponseListener, wall_clock
from harness.mediatailor import MediaTailor, SourceLocation
from harness.origins import OriginServer
from harness.templates import resource_properties
from tests.integration.conftest import Aws
from tests.support.record import signing_time

HISTORIES = int(os.environ.get("HISTORIES", "6"))
STEPS = int(os.environ.get("HISTORY_STEPS", "10"))
REPORT = os.environ.get("HISTORY_REPORT")
LOGICAL_ID = "Token"
FOREIGN_NAME = "mediatailor/hand-made/foreign-token"
OWNER_STACK_TAG = "mediatailor-access-token-secret:stack-id"
OWNER_LOGICAL_TAG = "mediatailor-access-token-secret:logical-id"
WRITES = {"CreateSecret", "PutSecretValue", "UpdateSecretVersionStage", "UpdateSecret", "DeleteSecret", "RestoreSecret"}
DRAWN: Counter[str] = Counter()


def key_policy() -> str:
    """The main example's documented key policy (the account administers; the deployer may let
    MediaTailor make its grant via mediatailor.<region>.amazonaws.com), read from the example
    so the histories cannot drift from what users deploy."""
    properties = resource_properties(EXAMPLE, "AccessTokenKey", {"DeployerPrincipalArn": DEPLOYER})
    return json.dumps(properties["KeyPolicy"])


@dataclass(frozen=True)
class Template:
    """What the template asks for, in the model's terms."""

    key: int = 0  # which of the history's two KMS keys
    name: str | None = None  # explicit SecretName suffix, or None for the generated name
    json_key: str = "K1"
    header: str = "X-Origin-Token"
    supplied: str | None = None  # AccessToken
    supplied_next: str | None = None  # NextAccessToken
    rotation: str = "r0"
    next_rotation: str | None = None
    uuid_format: bool = False
    returns: bool = True
    description: str = ""

    @property
    def staged(self) -> bool:
        if self.supplied is not None:
            return self.supplied_next is not None and self.supplied_next != self.supplied
        return self.next_rotation is not None and self.next_rotation != self.rotation

    def current_id(self) -> tuple[str, str]:
        return ("sup", self.supplied) if self.supplied is not None else ("gen", self.rotation)

    def pending_id(self) -> tuple[str, str] | None:
        if not self.staged:
            return None
        if self.supplied is not None:
            assert self.supplied_next is not None
            return ("sup", self.supplied_next)
        assert self.next_rotation is not None
        return ("gen", self.next_rotation)


@dataclass
class Told:
    """The tokens the operator was told after the last step (attribute values)."""

    current: str
    pending: str | None
    previous: str | None
    by_id: dict[tuple[str, str], str] = field(default_factory=dict)


class Histories(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        world = WORLD
        self.aws: Aws = world.aws
        self.proxy: FaultProxy = world.proxy
        self.listener: ResponseListener = world.listener
        self.invoke = world.invoke
        world.emulator.reset()
        self.proxy.clear()
        self.keys = [self._new_key(), self._new_key()]
        self.foreign = self.aws.secretsmanager.create_secret(
            Name=FOREIGN_NAME, SecretString=json.dumps({"K1": "foreign-token-0001"})
        )["ARN"]
        self.foreign_before = self._snapshot(self.foreign)
        self.stack: Stack = world.cloud.new_stack(f"h-{uuid.uuid4().hex[:8]}")
        self.mediatailor = MediaTailor(
            self.aws.secretsmanager, self.aws.kms, region=REGION, account=ACCOUNT, deployer_principal_arn=DEPLOYER
        )
        self.origin: OriginServer = world.origin
        self.template = Template()
        self.told: Told | None = None
        self.last: Response | None = None
        self.deleted = False
        self.counter = 0
        # CloudFormation signs each request later than the one before: ten seconds apart here,
        # so that a late copy of an earlier event is signed before what followed it.
        signed = iter(range(0, 10**9, 10))
        start = wall_clock()
        self.listener.clock = lambda: start + timedelta(seconds=next(signed))

    def teardown(self) -> None:
        self.listener.clock = wall_clock

    # World helpers ------------------------------------------------------------------------

    def _new_key(self) -> str:
        created = self.aws.kms.create_key(KeyUsage="ENCRYPT_DECRYPT", KeySpec="SYMMETRIC_DEFAULT", Policy=key_policy())
        return str(created["KeyMetadata"]["Arn"])

    def _snapshot(self, arn: str) -> dict[str, Any]:
        described = self.aws.secret(arn)
        return {
            "Versions": described["VersionIdsToStages"],
            "Tags": described.get("Tags", []),
            "Value": self.aws.secretsmanager.get_secret_value(SecretId=arn, VersionStage="AWSCURRENT")["SecretString"],
        }

    def _fresh(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def _supplied_token(self) -> str:
        self.counter += 1
        return f"supplied-{uuid.uuid4().hex[:12]}-{self.counter}"

    def properties(self, template: Template) -> dict[str, Any]:
        props: dict[str, Any] = {
            "KmsKeyId": self.keys[template.key],
            "SecretStringKey": template.json_key,
            "HeaderName": template.header,
            "ReturnAccessToken": template.returns,
        }
        if template.name is not None:
            props["SecretName"] = f"mediatailor/{self.stack.name}/{template.name}"
        if template.supplied is not None:
            props["AccessToken"] = template.supplied
            if template.supplied_next is not None:
                props["NextAccessToken"] = template.supplied_next
        else:
            props["RotationId"] = template.rotation
            if template.next_rotation is not None:
                props["NextRotationId"] = template.next_rotation
            if template.uuid_format:
                props["TokenFormat"] = "Uuid"
        if template.description:
            props["Description"] = template.description
        return props

    # What AWS holds -------------------------------------------------------------------------

    def _arn(self) -> str:
        return self.stack.resources[LOGICAL_ID].physical_id

    def _stage_token(self, stage: str, json_key: str) -> str | None:
        arn = self._arn()
        stages = {v: s for v, s in self.aws.secret(arn)["VersionIdsToStages"].items() if s}
        current = next(v for v, s in stages.items() if "AWSCURRENT" in s)
        version = next((v for v, s in stages.items() if stage in s), None)
        if version is None or (stage != "AWSCURRENT" and version == current):
            return None
        document = json.loads(self.aws.secretsmanager.get_secret_value(SecretId=arn, VersionId=version)["SecretString"])
        if json_key in document:
            return str(document[json_key])
        (token,) = set(document.values())  # written under an earlier JSON key only
        return str(token)

    # The model's expectations --------------------------------------------------------------

    def _settle(self, response: Response, template: Template, *, rollback_to: Told | None, in_place: bool) -> None:
        """Check a successful step against the model, then make it the model's state."""
        assert response.ok, f"{response.request_type}: {response.reason}"
        current = self._stage_token("AWSCURRENT", template.json_key)
        pending = self._stage_token("AWSPENDING", template.json_key)
        assert current is not None
        before = self.told
        by_id = dict(before.by_id) if before else {}
        live = {v for v in ((before.current, before.pending, before.previous) if before else ()) if v}
        expectations = [(template.current_id(), current, "AWSCURRENT")]
        pending_id = template.pending_id()
        if pending_id is None:
            assert pending is None, "nothing is pending after this step"
        else:
            assert pending is not None, "the next token is staged under AWSPENDING"
            expectations.append((pending_id, pending, "AWSPENDING"))
        for token_id, held, label in expectations:
            kind, value = token_id
            if kind == "sup":
                assert held == value, f"{label} holds the template's token"
            elif rollback_to is not None and token_id in rollback_to.by_id:
                assert held == rollback_to.by_id[token_id], f"a rollback restores {label} exactly"
            elif token_id in by_id and by_id[token_id] in live:
                assert held == by_id[token_id], f"{label}: a RotationId still in use names the same token"
            by_id[token_id] = held
        if rollback_to is not None:
            assert current == rollback_to.current
            assert pending == rollback_to.pending
        data = response.data
        previous = self._stage_token("AWSPREVIOUS", template.json_key)
        if template.returns:
            assert data["AccessToken"] == current
            assert data["NextAccessToken"] == (pending or current)
            assert data["PreviousAccessToken"] == (previous or current)
            if in_place and before is not None and before.current != current:
                assert data["PreviousAccessToken"] == before.current, "the token this update replaced"
        else:
            assert "AccessToken" not in data
        assert data["SecretStringKey"] == template.json_key
        self._point_mediatailor(data)
        self.told = Told(current=current, pending=pending, previous=previous, by_id=by_id)
        self.template = template

    def _point_mediatailor(self, data: dict[str, str]) -> None:
        """CloudFormation updates the source location when a value it references changed; only
        then does MediaTailor describe the secret and grant itself its key."""
        location = SourceLocation(
            "origin", self.origin.base_url, data["SecretArn"], data["SecretStringKey"], data["HeaderName"]
        )
        if self.mediatailor.source_locations.get("origin") != location:
            self.mediatailor.put_source_location(location)

    def _update(self, template: Template, *, fail_later: bool = False) -> None:
        before = self.told
        properties = self.properties(template)
        old_arn = self._arn()
        self.proxy.clear()
        responses, after = self.stack.update_stack({LOGICAL_ID: properties}, fail_later=fail_later)
        if not responses:
            return  # nothing changed: CloudFormation sends no request
        self.last = responses[-1]
        if fail_later or not responses[-1].ok:
            rollback = next(r for r in after if r.request_type == "Update")
            self._settle(rollback, self.template, rollback_to=before, in_place=False)
            self.last = after[-1]
            return
        self._settle(responses[-1], template, rollback_to=None, in_place=self._arn() == old_arn)

    # Rules ------------------------------------------------------------------------------------

    @initialize(
        supplied=st.booleans(),
        named=st.booleans(),
        staged=st.booleans(),
        returns=st.booleans(),
        uuid_format=st.booleans(),
    )
    def create(self, supplied: bool, named: bool, staged: bool, returns: bool, uuid_format: bool) -> None:
        DRAWN["create"] += 1
        template = Template(name="a" if named else None, returns=returns, uuid_format=uuid_format and not supplied)
        if supplied:
            template = replace(template, supplied=self._supplied_token())
            if staged:
                template = replace(template, supplied_next=self._supplied_token())
        elif staged:
            template = replace(template, next_rotation=self._fresh("n"))
        created = self.stack.create(LOGICAL_ID, self.properties(template))
        self.last = created
        self._settle(created, template, rollback_to=None, in_place=False)

    @precondition(lambda self: not self.deleted)
    @rule(fail=st.booleans())
    def rotate_in_one_step(self, fail: bool) -> None:
        DRAWN["rotate_in_one_step" + (" (rolled back)" if fail else "")] += 1
        t = self.template
        if t.supplied is not None:
            self._update(replace(t, supplied=self._supplied_token(), supplied_next=None), fail_later=fail)
        else:
            self._update(replace(t, rotation=self._fresh("r"), next_rotation=None), fail_later=fail)

    @precondition(lambda self: not self.deleted)
    @rule(fail=st.booleans())
    def stage_next_token(self, fail: bool) -> None:
        DRAWN["stage_next_token" + (" (rolled back)" if fail else "")] += 1
        t = self.template
        if t.supplied is not None:
            self._update(replace(t, supplied_next=self._supplied_token()), fail_later=fail)
        else:
            self._update(replace(t, next_rotation=self._fresh("n")), fail_later=fail)

    @precondition(lambda self: not self.deleted and self.template.staged)
    @rule(fail=st.booleans(), keep_next=st.booleans())
    def promote(self, fail: bool, keep_next: bool) -> None:
        DRAWN["promote" + (" (rolled back)" if fail else "")] += 1
        t = self.template
        if t.supplied is not None:
            promoted = replace(t, supplied=t.supplied_next, supplied_next=t.supplied_next if keep_next else None)
        else:
            promoted = replace(
                t, rotation=t.next_rotation or t.rotation, next_rotation=t.next_rotation if keep_next else None
            )
        self._update(promoted, fail_later=fail)

    @precondition(lambda self: not self.deleted and self.template.staged)
    @rule(fail=st.booleans())
    def unstage(self, fail: bool) -> None:
        DRAWN["unstage" + (" (rolled back)" if fail else "")] += 1
        self._update(replace(self.template, supplied_next=None, next_rotation=None), fail_later=fail)

    @precondition(lambda self: not self.deleted)
    @rule(fail=st.booleans())
    def change_key(self, fail: bool) -> None:
        """With an explicit name, a new key needs a new name too (the provider refuses otherwise)."""
        DRAWN["change_key" + (" (rolled back)" if fail else "")] += 1
        t = self.template
        name = t.name if t.name is None else ("b" if t.name == "a" else "a")
        self._update(replace(t, key=1 - t.key, name=name), fail_later=fail)

    @precondition(lambda self: not self.deleted)
    @rule(target_name=st.sampled_from([None, "a", "b"]), fail=st.booleans())
    def rename(self, target_name: str | None, fail: bool) -> None:
        DRAWN["rename" + (" (rolled back)" if fail else "")] += 1
        self._update(replace(self.template, name=target_name), fail_later=fail)

    @precondition(lambda self: not self.deleted)
    @rule(fail=st.booleans())
    def change_json_key(self, fail: bool) -> None:
        DRAWN["change_json_key" + (" (rolled back)" if fail else "")] += 1
        t = self.template
        self._update(replace(t, json_key="K2" if t.json_key == "K1" else "K1"), fail_later=fail)

    @precondition(lambda self: not self.deleted)
    @rule(header=st.sampled_from(["X-Origin-Token", "X-Other-Token"]), description=st.sampled_from(["", "d1", "d2"]))
    def change_header_or_description(self, header: str, description: str) -> None:
        DRAWN["change_header_or_description"] += 1
        self._update(replace(self.template, header=header, description=description))

    @precondition(lambda self: not self.deleted)
    @rule()
    def toggle_return_access_token(self) -> None:
        DRAWN["toggle_return_access_token"] += 1
        self._update(replace(self.template, returns=not self.template.returns))

    @precondition(lambda self: not self.deleted)
    @rule(fail=st.booleans())
    def switch_between_generated_and_supplied(self, fail: bool) -> None:
        DRAWN["switch_generated_supplied" + (" (rolled back)" if fail else "")] += 1
        t = self.template
        if t.supplied is None:
            switched = replace(t, supplied=self._supplied_token(), supplied_next=None, next_rotation=None)
        else:
            switched = replace(t, supplied=None, supplied_next=None, rotation=self._fresh("r"), next_rotation=None)
        self._update(switched, fail_later=fail)

    @precondition(lambda self: not self.deleted and self.template.supplied is None)
    @rule()
    def change_token_format(self) -> None:
        DRAWN["change_token_format"] += 1
        self._update(replace(self.template, uuid_format=not self.template.uuid_format))

    @precondition(lambda self: self.last is not None)
    @rule()
    def redeliver_the_last_event(self) -> None:
        """Lambda delivers an event again: the same answer, and nothing changed in AWS (a write
        may be attempted: CreateSecret with the request's own VersionId is how a redelivered
        Create finds its twin's secret; it fails and changes nothing)."""
        DRAWN["redeliver"] += 1
        assert self.last is not None
        event = self.last.event
        before = self._resource_snapshot()
        self.invoke(event)
        again = self.listener.responses_for(event["ResponseURL"])[-1].body
        fields = ("Status", "PhysicalResourceId", "Data")
        assert {k: again.get(k) for k in fields} == {k: self.last.body.get(k) for k in fields}
        assert self._resource_snapshot() == before, f"a redelivered {event['RequestType']} changed a secret"

    @rule(pick=st.integers(min_value=0, max_value=1000))
    def deliver_a_late_copy(self, pick: int) -> None:
        """Lambda delivers a copy of any earlier event late (a throttled event waits in its
        queue): it changes nothing in AWS; refused, it names a newer operation recorded on the
        resource's secrets."""
        DRAWN["late copy"] += 1
        earlier = [response for response in self.stack.log if response is not self.last]
        if not earlier:
            return
        event = earlier[pick % len(earlier)].event
        before = self._resource_snapshot()
        newer = {
            value.split(" ")[1]
            for arn in self._owned_secrets(include_deleted=True)
            for key, value in self.aws.tags(arn).items()
            if key in (APPLIED_TAG, DELETED_TAG) and value.split(" ")[0] > signing_time(event)
        }
        self.invoke(event)
        again = self.listener.responses_for(event["ResponseURL"])[-1].body
        assert self._resource_snapshot() == before, f"a late {event['RequestType']} changed a secret"
        if "A newer operation" in again.get("Reason", ""):
            assert any(request_id in again["Reason"] for request_id in newer), again["Reason"]

    def _resource_snapshot(self) -> list[dict[str, Any]]:
        """Every secret of the resource (live or scheduled), with its versions and values."""
        snapshot = []
        for arn in sorted(self._owned_secrets(include_deleted=True)):
            described = self.aws.secret(arn)
            entry = {k: described.get(k) for k in ("Name", "KmsKeyId", "Description", "Tags", "DeletedDate")}
            entry["Versions"] = described.get("VersionIdsToStages")
            if "DeletedDate" not in described:
                entry["Values"] = {
                    v: self.aws.secretsmanager.get_secret_value(SecretId=arn, VersionId=v)["SecretString"]
                    for v, stages in described["VersionIdsToStages"].items()
                    if stages
                }
                entry["Policy"] = self.aws.secretsmanager.get_resource_policy(SecretId=arn).get("ResourcePolicy")
            snapshot.append(entry)
        return snapshot

    @precondition(lambda self: not self.deleted)
    @rule(calls=st.integers(min_value=0, max_value=6), change=st.sampled_from(["rotate", "stage", "key", "json"]))
    def crash_then_redeliver(self, calls: int, change: str) -> None:
        """The invocation dies after ``calls`` AWS calls (every later call fails, and its answer
        is lost); Lambda delivers the event again, which must finish the job."""
        DRAWN[f"crash_then_redeliver ({change})"] += 1
        t = self.template
        target = {
            "rotate": replace(t, rotation=self._fresh("r"), next_rotation=None)
            if t.supplied is None
            else replace(t, supplied=self._supplied_token(), supplied_next=None),
            "stage": replace(t, next_rotation=self._fresh("n"))
            if t.supplied is None
            else replace(t, supplied_next=self._supplied_token()),
            "key": replace(t, key=1 - t.key, name=None if t.name is None else ("b" if t.name == "a" else "a")),
            "json": replace(t, json_key="K2" if t.json_key == "K1" else "K1"),
        }[change]
        state = self.stack.resources[LOGICAL_ID]
        event = self.stack.event(
            "Update",
            LOGICAL_ID,
            self.properties(target),
            physical_id=state.physical_id,
            old_properties=state.properties,
        )
        seen: list[str] = []

        def crash(operation: str, body: bytes) -> Fault | None:
            seen.append(operation)
            if len(seen) > calls:
                return Fault(operation, code="CrashedForTest", status=400, message="the invocation died")
            return None

        self.proxy.clear()
        self.proxy.add_rule(crash)
        self.invoke(event)
        self.proxy.clear()
        self.invoke(event)
        answers = self.listener.responses_for(event["ResponseURL"])
        response = Response("Update", LOGICAL_ID, answers[-1].body, event, len(answers))
        old_arn = state.physical_id
        self.stack.resources[LOGICAL_ID] = ResourceState(response.physical_id, self.properties(target))
        self.last = response
        self._settle(response, target, rollback_to=None, in_place=response.physical_id == old_arn)
        if response.physical_id != old_arn:
            cleanup = self.stack.send("Delete", LOGICAL_ID, state.properties, physical_id=old_arn)
            assert cleanup.ok, cleanup.reason

    @precondition(lambda self: not self.deleted)
    @rule()
    def delete_stack(self) -> None:
        DRAWN["delete_stack"] += 1
        # CloudFormation deletes the stack's source location first (it references the secret); a
        # stack created again makes a new one, and MediaTailor grants itself the key then.
        self.mediatailor.delete_source_location("origin")
        responses = self.stack.delete_stack()
        assert all(r.ok for r in responses), [r.reason for r in responses]
        self.last = responses[-1]
        self.deleted = True

    @precondition(lambda self: self.deleted)
    @rule(supplied=st.booleans(), named=st.booleans())
    def create_the_stack_again(self, supplied: bool, named: bool) -> None:
        """A new stack of the same name (a new stack ID): an explicit name still in its recovery
        window is reclaimed, a generated one is new."""
        DRAWN["create_the_stack_again"] += 1
        self.stack = WORLD.cloud.new_stack(self.stack.name)
        self.told, self.deleted = None, False
        self.create(supplied=supplied, named=named, staged=False, returns=True, uuid_format=False)

    # Invariants -------------------------------------------------------------------------------

    def _owned_secrets(self, *, include_deleted: bool = False) -> list[str]:
        pages = self.aws.secretsmanager.get_paginator("list_secrets").paginate(IncludePlannedDeletion=True)
        owned = []
        for page in pages:
            for item in page["SecretList"]:
                tags = {t["Key"]: t["Value"] for t in item.get("Tags", [])}
                mine = tags.get(OWNER_STACK_TAG) == self.stack.stack_id and tags.get(OWNER_LOGICAL_TAG) == LOGICAL_ID
                if mine and (include_deleted or "DeletedDate" not in item):
                    owned.append(str(item["ARN"]))
        return owned

    @invariant()
    def exactly_one_secret_of_the_resource_is_live(self) -> None:
        if self.told is None:
            return
        live = self._owned_secrets()
        if self.deleted:
            assert live == [], "the stack delete leaves no secret of the resource live"
        else:
            assert live == [self._arn()], "exactly the secret CloudFormation knows is live"

    @invariant()
    def a_foreign_secret_is_never_changed(self) -> None:
        assert self._snapshot(self.foreign) == self.foreign_before

    @invariant()
    def mediatailor_fetches_with_the_current_token(self) -> None:
        if self.told is None or self.deleted:
            return
        self.origin.accept(header_names=(self.template.header,), tokens=(self.told.current,))
        fetched = self.mediatailor.fetch("origin")
        assert fetched.ok, str(fetched)
        assert self.origin.last_token() == self.told.current


@dataclass
class _World:
    aws: Aws
    proxy: FaultProxy
    listener: ResponseListener
    invoke: Any
    cloud: CloudFormation
    emulator: Emulator
    origin: OriginServer


WORLD: _World


@pytest.fixture
def world(
    aws: Aws,
    proxy_calls: FaultProxy,
    listener: ResponseListener,
    invoke: Any,
    cloud: CloudFormation,
    emulator: Emulator,
    origin: OriginServer,
) -> None:
    """Hypothesis builds the machine without arguments: it reads the world from here."""
    global WORLD  # noqa: PLW0603
    WORLD = _World(aws, proxy_calls, listener, invoke, cloud, emulator, origin)


@pytest.mark.history
@pytest.mark.usefixtures("world")
def test_random_stack_histories_keep_every_promise() -> None:
    run_state_machine_as_test(  # type: ignore[no-untyped-call]
        Histories,
        settings=settings(
            max_examples=HISTORIES,
            stateful_step_count=STEPS,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=os.environ.get("HISTORY_RANDOM") is None,
            database=None,
        ),
    )
    if REPORT:
        lines = [f"histories: {HISTORIES}, steps per history: up to {STEPS}"]
        lines += [f"{count:6d}  {name}" for name, count in sorted(DRAWN.items())]
        Path(REPORT).write_text("\n".join(lines) + "\n")


@pytest.fixture
def machine(world: None) -> Iterator[Histories]:
    """One history played step by step: the steps `make soak` printed for a failure."""
    played = Histories()
    yield played
    played.teardown()


def test_a_crash_after_the_writes_then_a_late_delete_of_the_secret_changes_nothing(machine: Histories) -> None:
    """A key change rolled back (its new secret deleted by the cleanup), the same key change
    again, crashed after its writes and finished by its redelivery, then a late copy of that
    cleanup Delete. The record must precede the writes, or the redelivery, finding nothing left
    to do, leaves the secret unrecorded and the late Delete removes it."""
    machine.create(supplied=True, uuid_format=False, returns=False, named=False, staged=True)
    machine.change_key(fail=True)
    machine.crash_then_redeliver(calls=6, change="key")
    cleanup = next(i for i, r in enumerate(machine.stack.log) if r.request_type == "Delete")
    machine.deliver_a_late_copy(pick=cleanup)
    machine.exactly_one_secret_of_the_resource_is_live()
    machine.mediatailor_fetches_with_the_current_token()


def test_a_stack_created_again_on_its_reclaimed_secret_lets_mediatailor_fetch(machine: Histories) -> None:
    """(Failed on release 1.2 too.) After key changes and a rename, the stack is deleted and
    created again; the new stack reclaims the named secret and moves it to the template's key,
    and its new source location makes MediaTailor's grant on that key. The harness had kept the
    old stack's source location, so no grant was made."""
    machine.create(supplied=False, staged=False, uuid_format=True, returns=False, named=False)
    for _ in range(3):
        machine.change_key(fail=False)
    machine.rename(fail=False, target_name="a")
    machine.delete_stack()
    machine.create_the_stack_again(named=True, supplied=False)
    machine.exactly_one_secret_of_the_resource_is_live()
    machine.mediatailor_fetches_with_the_current_token()
