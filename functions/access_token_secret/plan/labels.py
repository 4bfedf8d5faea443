"""What AWSCURRENT and AWSPENDING must hold after a request, and the shortest way there.

One model serves every request that lands on a secret: Create, in-place Update, a move onto
another secret (key change, rename, rename back), adoption, a rollback (new and old properties
swapped), a redelivered or concurrent copy of an event, and a retry after a crash. They differ
only in what was observed, so none is a special case:

1. **Wants.** From the properties: the token AWSCURRENT must hold (generated: named by
   ``RotationId``; supplied: the template's ``AccessToken``) and, when a next token differs from
   it, the token AWSPENDING must hold (``NextRotationId`` / ``NextAccessToken``). Each under
   ``SecretStringKey``, encrypted under the template's key.
2. **Who holds what.** A version holds a generated token when its VersionId carries that
   RotationId's identity (any format or length: changing those never rotates). Which supplied
   token a version holds is known when this very request wrote it, when the service read it
   (:attr:`~.state.SecretState.values`), or, on the secret the old properties describe, when
   the request leaves that token as it was; otherwise it is unknown, and :func:`reads_needed`
   asks the service to read it.
3. **Diff.** The tables below; the first matching row wins.

AWSCURRENT (``settle_current``):

=====================================================================  ============================
the wanted token is ...                                                action
=====================================================================  ============================
on AWSCURRENT, under SecretStringKey, written for the secret's key     nothing
on another version (labelled or not) under SecretStringKey, written    move AWSCURRENT to it
for the key, and SecretStringKey did not change in this request
on any version of this secret or of the secret being left              write it again (read, never
                                                                       moved between secrets)
supplied by the template                                               write it
none of the above                                                      generate and write
=====================================================================  ============================

AWSPENDING (``settle_pending``), when a next token is wanted:

=====================================================================  ============================
the next token is ...                                                  action
=====================================================================  ============================
on the version carrying AWSPENDING (not the current one), under        nothing
SecretStringKey, written for the key
on any version of this secret or of the secret being left              write it again, pending
supplied by the template                                               write it, pending
none of the above                                                      generate, write pending
=====================================================================  ============================

Without a next token, AWSPENDING is taken off any version the provider wrote, other than the
current one (nothing is pending any more). The provider never takes AWSPENDING off, or stages
over, a version it did not write: that is Secrets Manager's own rotation in flight.
"""

from __future__ import annotations

from dataclasses import dataclass

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
)
from .desired import Desired
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

VALUE: str = "value"  # request-digest purposes: the current token, and the next one
NEXT: str = "pending"


@dataclass(frozen=True)
class Generated:
    rotation_id: str


@dataclass(frozen=True)
class Supplied:
    token: AccessToken


Want = Generated | Supplied


@dataclass(frozen=True)
class Request:
    """One request's view: what it wants, and what it may infer without reading.

    ``same_secret``: the observed secret is the one the event's PhysicalResourceId names, so
    the old properties describe it (not true after a move onto another secret).
    """

    desired: Desired
    old: SecretProperties | None = None
    same_secret: bool = False

    @property
    def props(self) -> SecretProperties:
        return self.desired.props

    def digest(self, purpose: str) -> str:
        return self.desired.identity.digest(purpose)

    @property
    def current(self) -> Want:
        props = self.props
        return Supplied(props.access_token) if props.access_token is not None else Generated(props.rotation_id)

    @property
    def pending(self) -> Want | None:
        props = self.props
        if not props.stages_next_token:
            return None
        if props.next_access_token is not None:
            return Supplied(props.next_access_token)
        return Generated(props.next_rotation_id)

    @property
    def also_keys(self) -> tuple[str, ...]:
        """A source location may still ask for the previous JSON key until CloudFormation
        updates it, so a write in this request keeps the token under that key too."""
        old = self.old
        changed = old is not None and old.secret_string_key != self.props.secret_string_key
        return (old.secret_string_key,) if old is not None and changed else ()


def _wanted_token(props: SecretProperties, purpose: str) -> AccessToken | None:
    return props.access_token if purpose == VALUE else props.next_access_token


def holds(state: SecretState, version: str, want: Want, request: Request) -> bool | None:
    """Whether ``version`` holds the token ``want`` names; ``None``: unknown without a read."""
    parsed = parse(version)
    if parsed is None:
        return False
    if isinstance(want, Generated):
        return parsed.content.generated and parsed.content.token_identity in generated_identities(want.rotation_id)
    if parsed.content.generated:
        return False
    read = state.value_of(version)
    if read is not None:
        return read == want.token
    for purpose in (VALUE, NEXT):
        if parsed.request_digest == request.digest(purpose):
            return _wanted_token(request.props, purpose) == want.token  # this very request wrote it
    return _inferred(state, version, want, request)


