"""What AWSCURRENT and AWSPENDING must hold after a request, and the shortest way there.

Create, Update, a move, adoption, a rollback, a redelivery and a retry after a crash differ
only in what was observed. AWSCURRENT must hold the wanted token (``RotationId`` or
``AccessToken``), AWSPENDING the next one when it differs. A version holds a generated token
when its VersionId carries that RotationId's identity, a supplied one when this request wrote
it or the service read it. The tables are the rows the code runs; the first match wins.

AWSCURRENT:

==================================================================================  ==================
the wanted token is ...                                                             then
==================================================================================  ==================
on AWSCURRENT under SecretStringKey for the key, and the key did not change         nothing
on another version under SecretStringKey for the key, no key or JSON key change     move AWSCURRENT
anything else                                                                       write it (source)
==================================================================================  ==================

AWSPENDING, for the version that carries it now (``live``):

==================================================================================  ==================
live is ...                                                                         then
==================================================================================  ==================
any, with a next token wanted and rotation configured on the secret                 refused
absent, or the version that is current afterwards                                   nothing
not written by the provider, with a next token wanted                               refused
not written by the provider                                                         left alone
the current version, replaced by a write                                            label taken off
any, with no next token wanted                                                      label taken off
holding the wanted next token under SecretStringKey for the key                     kept
anything else                                                                       moved by the write
==================================================================================  ==================

When a next token is wanted and no version keeps the label, it is written pending (source).

Where a written token comes from (source):

==================================================================================  ==================
the token is ...                                                                    source
==================================================================================  ==================
supplied by the template                                                            the template
on any version of this secret or of the secret being left                           read it again
none of the above                                                                   generate
==================================================================================  ==================

"For the key": written for the template's KMS key (recorded in the VersionId; for a 1.0
version, which records none, the secret's key decides). A token is read and written again,
never moved between secrets. Rotation configured in Secrets Manager, and an AWSPENDING the
provider did not write, are Secrets Manager's own rotation: the provider never stages over it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from ..errors import SecretConflictError
from ..tokens import AccessToken
from .actions import (
    Action,
    GeneratedToken,
    PromoteVersion,
    PutSecretValue,
    ReusedToken,
    SuppliedToken,
    TokenSource,
    UnstagePending,
    Write,
)
from .context import ResourceIdentity
from .naming import owner_tags
from .properties import SecretProperties
from .state import PENDING, PREVIOUS, SecretState
from .versions import (
    SUPPLIED_IDENTITY,
    VersionContent,
    generated_identities,
    generated_identity,
    json_key_identity,
    kms_digest,
    parse,
    version_id,
)

VALUE: Final = "value"  # request-digest purposes: the current token, and the next one
NEXT: Final = "pending"
EMPTY: Final = SecretState(arn="", name="")  # no secret observed: a Create


@dataclass(frozen=True)
class Generated:
    rotation_id: str


@dataclass(frozen=True)
class Supplied:
    token: AccessToken


Want = Generated | Supplied


@dataclass(frozen=True)
class Request:
    """What a request asks for, with its secret's name and key resolved."""

    props: SecretProperties
    identity: ResourceIdentity
    name: str
    kms_key_arn: str
    old: SecretProperties | None = None
    # A Create reuses only a generated token of the shape it asks for (it may land on the secret
    # of an earlier, timed-out Create); an Update keeps a token whatever its format and length.
    creating: bool = False

    def tags(self) -> dict[str, str]:
        return self.props.tag_map() | owner_tags(self.identity)

    @property
    def current(self) -> Want:
        props = self.props
        return Supplied(props.access_token) if props.access_token is not None else Generated(props.rotation_id)

    @property
    def pending(self) -> Want | None:
        props = self.props
        if not props.stages_next_token:
            return None
        token = props.next_access_token
        return Supplied(token) if token is not None else Generated(props.next_rotation_id)

    @property
    def also_keys(self) -> tuple[str, ...]:
        """The previous JSON key: a source location asks for it until CloudFormation updates it."""
        old = self.old
        return (old.secret_string_key,) if old and old.secret_string_key != self.props.secret_string_key else ()


