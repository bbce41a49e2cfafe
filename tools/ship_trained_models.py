"""Train the LeNets that the notebooks study and ship them in ``course_utils/data/trained/``.

    python tools/ship_trained_models.py

Runs notebooks 07 and 11 (temporary copies) on the bundled sample with shipped weights
ignored, so that every ``models.load_or_train_lenet`` call in them trains from its seed,
then replaces the shipped folder's weights with what they trained and rewrites its
``PROVENANCE.md``. Run it when a training configuration, the sample or a pinned version
changes; then refresh the notebooks that load them (07, 10, 11).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from course_utils import measured, models  # noqa: E402

TRAINED_BY = ["notebooks/07_lenet5_keras.ipynb", "notebooks/11_transfer_learning.ipynb"]
COMMAND = "python tools/ship_trained_models.py"


def main() -> int:
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
        if models.SHIPPED_DIR.exists():
            shutil.rmtree(models.SHIPPED_DIR)
        models.SHIPPED_DIR.mkdir(parents=True)
        for path in sorted(artifacts.iterdir()):
            shutil.copy2(path, models.SHIPPED_DIR / path.name)
    (models.SHIPPED_DIR / "PROVENANCE.md").write_text(provenance_page(rows), encoding="utf-8")
    print(f"shipped {len(rows)} models in {models.SHIPPED_DIR.relative_to(ROOT)}")
    return 0


def provenance_page(records: list[dict]) -> str:
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
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