def _inferred(state: SecretState, version: str, want: Supplied, request: Request) -> bool | None:
    """On the secret the old properties describe, a token the request leaves as it was is where
    the previous request put it: AWSCURRENT holds the old ``AccessToken``, a pending version the
    old ``NextAccessToken``. Anything else is read."""
    old, props = request.old, request.props
    if not request.same_secret or old is None:
        return None
    if version == state.current_version and old.access_token == props.access_token == want.token:
        return True
    if (
        version != state.current_version
        and version == state.version_with_stage(PENDING)
        and old.stages_next_token
        and old.next_access_token == props.next_access_token == want.token
    ):
        return True
    return None


def _fits(state: SecretState, version: str, request: Request) -> bool:
    """Under ``SecretStringKey`` and written for the template's key (so it may carry a label:
    MediaTailor's grant is on that key, and a version written under another key may not have
    been re-encrypted)."""
    parsed = parse(version)
    desired = request.desired
    return (
        parsed is not None
        and parsed.content.key_identity == json_key_identity(desired.props.secret_string_key)
        and parsed.kms_digest == kms_digest(desired.kms_key_arn)
    )


def _settled_current(state: SecretState, request: Request) -> bool:
    current = state.current_version
    if current is None or state.kms_key_id != request.desired.kms_key_arn:
        return False  # a key changed in place: rewrite, so AWSCURRENT is surely under the key
    parsed = parse(current)
    if parsed is None or holds(state, current, request.current, request) is not True:
        return False
    if parsed.kms_digest is None:  # an earlier release's version: the secret's key decides
        return parsed.content.key_identity == json_key_identity(request.props.secret_string_key)
    return _fits(state, current, request)


def _candidates(state: SecretState) -> tuple[str, ...]:
    listed = state.labelled_versions()
    return (*listed, *(v for v in state.unlabelled or () if v not in listed))


def _source(want: Want, request: Request, state: SecretState | None, donor: SecretState | None) -> TokenSource:
    if isinstance(want, Supplied):
        return SuppliedToken(want.token)
    for secret in (s for s in (state, donor) if s is not None):
        found = next((v for v in _candidates(secret) if holds(secret, v, want, request)), None)
        if found is not None:
            return ReusedToken(secret.arn, found)
    props = request.props
    return GeneratedToken(props.token_format, props.token_length)


def _content(want: Want, source: TokenSource, request: Request) -> VersionContent:
    key = json_key_identity(request.props.secret_string_key)
    if isinstance(want, Supplied):
        return VersionContent("u", SUPPLIED_IDENTITY, key)
    if isinstance(source, ReusedToken):
        reused = parse(source.version_id)
        if reused is not None:  # the token keeps the identity it was generated with
            return VersionContent("g", reused.content.token_identity, key)
    props = request.props
    return VersionContent("g", generated_identity(want.rotation_id, props.token_format, props.token_length), key)


def new_version(
    want: Want, request: Request, state: SecretState | None, donor: SecretState | None, *, purpose: str, adopted: bool
) -> tuple[TokenSource, str]:
    """Where a write of ``want`` takes its token from, and the VersionId it is written under."""
    source = _source(want, request, state, donor)
    content = _content(want, source, request)
    return source, version_id(content, request.desired.kms_key_arn, request.digest(purpose), keeps_others=adopted)


@dataclass(frozen=True)
class Settled:
    """The actions for AWSCURRENT and AWSPENDING, and the versions each label ends on."""

    before: tuple[Action, ...]
    value: tuple[Action, ...]
    after: tuple[Action, ...]
    current: str | None
    pending: str | None
    previous: str | None

    @property
    def actions(self) -> tuple[Action, ...]:
        return (*self.before, *self.value, *self.after)


def settle_current(
    request: Request, state: SecretState, donor: SecretState | None, *, adopted: bool, others_from: str | None
) -> tuple[Action, ...]:
    """The AWSCURRENT table of the module docstring."""
    if _settled_current(state, request):
        return ()
    current = state.current_version
    want = request.current
    in_place_key_change = state.kms_key_id != request.desired.kms_key_arn
    if not request.also_keys and not in_place_key_change:
        others = (v for v in _candidates(state) if v != current)
        exact = next((v for v in others if holds(state, v, want, request) and _fits(state, v, request)), None)
        if exact is not None:
            return (PromoteVersion(exact, current),)
    source, written = new_version(want, request, state, donor, purpose=VALUE, adopted=adopted)
    key = request.props.secret_string_key
    return (PutSecretValue(source, key, written, request.also_keys, others_from=others_from),)


