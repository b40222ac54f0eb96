import numpy as np
import pytest
from PIL import Image

from helpers import smooth_image
from styletransfer.features import FeatureExtractor
from styletransfer.images import save_image
from styletransfer.optimize import CONTENT_LAYERS, STYLE_LAYERS
from styletransfer.widgets import StylizePanel, png_bytes


def test_png_bytes_round_trip():
    image = smooth_image(1, 40, 32)
    import io

    back = np.asarray(Image.open(io.BytesIO(png_bytes(image))), np.float32) / 255
    assert back.shape == (40, 32, 3) and np.abs(back - image).max() <= 0.5 / 255 + 1e-6


@pytest.fixture
def folders(tmp_path):
    for name, seed in [("contents/a.png", 1), ("contents/b.png", 2), ("styles/s.png", 3)]:
        save_image(tmp_path / name, smooth_image(seed, 48, 48))
    (tmp_path / "contents" / "notes.txt").write_text("not an image")
    return tmp_path / "contents", tmp_path / "styles"


def test_panel_lists_images_and_runs_with_live_preview(folders):
    extractor = FeatureExtractor(list(CONTENT_LAYERS) + list(STYLE_LAYERS), weights=None)
    panel = StylizePanel(*folders, size=32, steps=4, preview_every=2, extractor=extractor)
    assert [label for label, _ in panel.content.options] == ["a", "b"]
    assert "application/vnd.jupyter.widget-view+json" in panel._repr_mimebundle_()
    shown = []
    panel.preview.observe(lambda change: shown.append(change["new"]), names="value")
    panel.steps.value = 10
    panel.run_button.click()
    assert panel.result is not None and len(panel.result.history) == 10
    assert len(shown) >= 1 + 10 // 2  # the content first, then every 2 steps, then the result
    assert panel.status.value.startswith("step 10") and not panel.run_button.disabled
    assert panel.progress.value == panel.progress.max == 10 and panel.progress.bar_style == "success"


def test_panel_progress_counts_every_level_and_fills_when_converged(folders):
    extractor = FeatureExtractor(list(CONTENT_LAYERS) + list(STYLE_LAYERS), weights=None)
    seen = []
    panel = StylizePanel(*folders, size=32, steps=10, preview_every=1, extractor=extractor, levels=2, tol=0.5, window=2)
    panel.progress.observe(lambda change: seen.append(change["new"]), names="value")
    panel.run()
    assert panel.progress.max == 20 and len(panel.result.history) < 20  # converged before the last step
    assert seen[-1] == 20 and seen[1:-1] == sorted(seen[1:-1]) and panel.progress.bar_style == "success"


def test_panel_reports_errors_in_its_status(folders):
    panel = StylizePanel(*folders, size=32, steps=2, weights=None, net="no-such-net")
    panel.run()
    assert panel.status.value.startswith("error:") and panel.result is None
    assert panel.progress.bar_style == "danger"
