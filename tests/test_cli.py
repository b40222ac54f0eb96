import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from helpers import REPO, smooth_image
from styletransfer.cli import main
from styletransfer.errors import InputError


@pytest.fixture
def folders(tmp_path):
    for kind, seeds in (("styles", (0, 1)), ("contents", (2, 3, 4))):
        (tmp_path / kind).mkdir()
        for s in seeds:
            Image.fromarray((smooth_image(s, 40, 48) * 255).astype(np.uint8)).save(tmp_path / kind / f"img{s}.png")
    return tmp_path


def test_similarity_prints_the_matrix_and_writes_a_heatmap(folders, capsys, imagenet):
    out = folders / "sim.png"
    code = main(["similarity", str(folders / "styles"), str(folders / "contents"), "--size", "48",
                 "--layers", "block1_conv1", "block2_conv1", "-o", str(out)])
    printed = capsys.readouterr().out
    assert code == 0
    assert "img2" in printed and "img4" in printed and f"wrote {out}" in printed
    assert len([line for line in printed.splitlines() if line.startswith("img")]) == 2  # one row per style
    assert Image.open(out).size[0] > 100


def test_lpips_command(tmp_path, lpips_images, capsys, imagenet):
    for name, image in zip(("a.png", "b.png"), lpips_images):
        Image.fromarray((image * 255).round().astype(np.uint8)).save(tmp_path / name)
    assert main(["lpips", str(tmp_path / "a.png"), str(tmp_path / "b.png")]) == 0
    assert "LPIPS (vgg): 0.56" in capsys.readouterr().out


