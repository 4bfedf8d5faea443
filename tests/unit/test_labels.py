"""The label model (plan/labels.py): what it asks the service to observe, and what it decides
from what was observed. Plain values in and out, no AWS, no mocks."""

from __future__ import annotations

from typing import Any

import pytest
from access_token_secret.errors import SecretConflictError
from access_token_secret.plan import labels
from access_token_secret.plan.actions import PromoteVersion, PutSecretValue, ReportTokens, ReusedToken, SuppliedToken
from access_token_secret.plan.labels import Request, listing_needed, reads_needed
from access_token_secret.plan.planner import plan_converge
from access_token_secret.plan.state import SecretState
from access_token_secret.tokens import AccessToken

from tests.support.planning import ARN, CURRENT, ME, PENDING, PREVIOUS, desired, props, secret, written

T1, T2 = "supplied-token-1", "supplied-token-2"

SUPPLIED_CURRENT = written(AccessToken=T1)
SUPPLIED_PENDING = written(purpose="pending", AccessToken=T2)


@pytest.mark.parametrize(
    ("request_", "observed", "reads"),
    [
        pytest.param(
            desired(AccessToken=T1, old=props(AccessToken=T1)),
            secret((SUPPLIED_CURRENT, CURRENT)),
            (SUPPLIED_CURRENT,),
            id="token unchanged: AWSCURRENT is read all the same (nothing is inferred)",
        ),
        pytest.param(
            desired(AccessToken=T1, old=props(AccessToken=T1)),
            secret((SUPPLIED_CURRENT, CURRENT)),
            (SUPPLIED_CURRENT,),
            id="back on an earlier secret: its current token is read (case 1)",
        ),
        pytest.param(
            desired(AccessToken=T2, old=props(AccessToken=T1)),
            secret((SUPPLIED_CURRENT, CURRENT)),
            (SUPPLIED_CURRENT,),
            id="a new supplied token: AWSCURRENT is read (a twin may have written it)",
        ),
        pytest.param(
            desired(AccessToken=T2, old=props(AccessToken=T1, NextAccessToken=T2)),
            secret((SUPPLIED_CURRENT, CURRENT), (SUPPLIED_PENDING, PENDING)),
            (SUPPLIED_CURRENT, SUPPLIED_PENDING),
            id="a supplied promotion: the pending version may hold the token",
        ),
        pytest.param(
            desired(AccessToken=T2, old=props(AccessToken=T1)),
            secret((written(ME, AccessToken=T2), CURRENT)),
            (),
            id="written by this very request: known",
        ),
        pytest.param(
            desired(RotationId="b", old=props(RotationId="a")),
            secret((written(RotationId="a"), CURRENT)),
            (),
            id="generated tokens are named by their VersionId: never read to compare",
        ),
    ],
)
def test_reads_needed(request_: Request, observed: SecretState, reads: tuple[str, ...]) -> None:
    assert reads_needed(request_, observed) == reads


@pytest.mark.parametrize(
    ("request_", "observed", "listed"),
    [
        pytest.param(
            desired(RotationId="a"),
            secret((written(RotationId="a"), CURRENT)),
            False,
            id="the wanted token is labelled",
        ),
        pytest.param(
            desired(RotationId="a", NextRotationId="b"),
            secret((written(RotationId="a"), CURRENT)),
            True,
            id="a next token no label holds: it may have lost its label",
        ),
        pytest.param(
            desired(RotationId="a", NextRotationId="b"),
            secret((written(RotationId="a"), CURRENT), unlabelled=()),
            False,
            id="listed already",
        ),
        pytest.param(desired(AccessToken=T1), secret((SUPPLIED_CURRENT, CURRENT)), False, id="supplied"),
    ],
)
def test_listing_needed(request_: Request, observed: SecretState, listed: bool) -> None:
    assert listing_needed(request_, observed, None) is listed


def test_a_token_that_lost_its_label_is_staged_again_instead_of_a_new_one() -> None:
    """Case 3: NextRotationId b -> c rolled back; b's version lost AWSPENDING."""
    lost = written(purpose="pending", RotationId="b")
    observed = secret(
        (written(RotationId="a"), CURRENT), (written(purpose="pending", RotationId="c"), PENDING), unlabelled=(lost,)
    )

    plan = plan_converge(
        desired(RotationId="a", NextRotationId="b", old=props(RotationId="a", NextRotationId="c")), observed
    )

    staged = [a for a in plan.actions if isinstance(a, PutSecretValue)]
    assert [a.write.source for a in staged] == [ReusedToken(ARN, lost)]
    assert staged[0].stages == ("AWSPENDING",)


