"""``examples/mediapackage-cdn-authorization.yaml`` (v1) and ``mediapackage-v2-...`` as
CloudFormation runs them, with MediaTailor, MediaPackage, a CDN and a viewer in the loop.

CloudFormation's order (User Guide, "Update behaviors of stack resources"): a resource is
created or updated after the resources it references, and only when a value it references
changed; cleanup Deletes of replaced resources run at the end; a rollback is an update back to
the previous values, then the cleanup Delete of what the failed update created; a stack delete
goes in reverse. After every resource operation, and at every tick of the simulated clock, a
viewer plays: MediaTailor requests the source manifest with its token, and the viewer requests a
segment through the CDN with whatever origin custom headers its edges may send.

Every resource's properties are resolved from the example itself with the attribute values of
the current stack, so the example cannot drift from what is tested.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .account import make_arn
from .clock import SimulatedClock
from .cloudformation import CLEANING_UP, DEPLOYING, ROLLING_BACK, Dependents, Response, Stack
from .delivery import Cdn, Playback, Viewer, segment_next_to
from .mediatailor import Fetch, MediaTailor, SourceLocation
from .origins import MEDIAPACKAGE_V1, MEDIAPACKAGE_V2, CdnAuthorization, MediaPackage, OriginServer
from .templates import load_template, resource_properties

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient
    from mypy_boto3_secretsmanager import SecretsManagerClient


EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
V1_EXAMPLE = EXAMPLES / "mediapackage-cdn-authorization.yaml"
V2_EXAMPLE = EXAMPLES / "mediapackage-v2-cdn-authorization.yaml"
# In dependency order: MediaPackage's secret takes the next token from MediaTailor's.
CUSTOMS = ("CdnIdentifier", "MediaPackageCdnIdentifier")


@dataclass(frozen=True)
class Step:
    """One playback, after a resource operation or at a tick of the clock."""

    after: str
    playback: Playback

    @property
    def ok(self) -> bool:
        return self.playback.ok

    def __str__(self) -> str:
        return f"after {self.after}: {self.playback}"


@dataclass
class MediaPackageExample(Dependents):
    stack: Stack
    mediatailor: MediaTailor
    origin: OriginServer
    clock: SimulatedClock
    kms: KMSClient
    secretsmanager: SecretsManagerClient
    template: Path
    parameters: dict[str, str]
    cdn_propagation_seconds: float = 300.0
    key_arn: str = ""
    # Per custom resource: properties a test sets on top of the template's (a key change, a name).
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)
    attributes: dict[str, Any] = field(default_factory=dict)
    steps: list[Step] = field(default_factory=list)
    on_step: Callable[[Step], None] | None = None
    on_response: Callable[[str, Response], None] | None = None
    location: SourceLocation | None = None
    live_path: str | None = None
    _deployed: dict[str, Any] = field(default_factory=dict)
    # What a rollback returns to: parameters, overrides and attributes before the last deploy.
    _previous: tuple[dict[str, str], dict[str, dict[str, Any]], dict[str, Any]] = field(
        default_factory=lambda: ({}, {}, {})
    )

    def __post_init__(self) -> None:
        resources = load_template(self.template)["Resources"]
        self.version = MEDIAPACKAGE_V2 if "EndpointPolicy" in resources else MEDIAPACKAGE_V1
        self.mediapackage = MediaPackage(self.version, self.secretsmanager, self.clock)
        self.origin.gate = self.mediapackage
        self.cdn = Cdn(self.clock, self.origin.base_url, self.cdn_propagation_seconds)
        self.viewer = Viewer(self.cdn, self._manifest, self._segment)
        self.parameters = {**self.parameters, "AWS::StackName": self.stack.name}
        endpoint_id = uuid.uuid4().hex
        if self.version is MEDIAPACKAGE_V1:
            self.attributes["Endpoint.Url"] = f"{self.origin.base_url}/out/v1/{endpoint_id}/index.m3u8"
        else:
            url = f"{self.origin.base_url}/out/v1/live/channel/{endpoint_id}/index.m3u8"
            self.attributes["Endpoint.HlsManifestUrls"] = [url]
            self.attributes["Endpoint.Arn"] = make_arn(
                "mediapackagev2", f"channelGroup/live/channel/channel/originEndpoint/{endpoint_id}"
            )
        self.attributes["Distribution.DomainName"] = "d111111abcdef8.cloudfront.net"
        self.attributes["MediaPackageSecretsRole.Arn"] = make_arn("iam", f"role/{self.stack.name}-secrets", region="")
        if not self.key_arn:
            self.key_arn = self.new_key()
        self.attributes["CdnIdentifierKey.Arn"] = self.key_arn

    def new_key(self) -> str:
        """Another key with the example's key policy."""
        properties = resource_properties(self.template, "CdnIdentifierKey", self.parameters)
        created = self.kms.create_key(
            Description=properties["Description"],
            KeyUsage="ENCRYPT_DECRYPT",
            Policy=json.dumps(properties["KeyPolicy"]),
        )
        return str(created["KeyMetadata"]["Arn"])

    # Stack operations ---------------------------------------------------------------------

    def deploy(self, *, fail_later: bool = False, **parameters: str) -> list[Response]:
        """CREATE the stack, or UPDATE it with new parameter values (and ``overrides``), in
        CloudFormation's sequence (:meth:`harness.cloudformation.Stack.deploy`).
        ``fail_later``: a resource after these fails, and CloudFormation rolls back."""
        self._previous = (dict(self.parameters), {k: dict(v) for k, v in self.overrides.items()}, dict(self.attributes))
        self.parameters.update(parameters)
        responses, after = self.stack.deploy(CUSTOMS, self._custom_properties, fail_later=fail_later, dependents=self)
        return responses + after

    def responded(self, phase: str, label: str, logical_id: str, response: Response) -> None:
        """A viewer plays after every request that changed something; a deployed secret's
        attributes feed the resources after it."""
        if self.on_response is not None:
            self.on_response(label, response)
        if phase == DEPLOYING:
            if not response.ok:
                return
            self.attributes.update({f"{logical_id}.{key}": value for key, value in response.data.items()})
        self._play(label)

    def rolling_back(self) -> None:
        """UPDATE_ROLLBACK_IN_PROGRESS: every touched resource goes back to the properties it had,
        as resolved then (new and old swapped, CloudFormation User Guide, "Custom resources"),
        not re-resolved from the rolled-back attributes."""
        self.parameters, self.overrides, self.attributes = self._previous

    def settle(self, phase: str) -> None:
        self._put_dependents("rollback " if phase == ROLLING_BACK else "")

    def delete(self) -> list[Response]:
        """DELETE, in reverse order: distribution, live source, source location, endpoint, then
        the two secrets."""
        self.cdn.remove()
        if self.location is not None:
            self.mediatailor.delete_source_location(self.location.name)
            self.location = None
        self.mediapackage.configure(None)
        responses = []
        for name in reversed(CUSTOMS):
            state = self.stack.resources.pop(name)
            response = self.stack.send("Delete", name, state.properties, physical_id=state.physical_id)
            self.responded(CLEANING_UP, f"Delete {name}", name, response)
            responses.append(response)
        return responses

    def wait(self, seconds: float, *, tick: float = 30.0) -> None:
        """Let time pass, a viewer playing at every tick."""
        for _ in self.clock.ticks(seconds, tick):
            self._play(f"waiting ({self.clock})")

    def refresh_right_now(self) -> None:
        """MediaPackage refreshes its cache at a moment nobody chooses; the worst moment is just
        before a deployment. This makes it happen now (a viewer plays, MediaPackage reads)."""
        self.mediapackage.cache.clear()
        self._play(f"MediaPackage reads its secret ({self.clock})")

    def failures(self) -> list[str]:
        return [str(step) for step in self.steps if not step.ok]

    # Resources ----------------------------------------------------------------------------

    def _custom_properties(self, name: str) -> dict[str, Any]:
        properties = resource_properties(self.template, name, self.parameters, self.attributes)
        properties.pop("ServiceToken", None)
        return {**properties, **self.overrides.get(name, {})}

    def _resolved(self, name: str) -> dict[str, Any]:
        return resource_properties(self.template, name, self.parameters, self.attributes)

    def _changed(self, name: str, value: Any) -> bool:
        if self._deployed.get(name) == value:
            return False
        self._deployed[name] = value
        return True

    def _role_policies(self, role: dict[str, Any]) -> tuple[Any, ...]:
        """The role's inline policies and every AWS::IAM::Policy of the template attached to it."""
        inline = [p["PolicyDocument"] for p in role.get("Policies", [])]
        attached = [
            self._resolved(logical_id)["PolicyDocument"]
            for logical_id, resource in load_template(self.template)["Resources"].items()
            if resource["Type"] == "AWS::IAM::Policy"
            and {"Ref": "MediaPackageSecretsRole"} in resource["Properties"].get("Roles", [])
        ]
        return tuple(inline + attached)

    def _put_dependents(self, prefix: str) -> None:
        role = self._resolved("MediaPackageSecretsRole")
        trust, policies = role["AssumeRolePolicyDocument"], self._role_policies(role)
        current = self.mediapackage.authorization
        if self._changed("MediaPackageSecretsRole", role):
            # The endpoint keeps its secrets (and v2 its policy) while only the role changes.
            updated = replace(current, trust_policy=trust, role_policies=policies) if current else None
            self.mediapackage.configure(updated or CdnAuthorization((), trust, policies))
            self._play(f"{prefix}{'Update' if current else 'Create'} MediaPackageSecretsRole")
        endpoint = self._endpoint_authorization(trust, policies)
        if self._changed("Endpoint", endpoint):
            self.mediapackage.configure(endpoint)
            self._play(f"{prefix}{'Update' if current and current.secret_arns else 'Create'} Endpoint")
        distribution = self._resolved("Distribution")["DistributionConfig"]["Origins"][0]
        headers = {h["HeaderName"]: h["HeaderValue"] for h in distribution["OriginCustomHeaders"]}
        if self._changed("Distribution", headers):
            verb = "Update" if self.cdn.exists else "Create"
            self.cdn.configure(headers)
            self._play(f"{prefix}{verb} Distribution")
        wanted = SourceLocation.from_properties(self._resolved("SourceLocation"))
        if wanted != self.location:
            verb = "Update" if self.location else "Create"
            self.mediatailor.put_source_location(wanted)
            self.location = wanted
            self.live_path = self._resolved("LiveSource")["HttpPackageConfigurations"][0]["Path"]
            self._play(f"{prefix}{verb} SourceLocation")

    def _endpoint_authorization(self, trust: Any, policies: tuple[Any, ...]) -> CdnAuthorization:
        """What the endpoint (v1) or the endpoint policy (v2, with its policy document) says."""
        if self.version is MEDIAPACKAGE_V1:
            arn = self._resolved("Endpoint")["Authorization"]["CdnIdentifierSecret"]
            return CdnAuthorization((arn,), trust, policies, role_arn=self.attributes["MediaPackageSecretsRole.Arn"])
        resolved = self._resolved("EndpointPolicy")
        arns = tuple(resolved["CdnAuthConfiguration"]["CdnIdentifierSecretArns"])
        return CdnAuthorization(arns, trust, policies, resolved["Policy"], self.attributes["Endpoint.Arn"])

    # The viewer -----------------------------------------------------------------------------

    def _manifest(self) -> Fetch:
        assert self.location is not None
        assert self.live_path is not None
        return self.mediatailor.fetch_with(self.location, self.live_path)

    def _segment(self) -> str:
        assert self.live_path is not None
        return segment_next_to(self.live_path)

    def _play(self, label: str) -> None:
        if self.location is None or not self.cdn.exists:
            return  # nothing plays before the source location and the distribution exist
        step = Step(label, self.viewer.play())
        self.steps.append(step)
        if self.on_step is not None:
            self.on_step(step)
