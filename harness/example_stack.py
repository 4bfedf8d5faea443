"""``examples/source-location-generated-token.yaml`` as CloudFormation would run it, with the
MediaTailor stand-in in the loop and a fetch after every single resource operation.

CloudFormation's ordering for dependents (CloudFormation User Guide, "Update behaviors of stack
resources" and "Monitor the progress of a stack update"):

* Create: the custom resource, then the source location, then the VOD source.
* Update: the custom resource first; the source location is updated only when a value it
  references (``SecretArn``, ``SecretStringKey``, ``HeaderName``) changed; cleanup Deletes of
  replaced resources run after every dependent was updated.
* Rollback of an update: the same order with the old properties, then the cleanup Delete of
  whatever the failed update created.
* Delete: dependents first (VOD source, source location), then the custom resource.

The KMS key is made in the emulator from the example's own key policy, so the stand-in checks
the policy the example ships.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .cloudformation import ResourceState, Response, Stack
from .delivery import Cdn, segment_next_to
from .mediatailor import Fetch, MediaTailor, Origin, SourceLocation
from .origins import Answer, OriginServer, WafRuleGroup
from .templates import custom_resource_properties, resource_properties

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "source-location-generated-token.yaml"
CUSTOM = "OriginAccessToken"


@dataclass(frozen=True)
class Check:
    """The fetch made right after one resource operation, and, with a CDN in the loop, the
    viewer's segment requests through it (one per set of origin headers an edge may send)."""

    after: str
    fetch: Fetch
    segments: tuple[Answer, ...] = ()

    @property
    def ok(self) -> bool:
        return self.fetch.ok and all(answer.ok for answer in self.segments)

    def __str__(self) -> str:
        viewer = "".join(f"; viewer's segment request: {answer}" for answer in self.segments)
        return f"{self.fetch}{viewer}"


