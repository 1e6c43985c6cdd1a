"""The README's configuration reference is what the models say, and the models say everything it needs."""

from __future__ import annotations

import shutil

import annotated_types
import pytest
from pydantic import Field

from showrunner import cli
from showrunner.config import reference
from showrunner.config.models import Fleet, Service
from showrunner.config.models.base import _Strict
from showrunner.config.values import Port


def test_the_readme_reference_is_the_one_the_models_generate(project_dir):
    readme = (project_dir / "README.md").read_text()
    assert reference.rewrite(readme) == readme, "README.md is out of date: run `showrunner config-reference`"


def test_every_field_says_what_it_is_and_its_default():
    assert reference.gaps() == []


class Toy(_Strict):
    size: int = Field(default=16, ge=8, le=200)
    """Disk size, GiB. Default: `20`."""
    name: str
    """The name. Default: `x`."""
    undocumented: bool = False
    silent: bool = False
    """Whether it is quiet."""


def test_a_missing_wrong_or_unstated_default_is_a_gap():
    assert reference.gaps([Toy]) == [
        f"{__name__}.Toy.size: its default is 16, which its docstring does not say",
        f"{__name__}.Toy.name: is required but its docstring states a default",
        f"{__name__}.Toy.undocumented: no docstring saying what it is and its default",
        f"{__name__}.Toy.silent: its docstring does not state its default (`Default: …`)",
    ]


def test_rows_carry_type_constraints_default_meaning_and_the_2015_attribute():
    rows = {row.key: row for row in reference.rows(Fleet)}
    assert rows["root_volume_gb"] == reference.Row("root_volume_gb", "int, 8-200", "`16`", "Encrypted gp3 root volume, GiB", None)
    assert rows["scheduled.<name>.time_zone"].default == "`UTC`"
    assert rows["warm_pool.pool_state"].type == "`Stopped`, `Running` or `Hibernated`"
    assert rows["scaling.cpu_percent"].type == "number, > 0, ≤ 100"
    service = {row.key: row for row in reference.rows(Service)}
    assert service["ports"].type == "list of `HOST:CONTAINER`, two port numbers 1-65535"
    assert service["ports"].replaces == "`port` (default `[]`)"
    assert service["route.priority"] == reference.Row(
        "route.priority", "int, 1-50000", "required", "The listener rule's priority, lowest first; unique across services", None
    )


@pytest.mark.parametrize(
    ("annotation", "metadata", "expected"),
    [
        (int, [annotated_types.Ge(0)], "int, ≥ 0"),
        (list[Port], [annotated_types.MaxLen(5)], "list of `HOST:CONTAINER`, two port numbers 1-65535, at most 5"),
        (dict[str, str], [], "map string → string"),
        (str, [annotated_types.MinLen(1)], "string, non-empty"),
        (int | None, [annotated_types.Ge(1), annotated_types.Le(9)], "int, 1-9"),
    ],
)
def test_type_text(annotation, metadata, expected):
    assert reference.type_text(annotation, metadata) == expected


def test_a_pipe_in_a_docstring_does_not_break_the_table():
    class Piped(_Strict):
        mode: str = "a"
        """Either a|b. Default: `a`."""

    assert reference._table(reference.rows(Piped))[-1] == "| `mode` | string | `a` | Either a\\|b |"


def test_the_command_rewrites_the_readme_and_check_fails_until_it_has(tmp_path, project_dir, capsys):
    shutil.copy(project_dir / "README.md", tmp_path / "README.md")
    readme = tmp_path / "README.md"
    stale = readme.read_text().replace("Encrypted gp3 root volume, GiB", "Root volume")
    readme.write_text(stale)
    assert cli.main(["--project-dir", str(tmp_path), "config-reference", "--check"]) == 1
    assert readme.read_text() == stale
    assert cli.main(["--project-dir", str(tmp_path), "config-reference"]) == 0
    assert readme.read_text() == (project_dir / "README.md").read_text()
    assert cli.main(["--project-dir", str(tmp_path), "config-reference", "--check"]) == 0
    assert "differs from the models" in capsys.readouterr().err


def test_a_readme_without_markers_is_one_line(tmp_path, capsys):
    (tmp_path / "README.md").write_text("# nothing here\n")
    assert cli.main(["--project-dir", str(tmp_path), "config-reference"]) == 2
    assert capsys.readouterr().err.splitlines()[-1].startswith(f"error: {tmp_path / 'README.md'}: no configuration reference to rewrite")


class ToyChild(Toy):
    colour: str = "red"
    """Paint. Default: `red`."""
    label: str = Field(default="x", description="Set in the field. Default: `x`.")


def test_descriptions_come_from_the_declaring_class_or_the_field():
    # Read from the source, not by pydantic: the models are imported on every preview.
    assert reference.description(ToyChild, "size") == "Disk size, GiB. Default: `20`."
    assert reference.description(ToyChild, "colour") == "Paint. Default: `red`."
    assert reference.description(ToyChild, "label") == "Set in the field. Default: `x`."
    assert ToyChild.model_fields["colour"].description is None


def test_an_undocumented_field_has_no_description():
    assert reference.description(Toy, "undocumented") is None
