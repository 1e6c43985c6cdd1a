"""Images are data: a new image is a folder, one entry and a service, with no code change; a
half-configured one is refused with its path, never a traceback."""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path

import pytest
import yaml

from showrunner.cli import main
from showrunner.config import ConfigError, load_settings
from showrunner.config.images import project_images
from showrunner.engine import run_stack
from tests.conftest import PROJECT_DIR, one
from tests.unit.config.test_loading import valid

SEARCH_SERVICE = {
    "type": "web",
    "image": "search",
    "command": "/micro",
    "fleet": "micro",
    "ports": ["8081:8080"],
    "route": {"paths": ["/api/search/*"], "priority": 20},
}


def copy_project(target: Path) -> Path:
    """The program, its project and staging stack files and its images/, as a user's clone has them."""
    for name in ("__main__.py", "Pulumi.yaml", "Pulumi.staging.yaml"):
        shutil.copy(PROJECT_DIR / name, target / name)
    shutil.copytree(PROJECT_DIR / "images", target / "images", ignore=shutil.ignore_patterns("wheelhouse*", "__pycache__"))
    return target


def add_image(project: Path, entry: dict | None, *, folder: bool = True, service: dict | None = SEARCH_SERVICE) -> None:
    """What a user does to add the Go service `search`: copy micro's sources, one entry, one service."""
    if folder:
        shutil.copytree(project / "images" / "micro", project / "images" / "search")
    document = yaml.safe_load((project / "Pulumi.yaml").read_text())
    if entry is not None:
        document["config"]["images"]["value"]["search"] = entry
    if service is not None:
        document["config"]["services"]["value"]["search"] = service
    (project / "Pulumi.yaml").write_text(yaml.safe_dump(document, sort_keys=False))


@pytest.fixture(scope="module")
def with_search(tmp_path_factory):
    project = copy_project(tmp_path_factory.mktemp("search"))
    add_image(project, {})
    return run_stack(project, "staging")


def test_a_new_image_gets_its_repository_and_build(with_search):
    repository = one(with_search, "aws:ecr/repository:Repository", "images-search")
    assert repository.inputs["name"] == "showrunner/staging/search"
    assert repository.inputs["tags"]["Image"] == "search"
    assert one(with_search, "aws:ecr/lifecyclePolicy:LifecyclePolicy", "images-search-lifecycle").inputs["repository"] == "showrunner/staging/search"
    build = one(with_search, "docker:index/image:Image", "images-search").inputs["build"]
    assert build["context"].endswith("images/search") and build["dockerfile"].endswith("images/search/Dockerfile")
    assert build["args"] == {"BUILDKIT_INLINE_CACHE": "1"}  # no parent, not weekly: like micro
    assert with_search.outputs["image_digests"]["search"].startswith("123456789012.dkr.ecr.us-east-1.amazonaws.com/showrunner/staging/search@sha256:")


def test_the_fleet_running_it_may_pull_it_and_its_hosts_run_its_digest(with_search):
    policy = json.loads(one(with_search, "aws:iam/rolePolicy:RolePolicy", "micro-role-policy").inputs["policy"])
    pulls = next(s for s in policy["Statement"] if s["Sid"] == "EcrPullStackRepositories")
    assert pulls["Resource"] == [
        "arn:aws:ecr:us-east-1:123456789012:repository/showrunner/staging/micro",
        "arn:aws:ecr:us-east-1:123456789012:repository/showrunner/staging/search",
    ]
    user_data = one(with_search, "aws:ec2/launchTemplate:LaunchTemplate", "micro-lt").inputs["userData"]
    assert with_search.outputs["image_digests"]["search"] in base64.b64decode(user_data).decode()


def test_the_other_fleets_are_not_granted_it(with_search):
    policy = json.loads(one(with_search, "aws:iam/rolePolicy:RolePolicy", "www-role-policy").inputs["policy"])
    pulls = next(s for s in policy["Statement"] if s["Sid"] == "EcrPullStackRepositories")
    assert not any(arn.endswith("/search") for arn in pulls["Resource"])


def test_the_tools_see_it_in_dependency_order(tmp_path):
    project = copy_project(tmp_path)
    add_image(project, {"parent": "base"}, folder=False, service=SEARCH_SERVICE)
    (project / "images" / "search").mkdir()
    (project / "images" / "search" / "Dockerfile").write_text("ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\n")
    images = project_images(project)
    assert images.order == ["base", "www", "micro", "search"]
    assert images.run == {"www", "micro", "search"}
    assert images.context("search") == project / "images" / "search"


# --- half-configured: refused with the path, one line each, no traceback ------------------------


@pytest.mark.parametrize(
    ("entry", "folder", "service", "expected"),
    [
        ({}, False, SEARCH_SERVICE,
         "showrunner:images.search: images/search/ does not exist (the build context defaults to the entry's name); "
         "an image needs a folder under images/ with its Dockerfile and sources"),
        (None, True, SEARCH_SERVICE,
         'showrunner:services.search.image: image "search" is not defined in showrunner:images (defined: base, micro, www); '
         'add an entry and its folder images/search/, or name an ECR image pinned by digest like "public.ecr.aws/org/name@sha256:…"'),
        ({"parent": "bsae"}, True, SEARCH_SERVICE,
         'showrunner:images.search.parent: image "bsae" is not defined in showrunner:images (defined: base, micro, search, www)'),
    ],
    ids=["entry without folder", "service naming an image with no entry", "parent typo"],
)
def test_a_half_configured_image_is_refused_by_the_preview_with_its_path(tmp_path, capsys, entry, folder, service, expected):
    project = copy_project(tmp_path)
    add_image(project, entry, folder=folder, service=service)
    code = main(["--project-dir", str(project), "preview", "--stack", "staging"])
    err = capsys.readouterr().err
    assert code in (1, 2) and "Traceback" not in err
    assert [line.strip() for line in err.splitlines()[1:]] == [expected]


