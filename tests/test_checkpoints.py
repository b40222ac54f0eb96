import json

import numpy as np
import pytest
import tensorflow as tf
import keras

from styletransfer.checkpoints import RunFolder, model_variables, optimizer_variables
from styletransfer.errors import StyleTransferError


class TwoLayers(keras.Model):
    """Two same-shaped dense layers "a" and "b", created in the given order."""

    def __init__(self, order, **kwargs):
        super().__init__(name="two_layers", **kwargs)
        for name in order:
            setattr(self, name, keras.layers.Dense(3, name=name))

    def call(self, x):
        return self.b(self.a(x))


def built(order, optimizer_order):
    model = TwoLayers(order)
    model(np.zeros((1, 3), np.float32))
    optimizer = keras.optimizers.Adam()
    variables = model.trainable_variables
    optimizer.build(variables if optimizer_order == "same" else variables[::-1])
    return model, optimizer


def objects(model, optimizer, step):
    return {"model": model_variables(model), "optimizer": optimizer_variables(optimizer, model), "step": step}


def test_variables_created_in_another_order_restore_by_name(tmp_path):
    model, optimizer = built("ab", "same")
    gradients = [tf.fill(v.shape, float(i + 1)) for i, v in enumerate(model.trainable_variables)]
    optimizer.apply_gradients(zip(gradients, model.trainable_variables))  # distinct optimiser slots
    with RunFolder(tmp_path, {"x": 1}, objects(model, optimizer, tf.Variable(7, dtype=tf.int64))) as folder:
        folder.save([{"step": 7}])

    other, other_optimizer = built("ba", "reversed")
    assert [v.path for v in other.weights] != [v.path for v in model.weights]  # positions differ, so order matters
    step = tf.Variable(0, dtype=tf.int64)
    with RunFolder(tmp_path, {"x": 1}, objects(other, other_optimizer, step)) as folder:
        history = folder.restore()
    assert history == [{"step": 7}] and int(step.numpy()) == 7
    for name in ("a", "b"):
        np.testing.assert_array_equal(getattr(other, name).kernel.numpy(), getattr(model, name).kernel.numpy())
    saved, restored = optimizer_variables(optimizer, model), optimizer_variables(other_optimizer, other)
    assert set(saved) == set(restored) and "a/kernel/momentum" in saved
    for key in saved:
        np.testing.assert_array_equal(restored[key].numpy(), saved[key].numpy())


def test_history_written_after_the_last_checkpoint_is_dropped(tmp_path):
    model, optimizer = built("ab", "same")
    step = tf.Variable(2, dtype=tf.int64)
    folder = RunFolder(tmp_path, {"x": 1}, objects(model, optimizer, step))
    folder.save([{"step": 1}, {"step": 2}])
    with open(tmp_path / "history.jsonl", "a") as f:  # a crash after these lines, before the next checkpoint
        f.write(json.dumps({"step": 3}) + "\n" + '{"step": 4, "tot')
    folder.close()
    restored = RunFolder(tmp_path, {"x": 1}, objects(model, optimizer, tf.Variable(0, dtype=tf.int64))).restore()
    assert restored == [{"step": 1}, {"step": 2}]
    assert (tmp_path / "history.jsonl").read_text().splitlines() == ['{"step": 1}', '{"step": 2}']


def test_only_the_last_checkpoints_are_kept_and_other_settings_are_refused(tmp_path):
    model, optimizer = built("ab", "same")
    step = tf.Variable(0, dtype=tf.int64)
    folder = RunFolder(tmp_path, {"x": 1}, objects(model, optimizer, step))
    for n in range(1, 6):
        step.assign(n)
        folder.save([])
    assert sorted(p.name for p in (tmp_path / "checkpoints").glob("*.index")) == ["ckpt-3.index", "ckpt-4.index",
                                                                                  "ckpt-5.index"]
    folder.close()
    with pytest.raises(StyleTransferError, match="other settings \\(x\\)"):
        RunFolder(tmp_path, {"x": 2}, objects(model, optimizer, step)).restore()


def test_a_worker_that_does_not_write_leaves_the_folder_alone(tmp_path):
    model, optimizer = built("ab", "same")
    folder = RunFolder(tmp_path / "run", {"x": 1}, objects(model, optimizer, tf.Variable(1, dtype=tf.int64)), writer=False)
    folder.save([{"step": 1}])
    folder.close()
    assert not (tmp_path / "run").exists()


def test_a_second_run_into_a_folder_in_use_is_refused_and_deletes_nothing(tmp_path):
    model, optimizer = built("ab", "same")
    first = RunFolder(tmp_path, {"x": 1}, objects(model, optimizer, tf.Variable(1, dtype=tf.int64)))
    first.save([{"step": 1}])
    for resume in (True, False):  # resuming, or starting afresh (which deletes the folder's run)
        with pytest.raises(StyleTransferError, match="another training is writing to this folder"):
            RunFolder(tmp_path, {"x": 1}, objects(model, optimizer, tf.Variable(0, dtype=tf.int64)), resume=resume)
    assert (tmp_path / "checkpoints" / "ckpt-1.index").exists() and (tmp_path / "history.jsonl").exists()
    first.close()
    with pytest.raises(StyleTransferError, match="other settings"):
        with RunFolder(tmp_path, {"x": 2}, objects(model, optimizer, tf.Variable(0, dtype=tf.int64))) as refused:
            refused.restore()
    step = tf.Variable(0, dtype=tf.int64)
    with RunFolder(tmp_path, {"x": 1}, objects(model, optimizer, step)) as second:  # neither holds the lock now
        assert second.restore() == [{"step": 1}] and int(step.numpy()) == 1