def test_user_errors_exit_1_with_one_line(tmp_path, capsys):
    assert main(["similarity", str(tmp_path / "nope"), str(tmp_path)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("styletransfer: error:") and "nope: no such folder" in err and "\n" not in err


def test_bad_usage_exits_2(capsys):
    with pytest.raises(SystemExit) as info:
        main(["similarity", "--metric", "manhattan", "a", "b"])
    assert info.value.code == 2


def test_console_entry_point_runs(tmp_path):
    result = subprocess.run([sys.executable, "-m", "styletransfer", "lpips", str(tmp_path / "x.png"), str(tmp_path / "y.png")],
                            capture_output=True, text=True)
    assert result.returncode == 1 and "x.png: no such file" in result.stderr


STYLE = str(REPO / "data" / "styles" / "strokes.jpg")
PHOTO = str(REPO / "data" / "contents" / "chelsea.jpg")
MODEL = str(REPO / "data" / "generators" / "strokes.keras")


def run_cli(args, cwd):
    """The command as a user runs it: a new process. Returns (exit status, stderr lines, whether
    TensorFlow was imported)."""
    script = ("import sys; from styletransfer.cli import main; code = main(sys.argv[1:]); "
              "print('TF', 'tensorflow' in sys.modules); sys.exit(code)")
    result = subprocess.run([sys.executable, "-c", script, *args], cwd=cwd, capture_output=True, text=True)
    return result.returncode, result.stderr.splitlines(), "TF True" in result.stdout


BAD = {
    "missing input": (["stylize", "missing.jpg", STYLE, "-o", "out.png"], "missing.jpg: no such file"),
    "unknown output suffix": (["stylize", PHOTO, STYLE, "-o", "out.xyz"], "unknown suffix '.xyz'"),
    "output is a folder": (["stylize", PHOTO, STYLE, "-o", "folder.png"], "folder.png: is a folder"),
    "output below a file": (["stylize", PHOTO, STYLE, "-o", "afile/out.png"], "afile is a file, so nothing can be written"),
    "negative style weight": (["stylize", PHOTO, STYLE, "--style-weight", "-1", "-o", "o.png"], "style_weight must be"),
    "nan style weight": (["stylize", PHOTO, STYLE, "--style-weight", "nan", "-o", "o.png"], "style_weight must be"),
    "nan blend": (["stylize", PHOTO, STYLE, "--blend", "nan", "-o", "o.png"], "style_blend weight must be"),
    "negative size": (["stylize", PHOTO, STYLE, "--size", "-5", "-o", "o.png"], "size must be a whole number at least 32"),
    "size 10": (["stylize", PHOTO, STYLE, "--size", "10", "-o", "o.png"], "size must be a whole number at least 32"),
    "max side 0": (["stylize", PHOTO, STYLE, "--max-side", "0", "-o", "o.png"], "max_side must be"),
    "steps 0": (["stylize", PHOTO, STYLE, "--steps", "0", "-o", "o.png"], "steps must be a whole number at least 1"),
    "steps -1": (["stylize", PHOTO, STYLE, "--steps", "-1", "-o", "o.png"], "steps must be a whole number at least 1"),
    "output is the input": (["stylize", "photo.jpg", STYLE, "-o", "photo.jpg"], "is also an input"),
    "heatmap suffix": (["similarity", str(REPO / "data" / "styles"), str(REPO / "data" / "contents"), "-o", "s.xyz"],
                       "unknown suffix '.xyz'"),
    "not a model": (["apply", "bad.keras", PHOTO, "-o", "r"], "bad.keras: not a saved model"),
    "apply into r.xyz": (["apply", MODEL, PHOTO, "-o", "r.xyz"], "unknown image suffix '.xyz'"),
    "apply over its input": (["apply", MODEL, "photo.jpg", "-o", "photo.jpg"], "is also an input"),
    "train nan learning rate": (["train", "--content", ".", "--style", STYLE, "--out", "run", "--learning-rate", "nan"],
                                "learning_rate must be a finite number above 0"),
    "train negative learning rate": (["train", "--content", ".", "--style", STYLE, "--out", "run",
                                      "--learning-rate", "-1"], "learning_rate must be"),
    "train into a file": (["train", "--content", ".", "--style", STYLE, "--out", "afile"], "afile: exists and is not a folder"),
    "anystyle missing decoder": (["anystyle", PHOTO, STYLE, "-o", "o.png", "--decoder", "missing.keras"],
                                 "missing.keras: no such model file"),
    "anystyle not a decoder file": (["anystyle", PHOTO, STYLE, "-o", "o.png", "--decoder", "bad.keras"], "not a saved model"),
    "anystyle alpha 2": (["anystyle", PHOTO, STYLE, "-o", "o.png", "--decoder", MODEL, "--alpha", "2"], "--alpha must be"),
    "anystyle zero weights": (["anystyle", PHOTO, STYLE, STYLE, "-o", "o.png", "--decoder", MODEL, "--weights", "0", "0"],
                              "the weights must not all be 0"),
    "anystyle one weight for two": (["anystyle", PHOTO, STYLE, STYLE, "-o", "o.png", "--decoder", MODEL, "--weights", "1"],
                                    "--weights needs 2 weights"),
    "anystyle mask and weights": (["anystyle", PHOTO, STYLE, STYLE, "-o", "o.png", "--decoder", MODEL, "--weights", "1", "1",
                                   "--mask", PHOTO], "does not combine"),
    "anystyle missing mask": (["anystyle", PHOTO, STYLE, "-o", "o.png", "--decoder", MODEL, "--mask", "m.png"],
                              "m.png: no such file"),
    "anystyle empty folder": (["anystyle", "empty", STYLE, "-o", "out", "--decoder", MODEL], "empty: no images"),
    "anystyle over its input": (["anystyle", "photo.jpg", STYLE, "-o", "photo.jpg", "--decoder", MODEL], "is also an input"),
    "train-decoder no styles": (["train-decoder", "--content", ".", "--out", "run", "--drawn", "0.5"], "without --style"),
    "train-decoder drawn 2": (["train-decoder", "--content", ".", "--style", STYLE, "--out", "run", "--drawn", "2"],
                              "drawn must be"),
    "train-decoder width 0": (["train-decoder", "--content", ".", "--out", "run", "--width", "0"], "width must be"),
    "train-decoder into a file": (["train-decoder", "--content", ".", "--out", "afile"], "afile: exists and is not a folder"),
    "lpips missing": (["lpips", PHOTO, "missing.png"], "missing.png: no such file"),
    "lpips max side": (["lpips", PHOTO, PHOTO, "--max-side", "0"], "--max-side must be"),
}


@pytest.fixture
def workdir(tmp_path):
    shutil.copy(PHOTO, tmp_path / "photo.jpg")
    (tmp_path / "afile").write_text("a file")
    (tmp_path / "folder.png").mkdir()
    (tmp_path / "bad.keras").write_text("not a zip archive")
    (tmp_path / "empty").mkdir()
    return tmp_path


@pytest.mark.parametrize("case", list(BAD))
def test_a_bad_command_prints_one_line_exits_1_writes_nothing_and_never_loads_tensorflow(workdir, case):
    args, message = BAD[case]
    before = {p: p.stat().st_mtime_ns for p in workdir.rglob("*")}
    code, err, loaded_tensorflow = run_cli(args, workdir)
    assert code == 1 and len(err) == 1 and err[0].startswith("styletransfer: error:") and message in err[0], err
    assert not loaded_tensorflow  # answered before TensorFlow's start-up
    assert {p: p.stat().st_mtime_ns for p in workdir.rglob("*")} == before


def test_bad_usage_is_one_line_too(workdir):
    result = subprocess.run([sys.executable, "-m", "styletransfer", "stylize", PHOTO, STYLE, "--size", "abc", "-o", "o.png"],
                            cwd=workdir, capture_output=True, text=True)
    assert result.returncode == 2 and len(result.stderr.splitlines()) == 1 and "invalid int value" in result.stderr


def test_apply_names_outputs_so_no_two_inputs_share_one(tmp_path):
    from styletransfer.cli import apply_targets

    assert apply_targets(["a/x.jpg"], tmp_path / "one.png") == [tmp_path / "one.png"]
    assert apply_targets(["a/good.jpg", "b/good.png", "c/other.jpg"], tmp_path / "out") == [
        tmp_path / "out" / "good_jpg.png", tmp_path / "out" / "good_png.png", tmp_path / "out" / "other.png"]
    with pytest.raises(InputError, match="give a folder"):
        apply_targets(["x.jpg", "y.jpg"], tmp_path / "one.png")
    with pytest.raises(InputError, match="would both be written to good_jpg.png"):
        apply_targets(["a/good.jpg", "b/good.jpg"], tmp_path / "out")
    (tmp_path / "results.v2").mkdir()
    assert apply_targets(["x.jpg"], tmp_path / "results.v2") == [tmp_path / "results.v2" / "x.png"]


def test_output_equal_to_input_is_written_with_overwrite(workdir, capsys):
    before = (workdir / "photo.jpg").read_bytes()
    assert main(["apply", MODEL, str(workdir / "photo.jpg"), "-o", str(workdir / "photo.jpg"), "--overwrite"]) == 0
    assert (workdir / "photo.jpg").read_bytes() != before


def test_a_write_that_fails_late_is_one_line(workdir, capsys, monkeypatch):
    import styletransfer.images as images

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device", str(workdir / "out.png"))

    monkeypatch.setattr(images, "atomic_path", full_disk)
    assert main(["apply", MODEL, PHOTO, "-o", str(workdir / "out.png")]) == 1
    err = capsys.readouterr().err.strip()
    assert err == f"styletransfer: error: {workdir / 'out.png'}: No space left on device"


QUIET = """
import numpy as np
from styletransfer import tutorial
from styletransfer.features import FeatureExtractor
from styletransfer.gan import loss_layers, train_generator
from styletransfer.generator import apply
import sys
tutorial.setup(seed=0)
extractor = FeatureExtractor(loss_layers(), weights=None)
style = np.random.default_rng(0).uniform(size=(48, 48, 3)).astype(np.float32)
run = train_generator(sys.argv[1], style, sys.argv[2], steps=2, size=32, batch=2, width=4, res_blocks=1,
                      progress=False, extractor=extractor)
for shape in ((40, 48), (56, 40), (300, 200), (64, 64), (1100, 70)):   # new sizes, and tiles
    apply(run.generator, np.zeros((*shape, 3), np.float32), tile=512)
"""


def test_importing_training_and_applying_print_nothing_on_stderr(tmp_path):
    """No TensorFlow start-up lines, no graph-optimiser error, no retracing warnings."""
    (tmp_path / "photos").mkdir()
    for i in range(2):
        Image.fromarray((smooth_image(i, 40, 48) * 255).astype(np.uint8)).save(tmp_path / "photos" / f"p{i}.png")
    result = subprocess.run([sys.executable, "-c", QUIET, str(tmp_path / "photos"), str(tmp_path / "run")],
                            capture_output=True, text=True)
    assert result.returncode == 0 and result.stderr == "", result.stderr[-2000:]
    verbose = subprocess.run([sys.executable, "-c", "import styletransfer.features"], capture_output=True, text=True,
                             env={**os.environ, "STYLETRANSFER_VERBOSE": "1"})
    assert "oneDNN" in verbose.stderr or "cuda" in verbose.stderr  # the lines are there, only kept off the terminal


def test_a_warning_is_one_line_and_the_command_still_succeeds(workdir, imagenet):
    code, err, _ = run_cli(["lpips", PHOTO, PHOTO], workdir)
    assert code == 0 and err == []  # nothing on stderr when nothing is wrong
    Image.open(PHOTO).resize((1200, 800)).save(workdir / "big.png")
    code, err, _ = run_cli(["lpips", "big.png", "big.png", "--net", "alex"], workdir)  # AlexNet: the cheaper pass
    assert code == 0 and err == ["styletransfer: warning: lpips: 1200x800 px images downscaled to at most 1024 px a side "
                                 "(--max-side)"]


def test_anystyle_stylises_a_photo_and_a_folder_and_train_decoder_trains_one(tmp_path, capsys, imagenet):
    from styletransfer.adain import Decoder, load_decoder

    decoder = Decoder(width=4)
    decoder.build()
    decoder.save(tmp_path / "d.keras")
    photos = tmp_path / "photos"
    photos.mkdir()
    for s in (0, 1):
        Image.fromarray((smooth_image(s, 40, 56) * 255).astype(np.uint8)).save(photos / f"p{s}.png")
    style = tmp_path / "style.png"
    Image.fromarray((smooth_image(2, 48, 48) * 255).astype(np.uint8)).save(style)
    assert main(["anystyle", str(photos / "p0.png"), str(style), "-o", str(tmp_path / "one.jpg"), "--decoder",
                 str(tmp_path / "d.keras"), "--alpha", "0.5"]) == 0
    assert Image.open(tmp_path / "one.jpg").size == (56, 40)
    assert main(["anystyle", str(photos), str(style), str(style), "-o", str(tmp_path / "out"), "--decoder",
                 str(tmp_path / "d.keras"), "--weights", "1", "3"]) == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["p0.png", "p1.png"]
    assert main(["train-decoder", "--content", str(photos), "--out", str(tmp_path / "run"), "--steps", "2", "--size", "32",
                 "--batch", "2", "--width", "4"]) == 0
    assert "wrote" in capsys.readouterr().out and load_decoder(tmp_path / "run" / "decoder.keras").width == 4
    assert main(["train-decoder", "--content", str(photos), "--out", str(tmp_path / "run2"), "--steps", "1", "--size", "32",
                 "--batch", "2", "--width", "4", "--init", str(tmp_path / "run" / "decoder.keras")]) == 0
    capsys.readouterr()
    assert main(["train-decoder", "--content", str(photos), "--out", str(tmp_path / "run3"), "--init",
                 str(tmp_path / "missing.keras")]) == 1 and not (tmp_path / "run3").exists()
    assert capsys.readouterr().err.strip().endswith("missing.keras: no such model file")


@pytest.mark.slow
def test_kill_stops_training_with_a_checkpoint(tmp_path, imagenet):
    """SIGTERM (kill, a job scheduler) stops `train` as Ctrl-C does: a checkpoint, then exit 130."""
    import signal
    import time

    photos = tmp_path / "photos"
    photos.mkdir()
    Image.fromarray((smooth_image(0, 48, 48) * 255).astype(np.uint8)).save(photos / "p.png")
    process = subprocess.Popen([sys.executable, "-m", "styletransfer", "train", "--content", str(photos), "--style", STYLE,
                                "--out", str(tmp_path / "run"), "--steps", "100000", "--size", "32", "--batch", "2",
                                "--width", "4", "--res-blocks", "1", "--checkpoint-every", "100000", "--sample-every", "1"],
                               stderr=subprocess.PIPE, text=True)
    history, samples = tmp_path / "run" / "history.jsonl", tmp_path / "run" / "samples"
    deadline = time.monotonic() + 300
    while not (samples.is_dir() and any(samples.iterdir())) and time.monotonic() < deadline:
        time.sleep(1)  # until training has taken a step
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130 and "interrupted" in err
    steps = len(history.read_text().splitlines())
    assert steps > 0 and (tmp_path / "run" / "checkpoints" / f"ckpt-{steps}.index").is_file()
