"""How well unanswered questions are grouped: `python -m bot.groups_eval [eval/groups/groups.jsonl]` groups a labelled
set with the real QuestionGroups (on a throw-away SQLite store) across similarity thresholds and prints pairwise
precision, recall, F1 and the adjusted Rand index against the labels."""

from __future__ import annotations

import numpy as np

from bot.app import App
from bot.status import Reason
from bot.store import Store
from bot.team.groups import QuestionGroups


def evaluate(items: list[dict], features: list, thresholds: list[float]) -> list[dict]:
    """Group labelled questions ({"q", "group"}) with the real QuestionGroups on a throw-away SQLite store, in
    file order, for each threshold; pairwise precision/recall/F1 and adjusted Rand index against the labels."""
    import tempfile
    from pathlib import Path

    from sklearn.metrics import adjusted_rand_score

    truth = [it["group"] for it in items]
    n = len(items)
    same = np.array([[truth[i] == truth[j] for j in range(n)] for i in range(n)])
    upper = np.triu(np.ones((n, n), dtype=bool), 1)
    results = []
    for threshold in thresholds:
        with tempfile.TemporaryDirectory() as tmp:
            store = Store(f"sqlite:///{Path(tmp) / 'groups.db'}")
            groups = QuestionGroups(store, threshold=threshold)
            got = []
            for it, vec in zip(items, features, strict=True):
                qid = store.record_question(
                    it["q"], channel="eval", user_id="eval", answered=False, reason=Reason.NO_MATCH, score=0.0
                )
                got.append(groups.assign(qid, vec))
            store.engine.dispose()
        pred = np.array([[got[i] == got[j] for j in range(n)] for i in range(n)])
        tp = int((pred & same & upper).sum())
        p = tp / max(1, int((pred & upper).sum()))
        r = tp / max(1, int((same & upper).sum()))
        results.append(
            {
                "threshold": threshold,
                "groups": len(set(got)),
                "true_groups": len(set(truth)),
                "precision": p,
                "recall": r,
                "f1": 2 * p * r / (p + r) if p + r else 0.0,
                "ari": adjusted_rand_score(truth, got),
            }
        )
    return results


if __name__ == "__main__":
    import argparse
    import json
    from pathlib import Path

    parser = argparse.ArgumentParser(
        description="Measure the grouping of unanswered questions on a labelled "
        "set (eval/groups/groups.jsonl) across similarity thresholds."
    )
    parser.add_argument("path", nargs="?", default="eval/groups/groups.jsonl")
    parser.add_argument("--thresholds", default="0.35,0.40,0.45,0.50,0.55,0.60")
    args = parser.parse_args()
    items = [json.loads(line) for line in Path(args.path).read_text(encoding="utf-8").splitlines() if line.strip()]
    engine = App().engine
    features = [engine.group_features(it["q"]) for it in items]
    print(f"{len(items)} questions, {len(set(it['group'] for it in items))} labelled groups")
    print("threshold  groups  precision  recall     F1    ARI")
    for r in evaluate(items, features, [float(t) for t in args.thresholds.split(",")]):
        print(
            f"{r['threshold']:9.2f} {r['groups']:7d} {r['precision']:10.3f} {r['recall']:7.3f} "
            f"{r['f1']:6.3f} {r['ari']:6.3f}"
        )