# Who holds what ---------------------------------------------------------------------------------


def _known(state: SecretState, version: str, request: Request) -> AccessToken | None:
    """The supplied token ``version`` holds, when the service read it or this request wrote it."""
    parsed, props, digest = parse(version), request.props, request.identity.digest
    written = {digest(VALUE): props.access_token, digest(NEXT): props.next_access_token}
    return state.value_of(version) or (written.get(parsed.request_digest) if parsed else None)


def holds(state: SecretState, version: str, want: Want, request: Request) -> bool:
    """Whether ``version`` holds the token ``want`` names, by its VersionId or by a read."""
    parsed = parse(version)
    if parsed is None:
        return False
    if isinstance(want, Generated):
        props = request.props
        asked = frozenset({generated_identity(want.rotation_id, props.token_format, props.token_length)})
        identities = asked if request.creating else generated_identities(want.rotation_id)
        return parsed.content.generated and parsed.content.token_identity in identities
    return not parsed.content.generated and _known(state, version, request) == want.token


def _unread(state: SecretState, version: str, request: Request) -> bool:
    """A provider-written version of a supplied token whose token is not known."""
    parsed = parse(version)
    return parsed is not None and not parsed.content.generated and not _known(state, version, request)


def _fits(version: str, request: Request, *, unrecorded: bool = False) -> bool:
    """Under ``SecretStringKey`` and written for the template's key, which MediaTailor's grant is
    on (``unrecorded``: or recording no key), so it may carry a label."""
    parsed = parse(version)
    keys = (kms_digest(request.kms_key_arn), *((None,) if unrecorded else ()))
    return (
        parsed is not None
        and parsed.content.key_identity == json_key_identity(request.props.secret_string_key)
        and parsed.kms_digest in keys
    )


def _candidates(state: SecretState) -> tuple[str, ...]:
    listed = state.labelled_versions()
    return (*listed, *(v for v in state.unlabelled or () if v not in listed))


def reads_needed(request: Request, state: SecretState) -> tuple[str, ...]:
    """Versions whose supplied token the tables need read: AWSCURRENT, and AWSPENDING when it
    may hold the wanted current token (a promotion) or the next one."""
    current, live, want = state.current_version, state.version_with_stage(PENDING), request.current
    reads = [current] if current is not None and isinstance(want, Supplied) and _unread(state, current, request) else []
    if live is not None and live != current and _unread(state, live, request):
        current_open = isinstance(want, Supplied) and not (current is not None and holds(state, current, want, request))
        if current_open or isinstance(request.pending, Supplied):
            reads.append(live)
    return tuple(reads)


def listing_needed(request: Request, state: SecretState, donor: SecretState | None) -> bool:
    """A generated token no labelled version holds may be in an unlabelled one the origin was
    told (a rollback of a re-staging). Secrets Manager prunes beyond 100 versions, never younger
    than 24 hours (ListSecretVersionIds, IncludeDeprecated)."""
    if state.unlabelled is not None:
        return False
    generated = [w for w in (request.current, request.pending) if isinstance(w, Generated)]
    secrets = [s for s in (state, donor) if s is not None]
    return any(
        not any(holds(s, v, want, request) for s in secrets for v in s.labelled_versions()) for want in generated
    )


# The rows ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row[Scene, Outcome]:
    """One row of a table in the module docstring: its two cells, and the code that runs it."""

    when: str
    then: str
    test: Callable[[Scene], bool]
    act: Callable[[Scene], Outcome]


def first_match[Scene, Outcome](rows: tuple[Row[Scene, Outcome], ...], scene: Scene) -> Outcome:
    return next(row.act(scene) for row in rows if row.test(scene))


def _always(_scene: object) -> bool:
    return True


