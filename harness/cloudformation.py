"""Plays CloudFormation for stacks of ``Custom::MediaTailorAccessTokenSecret`` resources.

Requests are built the way CloudFormation builds them: every property value a string, a fresh
RequestId and pre-signed-style HTTPS ResponseURL each time, OldResourceProperties on Update,
and the stack-level sequences around them (cleanup Delete after a replacement, the swapped
rollback Update, the rollback Delete after a failed Create with the PhysicalResourceId the
FAILED response gave).
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Final

from .account import ACCOUNT, REGION
from .lambda_context import function_arn
from .listener import ResponseListener

RESOURCE_TYPE = "Custom::MediaTailorAccessTokenSecret"
Invoke = Callable[[dict[str, Any]], None]


def as_cloudformation_sends(value: Any) -> Any:
    """CloudFormation turns every scalar into a string (booleans into ``true``/``false``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, Mapping):
        return {key: as_cloudformation_sends(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_cloudformation_sends(item) for item in value]
    return value


@dataclass
class Response:
    request_type: str
    logical_id: str
    body: dict[str, Any]
    event: dict[str, Any]
    count: int

    @property
    def status(self) -> str:
        return str(self.body.get("Status"))

    @property
    def ok(self) -> bool:
        return self.status == "SUCCESS"

    @property
    def physical_id(self) -> str:
        return str(self.body.get("PhysicalResourceId", ""))

    @property
    def reason(self) -> str:
        return str(self.body.get("Reason", ""))

    @property
    def data(self) -> dict[str, str]:
        return dict(self.body.get("Data") or {})


@dataclass
class ResourceState:
    physical_id: str
    properties: dict[str, Any]


DEPLOYING: Final = "deploying"
CLEANING_UP: Final = "cleaning up"
ROLLING_BACK: Final = "rolling back"


class Dependents:
    """What a stack driver does around the custom resources' requests: watch each answer, and
    bring the resources that reference them in line. The base does nothing (a stack of custom
    resources only); the example drivers override it."""

    def responded(self, phase: str, label: str, logical_id: str, response: Response) -> None:
        """After each request: ``label`` is what the stack's event list would show."""

    def settle(self, phase: str) -> None:
        """After the custom resources of a deploy (``DEPLOYING``) or a rollback (``ROLLING_BACK``)."""

    def rolling_back(self) -> None:
        """Before the first rollback request: the previous parameters apply again."""


@dataclass
class Stack:
    """A stack's resources as CloudFormation tracks them, and the operations on them."""

    cloud: CloudFormation
    name: str
    stack_id: str
    resources: dict[str, ResourceState] = field(default_factory=dict)
    log: list[Response] = field(default_factory=list)

    def event(
        self,
        request_type: str,
        logical_id: str,
        properties: Mapping[str, Any],
        *,
        physical_id: str | None = None,
        old_properties: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The request CloudFormation would send (fresh RequestId and ResponseURL), unsent."""
        request_id = str(uuid.uuid4())
        event: dict[str, Any] = {
            "RequestType": request_type,
            "ServiceToken": self.cloud.service_token,
            "ResponseURL": self.cloud.listener.new_url(self.stack_id, logical_id, request_id),
            "StackId": self.stack_id,
            "RequestId": request_id,
            "ResourceType": RESOURCE_TYPE,
            "LogicalResourceId": logical_id,
            "ResourceProperties": as_cloudformation_sends({"ServiceToken": self.cloud.service_token, **properties}),
        }
        if physical_id is not None:
            event["PhysicalResourceId"] = physical_id
        if old_properties is not None:
            event["OldResourceProperties"] = as_cloudformation_sends(
                {"ServiceToken": self.cloud.service_token, **old_properties}
            )
        return event

    def send(
        self,
        request_type: str,
        logical_id: str,
        properties: Mapping[str, Any],
        *,
        physical_id: str | None = None,
        old_properties: Mapping[str, Any] | None = None,
        event_overrides: Mapping[str, Any] | None = None,
    ) -> Response:
        event = self.event(request_type, logical_id, properties, physical_id=physical_id, old_properties=old_properties)
        overrides = dict(event_overrides or {})
        event.update(overrides)
        if {"StackId", "LogicalResourceId", "RequestId"} & set(overrides) and "ResponseURL" not in overrides:
            # CloudFormation's URL always names the request it belongs to.
            event["ResponseURL"] = self.cloud.listener.url_for(event)
        return self.cloud.deliver(event, request_type, logical_id, self.log)

    # Single-resource operations -------------------------------------------------------

    def create(self, logical_id: str, properties: Mapping[str, Any]) -> Response:
        response = self.send("Create", logical_id, properties)
        self.resources[logical_id] = ResourceState(response.physical_id, dict(properties))
        return response

    def update(self, logical_id: str, properties: Mapping[str, Any]) -> Response:
        """Update only; the caller decides between :meth:`cleanup` and :meth:`rollback`."""
        state = self.resources[logical_id]
        return self.send(
            "Update", logical_id, properties, physical_id=state.physical_id, old_properties=state.properties
        )

    def delete(self, logical_id: str) -> Response:
        state = self.resources.pop(logical_id)
        return self.send("Delete", logical_id, state.properties, physical_id=state.physical_id)

    # Stack operations -----------------------------------------------------------------

    def create_stack(self, resources: Mapping[str, Mapping[str, Any]], *, concurrency: int = 1) -> list[Response]:
        """CREATE; if any resource fails, ROLLBACK: Delete everything with the IDs given."""
        items = list(resources.items())
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            responses = list(pool.map(lambda item: self.create(item[0], item[1]), items))
        if not all(response.ok for response in responses):
            self.delete_stack(concurrency=concurrency)
        return responses

    def update_stack(
        self, resources: Mapping[str, Mapping[str, Any]], *, fail_later: bool = False
    ) -> tuple[list[Response], list[Response]]:
        """UPDATE changed resources in order; on a failure (or ``fail_later``, a failure of some
        other resource after these succeeded) roll back, otherwise clean up replacements.
        Returns (update responses, rollback-or-cleanup responses)."""
        return self.deploy(list(resources), lambda logical_id: resources[logical_id], fail_later=fail_later)

    def deploy(
        self,
        order: Sequence[str],
        desired: Callable[[str], Mapping[str, Any]],
        *,
        fail_later: bool = False,
        dependents: Dependents | None = None,
        update_unchanged: bool = False,
    ) -> tuple[list[Response], list[Response]]:
        """The one CloudFormation sequence every driver uses (CloudFormation User Guide,
        "Update behaviors of stack resources", "Monitor the progress of a stack update"):

        * the custom resources in ``order`` (dependencies first), each created when new,
          updated when ``desired`` (read just before its request, so it may use the attributes
          of the ones before it) differs from what the stack has (or ``update_unchanged``),
          left alone otherwise;
          ``dependents.responded`` after every request;
        * then ``dependents.settle``: the resources that reference them (a source location, a
          distribution) are created or updated, only where a referenced value changed;
        * success: UPDATE_COMPLETE_CLEANUP_IN_PROGRESS, the Delete of every replaced ID;
        * a FAILED answer, or ``fail_later`` (a resource after these fails): the rollback is an
          update back to the previous template, in the same order, each touched resource
          getting an Update with its old properties (new and old swapped) on its current ID;
          ``settle`` again; then UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS deletes the IDs
          the failed update created (a resource it created is deleted).

        Returns (update responses, rollback-or-cleanup responses).
        """
        hooks = dependents or Dependents()
        before = {name: copy.deepcopy(state) for name, state in self.resources.items()}
        attempted: dict[str, dict[str, Any]] = {}
        responses: list[Response] = []
        for logical_id in order:
            properties = dict(desired(logical_id))
            state = self.resources.get(logical_id)
            if state is not None and state.properties == properties and not update_unchanged:
                continue
            attempted[logical_id] = properties
            if state is None:
                response, verb = self.create(logical_id, properties), "Create"
            else:
                response, verb = self.update(logical_id, properties), "Update"
            responses.append(response)
            hooks.responded(DEPLOYING, f"{verb} {logical_id}", logical_id, response)
            if not response.ok:
                return responses, self._rollback(before, attempted, hooks)
            self.resources[logical_id] = ResourceState(response.physical_id, properties)
        hooks.settle(DEPLOYING)
        if fail_later:
            return responses, self._rollback(before, attempted, hooks)
        return responses, self._cleanup(before, list(attempted), hooks)

    def _cleanup(self, before: Mapping[str, ResourceState], updated: list[str], hooks: Dependents) -> list[Response]:
        """UPDATE_COMPLETE_CLEANUP_IN_PROGRESS: Delete the old ID of every replaced resource."""
        responses = []
        for logical_id in updated:
            old = before.get(logical_id)
            if old is not None and old.physical_id != self.resources[logical_id].physical_id:
                response = self.send("Delete", logical_id, old.properties, physical_id=old.physical_id)
                responses.append(response)
                hooks.responded(CLEANING_UP, "cleanup Delete", logical_id, response)
        return responses

    def _rollback(
        self, before: Mapping[str, ResourceState], attempted: Mapping[str, dict[str, Any]], hooks: Dependents
    ) -> list[Response]:
        """UPDATE_ROLLBACK_IN_PROGRESS, then UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS."""
        hooks.rolling_back()
        responses = []
        cleanup = []
        for logical_id in attempted:
            current = self.resources.get(logical_id)
            old = before.get(logical_id)
            if old is None:  # created by the failed update: only deleted
                if current is not None:
                    cleanup.append((logical_id, self.resources.pop(logical_id)))
                continue
            assert current is not None
            response = self.send(
                "Update",
                logical_id,
                old.properties,
                physical_id=current.physical_id,
                old_properties=attempted[logical_id],
            )
            responses.append(response)
            hooks.responded(ROLLING_BACK, f"rollback Update {logical_id}", logical_id, response)
            if response.physical_id != current.physical_id:
                cleanup.append((logical_id, current))
            self.resources[logical_id] = ResourceState(response.physical_id, old.properties)
        hooks.settle(ROLLING_BACK)
        for logical_id, state in cleanup:
            response = self.send("Delete", logical_id, state.properties, physical_id=state.physical_id)
            responses.append(response)
            hooks.responded(ROLLING_BACK, "rollback cleanup Delete", logical_id, response)
        return responses

    def delete_stack(self, *, concurrency: int = 1, retain: tuple[str, ...] = ()) -> list[Response]:
        """DELETE; resources with ``DeletionPolicy: Retain`` (``retain``) get no Delete at all."""
        for logical_id in retain:
            self.resources.pop(logical_id, None)
        names = list(self.resources)
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            return list(pool.map(self.delete, names))


class CloudFormation:
    """Sends events to ``invoke`` (the Lambda) and reads exactly one response per request."""

    def __init__(
        self,
        invoke: Invoke,
        listener: ResponseListener,
        *,
        region: str = REGION,
        account: str = ACCOUNT,
        response_timeout_s: float = 60.0,
    ) -> None:
        self.invoke = invoke
        self.listener = listener
        self.region = region
        self.account = account
        self.service_token = function_arn(region, account)
        self.response_timeout_s = response_timeout_s

    def new_stack(self, name: str) -> Stack:
        stack_id = f"arn:aws:cloudformation:{self.region}:{self.account}:stack/{name}/{uuid.uuid4()}"
        return Stack(cloud=self, name=name, stack_id=stack_id)

    def deliver(self, event: dict[str, Any], request_type: str, logical_id: str, log: list[Response]) -> Response:
        self.invoke(event)
        url = event["ResponseURL"]
        first = self.listener.wait_for(url, timeout=self.response_timeout_s)
        response = Response(request_type, logical_id, first.body, event, len(self.listener.responses_for(url)))
        log.append(response)
        return response
