"""Each component's README: the simplest use first, then inputs with defaults, outputs, and examples.

Every input, output and nested field the schema has is named in its component's README, so a new
field cannot go undocumented there.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from showrunner_components import provider

SECTIONS = ("## Simplest use", "## Inputs", "## Outputs")
EXAMPLES = re.compile(r"^## (Variants|Examples)$", re.MULTILINE)


def readme(component: type) -> str:
    return (Path(sys.modules[component.__module__].__file__).parent / "README.md").read_text()


def documented_names(component: type) -> set[str]:
    """The Python names of the component's inputs and outputs, and of the fields of every nested type they use."""
    from pulumi.provider.experimental.analyzer import Analyzer

    analyzed = Analyzer(provider.PACKAGE).analyze([component])
    definition = analyzed["component_definitions"][component.__name__]
    names = {*definition.inputs_mapping.values(), *definition.outputs_mapping.values()}
    for type_def in analyzed["type_definitions"].values():
        names |= set(type_def.properties_mapping.values())
    return names


@pytest.mark.parametrize("component", provider.HOSTED, ids=lambda c: c.__name__)
def test_the_readme_starts_with_the_simplest_use_then_inputs_outputs_and_examples(component):
    text = readme(component)
    positions = [text.find(section + "\n") for section in SECTIONS]
    assert -1 not in positions, f"{component.__name__}'s README lacks {[s for s, p in zip(SECTIONS, positions) if p == -1]}"
    assert positions == sorted(positions)
    examples = EXAMPLES.search(text)
    assert examples and examples.start() > positions[-1], f"{component.__name__}'s README has no Variants or Examples after its outputs"
    assert "```python" in text[examples.start():]
    simplest = text[positions[0]:positions[1]]
    assert f"import {component.__name__}" in simplest


@pytest.mark.parametrize("component", provider.HOSTED, ids=lambda c: c.__name__)
def test_the_readme_names_every_input_output_and_nested_field(component):
    text = readme(component)
    missing = sorted(name for name in documented_names(component) if not re.search(rf"\b{name}\b", text))
    assert missing == []


@pytest.mark.parametrize("component", provider.HOSTED, ids=lambda c: c.__name__)
def test_every_table_row_has_its_headers_cells(component):
    """A row with more cells than its header renders without them: the extra text is lost."""
    header, bad = None, []
    for line in readme(component).splitlines():
        cells = re.sub(r"`[^`]*`", "x", line).count("|") - 1 if line.startswith("|") else None
        header = (cells if header is None else header) if cells is not None else None
        if cells is not None and cells != header:
            bad.append(line)
    assert bad == []
