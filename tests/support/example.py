"""Helpers for tests that run the generated-token example stack (harness/example_stack.py)."""

from __future__ import annotations

from harness.example_stack import ExampleStack
from harness.origins import OriginServer
from tests.support.aws import Aws


def trust_first_token(example: ExampleStack, aws: Aws, origin: OriginServer, *, header_names: tuple[str, ...]) -> None:
    """The operator configures the origin once, with the token the stack's first secret holds
    (read from the emulator before the first fetch), and never again: a later step that sent
    any other token would be refused."""
    trusted: list[str] = []

    def configure() -> None:
        if not trusted and example.location is not None:
            trusted.append(aws.token(example.location.secret_arn, example.location.secret_string_key))
            origin.accept(header_names=header_names, tokens=trusted)

    example.before_check = configure


def failures(example: ExampleStack) -> list[str]:
    """Every check of an example stack's run that did not pass (its fetch, and each viewer
    segment where a CDN is in the loop), with the step it followed."""
    return [f"after {check.after}: {check}" for check in example.checks if not check.ok]