# --- the folder checks ---------------------------------------------------------------------------


def problems_in(project_dir: Path, change) -> list[str]:
    config = valid()
    change(config)
    with pytest.raises(ConfigError) as caught:
        load_settings(config, project="showrunner", stack="qa", project_dir=project_dir)
    return caught.value.problems


def test_this_projects_images_pass_the_folder_checks():
    load_settings(valid(), project="showrunner", stack="qa", project_dir=PROJECT_DIR)


def _set(path: str, value):
    def change(config: dict) -> None:
        *parents, last = path.split(".")
        node = config
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = value

    return change


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (_set("images.search", {"context": "go/search"}),
         "showrunner:images.search.context: images/go/search/ does not exist; an image needs a folder under images/ with its Dockerfile and sources"),
        (_set("images.golden", {}), "showrunner:images.golden: images/golden/ has no Dockerfile"),
        (_set("images.micro.test_target", "test"),
         'showrunner:images.micro.test_target: stage "test" is not defined in images/micro/Dockerfile (its stages: build; a stage is named by FROM … AS <stage>)'),
        (_set("images.www.target", "relase"),
         'showrunner:images.www.target: stage "relase" is not defined in images/www/Dockerfile (its stages: compiled, test, bytecode, release; a stage is named by FROM … AS <stage>)'),
        (_set("images.micro.parent", "base"),
         "showrunner:images.micro.parent: images/micro/Dockerfile declares no ARG BASE_IMAGE, so the parent's digest would not reach the build; "
         "declare it (ARG BASE_IMAGE, then FROM ${BASE_IMAGE})"),
        (_set("images.www.parent_build_arg", "PARENT"),
         "showrunner:images.www.parent_build_arg: images/www/Dockerfile declares no ARG PARENT, so the parent's digest would not reach the build; "
         "declare it (ARG PARENT, then FROM ${PARENT})"),
        (_set("images.micro.weekly", True),
         "showrunner:images.micro.weekly: images/micro/Dockerfile declares no ARG REFRESH_KEY, so a new week would reuse the cached layers; "
         "use it in the step that installs the OS updates"),
    ],
    ids=["context missing", "folder without Dockerfile", "test stage missing", "target typo", "parent argument missing",
         "named parent argument missing", "weekly without REFRESH_KEY"],
)
def test_what_an_entry_asks_of_its_folder_is_checked(change, expected):
    assert problems_in(PROJECT_DIR, change) == [expected]


# --- tools/build-images follows the list ---------------------------------------------------------


def build_driver(monkeypatch, root: Path):
    """tools/build-images with Docker replaced by a recorder, reading the project at `root`."""
    from showrunner.scripts import load_script

    driver = load_script(PROJECT_DIR / "tools" / "build-images", "build_images_under_test")
    calls = []
    monkeypatch.setattr(driver, "ROOT", root)
    monkeypatch.setattr(driver, "IMAGES", root / "images")
    monkeypatch.setattr(driver, "docker_build", lambda context, tag, args, target=None, no_cache=False: calls.append(
        (str(Path(context).relative_to(root)), tag, args, target)) or 1.0)
    monkeypatch.setattr(driver, "upstream_args", lambda: {"UPSTREAM_IMAGE": "upstream:slim", "GO_IMAGE": "upstream:go"})
    monkeypatch.setattr(driver, "wheelhouses", lambda: None)
    monkeypatch.setenv("REFRESH_KEY", "2026-W01")
    return driver, calls


def test_build_images_builds_every_configured_image_after_its_parent_with_the_arguments_it_declares(monkeypatch, tmp_path):
    project = copy_project(tmp_path)
    add_image(project, {"parent": "base", "test_target": "build"}, folder=False)
    (project / "images" / "search").mkdir()
    (project / "images" / "search" / "Dockerfile").write_text("ARG BASE_IMAGE\nARG GO_IMAGE\nFROM ${GO_IMAGE} AS build\nFROM ${BASE_IMAGE}\n")
    driver, calls = build_driver(monkeypatch, project)
    driver.build_all()
    assert calls == [
        ("images/base", "showrunner/base:local", {"UPSTREAM_IMAGE": "upstream:slim", "REFRESH_KEY": "2026-W01"}, None),
        ("images/www", "showrunner/www-test:local", {"BASE_IMAGE": "showrunner/base:local"}, "test"),
        ("images/www", "showrunner/www:local", {"BASE_IMAGE": "showrunner/base:local"}, "release"),
        ("images/micro", "showrunner/micro:local", {"GO_IMAGE": "upstream:go"}, None),
        ("images/search", "showrunner/search-test:local", {"GO_IMAGE": "upstream:go", "BASE_IMAGE": "showrunner/base:local"}, "build"),
        ("images/search", "showrunner/search:local", {"GO_IMAGE": "upstream:go", "BASE_IMAGE": "showrunner/base:local"}, None),
    ]
    assert sorted(driver.configured().run) == ["micro", "search", "www"]  # what `push` pushes


def test_build_images_stops_with_the_config_problem_not_a_traceback(monkeypatch, tmp_path):
    project = copy_project(tmp_path)
    add_image(project, {"parent": "bsae"})
    driver, calls = build_driver(monkeypatch, project)
    with pytest.raises(driver.BuildError) as error:
        driver.build_all()
    assert str(error.value) == 'Pulumi.yaml: showrunner:images.search.parent: image "bsae" is not defined in showrunner:images (defined: base, micro, search, www)'
    assert calls == []
