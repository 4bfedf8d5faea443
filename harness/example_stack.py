"""``examples/source-location-generated-token.yaml`` as CloudFormation would run it, with the
MediaTailor stand-in in the loop and a fetch after every single resource operation.

CloudFormation's ordering (CloudFormation User Guide, "Update behaviors of stack resources" and
"Monitor the progress of a stack update") is :meth:`harness.cloudformation.Stack.deploy`, the
one sequencer every driver uses; this driver adds the dependents:

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
from typing import TYPE_CHECKING, Any

from .account import DEPLOYER
from .clock import SimulatedClock
from .cloudformation import DEPLOYING, ROLLING_BACK, Dependents, Response, Stack
from .delivery import Cdn, segment_next_to
from .mediatailor import Fetch, MediaTailor, SourceLocation
from .origins import Answer, Gate, OriginServer, PropagatingRuleGroup, WafRuleGroup
from .templates import custom_resource_properties, resource_properties

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient


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
class ExampleStack(Dependents):
    stack: Stack
    mediatailor: MediaTailor
    origin: OriginServer
    kms: KMSClient
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
    # The simulated clock the WAF rule group propagates on (and the CDN deploys on).
    clock: SimulatedClock = field(default_factory=SimulatedClock)
    waf: PropagatingRuleGroup | None = None
    # What stands between MediaTailor and the rule group, built once the rule group exists (a
    # CloudFront distribution with a web ACL, harness/cloudfront.py); by default the origin
    # itself is behind the rule group.
    gate_for: Callable[[PropagatingRuleGroup], Gate] | None = None
    # Attribute values of the template's other resources (a distribution's domain name).
    attributes: dict[str, Any] = field(default_factory=dict)
    # A CDN in front of the origin: each check then also plays a viewer's segment request.
    cdn: Cdn | None = None
    # The custom resource's last answer, while CloudFormation works on its dependents.
    _data: Mapping[str, str] | None = None
    _creating: bool = False

    @classmethod
    def with_example_key(
        cls,
        stack: Stack,
        mediatailor: MediaTailor,
        origin: OriginServer,
        kms: KMSClient,
        parameters: Mapping[str, str],
        *,
        template: Path = EXAMPLE,
        origin_rule: str | None = None,
        clock: SimulatedClock | None = None,
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
            clock=clock or SimulatedClock(),
        )
        example.key_arn = example.new_key()
        return example

    @classmethod
    def behind_rule_group(
        cls,
        stack: Stack,
        mediatailor: MediaTailor,
        origin: OriginServer,
        kms: KMSClient,
        *,
        template: Path,
        clock: SimulatedClock,
    ) -> ExampleStack:
        """``template`` run by the deployer, its rule group ``OriginTokenCheck`` guarding ``origin``
        as WAF propagates it on ``clock``, and a CDN in front that adds no header (the examples'
        rule lets viewers' segment requests pass as they are): each check also plays a viewer."""
        example = cls.with_example_key(
            stack,
            mediatailor,
            origin,
            kms,
            {"DeployerPrincipalArn": DEPLOYER},
            template=template,
            origin_rule="OriginTokenCheck",
            clock=clock,
        )
        example.cdn = Cdn(clock, origin.base_url)
        example.cdn.configure({})
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
        """CREATE: the custom resource, then what references it, then the VOD source."""
        wanted = dict(properties or self.custom_properties())
        responses, rolled_back = self.stack.deploy([CUSTOM], lambda _: wanted, dependents=self)
        return responses + rolled_back

    def update(self, properties: Mapping[str, Any], *, fail_later: bool = False) -> list[Response]:
        """UPDATE of the custom resource's properties; ``fail_later``: a resource after it fails.
        An unchanged ``properties`` still sends an Update (tests use it as a no-op update)."""
        wanted = dict(properties)
        responses, after = self.stack.deploy(
            [CUSTOM], lambda _: wanted, fail_later=fail_later, dependents=self, update_unchanged=True
        )
        return responses + after

    def delete(self) -> list[Response]:
        """DELETE: the VOD source and the source location first, then the custom resource."""
        if self.location is not None:
            self.mediatailor.delete_source_location(self.location.name)
            self.location = None
        state = self.stack.resources.pop(CUSTOM)
        response = self.stack.send("Delete", CUSTOM, state.properties, physical_id=state.physical_id)
        self.responded(DEPLOYING, "Delete OriginAccessToken", CUSTOM, response)
        return [response]

    def fetch_as_last_configured(self) -> Fetch:
        """What MediaTailor would get with the source location's last configuration."""
        assert self.last_location is not None
        return self.mediatailor.fetch_with(self.last_location, self._vod_path())

    # The dependents, in CloudFormation's sequence (harness.cloudformation.Stack.deploy) --------

    def responded(self, phase: str, label: str, logical_id: str, response: Response) -> None:
        """A fetch after every request; the custom resource's attributes for :meth:`settle`."""
        if self.on_response is not None:
            self.on_response(label, response)
        if "Delete" not in label:
            self._data = response.data if response.ok else None
            self._creating = label.startswith("Create")
        self._check(label)

    def settle(self, phase: str) -> None:
        """The WAF rule group and the source location, where a value they reference changed."""
        if self._data is None:
            return
        if self._creating:
            self._put_origin_rule(self._data, "Create OriginTokenCheck")
            self._put_source_location(self._data, "Create SourceLocation")
            self._check("Create VodSource", self._vod_path())
            return
        prefix = "rollback " if phase == ROLLING_BACK else ""
        self._put_source_location(self._data, f"{prefix}Update SourceLocation")
        self._put_origin_rule(self._data, f"{prefix}Update OriginTokenCheck")

    # Steps --------------------------------------------------------------------------------

    def _put_source_location(self, data: Mapping[str, str], label: str) -> None:
        """Create or update the source location, only when a value it references changed."""
        attributes = {**self.attributes, **{f"{CUSTOM}.{name}": value for name, value in data.items()}}
        properties = resource_properties(self.template, "SourceLocation", self.parameters, attributes)
        wanted = SourceLocation.from_properties(properties)
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
        attributes = {**self.attributes, **{f"{CUSTOM}.{name}": value for name, value in data.items()}}
        properties = resource_properties(self.template, self.origin_rule, self.parameters, attributes)
        if properties == self.rule:
            return
        self.rule = properties
        if self.waf is None:
            self.waf = PropagatingRuleGroup(self.clock)
            self.origin.gate = self.gate_for(self.waf) if self.gate_for is not None else self.waf
        self.waf.update(WafRuleGroup(properties))
        self._check(label)

    def check_now(self, label: str) -> None:
        """A fetch now, outside any resource operation (an operator changed the origin)."""
        self._check(label)

    def wait(self, seconds: float, *, tick: float = 60.0) -> None:
        """Let time pass on the simulated clock, MediaTailor fetching at every tick."""
        for _ in self.clock.ticks(seconds, tick):
            self._check(f"waiting ({self.clock})")

    def wait_for_waf(self) -> None:
        """The documented worst case since the rule group's last update (the demo's wait)."""
        if self.waf is not None and self.waf.versions:
            changed_at = self.waf.versions[-1][0]
            self.wait(max(0.0, changed_at + self.waf.propagation_seconds - self.clock.now))

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
