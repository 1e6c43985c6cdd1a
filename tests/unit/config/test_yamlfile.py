"""The stack-file reader: what YAML would read differently from what was meant is refused, with its line and path."""

from __future__ import annotations

import time
import tracemalloc

import pytest

from showrunner.config import yamlfile
from showrunner.config.stackfile import StackConfigError, load_project, load_stack_file
from showrunner.config.yamlfile import Problem, YamlFileError, decode, read_text


def problems(text: str) -> list[tuple[int, tuple, str]]:
    return [(p.line, p.path, p.message) for p in read_text(text)[1]]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("refresh_key: 2026-11-23\n", (1, ("refresh_key",), '2026-11-23 is a date to YAML, not text; quote it ("2026-11-23") if it is text')),
        ("at: 2026-11-23 10:00:00\n", (1, ("at",), '2026-11-23 10:00:00 is a date to YAML, not text; quote it ("2026-11-23 10:00:00") if it is text')),
        ("ports: [8080:30]\n", (1, ("ports", 0), '8080:30 is a base-60 number to YAML 1.1 (a HOST:CONTAINER port must be text); quote it ("8080:30") if it is text')),
        ("rm: yes\n", (1, ("rm",), 'yes is a boolean to YAML 1.1 and text to the Pulumi CLI; write true or false, or quote it ("yes") if it is text')),
        ("a:\n  DEBUG: off\n", (2, ("a", "DEBUG"), 'off is a boolean to YAML 1.1 and text to the Pulumi CLI; write true or false, or quote it ("off") if it is text')),
        ("env:\n  8000: x\n", (2, ("env",), 'the key 8000 is a number to YAML; keys are text: quote it ("8000")')),
        ("42: x\n", (1, (), 'the key 42 is a number to YAML; keys are text: quote it ("42")')),
        ("env:\n  ~: x\n", (2, ("env",), 'the key ~ is null to YAML; keys are text: quote it ("~")')),
        ("env:\n  true: x\n", (2, ("env",), 'the key true is true/false to YAML; keys are text: quote it ("true")')),
        ("env:\n  ? [a]\n  : b\n", (2, ("env",), "a key is a map or a list; keys are text")),
        ("a: 1\nb: 2\na: 3\n", (3, ("a",), "is given twice (lines 1 and 3); YAML keeps only the last, so keep one")),
        ("a: !Ref x\n", (1, ("a",), "the tag !Ref is not supported; a value is text, a number, true/false or null")),
        ("a: !!binary aGVsbG8=\n", (1, ("a",), "the tag !!binary is not supported; a value is text, a number, true/false or null")),
        ("a: !!set {x, y}\n", (1, ("a",), "the tag !!set is not supported; use a plain map or list")),
        ("a: !!python/name:os.system x\n", (1, ("a",), "the tag !!python/name:os.system is not supported; a value is text, a number, true/false or null")),
    ],
)
def test_what_yaml_reads_otherwise_is_refused_with_line_path_and_fix(text, expected):
    assert problems(text) == [expected]


@pytest.mark.parametrize(
    "text",
    [
        'refresh_key: "2026-11-23"\n', "ports: ['8080:30']\n", "rm: true\nflag: false\n", 'env: {"8000": x}\n',
        "n: 8080\nf: 8.5\nnothing: null\n", "a: !!str 2026-11-23\n", "a: 1_000\n",
    ],
)
def test_quoted_or_unambiguous_values_read_as_written(text):
    assert problems(text) == []


def test_duplicate_keys_keep_reading_and_report_each_repeat():
    document, found = read_text("a: 1\nb:\n  x: 1\n  x: 2\na: 3\n")
    assert document == {"a": 3, "b": {"x": 2}}
    assert [(p.line, p.path) for p in found] == [(4, ("b", "x")), (5, ("a",))]


def test_anchors_aliases_and_merge_keys_work():
    text = "base: &b {x: 1, y: 2}\nother:\n  <<: *b\n  y: 3\nlist: &l [1, 2]\nagain: *l\nboth:\n  <<: [*b, {z: 9}]\n"
    document, found = read_text(text)
    assert found == []
    assert document == {"base": {"x": 1, "y": 2}, "other": {"y": 3, "x": 1}, "list": [1, 2], "again": [1, 2], "both": {"x": 1, "y": 2, "z": 9}}


