import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from helpers import smooth_image
from styletransfer.cli import main


@pytest.fixture
def folders(tmp_path):
    for kind, seeds in (("styles", (0, 1)), ("contents", (2, 3, 4))):
        (tmp_path / kind).mkdir()
        for s in seeds:
            Image.fromarray((smooth_image(s, 40, 48) * 255).astype(np.uint8)).save(tmp_path / kind / f"img{s}.png")
    return tmp_path


def test_similarity_prints_the_matrix_and_writes_a_heatmap(folders, capsys):
    out = folders / "sim.png"
    code = main(["similarity", str(folders / "styles"), str(folders / "contents"), "--size", "48",
                 "--layers", "block1_conv1", "block2_conv1", "-o", str(out)])
    printed = capsys.readouterr().out
    assert code == 0
    assert "img2" in printed and "img4" in printed and f"wrote {out}" in printed
    assert len([line for line in printed.splitlines() if line.startswith("img")]) == 2  # one row per style
    assert Image.open(out).size[0] > 100


def test_lpips_command(tmp_path, lpips_images, capsys):
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
