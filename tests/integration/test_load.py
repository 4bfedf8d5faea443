"""One stack of 200 resources, 20 invocations at a time, 10% of AWS calls throttled."""

from __future__ import annotations

import time
from typing import Any

import pytest

from harness.cloudformation import Stack
from harness.faults import Fault
from tests.support.aws import Aws

RESOURCES = 200
CONCURRENCY = 20


# Twenty invocations share one process here (in Lambda each has its own), so one invocation's
# metrics flush can empty another's buffer; that warning is about the harness, not the provider.
@pytest.mark.filterwarnings("ignore:No application metrics to publish")
@pytest.mark.slow  # 200 resources at 20 invocations at a time
def test_two_hundred_resources_under_throttling_are_created_and_deleted_exactly(
    stack: Stack, aws: Aws, kms_key: str, proxy_calls: Any
) -> None:
    proxy_calls.inject(Fault("*", probability=0.10))
    resources = {f"Token{i:03d}": {"KmsKeyId": kms_key, "SecretStringKey": "Key"} for i in range(RESOURCES)}
    started = time.perf_counter()

    created = stack.create_stack(resources, concurrency=CONCURRENCY)
    created_s = time.perf_counter() - started
    names_after_create = aws.secret_names()
    deleted = stack.delete_stack(concurrency=CONCURRENCY)
    live = aws.secret_names(include_planned_deletion=False)

    successes = sum(response.ok for response in created)
    throttled = sum(proxy_calls.recorder.injected.values())
    print(
        f"\nload: {successes}/{RESOURCES} created, {len(names_after_create)} secrets, "
        f"{sum(r.ok for r in deleted)} deleted, {throttled} throttled answers, "
        f"{len(proxy_calls.recorder.calls)} calls, create phase {created_s:.1f} s"
    )
    assert successes == RESOURCES
    assert all(response.count == 1 for response in created)
    assert len(names_after_create) == RESOURCES
    assert len({response.physical_id for response in created}) == RESOURCES
    assert all(response.ok for response in deleted)
    assert live == []
    assert throttled > 0
