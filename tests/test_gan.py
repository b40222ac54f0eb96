import json
import os
import socket
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from helpers import REPO, smooth_image
from styletransfer.cli import main
from styletransfer.errors import ImageError, InputError, StyleTransferError
from styletransfer import optimize
from styletransfer.features import FeatureExtractor
from styletransfer.adversarial import PatchDiscriminator, discriminator_loss, generator_adversarial_loss
from styletransfer.gan import loss_layers, train_generator
from styletransfer.images import save_image

TINY = dict(size=32, batch=2, width=4, res_blocks=1, progress=False, sample_every=1000, checkpoint_every=1000)


@pytest.fixture(scope="module")
def tiny_extractor():
    """VGG16 with random weights: the training maths without the cost of real features."""
    return FeatureExtractor(loss_layers(), weights=None)


@pytest.fixture(scope="module")
def style():
    stripes = np.zeros((48, 48, 3), np.float32)
    stripes[:, ::6] = (0.9, 0.1, 0.1)
    stripes[:, 3::6] = (0.1, 0.2, 0.9)
    return stripes


def test_adversarial_losses_match_their_formulas(rng):
    real, fake = rng.normal(size=(2, 4, 4, 1)).astype(np.float32), rng.normal(size=(2, 4, 4, 1)).astype(np.float32)
    np.testing.assert_allclose(discriminator_loss("lsgan", real, fake), np.mean((real - 1) ** 2) + np.mean(fake**2), rtol=1e-5)
    np.testing.assert_allclose(generator_adversarial_loss("lsgan", fake), np.mean((fake - 1) ** 2), rtol=1e-5)
    hinge = np.mean(np.maximum(0, 1 - real)) + np.mean(np.maximum(0, 1 + fake))
    np.testing.assert_allclose(discriminator_loss("hinge", real, fake), hinge, rtol=1e-5)
    np.testing.assert_allclose(generator_adversarial_loss("hinge", fake), -np.mean(fake), rtol=1e-5)


def test_patch_discriminator_scores_patches():
    scores = PatchDiscriminator(width=4, depth=3)(np.zeros((2, 64, 48, 3), np.float32))
    assert scores.shape == (2, 8, 6, 1)


def test_total_loss_falls(photos, style, tiny_extractor, tmp_path):
    result = train_generator(photos, style, tmp_path / "run", steps=40, learning_rate=5e-3, extractor=tiny_extractor, **TINY)
    totals = [h["total"] for h in result.history]
    assert len(totals) == 40
    assert np.mean(totals[-5:]) < 0.6 * totals[0]
    assert {"content", "style", "tv", "adversarial", "discriminator"} <= set(result.history[-1])
    assert result.model_path.is_file() and (tmp_path / "run" / "checkpoints" / "ckpt-40.index").is_file()
    lines = (tmp_path / "run" / "history.jsonl").read_text().splitlines()
    assert [json.loads(line) for line in lines] == result.history


def test_without_adversarial_weight_no_discriminator_is_trained(photos, style, tiny_extractor, tmp_path):
    result = train_generator(photos, style, tmp_path / "run", steps=2, adversarial_weight=0, extractor=tiny_extractor, **TINY)
    assert "discriminator" not in result.history[-1] and "adversarial" not in result.history[-1]


def test_interrupted_run_resumes_to_the_same_weights(photos, style, tiny_extractor, tmp_path, monkeypatch):
    import styletransfer.gan as gan

    whole = train_generator(photos, style, tmp_path / "whole", steps=6, extractor=tiny_extractor, **TINY)

    def interrupt(path, generator, contents):
        raise KeyboardInterrupt

    monkeypatch.setattr(gan, "_save_samples", interrupt)
    with pytest.raises(KeyboardInterrupt):
        train_generator(photos, style, tmp_path / "split", steps=6, extractor=tiny_extractor, **{**TINY, "sample_every": 3})
    monkeypatch.undo()
    resumed = train_generator(photos, style, tmp_path / "split", steps=6, extractor=tiny_extractor, **TINY)
    assert resumed.resumed_from == 3 and [h["step"] for h in resumed.history] == [1, 2, 3, 4, 5, 6]
    for a, b in zip(whole.generator.weights, resumed.generator.weights):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose([h["total"] for h in resumed.history], [h["total"] for h in whole.history], rtol=1e-4)


def test_resuming_with_other_settings_is_refused(photos, style, tiny_extractor, tmp_path):
    train_generator(photos, style, tmp_path / "run", steps=1, extractor=tiny_extractor, **TINY)
    with pytest.raises(StyleTransferError, match="other settings"):
        train_generator(photos, style, tmp_path / "run", steps=2, style_weight=3.0, extractor=tiny_extractor, **TINY)


