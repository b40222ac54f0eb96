import matplotlib

matplotlib.use("Agg")

import numpy as np

from styletransfer import plotting


def test_show_images_draws_each_image_with_its_title():
    images = [np.full((4, 4, 3), v, np.float32) for v in (0.0, 0.5, 1.0)]
    fig = plotting.show_images(images, titles=["a", "b", "c"], columns=2)
    drawn = [ax for ax in fig.axes if ax.images]
    assert [ax.get_title() for ax in drawn] == ["a", "b", "c"]
    np.testing.assert_array_equal(drawn[1].images[0].get_array(), images[1])


def test_similarity_heatmap_writes_every_value():
    matrix = np.array([[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]])
    fig = plotting.similarity_heatmap(matrix, ["r1", "r2", "r3"], ["c1", "c2"])
    texts = sorted(t.get_text() for t in fig.axes[0].texts)
    assert texts == ["0.1", "0.2", "0.3", "0.4", "0.5", "0.6"]


def test_feature_grid_shows_the_requested_channels():
    maps = np.random.default_rng(0).random((5, 6, 20))
    fig = plotting.feature_grid(maps, channels=10, columns=4)
    drawn = [ax for ax in fig.axes if ax.images]
    assert len(drawn) == 10
    np.testing.assert_array_equal(drawn[3].images[0].get_array(), maps[..., 3])


def test_curves_plot_the_histories():
    history = [{"step": i, "time": 0.1 * i, "total": 1.0 / i} for i in range(1, 6)]
    fig = plotting.loss_curves({"run": history}, x="time")
    (line,) = fig.axes[0].lines
    np.testing.assert_allclose(line.get_xdata(), [0.1, 0.2, 0.3, 0.4, 0.5])
    fig = plotting.loss_terms([{"step": 1, "total": 3.0, "content": 1.0, "style": 2.0}], keys=("total", "style", "tv"))
    assert [line.get_label() for line in fig.axes[0].lines] == ["total", "style"]
    fig = plotting.training_curves({"a": {"accuracy": [0.1, 0.5], "val_accuracy": [0.2, 0.4]}})
    assert [list(line.get_ydata()) for line in fig.axes[0].lines] == [[0.1, 0.5], [0.2, 0.4]]
    fig = plotting.tradeoff_plot([{"method": "x", "seconds": 2.0, "style distance": 0.3}])
    assert fig.axes[0].texts[0].get_text() == "x"


def test_mean_and_range_draws_means_with_bars_from_the_smallest_to_the_largest_run():
    fig = plotting.mean_and_range({"a": {1: [0.2, 0.4, 0.3], 4: [0.8, 0.9, 1.0]}}, "data", "accuracy")
    line = fig.axes[0].lines[0]  # the others are the bars' caps
    np.testing.assert_allclose(line.get_ydata(), [0.3, 0.9])
    (bars,) = fig.axes[0].collections
    np.testing.assert_allclose([segment[:, 1] for segment in bars.get_segments()], [[0.2, 0.4], [0.8, 1.0]])