@dataclass
class ExampleStack:
    stack: Stack
    mediatailor: MediaTailor
    origin: Origin | OriginServer
    kms: Any
    parameters: dict[str, str]
    key_arn: str = ""
    template: Path = EXAMPLE
    on_check: Callable[[Check], None] | None = None
    on_response: Callable[[str, Response], None] | None = None
    # Runs before each fetch: an operator (or a test) adjusting what the origin accepts.
    before_check: Callable[[], None] | None = None
    checks: list[Check] = field(default_factory=list)
    location: SourceLocation | None = None
    last_location: SourceLocation | None = None
    # Logical ID of a WAF rule group in the template that guards the origin; the origin (an
    # OriginServer) then decides every request with that rule group's resolved statements.
    origin_rule: str | None = None
    rule: Mapping[str, Any] | None = None
    # A CDN in front of the origin: each check then also plays a viewer's segment request.
    cdn: Cdn | None = None

    @classmethod
    def with_example_key(
        cls,
        stack: Stack,
        mediatailor: MediaTailor,
        origin: Origin | OriginServer,
        kms: Any,
        parameters: Mapping[str, str],
        *,
        template: Path = EXAMPLE,
        origin_rule: str | None = None,
    ) -> ExampleStack:
        """The example's ``AccessTokenKey``, made in the emulator with the example's key policy."""
        example = cls(
            stack,
            mediatailor,
            origin,
            kms,
            {**parameters, "OriginUrl": origin.base_url},
            template=template,
            origin_rule=origin_rule,
        )
        example.key_arn = example.new_key()
        return example

    def new_key(self, policy: Mapping[str, Any] | None = None) -> str:
        """Another key with the example's key policy (or ``policy``), as a second stack would have."""
        properties = resource_properties(self.template, "AccessTokenKey", self.parameters)
        document = policy if policy is not None else properties["KeyPolicy"]
        created = self.kms.create_key(
            Description=properties["Description"], KeyUsage="ENCRYPT_DECRYPT", Policy=json.dumps(document)
        )
        return str(created["KeyMetadata"]["Arn"])

    def custom_properties(self, **overrides: Any) -> dict[str, Any]:
        """The example's custom resource properties, with this stack's key, plus ``overrides``."""
        found = custom_resource_properties(self.template, self.parameters, {"AccessTokenKey.Arn": self.key_arn})
        properties = {k: v for k, v in found[CUSTOM].items() if k != "ServiceToken"}
        return {**properties, **overrides}

    # Operations ---------------------------------------------------------------------------

    def create(self, properties: Mapping[str, Any] | None = None) -> list[Response]:
        created = self.stack.create(CUSTOM, properties or self.custom_properties())
        self._responded("Create OriginAccessToken", created)
        if not created.ok:
            return [created]
        self._put_origin_rule(created.data, "Create OriginTokenCheck")
        self._put_source_location(created.data, "Create SourceLocation")
        self._check("Create VodSource", self._vod_path())
        return [created]

    def update(self, properties: Mapping[str, Any], *, fail_later: bool = False) -> list[Response]:
        """UPDATE of the custom resource's properties; ``fail_later``: a resource after it fails."""
        before = self.stack.resources[CUSTOM]
        updated = self.stack.update(CUSTOM, properties)
        self._responded("Update OriginAccessToken", updated)
        self._check("Update OriginAccessToken")
        if not updated.ok:
            return [updated, self._roll_back(before, properties, updated.physical_id)]
        self.stack.resources[CUSTOM] = ResourceState(updated.physical_id, dict(properties))
        self._put_source_location(updated.data, "Update SourceLocation")
        self._put_origin_rule(updated.data, "Update OriginTokenCheck")
        if fail_later:
            rolled_back = self._roll_back(before, properties, updated.physical_id)
            responses = [updated, rolled_back]
            if rolled_back.physical_id != updated.physical_id:
                responses.append(self._delete(updated.physical_id, dict(properties), "rollback cleanup Delete"))
            return responses
        if updated.physical_id != before.physical_id:
            return [updated, self._delete(before.physical_id, before.properties, "cleanup Delete")]
        return [updated]

    def delete(self) -> list[Response]:
        """DELETE: the VOD source and the source location first, then the custom resource."""
        if self.location is not None:
            self.mediatailor.delete_source_location(self.location.name)
            self.location = None
        state = self.stack.resources.pop(CUSTOM)
        return [self._delete(state.physical_id, state.properties, "Delete OriginAccessToken")]

    def fetch_as_last_configured(self) -> Fetch:
        """What MediaTailor would get with the source location's last configuration."""
        assert self.last_location is not None
        return self.mediatailor.fetch_with(self.last_location, self._vod_path())

    # Steps --------------------------------------------------------------------------------

    def _roll_back(self, before: ResourceState, attempted: Mapping[str, Any], current_id: str) -> Response:
        response = self.stack.send(
            "Update", CUSTOM, before.properties, physical_id=current_id, old_properties=attempted
        )
        self._responded("rollback Update OriginAccessToken", response)
        self._check("rollback Update OriginAccessToken")
        self.stack.resources[CUSTOM] = ResourceState(response.physical_id, before.properties)
        if response.ok:
            self._put_source_location(response.data, "rollback Update SourceLocation")
            self._put_origin_rule(response.data, "rollback Update OriginTokenCheck")
        return response

    def _delete(self, physical_id: str, properties: Mapping[str, Any], label: str) -> Response:
        response = self.stack.send("Delete", CUSTOM, properties, physical_id=physical_id)
        self._responded(label, response)
        self._check(label)
        return response

    def _put_source_location(self, data: Mapping[str, str], label: str) -> None:
        """Create or update the source location, only when a value it references changed."""
        attributes = {f"{CUSTOM}.{name}": value for name, value in data.items()}
        properties = resource_properties(self.template, "SourceLocation", self.parameters, attributes)
        config = properties["AccessConfiguration"]["SecretsManagerAccessTokenConfiguration"]
        wanted = SourceLocation(
            name=properties["SourceLocationName"],
            base_url=properties["HttpConfiguration"]["BaseUrl"],
            secret_arn=config["SecretArn"],
            secret_string_key=config["SecretStringKey"],
            header_name=config["HeaderName"],
        )
        if wanted == self.location:
            return
        self.mediatailor.put_source_location(wanted)
        self.location = self.last_location = wanted
        self._check(label)

    def _put_origin_rule(self, data: Mapping[str, str], label: str) -> None:
        """Create or update the WAF rule group, only when a value it references changed; the
        origin then decides each request with the rule group's statements as resolved now."""
        if self.origin_rule is None:
            return
        assert isinstance(self.origin, OriginServer), "a WAF rule group guards an OriginServer"
        attributes = {f"{CUSTOM}.{name}": value for name, value in data.items()}
        properties = resource_properties(self.template, self.origin_rule, self.parameters, attributes)
        if properties == self.rule:
            return
        self.rule = properties
        self.origin.gate = WafRuleGroup(properties)
        self._check(label)

    def _responded(self, label: str, response: Response) -> None:
        if self.on_response is not None:
            self.on_response(label, response)

    def _vod_path(self) -> str:
        properties = resource_properties(self.template, "VodSource", self.parameters)
        return str(properties["HttpPackageConfigurations"][0]["Path"])

    def _check(self, after: str, path: str | None = None) -> None:
        if self.location is None:
            return
        if self.before_check is not None:
            self.before_check()
        segments: tuple[Answer, ...] = ()
        if self.cdn is not None:
            segment = segment_next_to(self._vod_path())
            segments = tuple(self.cdn.forward(segment, headers) for headers in self.cdn.headers_in_flight())
        check = Check(after, self.mediatailor.fetch_with(self.location, path or self._vod_path()), segments)
        self.checks.append(check)
        if self.on_check is not None:
            self.on_check(check)