def test_bad_settings_and_inputs(photos, style, tiny_extractor, tmp_path):
    with pytest.raises(InputError, match="adversarial"):
        train_generator(photos, style, tmp_path / "a", adversarial="wgan", extractor=tiny_extractor, **TINY)
    with pytest.raises(InputError, match="size"):
        train_generator(photos, style, tmp_path / "b", extractor=tiny_extractor, **{**TINY, "size": 16})
    with pytest.raises(ImageError, match="no such folder"):
        train_generator(tmp_path / "missing", style, tmp_path / "c", extractor=tiny_extractor, **TINY)


MIRRORED = """
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
import sys
import numpy as np
from styletransfer.features import FeatureExtractor
from styletransfer.gan import loss_layers, train_generator
photos, style, out = sys.argv[1:]
extractor = FeatureExtractor(loss_layers(), weights=None)
options = dict(steps=3, size=32, batch=4, width=4, res_blocks=1, progress=False, extractor=extractor)
single = train_generator(photos, style, out + "/single", **options)
strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
assert strategy.num_replicas_in_sync == 2
mirrored = train_generator(photos, style, out + "/mirrored", strategy=strategy, **options)
diff = np.concatenate([np.abs(a.numpy() - b.numpy()).ravel()
                       for a, b in zip(single.generator.weights, mirrored.generator.weights)])
losses = [[row["total"] for row in run.history] for run in (single, mirrored)]
print("DIFF", np.quantile(diff, 0.9), diff.max(), "LOSSES", *losses[0], *losses[1])
"""


@pytest.mark.slow
def test_mirrored_strategy_matches_a_single_device(photos, tmp_path):
    """Two logical CPUs need a fresh process: TensorFlow fixes its devices when it starts.

    The first step's losses (same initial weights, same batch) agree to float rounding, the
    next steps' nearly. Adam divides each gradient by its running RMS, so a rounding
    difference in a near-zero gradient component can move that weight by up to about the
    learning rate (1e-3) a step: a few weights may differ by that much (one CPU measured
    6.7e-4 after the three steps), but 90% of them agree to within a tenth of it (4e-5
    there). Training on half the batch instead differs by more than that in most weights (90th
    percentile 2.2e-3 in the same test)."""
    save_image(tmp_path / "style.png", smooth_image(9, 48, 48))
    done = subprocess.run([sys.executable, "-c", MIRRORED, str(photos), str(tmp_path / "style.png"), str(tmp_path)],
                          capture_output=True, text=True, cwd=REPO, timeout=600)
    line = next((l for l in done.stdout.splitlines() if l.startswith("DIFF")), None)
    assert line, done.stderr[-2000:]
    fields = line.split()  # DIFF <90th percentile> <largest> LOSSES <3 single> <3 mirrored>
    diff_90, diff_max, losses = float(fields[1]), float(fields[2]), [float(f) for f in fields[4:]]
    single, mirrored = losses[:3], losses[3:]
    assert diff_90 < 1e-4 and diff_max < 3e-3
    assert single[0] == pytest.approx(mirrored[0], rel=1e-5)
    assert single[1:] == pytest.approx(mirrored[1:], rel=1e-3)


