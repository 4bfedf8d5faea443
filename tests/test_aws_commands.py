"""Every ``aws ...`` command in the README and docs/ is one the AWS CLI would accept.

Each command is checked against botocore's service models (the same models the CLI is generated
from): the operation exists, every option is a member of its input (or one of the CLI's global
options), the required members are present, and a ``wait`` names a waiter of the service. The
CLI's own hand-written commands (``cloudformation deploy``, ``logs tail``, S3's high-level
commands) are not in the models: they get a short allow-list of their options. Every command
also names its Region: a user who copies one must not act on another Region by accident.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import botocore.session
import pytest
from botocore import xform_name
from botocore.model import OperationModel, ServiceModel

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = (ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")))

# The CLI's global options (`aws help`, "GLOBAL OPTIONS"); the value-less ones take no argument.
GLOBAL_OPTIONS = frozenset(
    {
        "--region",
        "--output",
        "--query",
        "--profile",
        "--endpoint-url",
        "--color",
        "--ca-bundle",
        "--cli-read-timeout",
        "--cli-connect-timeout",
        "--cli-binary-format",
        "--cli-input-json",
        "--cli-input-yaml",
        "--generate-cli-skeleton",
    }
)
GLOBAL_FLAGS = frozenset(
    {"--debug", "--no-verify-ssl", "--no-paginate", "--no-sign-request", "--no-cli-pager", "--no-cli-auto-prompt"}
)
PAGINATION_OPTIONS = frozenset({"--starting-token", "--max-items", "--page-size"})
# CLI service names that differ from botocore's.
SERVICE_ALIASES = {"s3api": "s3", "configservice": "config"}
# Commands written by hand in the CLI (awscli/customizations), with the options their help lists.
CUSTOM_COMMANDS: dict[tuple[str, str], frozenset[str]] = {
    ("cloudformation", "deploy"): frozenset(
        {
            "--template-file",
            "--stack-name",
            "--s3-bucket",
            "--s3-prefix",
            "--force-upload",
            "--kms-key-id",
            "--role-arn",
            "--notification-arns",
            "--fail-on-empty-changeset",
            "--no-fail-on-empty-changeset",
            "--parameter-overrides",
            "--capabilities",
            "--tags",
            "--no-execute-changeset",
            "--disable-rollback",
            "--no-disable-rollback",
        }
    ),
    ("cloudformation", "package"): frozenset(
        {"--template-file", "--s3-bucket", "--s3-prefix", "--kms-key-id", "--output-template-file", "--force-upload"}
    ),
    ("logs", "tail"): frozenset(
        {"--since", "--follow", "--format", "--filter-pattern", "--log-stream-names", "--log-stream-name-prefix"}
    ),
    **{
        ("s3", command): frozenset({"--recursive", "--exclude", "--include", "--delete", "--force"})
        for command in ("cp", "ls", "mb", "mv", "rb", "rm", "sync", "presign")
    },
}
_AWS_COMMAND = re.compile(r"(?:^|[\s;(|&`])aws\s+(?=[a-z])")
_CONTINUATION = re.compile(r"\\\n\s*")
# Shell blocks (a diagram's block is not a command); inline code that starts with a command.
_FENCE = re.compile(r"^[ \t]*```([a-z]*)\n(.*?)^[ \t]*```", re.DOTALL | re.MULTILINE)
_SHELL = ("", "sh", "bash", "shell", "console")
_INLINE = re.compile(r"`(aws [^`\n]+)`")


@dataclass(frozen=True)
class Command:
    """One command as written. Two words alone (``aws kms list-grants`` in a sentence) name an
    operation without running it: only the operation's existence is checked."""

    document: str
    words: tuple[str, ...]

    @property
    def reference(self) -> bool:
        return len(self.words) == 2

    def __str__(self) -> str:
        return f"{self.document}: aws {' '.join(self.words)}"


def _command_texts(text: str) -> list[str]:
    """``aws ...`` command lines of fenced blocks and of inline code, continuation lines joined,
    each ``$(aws ...)`` substitution taken as a command of its own."""
    blocks = [_CONTINUATION.sub(" ", block) for language, block in _FENCE.findall(text) if language in _SHELL]
    lines = [line for block in blocks for line in block.splitlines()]
    lines += [match.group(1) for match in _INLINE.finditer(_FENCE.sub("", text))]
    found: list[str] = []
    for line in lines:
        for start in (m.end() for m in _AWS_COMMAND.finditer(line)):
            rest = line[start:]
            depth, end = 0, len(rest)
            for index, char in enumerate(rest):
                depth += char == "("
                if char == ")" and depth == 0:
                    end = index
                    break
                depth -= char == ")"
            found.append(rest[:end])
    return found


def _words(text: str) -> tuple[str, ...]:
    """The command's words up to a comment, pipe or the end of the command."""
    lexer = shlex.shlex(text, posix=True, punctuation_chars="|;&")
    lexer.whitespace_split = True
    lexer.commenters = "#"
    words: list[str] = []
    for word in lexer:
        if word in ("|", ";", "&&", "||", "&"):
            break
        words.append(word)
    return tuple(words)


def commands() -> list[Command]:
    return [
        Command(str(path.relative_to(ROOT)), _words(text))
        for path in DOCUMENTS
        for text in _command_texts(path.read_text())
    ]


@cache
def _session() -> botocore.session.Session:
    return botocore.session.get_session()


@cache
def _service(name: str) -> ServiceModel | None:
    botocore_name = SERVICE_ALIASES.get(name, name)
    if botocore_name not in _session().get_available_services():
        return None
    return _session().get_service_model(botocore_name)


