"""What a request observes before anything is decided, and in which order.

The service performs :func:`next_read` until it answers ``None``, recording each result in
an :class:`Observation`; :func:`~.planner.decide` then decides from it once. The reads are
declared once, in :func:`_where` and :func:`_reads`, where their results are used, and each
depends only on what was read before, never on an inference that skips a read. Nothing is
read from an adoptee before its consent is checked, and AWS reads no value of a secret in its
recovery window, so an adoptee is restored (the one write here) before its value is read.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass, field, replace

from ..tokens import AccessToken
from .adoption import adoption_refusal, policy_refusal, wants_adoption
from .context import ProviderSettings, ResourceIdentity
from .keys import customer_key_arn, granted_key_arn, granted_key_to_describe, key_replaced, key_to_describe
from .labels import Request, listing_needed, reads_needed
from .naming import default_secret_name, first_is_free, is_owned_by, secret_name_after_update
from .properties import DeletionOptions, SecretProperties
from .state import KeyFacts, SecretState, Unreadable


@dataclass(frozen=True)
class DescribeKey:
    key_id: str


@dataclass(frozen=True)
class DescribeSecret:
    secret_id: str


@dataclass(frozen=True)
class ReadValue:
    """GetSecretValue of one version: the token under the request's JSON keys."""

    arn: str
    version_id: str


@dataclass(frozen=True)
class ListVersions:
    """ListSecretVersionIds with IncludeDeprecated: the versions that lost every label."""

    arn: str


@dataclass(frozen=True)
class ReadPolicy:
    arn: str


@dataclass(frozen=True)
class ReadStored:
    """GetSecretValue of AWSCURRENT as stored: an adopted secret's document."""

    arn: str


@dataclass(frozen=True)
class Restore:
    arn: str


Read = DescribeKey | DescribeSecret | ReadValue | ListVersions | ReadPolicy | ReadStored | Restore


@dataclass(frozen=True)
class Asked:
    """What a Create or Update asks for, typed: the adapter parsed the event."""

    identity: ResourceIdentity
    settings: ProviderSettings
    props: SecretProperties
    old: SecretProperties | None = None
    reference: str | None = None  # the secret the event's PhysicalResourceId names (Update)
    creating: bool = False


@dataclass(frozen=True)
class AskedDelete:
    identity: ResourceIdentity
    reference: str | None  # None: the PhysicalResourceId names no secret this provider made
    options: DeletionOptions


@dataclass
class Observation:
    """Every read made for one request, and what it answered."""

    done: set[Read] = field(default_factory=set)
    keys: dict[str, KeyFacts] = field(default_factory=dict)
    secrets: dict[str, SecretState | None] = field(default_factory=dict)
    policies: dict[str, str | Unreadable | None] = field(default_factory=dict)
    stored: dict[str, str | None] = field(default_factory=dict)

    def _update(self, arn: str, change: Callable[[SecretState], SecretState]) -> None:
        for secret_id, state in self.secrets.items():
            if state is not None and state.arn == arn:
                self.secrets[secret_id] = change(state)

    def record(self, read: Read, result: object) -> None:
        """Keep ``result``, as the service's read of ``read`` answered it."""
        self.done.add(read)
        match read:
            case DescribeKey(key_id=key_id):
                assert isinstance(result, KeyFacts)
                self.keys[key_id] = result
            case DescribeSecret(secret_id=secret_id):
                self.secrets[secret_id] = result if isinstance(result, SecretState) else None
            case ReadValue(arn=arn, version_id=version):
                assert isinstance(result, AccessToken)
                self._update(arn, lambda state: replace(state, values=(*state.values, (version, result))))
            case ListVersions(arn=arn):
                assert isinstance(result, tuple)
                self._update(arn, lambda state: replace(state, unlabelled=result))
            case ReadPolicy(arn=arn):
                self.policies[arn] = result if isinstance(result, (str, Unreadable)) else None
            case ReadStored(arn=arn):
                self.stored[arn] = result if isinstance(result, str) else None
            case Restore(arn=arn):
                self._update(arn, lambda state: replace(state, deleted_date=None))


