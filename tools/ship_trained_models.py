"""Train the models and studies that the notebooks load and ship them in ``course_utils/data/trained/``.

    python tools/ship_trained_models.py                 # both (about four hours on 2 cores)
    python tools/ship_trained_models.py --only lenets   # or: --only studies

    python tools/ship_trained_models.py --only studies --study degradation   # one study

``lenets``: runs notebooks 07 and 11 (temporary copies) on the bundled sample with shipped
weights ignored, so that every ``models.load_or_train_lenet`` call in them trains from its
seed, and replaces the shipped LeNets with what they trained. ``studies``: runs every study of
:data:`course_utils.studies.STUDIES` (3 seeds each) and replaces its shipped results. Either
way ``PROVENANCE.md`` is rewritten from what the folder then holds. Run it when a training
configuration, the sample or a pinned version changes (the lenets first: the transfer study
starts from one); then refresh the notebooks that load them (07, 08, 09, 10, 11).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from course_utils import measured, models, studies  # noqa: E402

TRAINED_BY = ["notebooks/07_lenet5_keras.ipynb", "notebooks/11_transfer_learning.ipynb"]
COMMAND = "python tools/ship_trained_models.py"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("lenets", "studies"), help="ship one kind only")
    parser.add_argument("--study", action="append", choices=sorted(studies.STUDIES),
                        help="with --only studies: ship these studies only (repeatable)")
    options = parser.parse_args(argv)
    os.environ["COURSE_DATA"] = "sample"
    if options.only in (None, "lenets"):
        ship_lenets()
    if options.only in (None, "studies"):
        ship_studies(options.study or list(studies.STUDIES))
    (models.SHIPPED_DIR / "PROVENANCE.md").write_text(provenance_page(), encoding="utf-8")
    return 0


def ship_studies(names) -> None:
    """Run the studies ``names`` here and put their results and weights in the shipped folder (old ones removed)."""
    from course_utils.session import setup_notebook

    setup_notebook(keras=True)
    for name in names:
        for path in models.SHIPPED_DIR.glob(f"{name}-*"):
            if path.name.removeprefix(f"{name}-")[:16].isalnum():     # "<name>-<key>...", not another study's
                path.unlink()
        study = studies.STUDIES[name](retrain=True, folder=models.SHIPPED_DIR)
        print(f"shipped study {study['study']} ({sum(len(r) for r in study['runs'].values())} runs)", flush=True)


def ship_lenets() -> None:
    with tempfile.TemporaryDirectory(prefix="ship-") as tmp:
        artifacts = Path(tmp) / "artifacts"
        env = {**os.environ, "COURSE_DATA": "sample", "COURSE_ARTIFACTS": str(artifacts),
               models.IGNORE_SHIPPED_ENV: "1", measured.RECORD_ENV: str(Path(tmp) / "measured.jsonl"),
               "TF_CPP_MIN_LOG_LEVEL": "3"}
        env.pop("COURSE_SEED_OFFSET", None)
        rows = []
        for notebook in TRAINED_BY:
            before = set(artifacts.glob("*.json")) if artifacts.exists() else set()
            subprocess.run([sys.executable, "-m", "nbconvert", "--to", "notebook", "--execute",
                            "--output-dir", tmp, str(ROOT / notebook)], cwd=ROOT / Path(notebook).parent,
                           env=env, check=True, capture_output=True)
            for record_path in sorted(set(artifacts.glob("*.json")) - before):
                record = json.loads(record_path.read_text())
                record["provenance"]["trained_by"] = f"{notebook}, with `{COMMAND}`"
                record_path.write_text(json.dumps(record, indent=1))
                rows.append(record)
        models.SHIPPED_DIR.mkdir(parents=True, exist_ok=True)
        for path in models.SHIPPED_DIR.glob("lenet-*"):
            path.unlink()
        for path in sorted(artifacts.iterdir()):
            shutil.copy2(path, models.SHIPPED_DIR / path.name)
    print(f"shipped {len(rows)} models in {models.SHIPPED_DIR.relative_to(ROOT)}")


def provenance_page() -> str:
    """The shipped folder's ``PROVENANCE.md``, made from the records it holds."""
    records = [json.loads(p.read_text()) for p in sorted(models.SHIPPED_DIR.glob("lenet-*.json"))]
    records.sort(key=lambda r: (r["provenance"]["trained_by"], r["config"]["variant"]))
    lines = ["# Trained models shipped with the course", "",
             "The LeNets that notebooks 07, 10, 11 and 14 load, so that every machine studies the same weights",
             "(training on another processor gives slightly different ones: see `course_utils/measured.py`).",
             f"Made by `{COMMAND}`, which runs the notebooks named below on the bundled MNIST sample",
             "(`course_utils/data/mnist_sample.npz`) with the shipped weights ignored, so each model trains from its seed;",
             "each `lenet-<key>.json` beside its weights holds the configuration, the training history and the",
             "provenance. The key is a hash of the configuration and of the exact training data, so other data",
             "(for example the full MNIST) never picks these weights up.", "",
             "| file | trained by | variant | classes | epochs | batch | learning rate | seed | last val. accuracy |"
             " versions | machine | date |",
             "|---|---|---|---:|---:|---:|---:|---:|---:|---|---|---|"]
    for record in records:
        config, prov = record["config"], record["provenance"]
        classes = config["builder_options"].get("n_classes", 10)
        versions = (f"Python {prov['python']}, Keras {prov['keras']} ({prov['backend']} {prov['tensorflow']}), "
                    f"NumPy {prov['numpy']}")
        lines.append(f"| `lenet-{record['key']}.weights.h5` | {prov['trained_by'].split(',')[0]} | {config['variant']} "
                     f"| {classes} | {config['epochs']} | {config['batch_size']} | {config['learning_rate']:g} "
                     f"| {config['seed']} | {record['history']['val_accuracy'][-1]:.4f} | {versions} "
                     f"| {prov['cpu']}, {prov['threads']} cores | {prov['date']} |")
    lines += ["", "## Studies: several seeds, trained to a plateau", "",
              "Results that a notebook reads instead of training for many minutes "
              "(`course_utils/studies.py`, `course_utils/seeded_runs.py`): each network or trial of the study run "
              "from every seed with the recipe shown. `<study>-<key>.json` holds every "
              "run's measurements (curves, test accuracy, time); `<study>-<key>-<network>.weights.h5` the first "
              "seed's weights. "
              f"Made by `{COMMAND} --only studies`; `retrain=True` in the notebook trains them again.", "",
              "| file | networks | seeds | data | recipe | versions | machine | date |", "|---|---|---|---|---|---|---|---|"]
    for path in sorted(models.SHIPPED_DIR.glob("*.json")):
        study = json.loads(path.read_text())
        if "study" not in study:
            continue
        prov, recipe = study["provenance"], study["recipe"]
        versions = (f"Python {prov['python']}, Keras {prov['keras']} ({prov['backend']} {prov['tensorflow']}), "
                    f"NumPy {prov['numpy']}")
        lines.append(f"| `{path.name}` | {', '.join(study['runs'])} | {', '.join(map(str, study['seeds']))} "
                     f"| {study['data']} | {describe_recipe(recipe)} | {versions} | {prov['cpu']}, {prov['threads']} cores"
                     f"{'; ' + prov['note'] if prov.get('note') else ''} | {prov['date']} |")
    return "\n".join(lines) + "\n"