def _operation(service: ServiceModel, cli_name: str) -> OperationModel | None:
    names = {xform_name(name, "-"): name for name in service.operation_names}
    return service.operation_model(names[cli_name]) if cli_name in names else None


def _options(words: tuple[str, ...]) -> list[str]:
    return [word.split("=", 1)[0] for word in words if word.startswith("--")]


def _member_options(operation: OperationModel) -> tuple[dict[str, str], set[str], set[str]]:
    """Each CLI option of ``operation`` (``--member-name``) with its member name; the options of
    required members; the boolean members' ``--no-`` forms."""
    shape = operation.input_shape
    members = dict(shape.members) if shape is not None else {}
    options = {f"--{xform_name(name, '-')}": name for name in members}
    required = {f"--{xform_name(name, '-')}" for name in (shape.required_members if shape is not None else [])}
    negated = {f"--no-{xform_name(name, '-')}" for name, member in members.items() if member.type_name == "boolean"}
    return options, required, negated


def problems(command: Command) -> list[str]:
    """What the CLI would refuse in ``command``; empty when it would run."""
    if len(command.words) < 2:
        return ["names no operation"]
    service_name, operation_name, *_ = command.words
    options = _options(command.words)
    found: list[str] = [] if "--region" in options or command.reference else ["has no --region"]
    custom = CUSTOM_COMMANDS.get((service_name, operation_name))
    if custom is not None:
        unknown = [o for o in options if o not in custom | GLOBAL_OPTIONS | GLOBAL_FLAGS]
        return found + [f"unknown option {o}" for o in unknown]
    service = _service(service_name)
    if service is None:
        return [*found, f"no service {service_name}"]
    if operation_name == "wait":
        return found + _waiter_problems(service, command.words[2:], options)
    operation = _operation(service, operation_name)
    if operation is None:
        return [*found, f"no operation {operation_name} in {service_name}"]
    return [] if command.reference else found + _option_problems(service, operation, options)


def _waiter_problems(service: ServiceModel, rest: tuple[str, ...], options: list[str]) -> list[str]:
    if not rest:
        return ["wait names no waiter"]
    waiters = _session().get_waiter_model(service.service_name)
    names = {xform_name(name, "-"): name for name in waiters.waiter_names}
    if rest[0] not in names:
        return [f"no waiter {rest[0]}"]
    operation = service.operation_model(waiters.get_waiter(names[rest[0]]).operation)
    return _option_problems(service, operation, options)


def _can_paginate(service: ServiceModel, operation: OperationModel) -> bool:
    try:
        _session().get_paginator_model(service.service_name).get_paginator(operation.name)
    except ValueError:
        return False
    return True


def _option_problems(service: ServiceModel, operation: OperationModel, options: list[str]) -> list[str]:
    members, required, negated = _member_options(operation)
    allowed = set(members) | negated | GLOBAL_OPTIONS | GLOBAL_FLAGS
    if _can_paginate(service, operation):
        allowed |= PAGINATION_OPTIONS
    found = [f"unknown option {o}" for o in options if o not in allowed]
    if "--cli-input-json" not in options:
        found += [f"missing required {o}" for o in sorted(required) if o not in options]
    return found


ALL_COMMANDS = commands()


def test_the_documents_have_aws_commands_to_check() -> None:
    assert len(ALL_COMMANDS) >= 20
    assert any(c.words[:2] == ("cloudformation", "wait") for c in ALL_COMMANDS)


@pytest.mark.parametrize("command", ALL_COMMANDS, ids=str)
def test_every_aws_command_is_one_the_cli_accepts(command: Command) -> None:
    assert problems(command) == [], str(command)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("aws kms list-grants --region r --key-id k", []),
        ("aws kms list-grants --region r", ["missing required --key-id"]),
        ("aws kms list-grants --key-id k", ["has no --region"]),
        ("aws kms list-grant --region r --key-id k", ["no operation list-grant in kms"]),
        ("aws kms list-grants --region r --key-id k --bogus 1", ["unknown option --bogus"]),
        ("aws cloudformation wait stack-delete-complete --region r --stack-name s", []),
        ("aws cloudformation wait stack-gone --region r --stack-name s", ["no waiter stack-gone"]),
        ("aws cloudformation deploy --region r --stack-name s --template-file t", []),
        ("aws cloudformation deploy --region r --stack-nam s", ["unknown option --stack-nam"]),
        ("aws secretsmanager delete-secret --region r --secret-id s --no-force-delete-without-recovery", []),
        ("aws kms list-grants --region r --key-id k --max-items 5", []),
        ("aws nosuch thing --region r", ["no service nosuch"]),
        ("aws kms list-grants", []),
        ("aws kms list-grant", ["no operation list-grant in kms"]),
    ],
)
def test_the_checker_refuses_what_the_cli_refuses(text: str, expected: list[str]) -> None:
    (found,) = _command_texts(f"```sh\n{text}\n```\n")

    assert problems(Command("example", _words(found))) == expected


def test_commands_inside_substitutions_and_continuations_are_found() -> None:
    text = (
        "```sh\nkey=$(aws kms describe-key --region r \\\n  --key-id k --query X) # note\n"
        "aws sts get-caller-identity --region r\n```\n"
    )

    found = [_words(t) for t in _command_texts(text)]

    assert found == [
        ("kms", "describe-key", "--region", "r", "--key-id", "k", "--query", "X"),
        ("sts", "get-caller-identity", "--region", "r"),
    ]