@dataclass(frozen=True)
class Lands:
    """What the rows look at; ``others_from``: the adopted secret whose other JSON keys writes keep."""

    request: Request
    state: SecretState
    donor: SecretState | None
    others_from: str | None = None

    def write(self, want: Want, purpose: str, also_keys: tuple[str, ...] = ()) -> Write:
        """A write of ``want``, from the source table, under a VersionId that records it."""
        request = self.request
        source, content = first_match(SOURCE_ROWS, _Sourcing(self, want))
        keeps = bool(self.others_from)
        written = version_id(content, request.kms_key_arn, request.identity.digest(purpose), keeps_others=keeps)
        return Write(source, request.props.secret_string_key, written, also_keys, self.others_from)


# Each outcome: where the token comes from, and what its VersionId says it is.
Sourced = tuple[TokenSource, VersionContent]


@dataclass(frozen=True)
class _Sourcing:
    lands: Lands
    want: Want

    def _content(self, kind: str, token_identity: str) -> VersionContent:
        return VersionContent(kind, token_identity, json_key_identity(self.lands.request.props.secret_string_key))

    def held(self) -> ReusedToken | None:
        lands, request = self.lands, self.lands.request
        secrets = (s for s in (lands.state, lands.donor) if s is not None)
        held = (ReusedToken(s.arn, v) for s in secrets for v in _candidates(s) if holds(s, v, self.want, request))
        return next(held, None)

    def supplied(self) -> Sourced:
        assert isinstance(self.want, Supplied)
        return SuppliedToken(self.want.token), self._content("u", SUPPLIED_IDENTITY)

    def reused(self) -> Sourced:
        found = self.held()
        assert found is not None
        parsed = parse(found.version_id)
        assert parsed is not None
        return found, self._content("g", parsed.content.token_identity)  # the identity it was generated with

    def generate(self) -> Sourced:
        assert isinstance(self.want, Generated)
        props = self.lands.request.props
        identity = generated_identity(self.want.rotation_id, props.token_format, props.token_length)
        return GeneratedToken(props.token_format, props.token_length), self._content("g", identity)


SOURCE_ROWS: Final[tuple[Row[_Sourcing, Sourced], ...]] = (
    Row("supplied by the template", "the template", lambda s: isinstance(s.want, Supplied), _Sourcing.supplied),
    Row(
        "on any version of this secret or of the secret being left",
        "read it again",
        lambda s: s.held() is not None,
        _Sourcing.reused,
    ),
    Row("none of the above", "generate", _always, _Sourcing.generate),
)


def _in_place_key_change(lands: Lands) -> bool:
    return lands.state.kms_key_id != lands.request.kms_key_arn


def _settled_current(lands: Lands) -> bool:
    """A 1.0 version records no key: the secret's key decides (a key changed in place rewrites)."""
    state, request = lands.state, lands.request
    current = state.current_version
    if current is None or _in_place_key_change(lands) or not holds(state, current, request.current, request):
        return False
    return _fits(current, request, unrecorded=True)


def _promotable(lands: Lands) -> str | None:
    state, request = lands.state, lands.request
    if request.also_keys or _in_place_key_change(lands):
        return None
    others = (v for v in _candidates(state) if v != state.current_version)
    return next((v for v in others if holds(state, v, request.current, request) and _fits(v, request)), None)


def _promote(lands: Lands) -> tuple[Action, ...]:
    found = _promotable(lands)
    assert found is not None
    return (PromoteVersion(found, lands.state.current_version),)


def _write_current(lands: Lands) -> tuple[Action, ...]:
    request = lands.request
    return (PutSecretValue(lands.write(request.current, VALUE, request.also_keys)),)


CURRENT_ROWS: Final[tuple[Row[Lands, tuple[Action, ...]], ...]] = (
    Row(
        "on AWSCURRENT under SecretStringKey for the key, and the key did not change",
        "nothing",
        _settled_current,
        lambda lands: (),
    ),
    Row(
        "on another version under SecretStringKey for the key, no key or JSON key change",
        "move AWSCURRENT",
        lambda lands: _promotable(lands) is not None,
        _promote,
    ),
    Row("anything else", "write it (source)", _always, _write_current),
)


