"""Read a CloudFormation template and resolve the properties of its custom resources to the
strings CloudFormation would send, using sample values for parameters, attributes and imports.
Lets tests and the demo feed the *examples' own* properties through the provider."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from cfnlint.decode import decode_str

from .account import ACCOUNT, PARTITION, REGION, make_arn

RESOURCE_TYPE = "Custom::MediaTailorAccessTokenSecret"
PSEUDO = {
    "AWS::Region": REGION,
    "AWS::AccountId": ACCOUNT,
    "AWS::Partition": PARTITION,
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::StackName": "example",
}


class Resolver:
    def __init__(self, template: Mapping[str, Any], parameters: Mapping[str, str], attributes: Mapping[str, Any]):
        self.template = template
        self.parameters = dict(parameters)
        self.attributes = dict(attributes)

    def ref(self, name: str) -> str:
        """Parameters first: a caller may also pass pseudo parameters (``AWS::StackName``)."""
        if name in self.parameters:
            return self.parameters[name]
        if name in PSEUDO:
            return PSEUDO[name]
        declared = self.template.get("Parameters", {}).get(name)
        if declared is not None:
            if "Default" not in declared:
                raise KeyError(f"parameter {name} needs a sample value")
            return str(declared["Default"])
        return str(self.attributes.get(name, make_arn("sample", name)))

    def get_att(self, resource: str, attribute: str) -> Any:
        return self.attributes.get(f"{resource}.{attribute}", make_arn("sample", resource))

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if not isinstance(value, Mapping):
            return value
        functions: dict[str, Callable[[Any], Any]] = {
            "Ref": self.ref,
            "Fn::GetAtt": self._get_att_argument,
            "Fn::Sub": self._sub_argument,
            "Fn::ImportValue": self._import_argument,
            "Fn::Join": self._join_argument,
            "Fn::Select": self._select_argument,
            "Fn::Split": self._split_argument,
        }
        if len(value) == 1:
            ((function, argument),) = value.items()
            if function in functions:
                return functions[function](argument)
        return {key: self.resolve(item) for key, item in value.items()}

    def _import_argument(self, argument: Any) -> str:
        return str(self.attributes.get("ImportValue", f"imported:{self.resolve(argument)}"))

    def _join_argument(self, argument: Any) -> str:
        delimiter, items = argument
        return str(delimiter).join(str(item) for item in self.resolve(items))

    def _select_argument(self, argument: Any) -> Any:
        index, items = argument
        return self.resolve(items)[int(self.resolve(index))]

    def _split_argument(self, argument: Any) -> list[str]:
        delimiter, text = argument
        return str(self.resolve(text)).split(str(delimiter))

    def _get_att_argument(self, argument: Any) -> Any:
        resource, attribute = argument if isinstance(argument, list) else str(argument).split(".", 1)
        return self.get_att(resource, attribute)

    def _sub_argument(self, argument: Any) -> str:
        text = argument if isinstance(argument, str) else argument[0]
        return re.sub(r"\$\{([^}]+)\}", lambda m: self._sub(m.group(1)), text)

    def _sub(self, name: str) -> str:
        return str(self.get_att(*name.split(".", 1))) if "." in name else self.ref(name)


def load_template(path: Path) -> dict[str, Any]:
    template, problems = decode_str(path.read_text())
    if problems or template is None:
        raise ValueError(f"{path}: {problems}")
    return dict(template)


def custom_resource_properties(
    path: Path, parameters: Mapping[str, str] | None = None, attributes: Mapping[str, Any] | None = None
) -> dict[str, dict[str, Any]]:
    """``{logical id: resolved properties}`` of every Custom::MediaTailorAccessTokenSecret."""
    template = load_template(path)
    resolver = Resolver(template, parameters or {}, attributes or {})
    return {
        logical_id: resolver.resolve(dict(resource.get("Properties", {})))
        for logical_id, resource in template.get("Resources", {}).items()
        if resource.get("Type") == RESOURCE_TYPE
    }


def resource_properties(
    path: Path,
    logical_id: str,
    parameters: Mapping[str, str] | None = None,
    attributes: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """One resource's properties, resolved like :func:`custom_resource_properties`."""
    template = load_template(path)
    resolver = Resolver(template, parameters or {}, attributes or {})
    return dict(resolver.resolve(dict(template["Resources"][logical_id].get("Properties", {}))))
