"""`tinyflash tune` end to end on real MNIST: 3 trials (one pruned before training), the
figures checked against independent references, the Pareto table, best.toml."""

from __future__ import annotations

import json
import math
import shutil

import numpy as np
import pytest

pytestmark = pytest.mark.slow

OVERSIZED = {"family": "dense", "dense_layers": 1, "units_0": 32, "activation": "relu",
             "optimizer": "adam", "learning_rate": 1e-3, "lr_schedule": "constant",
             "batch_size": 64, "epochs": 1}  # fmt: skip


def _keras_int8_bytes(config, classes: int) -> int:
    """What an int8 .tflite of the model stores, from Keras's own weights: 1 B a weight,
    4 B an int32 bias."""
    from tinyflash.train.model import build_model

    model = build_model(config, classes, (784,))
    return sum(math.prod(w.shape) * (4 if "bias" in w.path else 1) for w in model.weights)


@pytest.fixture(scope="module")
def tuned(mnist_small, space_file, tmp_path_factory):
    """A 3-trial study: trial 0 enqueued too large for 24 KB of flash, then two sampled."""
    from tinyflash.cli import main
    from tinyflash.train.data import load
    from tinyflash.tune.budget import Budget, parse_bytes
    from tinyflash.tune.cli import _settings
    from tinyflash.tune.space import load_space
    from tinyflash.tune.study import open_storage, open_study

    out = tmp_path_factory.mktemp("tune")
    data = load(mnist_small)
    budget = Budget(flash=parse_bytes("24K"), ram=parse_bytes("4K"))
    settings = _settings(budget, load_space(space_file, data.image_shape), data)
    storage = open_storage(f"sqlite:///{out / 'study.db'}")
    open_study(storage, "tinyflash-tune", settings, seed=None).enqueue_trial(OVERSIZED)
    args = ["tune", "--data", str(mnist_small), "--space", str(space_file), "--out", str(out),
            "--flash", "24K", "--ram", "4K", "--calibration", "200", "--trials", "3",
            "--seed", "5"]  # fmt: skip
    assert main(args) == 0
    study = open_study(storage, "tinyflash-tune", settings, seed=None)
    return out, study, data, budget


def test_oversized_trial_pruned_before_training(tuned):
    from optuna.trial import TrialState

    from tinyflash.train.config import TrainConfig

    out, study, data, _ = tuned
    first = study.trials[0]
    assert first.state == TrialState.PRUNED
    expected = _keras_int8_bytes(TrainConfig(hidden=(32,)), data.num_classes)
    assert expected > 24 * 1024
    assert first.user_attrs["pruned"].startswith(f"{expected:,} B of int8 weights > 24,576 B")
    assert not (out / "trials" / "0000").exists()  # never trained


def test_trials_counted_and_measured(tuned):
    """Each trained trial's int8 accuracy equals tinyflash.runtime's on the same test images,
    its flash holds at least the header's constants, its RAM at least the header's arena."""
    from optuna.trial import TrialState

    import tinyflash.runtime as rt
    from tinyflash.runtime.quantize import quantize
    from tinyflash.tune.seeds import CODE_RESERVE, STACK_RESERVE

    out, study, data, _ = tuned
    assert len(study.trials) == 3  # the target, none lost, none extra
    assert {t.state for t in study.trials} <= {TrialState.COMPLETE, TrialState.PRUNED}
    trained = [t for t in study.trials if t.state == TrialState.COMPLETE]
    assert trained
    x = data.x_test.reshape(len(data.x_test), -1).astype(np.float32) / np.float32(255.0)
    for t in trained:
        run = out / "trials" / f"{t.number:04d}"
        m = t.user_attrs["measured"]
        model = rt.load(run / "model_int8.tflite")
        q = quantize(x, model.input.scale, model.input.zero_point, "int8")
        assert m["accuracy"] == np.mean(model(q).argmax(axis=1) == data.y_test)
        header = (run / "tune_model.h").read_text()
        arena = int(header.split("#define TUNE_ARENA_SIZE ")[1].split()[0])
        assert m["ram"] >= arena
        assert m["flash"] >= t.user_attrs["cost"]["weight_bytes"]
        if shutil.which("qemu-system-arm") and shutil.which("arm-none-eabi-gcc"):
            assert m["instructions_source"].startswith("QEMU, exact")
            assert m["flash_source"].startswith("linked")
            # per MAC within the measured range of the generated header on an M0+
            assert 3 < m["instructions"] / m["macs"] < 12
            # what the warm start's reserves stand for (tune/seeds.py): code, stack
            assert m["flash"] - t.user_attrs["cost"]["weight_bytes"] <= CODE_RESERVE
            assert m["ram"] - arena <= STACK_RESERVE
        assert t.values == [m["accuracy"], m["flash"], m["ram"], m["instructions"]]


def test_pareto_table_and_plots(tuned):
    out, study, _, _ = tuned
    doc = json.loads((out / "tune.json").read_text())
    rows = doc["trials"]
    assert len(rows) == len([t for t in study.trials if "measured" in t.user_attrs])

    def key(r):
        return (-r["accuracy"], r["flash"], r["ram"], r["instructions"])

    def dominated(r):
        better = (o for o in rows if key(o) != key(r))
        return any(all(a <= b for a, b in zip(key(o), key(r), strict=True)) for o in better)

    assert sorted(doc["front"]) == sorted(r["number"] for r in rows if not dominated(r))
    md = (out / "report.md").read_text()
    for number in doc["front"]:
        assert f"| {number} | " in md
    for name in ("accuracy_vs_flash.png", "accuracy_vs_instructions.png"):
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (out / "report.html").read_text().count("data:image/png;base64,") == 2


def test_best_toml_reproduces_the_architecture(tuned):
    """best.toml is the feasible trial of the highest accuracy, and `tinyflash train --config`
    reads it back to that trial's configuration: the same model, parameter for parameter."""
    from tinyflash.cli import build_parser
    from tinyflash.train.cli import resolve_config
    from tinyflash.train.config import from_toml, preset, resolve
    from tinyflash.train.model import build_model

    out, study, data, _ = tuned
    doc = json.loads((out / "tune.json").read_text())
    feasible = [r for r in doc["trials"] if r["feasible"]]
    top = max(feasible, key=lambda r: (r["accuracy"], -r["flash"]))
    assert doc["best"]["number"] == top["number"]
    run = out / "trials" / f"{top['number']:04d}"
    args = build_parser().parse_args(["train", "--config", str(out / "best.toml")])
    config = resolve_config(args)
    assert config == resolve(preset("default"), from_toml(run / "config.toml"))
    metrics = json.loads((run / "metrics.json").read_text())
    assert build_model(config, data.num_classes, (784,)).count_params() == metrics["parameters"]
