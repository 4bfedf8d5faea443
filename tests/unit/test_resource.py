"""The crhelper subclass keeps crhelper's request cycle working without its constructor."""

from __future__ import annotations

import pytest
from access_token_secret.adapter.resource import ProviderResource
from crhelper import CfnResource


def test_the_subclass_sets_every_attribute_crhelpers_constructor_sets(monkeypatch: pytest.MonkeyPatch) -> None:
    """If a crhelper upgrade adds state to its constructor, this fails before production does."""
    monkeypatch.setenv("AWS_SAM_LOCAL", "true")  # only so this reference instance builds no clients
    reference = set(vars(CfnResource(log_level="WARNING")))

    ours = set(
        vars(
            ProviderResource(
                create=lambda e, c: "",
                update=lambda e, c: "",
                delete=lambda e, c: "",
                failure_physical_id=lambda: "x",
                deliver=lambda url, body: True,
                deadline_margin_s=8,
            )
        )
    )

    assert reference - ours == set()
    assert not {"_lambda_client", "_events_client", "_logs_client"} & ours
