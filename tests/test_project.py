"""Checks on the project files themselves: install metadata, CI and README agree."""

import re
import tomllib

from helpers import REPO


def _name(requirement):
    return re.split(r"[<>=!~\[ ;]", requirement.strip(), maxsplit=1)[0].lower()


def _environment_packages():
    conda, pip, section = set(), set(), None
    for line in (REPO / "environment.yml").read_text().splitlines():
        stripped = line.split("#")[0].rstrip()
        if re.match(r"^\S", stripped):
            section = stripped.rstrip(":")
        elif section == "dependencies" and stripped.strip().startswith("- "):
            item = stripped.strip()[2:].strip()
            if line.startswith("      - "):
                pip.add(item)
            elif item != "pip:":
                conda.add(item)
    return conda, pip


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    wanted = {_name(r) for r in project["dependencies"] + project["optional-dependencies"]["dev"]}
    conda, pip = _environment_packages()
    assert "python=3.11" in conda and "-e ." in pip
    provided = {_name(r) for r in conda | pip if r not in ("-e .",)} - {"python", "pip"}
    assert provided == wanted


def test_ci_runs_the_readme_test_command():
    readme = (REPO / "README.md").read_text()
    ci = (REPO / ".ci" / "run").read_text()
    commands = re.findall(r"```(?:bash|sh)\n(.*?)```", readme, re.S)
    test_command = next(c.strip() for c in commands if "pytest" in c)
    assert test_command in ci



def test_fast_mode_switch(monkeypatch):
    from styletransfer import tutorial

    monkeypatch.setenv(tutorial.FAST_ENV, "1")
    assert tutorial.fast_mode() and tutorial.choose(full=384, fast=64) == 64
    monkeypatch.setenv(tutorial.FAST_ENV, "0")
    assert not tutorial.fast_mode() and tutorial.choose(full=384, fast=64) == 384
    monkeypatch.delenv(tutorial.FAST_ENV)
    assert tutorial.choose(full=1, fast=2) == 1
    assert (tutorial.data_dir() / "contents" / "chelsea.jpg").is_file()


def test_every_sample_image_is_small_and_has_its_origin_recorded():
    sources = (REPO / "data" / "SOURCES.md").read_text()
    images = [p for folder in ("contents", "training", "held_out", "held_out_styles", "styles") for p in sorted((REPO / "data" / folder).iterdir())]
    assert len(images) >= 17
    for path in images:
        assert path.stat().st_size < 100_000, path
        assert f"`{path.name}`" in sources, path


def test_every_bundled_generator_is_small_documented_and_named_after_its_style():
    from styletransfer.generator import Generator, load_generator

    sources = (REPO / "data" / "SOURCES.md").read_text()
    readme = (REPO / "README.md").read_text()
    models = sorted((REPO / "data" / "generators").glob("*.keras"))
    assert models
    for path in models:
        assert path.stat().st_size < 5_000_000, path
        assert f"`{path.name}`" in sources, path
        assert (REPO / "data" / "styles" / f"{path.stem}.jpg").is_file(), path
        assert re.search(rf"--style data/styles/{path.stem}\.jpg --out runs/{path.stem} ", readme), path  # its command
        assert isinstance(load_generator(path), Generator)


def test_the_bundled_decoder_is_small_documented_and_loads():
    from styletransfer.adain import Decoder, load_decoder

    path = REPO / "data" / "decoders" / "adain.keras"
    sources = (REPO / "data" / "SOURCES.md").read_text()
    readme = (REPO / "README.md").read_text()
    assert path.stat().st_size < 20_000_000
    assert "`adain.keras`" in sources
    assert "train-decoder --content" in readme and "--out runs/adain " in readme  # the first run's command
    assert "train-decoder --init runs/adain/decoder.keras" in readme and "--out runs/adain-paintings" in readme  # the second's
    decoder = load_decoder(path)
    assert isinstance(decoder, Decoder) and decoder.count_params() == 2_915_139