def _live_label(
    request: Request, state: SecretState, *, post_current: str | None, rewritten: bool
) -> tuple[tuple[Action, ...], str | None]:
    """What happens to the version that carries AWSPENDING now (``live``): the actions taken
    before AWSCURRENT is settled, and the version that keeps the label (``None``: none does).
    First match wins:

    ========================================================  ===========================
    live is ...                                               then
    ========================================================  ===========================
    (any, with a next token wanted and rotation configured    refused: Secrets Manager's own
    on the secret)                                            rotation uses AWSPENDING too)
    absent, or the version that is current afterwards         nothing (no rotation)
    not written by the provider                               left alone; staging refused
    the current version, replaced by a write                  label taken off first (AWS
                                                              keeps it there, the emulator
                                                              drops it: same result both)
    holding the wanted next token (key and JSON key fit)      kept
    anything else, with a next token wanted                   the pending write moves it
    anything else                                             label taken off
    ========================================================  ===========================
    """
    want, live = request.pending, state.version_with_stage(PENDING)
    if want is not None and state.rotation_enabled:
        raise SecretConflictError(
            f"Secret {state.name[:80]} has rotation configured in Secrets Manager, whose rotation also uses "
            "AWSPENDING; turn that rotation off (cancel-rotate-secret) before staging a next token"
        )
    if live is None or live == post_current:
        return (), None
    if parse(live) is None:
        if want is not None:
            raise SecretConflictError(
                f"Secret {state.name[:80]} has AWSPENDING on a version this provider did not write (a rotation "
                "in progress); finish or cancel that rotation before staging a next token"
            )
        return (), live
    if live == state.current_version and rewritten:
        return (UnstagePending(live),), None
    if want is None:
        return (UnstagePending(live),), None
    kept = holds(state, live, want, request) is True and _fits(state, live, request)
    return (), live if kept else None


def settle(
    request: Request,
    state: SecretState,
    donor: SecretState | None,
    *,
    value: tuple[Action, ...],
    adopted: bool,
    others_from: str | None,
) -> Settled:
    """AWSPENDING around the AWSCURRENT actions ``value`` (see :func:`settle_current`): the live
    label's fate (:func:`_live_label`), then, when a next token is wanted and no version keeps
    the label, a write staged under AWSPENDING (the AWSPENDING table of the module docstring)."""
    current = state.current_version
    written = next((a.version_id for a in value if isinstance(a, PutSecretValue)), None)
    promoted = next((a.version_id for a in value if isinstance(a, PromoteVersion)), None)
    post_current = written or promoted or current
    before, pending = _live_label(request, state, post_current=post_current, rewritten=written is not None)
    after: tuple[Action, ...] = ()
    want = request.pending
    if want is not None and pending is None:
        source, pending = new_version(want, request, state, donor, purpose=NEXT, adopted=adopted)
        key = request.props.secret_string_key
        after = (PutSecretValue(source, key, pending, stages=(PENDING,), others_from=others_from),)
    changed = written is not None or promoted is not None
    previous = current if changed else state.version_with_stage(PREVIOUS)
    return Settled(before, value, after, current=post_current, pending=pending, previous=previous)


def reads_needed(request: Request, state: SecretState) -> tuple[str, ...]:
    """Versions whose supplied token must be read before the tables can be applied: AWSCURRENT
    when it is not known to hold the wanted token, and the pending version when it might hold
    the wanted current (a promotion) or next token."""
    current, live = state.current_version, state.version_with_stage(PENDING)
    reads: list[str] = []
    want = request.current
    held = holds(state, current, want, request) if current is not None else False
    if current is not None and isinstance(want, Supplied) and held is None:
        reads.append(current)
    if live is not None and live != current:
        current_open = isinstance(want, Supplied) and held is not True
        for wanted in (w for w, needed in ((want, current_open), (request.pending, True)) if needed):
            if isinstance(wanted, Supplied) and holds(state, live, wanted, request) is None and live not in reads:
                reads.append(live)
    return tuple(reads)


def listing_needed(request: Request, state: SecretState, donor: SecretState | None) -> bool:
    """Whether to list the versions that lost every label: a generated token that no labelled
    version holds may still be in one (a rollback of a re-staging or an un-staging), and the
    origin may have been told it. Secrets Manager keeps such versions (it prunes beyond 100,
    and never versions younger than 24 hours: ListSecretVersionIds, IncludeDeprecated)."""
    if state.unlabelled is not None:
        return False
    generated = [w for w in (request.current, request.pending) if isinstance(w, Generated)]
    secrets = [s for s in (state, donor) if s is not None]
    return any(
        not any(holds(s, v, want, request) for s in secrets for v in s.labelled_versions()) for want in generated
    )
