"""What the provider observed in AWS, as plain immutable values the planner can reason about."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ..tokens import AccessToken

CURRENT = "AWSCURRENT"
PREVIOUS = "AWSPREVIOUS"
PENDING = "AWSPENDING"


@dataclass(frozen=True)
class KeyFacts:
    """The parts of KMS DescribeKey the provider checks."""

    arn: str
    key_manager: str | None
    key_state: str | None
    key_spec: str | None
    key_usage: str | None


@dataclass(frozen=True)
class Unreadable:
    """A read AWS refuses for a secret in its recovery window ("marked for deletion")."""


@dataclass(frozen=True)
class SecretVersion:
    version_id: str
    stages: tuple[str, ...]


@dataclass(frozen=True)
class SecretState:
    """DescribeSecret, reduced to what the planner needs."""

    arn: str
    name: str
    kms_key_id: str | None = None
    description: str = ""
    tags: tuple[tuple[str, str], ...] = ()
    versions: tuple[SecretVersion, ...] = field(default=())
    deleted_date: datetime | None = None
    rotation_enabled: bool = False
    # PrimaryRegion (AWS may name the secret's own Region there) and ReplicationStatus' Regions.
    primary_region: str | None = None
    replica_regions: tuple[str, ...] = ()
    # Observed beyond DescribeSecret: tokens read from versions, and the versions that lost
    # every label (ListSecretVersionIds with IncludeDeprecated; ``None``: not listed).
    values: tuple[tuple[str, AccessToken], ...] = ()
    unlabelled: tuple[str, ...] | None = None

    def value_of(self, version_id: str) -> AccessToken | None:
        return next((token for version, token in self.values if version == version_id), None)

    def tag_map(self) -> dict[str, str]:
        return dict(self.tags)

    def version_with_stage(self, stage: str) -> str | None:
        return next((v.version_id for v in self.versions if stage in v.stages), None)

    @property
    def current_version(self) -> str | None:
        return self.version_with_stage(CURRENT)

    def labelled_versions(self) -> tuple[str, ...]:
        """Labelled versions, AWSCURRENT first, then AWSPREVIOUS. AWS lists no others; the
        emulator lists them with ``[]``, but they may be pruned at any time."""
        ranked = sorted(
            (v for v in self.versions if v.stages),
            key=lambda v: (CURRENT not in v.stages, PREVIOUS not in v.stages),
        )
        return tuple(v.version_id for v in ranked)