@dataclass(frozen=True)
class Where:
    """Where a request lands: the template's key as described, the secret it leaves (and
    ``donor``: that secret when it is this resource's and another one is converged), the key
    change that decides the name, and the secret of that name (``None``: none yet)."""

    key_arn: str
    leaving: SecretState | None
    donor: SecretState | None
    replaced: bool
    name: str
    landing: SecretState | None

    def request(self, asked: Asked) -> Request:
        return Request(asked.props, asked.identity, self.name, self.key_arn, asked.old, asked.creating)

    def adoptee(self, asked: Asked) -> SecretState | None:
        """The landing secret, when the template asks to adopt it."""
        found = self.landing
        return found if found is not None and wants_adoption(asked.props, found, asked.identity) else None


Reads = Generator[Read, None, Where]


def _where(asked: Asked, seen: Observation) -> Reads:
    props, identity, prefix = asked.props, asked.identity, asked.settings.name_prefix
    yield DescribeKey(props.kms_key_id)
    key = seen.keys[props.kms_key_id].arn
    leaving = None
    if asked.reference is not None:
        yield DescribeSecret(asked.reference)
        leaving = seen.secrets[asked.reference]
    donor = leaving if leaving is not None and is_owned_by(leaving.tag_map(), identity) else None
    name, replaced = props.secret_name or default_secret_name(identity, prefix), False
    if donor is not None:
        granted = granted_key_to_describe(donor, key)
        if granted is not None:
            yield DescribeKey(granted)
        replaced = key_replaced(key, donor, granted_key_arn(donor, key, seen.keys))
        wanted, current = props.secret_name, donor.name
        name, keyed = secret_name_after_update(wanted, identity, prefix, key, current_name=current, replaced=replaced)
        if name != keyed:  # Create's name, taken back when free
            yield DescribeSecret(name)
            name = name if first_is_free(seen.secrets[name], identity, key) else keyed
    if leaving is not None and leaving.name == name:
        return Where(key, leaving, None, replaced, name, landing=seen.secrets[asked.reference or ""])
    yield DescribeSecret(name)
    return Where(key, leaving, donor, replaced, name, landing=seen.secrets[name])


def _reads(asked: Asked, seen: Observation) -> Reads:
    where = yield from _where(asked, seen)
    landing = where.landing
    if landing is None:
        return where
    if where.adoptee(asked) is not None:
        yield from _adoption_reads(asked, where, seen, landing)
    elif landing.deleted_date is None:  # a secret in its recovery window answers no read
        request = where.request(asked)
        for version in reads_needed(request, landing):
            yield ReadValue(landing.arn, version)
        if listing_needed(request, landing, where.donor):
            yield ListVersions(landing.arn)
    return where


def _adoption_reads(asked: Asked, where: Where, seen: Observation, landing: SecretState) -> Generator[Read]:
    """Each read only once nothing known so far refuses the adoption."""
    request, region = where.request(asked), asked.settings.region
    if adoption_refusal(landing, request, region, None) is not None:
        return
    to_describe = key_to_describe(landing.kms_key_id, where.key_arn)
    if to_describe is not None:
        yield DescribeKey(to_describe)
    if adoption_refusal(landing, request, region, (adopted_key(where, seen), where.key_arn)) is not None:
        return
    yield ReadPolicy(landing.arn)
    if asked.props.access_token is None and policy_refusal(seen.policies[landing.arn], landing, where.name) is None:
        if landing.deleted_date is not None:
            yield Restore(landing.arn)
        yield ReadStored(landing.arn)


def adopted_key(where: Where, seen: Observation) -> str | None:
    """The ARN of the landing secret's key when it is customer managed."""
    assert where.landing is not None
    return customer_key_arn(where.landing.kms_key_id, where.key_arn, seen.keys)


def _first_unseen(reads: Reads, seen: Observation) -> Read | Where:
    try:
        read = next(reads)
        while read in seen.done:
            read = reads.send(None)
    except StopIteration as finished:
        return finished.value  # type: ignore[no-any-return]
    return read


def next_read(asked: Asked, seen: Observation) -> Read | None:
    """The next read the request needs, ``None`` once the observation is complete."""
    found = _first_unseen(_reads(asked, seen), seen)
    return None if isinstance(found, Where) else found


def where(asked: Asked, seen: Observation) -> Where | None:
    """Where the request lands, once the observation says (``None``: not yet)."""
    found = _first_unseen(_where(asked, seen), seen)
    return found if isinstance(found, Where) else None


def next_delete_read(asked: AskedDelete, seen: Observation) -> Read | None:
    if asked.reference is None or DescribeSecret(asked.reference) in seen.done:
        return None
    return DescribeSecret(asked.reference)
