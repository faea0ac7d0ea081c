"""Train the NLU model and score it on the held-out test file: intent macro-F1 (and per intent).

Usage: python -m nlu.evaluate [--model models/trolyso.tar.gz] [--min-f1 0.90] [--config config.yml] [--baseline]
  --model     score an already trained model (what `make test` does) instead of training one;
  --min-f1    exit 1 when the intent macro-F1 is below this;
  --baseline  also train with Rasa's plain WhitespaceTokenizer instead of the folding tokenizer, to measure
              what folding buys. Runs the Rasa CLI from .venv-rasa; writes only under a temporary folder.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RASA = ROOT / ".venv-rasa" / "bin" / "rasa"
ENV = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2"}


def run(config: Path | None, work: Path, label: str, model: Path | None = None) -> dict:
    train_s = 0.0
    if model is None:
        model_dir = work / "models"
        t0 = time.perf_counter()
        subprocess.run(
            [
                str(RASA),
                "train",
                "nlu",
                "--config",
                str(config),
                "--nlu",
                "data/nlu.yml",
                "--out",
                str(model_dir),
                "--fixed-model-name",
                label,
            ],
            cwd=ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        train_s = time.perf_counter() - t0
        model = model_dir / f"{label}.tar.gz"
    out = work / f"results-{label}"
    subprocess.run(
        [
            str(RASA),
            "test",
            "nlu",
            "--nlu",
            "tests/nlu/test_nlu.yml",
            "--model",
            str(model),
            "--out",
            str(out),
            "--no-plot",
        ],
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=ENV,
    )
    report = json.loads((out / "intent_report.json").read_text(encoding="utf-8"))
    return {
        "label": label,
        "train_s": train_s,
        "macro_f1": report["macro avg"]["f1-score"],
        "accuracy": report.get("accuracy"),
        "per_intent": {
            k: v["f1-score"]
            for k, v in report.items()
            if isinstance(v, dict) and "support" in v and k not in ("macro avg", "weighted avg", "micro avg")
        },
    }


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", default="config.yml")
    ap.add_argument("--baseline", action="store_true")
    ap.add_argument("--model", type=Path)
    ap.add_argument("--min-f1", type=float)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        results = [run(ROOT / args.config, work, "folding", args.model)]
        if args.baseline:
            text = (
                (ROOT / args.config)
                .read_text(encoding="utf-8")
                .replace("nlu.vietnamese.VietnameseFoldingTokenizer", "WhitespaceTokenizer")
            )
            base = work / "config-baseline.yml"
            base.write_text(text, encoding="utf-8")
            results.append(run(base, work, "baseline"))
    for r in results:
        trained = f", training {r['train_s']:.0f}s" if r["train_s"] else ""
        print(
            f"NLU on the held-out tests/nlu/test_nlu.yml ({r['label']}): intent macro-F1 {r['macro_f1']:.3f}, "
            f"accuracy {r['accuracy']:.3f}{trained}"
        )
        print("  " + "  ".join(f"{k} {v:.2f}" for k, v in sorted(r["per_intent"].items())))
    if args.min_f1 is not None and results[0]["macro_f1"] < args.min_f1:
        print(f"FAIL: macro-F1 {results[0]['macro_f1']:.3f} < {args.min_f1}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
