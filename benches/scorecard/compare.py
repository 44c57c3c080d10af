"""Fit the same training data with scorecardpy (the widely used open-source scorecard tool: WoE binning,
IV filter, logistic regression, points) as its README shows, score the same test rows, and measure both
credithub's scores and scorecardpy's with the same AUC / KS code. Run by compare.sh.

usage: compare.py TRAIN.csv TEST.csv TARGET BAD_VALUE CREDITHUB_SCORES.csv CREDITHUB_FIT_SECONDS LABEL
"""
import contextlib
import io
import sys
import time
import warnings

import numpy as np
import pandas as pd

warnings.filterwarnings("ignore")


def auc_ks(score, bad):
    """AUC (ties half) and KS for a score where higher means lower risk."""
    score = np.asarray(score, dtype=float)
    bad = np.asarray(bad, dtype=bool)
    order = np.argsort(score, kind="mergesort")
    s, b = score[order], bad[order]
    ranks = pd.Series(s).rank(method="average").to_numpy()
    goods, bads = (~b).sum(), b.sum()
    auc = (ranks[~b].sum() - goods * (goods + 1) / 2) / (goods * bads)
    uniq_last = np.r_[s[1:] != s[:-1], True]
    cb = np.cumsum(b)[uniq_last] / bads
    cg = np.cumsum(~b)[uniq_last] / goods
    return auc, float(np.max(np.abs(cb - cg)))


def score_only():
    """compare.py --score-only SCORES.csv TARGET BAD_VALUE LABEL TOOL: AUC / KS of a scored file."""
    scores, target, bad_value, label, tool = sys.argv[2:7]
    ch = pd.read_csv(scores)
    auc, ks = auc_ks(ch["score"], ch[target].astype(str).isin([bad_value, "1", "1.0"]))
    print(f"| {label} | {tool} | — | {auc:.4f} | {ks:.4f} |")


def main():
    if sys.argv[1] == "--score-only":
        return score_only()
    train_path, test_path, target, bad_value, ch_scores, ch_secs, label = sys.argv[1:8]
    import scorecardpy as sc
    from sklearn.linear_model import LogisticRegression

    train = pd.read_csv(train_path)
    test = pd.read_csv(test_path)
    for d in (train, test):
        d[target] = (d[target].astype(str) == bad_value).astype(int)
    drop = [c for c in ("loan_id", "start_on") if c in train.columns]
    train = train.drop(columns=drop)
    test = test.drop(columns=drop)

    quiet = contextlib.redirect_stdout(io.StringIO())
    quiet.__enter__()
    t = time.perf_counter()
    kept = sc.var_filter(train, y=target, iv_limit=0.02, missing_limit=0.95, identical_limit=0.95)
    bins = sc.woebin(kept, y=target, print_step=0)
    train_woe = sc.woebin_ply(kept, bins, print_step=0)
    x = [c for c in train_woe.columns if c != target]
    lr = LogisticRegression(penalty="l1", C=0.9, solver="liblinear")
    lr.fit(train_woe[x], train_woe[target])
    card = sc.scorecard(bins, lr, x, points0=600, odds0=1 / 30, pdo=50)
    secs = time.perf_counter() - t

    score = sc.scorecard_ply(test, card, print_step=0)["score"]
    quiet.__exit__(None, None, None)
    sp_auc, sp_ks = auc_ks(score, test[target] == 1)

    ch = pd.read_csv(ch_scores)
    ch_auc, ch_ks = auc_ks(ch["score"], (ch[target].astype(str) == bad_value) | (ch[target].astype(str) == "1"))

    print(f"| {label} | credithub scorecard fit | {float(ch_secs):.2f} | {ch_auc:.4f} | {ch_ks:.4f} |")
    print(f"| {label} | scorecardpy {sc.__version__} woebin + LogisticRegression | {secs:.2f} | {sp_auc:.4f} | {sp_ks:.4f} |")


if __name__ == "__main__":
    main()