def test_a_merge_of_something_that_is_not_a_map_is_refused():
    assert problems("a: &s text\nb:\n  <<: *s\n") == [(3, ("b",), "<< merges a map (or a list of maps) into this one; give it an alias to a map")]


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("a: [1, 2\n", 2, "is not valid YAML: did not find expected ',' or ']'"),
        ("a: 1\n---\nb: 2\n", 2, "holds more than one YAML document (a second ---); a stack file is one map"),
        ("a: &a [*a]\n", 1, "the alias *a refers to the value that contains it; a stack file cannot be recursive"),
        ("a: *nowhere\n", 1, "the alias *nowhere has no anchor &nowhere before it"),
        ("a: " + "[" * 40 + "]" * 40 + "\n", 1, "nests deeper than 32 levels; a stack file needs no more than a few"),
        ("a: " + "{b: " * 600 + "1" + "}" * 600 + "\n", 1, "nests deeper than 32 levels; a stack file needs no more than a few"),
    ],
)
def test_what_cannot_be_read_at_all_is_one_line_with_its_line(text, line, message):
    with pytest.raises(YamlFileError) as caught:
        read_text(text)
    assert (caught.value.line, caught.value.message) == (line, message)


def test_an_alias_bomb_is_refused_before_it_expands():
    layers = ["a0: &a0 [" + ", ".join(["x"] * 10) + "]"]
    layers += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    started = time.perf_counter()
    with pytest.raises(YamlFileError) as caught:
        read_text("\n".join(layers) + "\n")
    assert caught.value.message == "expands to more than 100,000 values (through aliases); a stack file needs far fewer"
    assert time.perf_counter() - started < 1


@pytest.mark.parametrize(
    ("data", "line", "message"),
    [
        ("a: é\n".encode("latin-1"), 1, "is not UTF-8 (it holds the byte 0xE9, as Latin-1 or Windows-1252 would write é); save it as UTF-8"),
        ("a: 1\n".encode("utf-16"), None, "is UTF-16 (it starts with a UTF-16 byte-order mark); save it as UTF-8"),
        ("a: 1\n".encode("utf-32"), None, "is UTF-32 (it starts with a UTF-32 byte-order mark); save it as UTF-8"),
        ("a: 1\nb: 2\n".encode("utf-16-le"), 1, "holds a NUL character (is it UTF-16 without a byte-order mark?); save it as UTF-8"),
    ],
)
def test_only_utf8_is_read(data, line, message):
    with pytest.raises(YamlFileError) as caught:
        decode(data)
    assert (caught.value.line, caught.value.message) == (line, message)


def test_a_utf8_byte_order_mark_is_fine():
    assert read_text(decode(b"\xef\xbb\xbfa: 1\n")) == ({"a": 1}, [])


def test_the_size_limit_is_checked_before_anything_is_read(tmp_path):
    path = tmp_path / "Pulumi.big.yaml"
    path.write_bytes(b"#" * (5 * 1024 * 1024))
    tracemalloc.start()
    started = time.perf_counter()
    with pytest.raises(YamlFileError) as caught:
        yamlfile.read_file(path)
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert caught.value.message == "is 5,242,880 bytes; a stack file is at most 262,144 bytes"
    assert elapsed < 0.1 and peak < 1024 * 1024


def test_stack_file_problems_name_the_file_line_and_config_path(tmp_path):
    (tmp_path / "Pulumi.yaml").write_text("name: demo\nruntime: python\n")
    project = load_project(tmp_path)
    stack = tmp_path / "Pulumi.qa.yaml"
    stack.write_text("config:\n  demo:images:\n    refresh_key: 2026-11-23\n  fleets:\n    www: {min_size: 1}\n    www: {min_size: 2}\n")
    assert load_stack_file(stack, project).problems == (
        f'{stack}:3: demo:images.refresh_key: 2026-11-23 is a date to YAML, not text; quote it ("2026-11-23") if it is text',
        f"{stack}:6: demo:fleets.www: is given twice (lines 5 and 6); YAML keeps only the last, so keep one",
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- a\n- b\n", "a stack file is a map with a `config:` key, not a list"),
        ("just text\n", "a stack file is a map with a `config:` key, not a single value"),
        ("config: [a]\n", "`config` must be a map of key → value"),
    ],
)
def test_a_stack_file_of_the_wrong_shape_is_one_line(tmp_path, text, message):
    (tmp_path / "Pulumi.yaml").write_text("name: demo\n")
    stack = tmp_path / "Pulumi.qa.yaml"
    stack.write_text(text)
    with pytest.raises(StackConfigError) as caught:
        load_stack_file(stack, load_project(tmp_path))
    assert str(caught.value) == f"{stack}: {message}"


def test_problem_is_what_read_text_returns():
    assert read_text("a: on\n")[1] == [Problem(1, ("a",), 'on is a boolean to YAML 1.1 and text to the Pulumi CLI; write true or false, or quote it ("on") if it is text')]