@dataclass(frozen=True)
class _Live:
    """The AWSPENDING table's view: the labelled version, the next token, AWSCURRENT's fate."""

    lands: Lands
    version: str | None
    want: Want | None
    post_current: str | None
    rewritten: bool


# Each outcome: the actions taken before AWSCURRENT is settled, and the version keeping the label.
Staged = tuple[tuple[Action, ...], str | None]


def _refuse(why: str) -> Callable[[_Live], Staged]:
    def refuse(live: _Live) -> Staged:
        raise SecretConflictError(f"Secret {live.lands.state.name[:80]} has {why} before staging a next token")

    return refuse


def _holds_next(live: _Live) -> bool:
    request, version, want = live.lands.request, live.version, live.want
    assert version is not None
    assert want is not None
    return holds(live.lands.state, version, want, request) and _fits(version, request)


def _unstage(live: _Live) -> Staged:
    assert live.version is not None
    return (UnstagePending(live.version),), None


def _keep(live: _Live) -> Staged:
    return (), live.version


PENDING_ROWS: Final[tuple[Row[_Live, Staged], ...]] = (
    Row(
        "any, with a next token wanted and rotation configured on the secret",
        "refused",
        lambda live: live.want is not None and live.lands.state.rotation_enabled,
        _refuse(
            "rotation configured in Secrets Manager, whose rotation also uses AWSPENDING; turn that rotation off "
            "(cancel-rotate-secret)"
        ),
    ),
    Row(
        "absent, or the version that is current afterwards",
        "nothing",
        lambda live: live.version is None or live.version == live.post_current,
        lambda live: ((), None),
    ),
    Row(
        "not written by the provider, with a next token wanted",
        "refused",
        lambda live: parse(live.version) is None and live.want is not None,
        _refuse(
            "AWSPENDING on a version this provider did not write (a rotation in progress); finish or cancel that "
            "rotation"
        ),
    ),
    Row("not written by the provider", "left alone", lambda live: parse(live.version) is None, _keep),
    Row(
        "the current version, replaced by a write",
        "label taken off",
        lambda live: live.version == live.lands.state.current_version and live.rewritten,
        _unstage,
    ),
    Row("any, with no next token wanted", "label taken off", lambda live: live.want is None, _unstage),
    Row("holding the wanted next token under SecretStringKey for the key", "kept", _holds_next, _keep),
    Row("anything else", "moved by the write", _always, lambda live: ((), None)),
)


# Settling both labels --------------------------------------------------------------------------


@dataclass(frozen=True)
class Settled:
    """The actions for AWSCURRENT and AWSPENDING, and the versions each label ends on."""

    actions: tuple[Action, ...]
    current: str | None
    pending: str | None
    previous: str | None


def settle(lands: Lands, value: tuple[Action, ...] | None = None) -> Settled:
    """AWSCURRENT by its table (or ``value``: an adoption's write), then AWSPENDING around it."""
    state = lands.state
    value = first_match(CURRENT_ROWS, lands) if value is None else value
    current = state.current_version
    written = next((a.write.version_id for a in value if isinstance(a, PutSecretValue)), None)
    promoted = next((a.version_id for a in value if isinstance(a, PromoteVersion)), None)
    post_current = written or promoted or current
    want = lands.request.pending
    live = _Live(lands, state.version_with_stage(PENDING), want, post_current, rewritten=written is not None)
    before, pending = first_match(PENDING_ROWS, live)
    after: tuple[Action, ...] = ()
    if want is not None and pending is None:
        write = lands.write(want, NEXT)
        after, pending = (PutSecretValue(write, stages=(PENDING,)),), write.version_id
    changed = written is not None or promoted is not None
    previous = current if changed else state.version_with_stage(PREVIOUS)
    return Settled((*before, *value, *after), current=post_current, pending=pending, previous=previous)