def describe_recipe(config: dict) -> str:
    """A study's configuration in words: one :class:`seeded_runs.Recipe`, one per network, or other settings.

    >>> describe_recipe({"max_epochs": 40, "patience": 4, "batch_size": 128, "learning_rate": 0.003,
    ...                  "optimizer": "adam", "schedule": "constant"})
    'adam, learning rate 0.003 (constant), batch 128, up to 40 epochs, patience 4'
    >>> describe_recipe({"epochs": 3})
    'epochs 3'
    """
    def one(recipe):
        stop = (f"up to {recipe['max_epochs']} epochs, patience {recipe['patience']}" if recipe.get("patience")
                else f"{recipe['max_epochs']} epochs")
        return (f"{recipe.get('optimizer', 'adam')}, learning rate {recipe['learning_rate']:g} "
                f"({recipe.get('schedule', 'constant')}), batch {recipe['batch_size']}, {stop}")

    if "max_epochs" in config:
        return one(config)
    if config and all(isinstance(v, dict) and "max_epochs" in v for v in config.values()):
        return "; ".join(f"{name}: {one(recipe)}" for name, recipe in config.items())
    return "; ".join(f"{name} {json.dumps(value)}" if not isinstance(value, (int, float, str)) else f"{name} {value}"
                     for name, value in config.items())


if __name__ == "__main__":
    sys.exit(main())