def _free_ports(n):
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("localhost", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


@pytest.mark.slow
def test_two_workers_train_in_step_and_only_worker_0_writes(photos, tmp_path):
    """MultiWorkerMirroredStrategy with two processes on this machine, as on two machines:
    both run the same synchronised steps; the run folder is written by worker 0 only."""
    cluster = [f"localhost:{port}" for port in _free_ports(2)]
    workers = []
    for index in range(2):
        config = {"cluster": {"worker": cluster}, "task": {"type": "worker", "index": index}}
        command = [sys.executable, "-m", "styletransfer", "train", "--strategy", "multiworker", "--content", str(photos),
                   "--style", str(REPO / "data/styles/waves.jpg"), "--out", str(tmp_path / f"run{index}"),
                   "--steps", "2", "--size", "32", "--batch", "2", "--width", "4", "--res-blocks", "1"]
        workers.append(subprocess.Popen(command, env={**os.environ, "TF_CONFIG": json.dumps(config)}, cwd=REPO,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    outputs = [worker.communicate(timeout=600) for worker in workers]
    assert [worker.returncode for worker in workers] == [0, 0], outputs[0][1][-2000:] + outputs[1][1][-2000:]
    lines = [out.strip().splitlines()[-1] for out, _ in outputs]
    assert lines[0].startswith(f"wrote {tmp_path / 'run0' / 'generator.keras'} after 2 steps")
    assert lines[1].startswith("worker 0 writes") and lines[1].split("(")[-1] == lines[0].split("(")[-1]  # same losses
    assert (tmp_path / "run0" / "generator.keras").is_file()
    assert not (tmp_path / "run1").exists() or not any((tmp_path / "run1").rglob("*.*"))


def test_cli_trains_and_applies(photos, tmp_path, capsys, imagenet):
    run = tmp_path / "run"
    assert main(["train", "--content", str(photos), "--style", str(REPO / "data/styles/waves.jpg"), "--out", str(run),
                 "--steps", "2", "--size", "32", "--batch", "2", "--width", "4", "--res-blocks", "1"]) == 0
    assert "wrote" in capsys.readouterr().out and (run / "samples" / "step_000002.png").is_file()
    photo = photos / "photo0.png"
    assert main(["apply", str(run / "generator.keras"), str(photo), "-o", str(tmp_path / "one.png")]) == 0
    assert (tmp_path / "one.png").is_file()
    assert main(["apply", str(run / "generator.keras"), str(photo), str(photos / "photo1.png"), "-o", str(tmp_path / "many")]) == 0
    assert sorted(p.name for p in (tmp_path / "many").iterdir()) == ["photo0.png", "photo1.png"]
    capsys.readouterr()

    assert main(["apply", str(tmp_path / "missing.keras"), str(photo), "-o", str(tmp_path / "x.png")]) == 1
    assert main(["apply", str(run / "generator.keras"), str(photo), str(photo), "-o", str(tmp_path / "x.png")]) == 1
    assert main(["train", "--content", str(tmp_path / "nowhere"), "--style", str(photo), "--out", str(run)]) == 1
    errors = capsys.readouterr().err.strip().splitlines()
    assert len(errors) == 3 and all(e.startswith("styletransfer: error: ") for e in errors)
    assert "missing.keras" in errors[0] and "folder" in errors[1] and "nowhere" in errors[2]
    assert not (tmp_path / "x.png").exists()


@pytest.mark.parametrize("damage", ["empty", "truncated"])
def test_an_unreadable_checkpoint_is_named_and_kept(photos, style, tiny_extractor, tmp_path, damage):
    run = tmp_path / "run"
    train_generator(photos, style, run, steps=1, extractor=tiny_extractor, **TINY)
    shard = run / "checkpoints" / "ckpt-1.data-00000-of-00001"
    data = shard.read_bytes()
    damaged = b"" if damage == "empty" else data[: len(data) // 2]
    shard.write_bytes(damaged)
    with pytest.raises(StyleTransferError, match="ckpt-1: unreadable checkpoint .*move .*checkpoints away") as info:
        train_generator(photos, style, run, steps=2, extractor=tiny_extractor, **TINY)
    assert "\n" not in str(info.value) and shard.read_bytes() == damaged


def test_nan_weights_are_never_checkpointed(photos, style, tiny_extractor, tmp_path, monkeypatch):
    from styletransfer.checkpoints import RunFolder

    run = tmp_path / "run"
    train_generator(photos, style, run, steps=1, extractor=tiny_extractor, **TINY)
    real_save = RunFolder.save

    def poisoned(self, history):
        kernel = self.objects["generator"]["in_conv/kernel"]
        kernel.assign(tf.fill(kernel.shape, float("nan")))
        return real_save(self, history)

    monkeypatch.setattr(RunFolder, "save", poisoned)
    with pytest.raises(StyleTransferError, match=r"NaN or infinite weights \(generator in_conv/kernel\); the checkpoints"):
        train_generator(photos, style, run, steps=2, extractor=tiny_extractor, **TINY)
    assert sorted(p.name for p in (run / "checkpoints").glob("*.index")) == ["ckpt-1.index"]


def test_a_run_folder_of_the_earlier_format_is_refused(photos, style, tiny_extractor, tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "checkpoint.npz").write_bytes(b"weights stored by position")
    with pytest.raises(StyleTransferError, match="checkpoint.npz: a run folder of an earlier version") as info:
        train_generator(photos, style, run, steps=1, extractor=tiny_extractor, **TINY)
    assert "\n" not in str(info.value) and not (run / "checkpoints").exists()


def test_a_fresh_start_replaces_the_earlier_run(photos, style, tiny_extractor, tmp_path):
    run = tmp_path / "run"
    train_generator(photos, style, run, steps=3, extractor=tiny_extractor, **{**TINY, "checkpoint_every": 1})
    again = train_generator(photos, style, run, steps=2, resume=False, extractor=tiny_extractor, **TINY)
    assert again.resumed_from == 0 and [h["step"] for h in again.history] == [1, 2]
    assert sorted(p.name for p in (run / "checkpoints").glob("*.index")) == ["ckpt-2.index"]
    assert len((run / "history.jsonl").read_text().splitlines()) == 2


@pytest.mark.parametrize("setting, value, message", [
    ("learning_rate", float("nan"), "learning_rate must be a finite number above 0"),
    ("learning_rate", -1.0, "learning_rate must be a finite number above 0"),
    ("style_weight", -1.0, "style_weight must be a finite number at least 0"),
    ("batch", 0, "batch must be a whole number at least 1"),
])
def test_bad_numeric_settings_are_refused_before_any_work(photos, style, tiny_extractor, tmp_path, setting, value, message):
    with pytest.raises(InputError, match=message):
        train_generator(photos, style, tmp_path / "run", extractor=tiny_extractor, **{**TINY, setting: value})
    assert not (tmp_path / "run").exists()


def test_the_same_content_folder_named_two_ways_is_the_same_run(photos, style, tiny_extractor, tmp_path, monkeypatch):
    monkeypatch.chdir(photos.parent)
    train_generator(photos.name, style, tmp_path / "run", steps=1, extractor=tiny_extractor, **TINY)
    resumed = train_generator(photos.resolve(), style, tmp_path / "run", steps=2, extractor=tiny_extractor, **TINY)
    assert resumed.resumed_from == 1


def test_content_photos_under_32_px_are_skipped(photos, style, tiny_extractor, tmp_path):
    folder = tmp_path / "mixed"
    folder.mkdir()
    save_image(folder / "ok.png", smooth_image(0, 48, 56))
    save_image(folder / "tiny.png", smooth_image(1, 20, 56))
    with pytest.warns(UserWarning, match="tiny.png: image of 20x"):
        result = train_generator(folder, style, tmp_path / "run", steps=2, extractor=tiny_extractor, **TINY)
    assert list(result.skipped) == [str(folder / "tiny.png")]


def test_a_run_can_start_from_a_trained_generator(photos, style, tiny_extractor, tmp_path):
    source = train_generator(photos, style, tmp_path / "source", steps=3, extractor=tiny_extractor, **TINY)
    start = {w.path.split("/", 1)[1]: w.numpy() for w in source.generator.weights}
    # A learning rate so small that one Adam step (about lr per weight) leaves the copy visible.
    tuned = train_generator(photos, style, tmp_path / "tuned", steps=1, learning_rate=1e-9, init=source.model_path,
                            extractor=tiny_extractor, **TINY)
    for weight in tuned.generator.weights:
        np.testing.assert_allclose(weight.numpy(), start[weight.path.split("/", 1)[1]], atol=1e-6)
    fresh = train_generator(photos, style, tmp_path / "fresh", steps=1, learning_rate=1e-9, extractor=tiny_extractor,
                            **TINY)
    assert not np.allclose(fresh.generator.weights[0].numpy(), start["in_conv/kernel"], atol=1e-3)


@pytest.mark.parametrize("change", [{"width": 8}, {"res_blocks": 2}])
def test_an_init_generator_of_another_size_is_refused_before_any_work(photos, style, tiny_extractor, tmp_path, change):
    from styletransfer.generator import Generator

    source = Generator(4, 1, seed=5)
    source.build()
    with pytest.raises(InputError, match=r"the init generator \(width 4, 1 residual blocks, kernel 9\) does not fit") as info:
        train_generator(photos, style, tmp_path / "run", steps=1, init=source, extractor=tiny_extractor, **{**TINY, **change})
    assert "\n" not in str(info.value) and not (tmp_path / "run").exists()


def test_cli_init_checks_the_model_file_first(photos, tmp_path, capsys):
    assert main(["train", "--content", str(photos), "--style", str(REPO / "data/styles/waves.jpg"), "--out",
                 str(tmp_path / "run"), "--init", str(tmp_path / "missing.keras")]) == 1
    error = capsys.readouterr().err.strip()
    assert error.startswith("styletransfer: error: ") and "missing.keras" in error and "\n" not in error
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("layers", ["gatys", "johnson"])
def test_the_loss_reads_the_chosen_layers(layers, style, rng):
    """The trainer's content loss is the relative squared error at exactly the chosen
    content layers (numpy), so a trainer that ignored the setting would fail one case."""
    from styletransfer.gan import LAYERS, Trainer
    from styletransfer.settings import LOSS_LAYERS, TrainSettings

    extractor = FeatureExtractor(sorted(set(loss_layers("gatys")) | set(loss_layers("johnson"))), weights=None)
    trainer = Trainer(TrainSettings(width=4, res_blocks=1, layers=layers, adversarial_weight=0), [style], extractor)
    x, photo = rng.uniform(size=(2, 1, 40, 40, 3)).astype(np.float32)
    got, target = extractor(x), extractor(photo)
    content_layers = LAYERS[layers][0]
    expected = np.mean([np.mean((got[n].numpy() - target[n].numpy()) ** 2) / np.mean(target[n].numpy() ** 2)
                        for n in content_layers])
    np.testing.assert_allclose(trainer.loss(got, x, target)["content"], expected, rtol=1e-4)
    assert LAYERS["gatys"] == (optimize.CONTENT_LAYERS, optimize.STYLE_LAYERS)
    assert tuple(LAYERS) == LOSS_LAYERS  # the settings' choices are the layer sets there are
