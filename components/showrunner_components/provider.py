"""The component provider that lets a TypeScript, Go or YAML program construct these components.

`pulumi package add ./components` starts it through `components/__main__.py`; `showrunner schema`
prints its schema. It is the SDK's `ComponentProvider`, which infers the schema from the Args'
annotations and docstrings, with two repairs the SDK (3.272) leaves to its users: descriptions
lose the indentation of multi-line docstrings, and an integer input arrives as an `int` rather
than the float the wire carries (so `min_free_mb` renders `2048`, not `2048.0`).
"""

import inspect
import json
import sys
from typing import Any

import pulumi
from pulumi.provider import main as serve
from pulumi.provider.experimental.analyzer import PropertyDefinition, PropertyType
from pulumi.provider.experimental.component import ComponentDefinition, ComponentProvider

import showrunner_components
from showrunner_components.delivery.component import Delivery
from showrunner_components.permissions_boundary.component import PermissionsBoundary
from showrunner_components.fleet.component import Fleet
from showrunner_components.golden_ami.component import GoldenAmi
from showrunner_components.image_pipeline.component import ImagePipeline
from showrunner_components.load_balancer.component import LoadBalancer
from showrunner_components.network.component import Network
from showrunner_components.observability.component import Alerts, Dashboard
from showrunner_components.secrets.component import ServiceSecrets
from showrunner_components.state.component import State

PACKAGE = "showrunner"
"""The schema's package name: every component's type token is `showrunner:index:<ClassName>`."""
HOSTED = (Fleet, ImagePipeline, GoldenAmi, LoadBalancer, Network, State, ServiceSecrets, Delivery, PermissionsBoundary, Alerts, Dashboard)
"""Every component of the package; each is constructed from the same Args a Python program passes."""


class ShowrunnerProvider(ComponentProvider):
    """`ComponentProvider` over `HOSTED`, its schema's descriptions cleaned and its integers whole."""

    def __init__(self, version: str = showrunner_components.__version__) -> None:
        super().__init__(list(HOSTED), PACKAGE, None, version)
        self.schema = json.dumps(clean_descriptions(json.loads(self.schema)))

    def map_inputs(self, inputs: pulumi.Inputs, component_def: ComponentDefinition) -> pulumi.Inputs:
        whole = {key: self._whole(value, component_def.inputs[key]) if key in component_def.inputs else value for key, value in inputs.items()}
        return super().map_inputs(whole, component_def)

    def _whole(self, value: Any, prop: PropertyDefinition) -> Any:
        """`value` with every number the schema calls an integer made an `int`, through Outputs,
        lists, maps and nested types (the engine sends every number as a float)."""
        if isinstance(value, pulumi.Output):
            return value.apply(lambda v: self._whole(v, prop))
        if prop.type == PropertyType.INTEGER and isinstance(value, float) and value.is_integer():
            return int(value)
        if prop.ref and isinstance(value, dict):
            type_def = self.get_type_definition(prop)
            if type_def is not None and not type_def.enum:
                return {k: self._whole(v, type_def.properties[k]) if k in type_def.properties else v for k, v in value.items()}
        if prop.items and isinstance(value, list):
            return [self._whole(item, prop.items) for item in value]
        if prop.additional_properties and isinstance(value, dict):
            return {k: self._whole(v, prop.additional_properties) for k, v in value.items()}
        return value


def clean_descriptions(node: Any) -> Any:
    """The schema with every `description` put through `inspect.cleandoc` (the analyzer keeps the
    source's indentation on a docstring's second and later lines)."""
    if isinstance(node, dict):
        return {k: inspect.cleandoc(v) if k == "description" and isinstance(v, str) else clean_descriptions(v) for k, v in node.items()}
    if isinstance(node, list):
        return [clean_descriptions(v) for v in node]
    return node


def schema() -> dict:
    """The package schema the provider serves (GetSchema), as a dict."""
    return json.loads(ShowrunnerProvider().schema)


def main() -> None:
    """Serve the provider to the engine, as `component_provider_host` would serve the SDK's own."""
    serve(ShowrunnerProvider(), sys.argv[1:])
