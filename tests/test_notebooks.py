"""The stored notebooks: one per chapter, in reading order, with the agreed structure and
no outputs except the small text references nbval checks. (nbval runs them: see pyproject.toml.)"""

import json
import re

import pytest

from helpers import REPO

CHAPTERS = [
    "01_background_and_tour",
    "02_transfer_learning",
    "03_cnn_math",
    "04_feature_extraction",
    "05_style_and_similarity",
    "06_optimization_stylization",
    "07_gan_generator",
    "08_any_style",
    "09_evaluation_and_outlook",
]
MARKER = "# NBVAL_CHECK_OUTPUT"


def load(name):
    return json.loads((REPO / "notebooks" / f"{name}.ipynb").read_text())


def test_one_notebook_per_chapter_in_reading_order():
    stored = sorted(p.stem for p in (REPO / "notebooks").glob("*.ipynb"))
    assert stored == CHAPTERS


@pytest.mark.parametrize("name", CHAPTERS)
def test_structure_purpose_setup_summary_exercises(name):
    cells = load(name)["cells"]
    markdown = ["".join(c["source"]) for c in cells if c["cell_type"] == "markdown"]
    assert markdown[0].startswith("# ") and "**Purpose.**" in markdown[0]
    assert "## Setup" in markdown[1]
    assert any("## Summary" in m for m in markdown[-3:]) and "## Exercises" in markdown[-1]
    setup = "".join(cells[2]["source"])
    assert "tutorial.setup(" in setup and "from styletransfer" in setup


@pytest.mark.parametrize("name", CHAPTERS)
def test_only_checked_cells_keep_text_outputs(name):
    nb = load(name)
    assert "widgets" not in nb["metadata"]
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        if source.startswith(MARKER):
            assert cell["outputs"], f"checked cell without a reference output: {source[:60]!r}"
            assert cell["execution_count"] is not None
            for output in cell["outputs"]:
                assert output["output_type"] in ("stream", "execute_result")
                assert set(output.get("data", {})) <= {"text/plain"}
        else:
            assert cell["outputs"] == [] and cell["execution_count"] is None, f"stored output in {name}: {source[:60]!r}"


@pytest.mark.parametrize("name", CHAPTERS)
def test_every_cell_has_an_id(name):
    nb = load(name)
    ids = [cell.get("id") for cell in nb["cells"]]
    assert (nb["nbformat"], nb["nbformat_minor"]) >= (4, 5) and all(ids) and len(set(ids)) == len(ids)


@pytest.mark.parametrize("name", CHAPTERS)
def test_cells_are_short(name):
    for cell in load(name)["cells"]:
        if cell["cell_type"] == "code":
            assert len("".join(cell["source"]).splitlines()) <= 25


@pytest.mark.parametrize("name", CHAPTERS)
def test_first_cell_states_the_measured_full_mode_time(name):
    first = "".join(load(name)["cells"][0]["source"])
    assert re.search(r"Full mode takes about [\d.]+ (s|min) on two CPU cores", first), first[-200:]


@pytest.mark.parametrize("name", CHAPTERS)
def test_claims_are_checked_by_assertions(name):
    code = "\n".join("".join(c["source"]) for c in load(name)["cells"] if c["cell_type"] == "code")
    assert len(re.findall(r"^\s*(assert |np\.testing\.assert_)", code, re.M)) >= 3


def test_every_paper_a_notebook_links_is_in_the_references():
    references = (REPO / "docs" / "references.md").read_text()
    for name in CHAPTERS:
        text = "\n".join("".join(c["source"]) for c in load(name)["cells"] if c["cell_type"] == "markdown")
        for link in re.findall(r"\]\((https?://[^)\s]+)\)", text):
            assert link in references, f"{name} links {link}, which docs/references.md does not list"


def test_every_chapter_has_a_solutions_notebook_and_nothing_else_is_there():
    solved = sorted(p.stem.removesuffix("_solutions") for p in (REPO / "notebooks" / "solutions").glob("*.ipynb"))
    assert solved == CHAPTERS


@pytest.mark.parametrize("name", CHAPTERS)
def test_every_exercise_has_a_worked_solution_that_ends_in_an_assertion(name):
    exercises = "".join(load(name)["cells"][-1]["source"]).split("## Exercises")[1]
    assert f"`solutions/{name}_solutions.ipynb`" in exercises  # the chapter says where they are
    numbers = [int(n) for n in re.findall(r"^(\d+)\. ", exercises, re.M)]
    sections = {}  # exercise number -> the code of its cells
    for cell in load(f"solutions/{name}_solutions")["cells"]:
        source = "".join(cell["source"])
        if cell["cell_type"] == "markdown":
            sections.update({int(n): [] for n in re.findall(r"^## Exercise (\d+):", source, re.M)})
        elif sections:
            sections[max(sections)].append(source)
    assert list(sections) == numbers == list(range(1, len(numbers) + 1))
    for number, code in sections.items():
        assert code and re.search(r"^\s*assert ", code[-1], re.M), f"exercise {number} of {name}"


TIME = r"[\d.]+ (?:min|s)"
TIMING_COLUMNS = ("full mode", "full mode, slower CPU", "fast mode")


def timing_table(path):
    """{chapter: (full mode, full mode on the slower CPU, fast mode)} from the table whose header
    starts with `| notebook | full mode |`, read by its column names."""
    def cells(line):
        return [cell.strip() for cell in line.strip("|").split("|")]

    lines = path.read_text().splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("| notebook | full mode |")), None)
    assert start is not None, f"{path.name} has no table of notebook times"
    header = cells(lines[start])
    columns = [header.index(name) for name in TIMING_COLUMNS]
    table = {}
    for line in lines[start + 2:]:
        row = cells(line)
        if not (match := re.fullmatch(r"`(\d\d_\w+)`", row[0])):
            break
        times = tuple(row[c] for c in columns)
        assert all(re.fullmatch(TIME, t) for t in times), f"{path.name}: {line}"
        table[match[1]] = times
    assert list(table) == CHAPTERS, f"{path.name} lists every chapter in order"
    return table


def test_the_measured_times_agree_in_the_readme_the_course_outline_and_each_chapter():
    readme, course = timing_table(REPO / "README.md"), timing_table(REPO / "docs" / "course.md")
    assert readme == course
    for name, (full, slower, fast) in readme.items():
        first = "".join(load(name)["cells"][0]["source"])
        stated = (
            rf"Full mode takes about {re.escape(full)} on two CPU cores, {re.escape(slower)} on a slower CPU"
            rf" \(`docs/course.md` names both\); fast mode( \([^)]*\))? about {re.escape(fast)}\."
        )
        assert re.search(stated, first), name