def test_a_read_supplied_token_decides_between_writing_and_nothing() -> None:
    """Case 4: the promotion was applied by an earlier delivery; the read shows it."""
    promoted = secret(
        (SUPPLIED_PENDING, CURRENT + PENDING),
        (SUPPLIED_CURRENT, PREVIOUS),
        values=((SUPPLIED_PENDING, AccessToken(T2)),),
    )

    plan = plan_converge(
        desired(AccessToken=T2, ReturnAccessToken=True, old=props(AccessToken=T1, NextAccessToken=T2)), promoted
    )

    assert plan.summary() == ["PutResourcePolicy", "ReportTokens"]
    assert plan.actions[-1] == ReportTokens(current=SUPPLIED_PENDING, pending=None, previous=SUPPLIED_CURRENT)


def test_a_supplied_token_on_an_earlier_secret_is_written_when_the_read_differs() -> None:
    """Case 1: the restored secret still holds t1; the template says t2."""
    earlier = secret((SUPPLIED_CURRENT, CURRENT), values=((SUPPLIED_CURRENT, AccessToken(T1)),))

    plan = plan_converge(desired(AccessToken=T2, old=props(AccessToken=T2)), earlier)

    assert [a.write.source for a in plan.actions if isinstance(a, PutSecretValue)] == [SuppliedToken(AccessToken(T2))]


def test_after_unstaging_nothing_is_reported_pending() -> None:
    """Case 2: the report describes the labels after the request."""
    observed = secret((written(RotationId="a"), CURRENT), (written(purpose="pending", RotationId="b"), PENDING))

    plan = plan_converge(
        desired(RotationId="a", ReturnAccessToken=True, old=props(RotationId="a", NextRotationId="b")), observed
    )

    assert plan.summary() == ["UnstagePending", "PutResourcePolicy", "ReportTokens"]
    assert plan.actions[-1] == ReportTokens(current=written(RotationId="a"), pending=None, previous=None)


@pytest.mark.parametrize("change", [{"TokenLength": "64"}, {"TokenFormat": "Uuid"}], ids=["TokenLength", "TokenFormat"])
def test_token_format_and_length_never_rotate_by_themselves(change: dict[str, Any]) -> None:
    """Case 8: the RotationId names the token, whatever it was generated as."""
    observed = secret((written(RotationId="a"), CURRENT))

    plan = plan_converge(desired(RotationId="a", **change, old=props(RotationId="a")), observed)

    assert plan.summary() == ["PutResourcePolicy"]


def test_a_rollback_to_the_previous_generated_token_moves_the_label() -> None:
    observed = secret((written(RotationId="b"), CURRENT), (written(RotationId="a"), PREVIOUS))

    plan = plan_converge(desired(RotationId="a", old=props(RotationId="b")), observed)

    assert plan.actions[0] == PromoteVersion(written(RotationId="a"), written(RotationId="b"))


def test_staging_is_refused_over_a_pending_version_the_provider_did_not_write() -> None:
    observed = secret((written(RotationId="a"), CURRENT), ("0b6c-hand-rotation", PENDING))

    with pytest.raises(SecretConflictError, match="did not write"):
        plan_converge(desired(RotationId="a", NextRotationId="b", old=props(RotationId="a")), observed)


def test_without_a_next_token_a_foreign_pending_label_is_left_alone() -> None:
    observed = secret((written(RotationId="a"), CURRENT), ("0b6c-hand-rotation", PENDING))

    plan = plan_converge(desired(RotationId="a", old=props(RotationId="a")), observed)

    assert plan.summary() == ["PutResourcePolicy"]


def _docstring_tables() -> list[list[tuple[str, str]]]:
    """Every two-column table of plan/labels.py's docstring, as (first cell, second cell) rows."""
    tables: list[list[tuple[str, str]]] = []
    lines = (labels.__doc__ or "").splitlines()
    rules = [i for i, line in enumerate(lines) if line.startswith("===")]
    for top, below_header, bottom in zip(rules[0::3], rules[1::3], rules[2::3], strict=True):
        width = len(lines[top].split()[0])
        del top
        tables.append([(row[:width].strip(), row[width:].strip()) for row in lines[below_header + 1 : bottom]])
    return tables


def test_the_docstring_tables_are_the_rows_the_code_runs() -> None:
    rows = [[(row.when, row.then) for row in table] for table in (labels.CURRENT_ROWS, labels.PENDING_ROWS)]

    assert _docstring_tables() == [*rows, [(row.when, row.then) for row in labels.SOURCE_ROWS]]
