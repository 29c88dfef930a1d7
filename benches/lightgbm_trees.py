"""LightGBM on the ranker's own training rows, for `kolrec bench trees`.

Reads the out-of-fold feature rows kolrec wrote (train.csv, valid.csv: the 23 features, the
target `y` and the weight `w`), fits LightGBM with the ranker's settings (squared loss, the same
learning rate, leaves, depth, minimum leaf weight, L2, row and feature sampling, monotone
constraints, early stopping on the validation rows) and writes its fit time and validation
figures as JSON. Run with the peers' Python (../shared/bench/requirements.txt).
"""

import argparse
import json
import time

import lightgbm as lgb
import numpy as np


def read(path):
    with open(path) as f:
        names = f.readline().strip().split(",")
    data = np.genfromtxt(path, delimiter=",", skip_header=1, missing_values="", filling_values=np.nan)
    return names, data


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--dir", required=True)
    p.add_argument("--params", required=True, help="the ranker's parameters as JSON")
    p.add_argument("--monotone", required=True, help="comma-separated -1/0/1 per feature")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--out", required=True)
    a = p.parse_args()
    rp = json.loads(a.params)
    names, tr = read(f"{a.dir}/train.csv")
    _, va = read(f"{a.dir}/valid.csv")
    nf = len(names) - 2
    xt, yt, wt = tr[:, :nf], tr[:, nf], tr[:, nf + 1]
    xv, yv, wv = va[:, :nf], va[:, nf], va[:, nf + 1]
    params = dict(
        objective="regression",
        learning_rate=rp["learning_rate"],
        num_leaves=rp["max_leaves"],
        max_depth=rp["max_depth"],
        min_sum_hessian_in_leaf=rp["min_leaf_weight"],
        min_data_in_leaf=1,
        lambda_l2=rp["l2"],
        bagging_fraction=rp["subsample"],
        bagging_freq=1 if rp["subsample"] < 1 else 0,
        feature_fraction=rp["colsample"],
        monotone_constraints=[int(m) for m in a.monotone.split(",")],
        num_threads=a.threads,
        seed=rp["seed"],
        verbose=-1,
    )
    t0 = time.perf_counter()
    dt = lgb.Dataset(xt, yt, weight=wt, feature_name=names[:nf])
    dv = lgb.Dataset(xv, yv, weight=wv, reference=dt)
    model = lgb.train(params, dt, rp["max_trees"], valid_sets=[dv],
                      callbacks=[lgb.early_stopping(rp["patience"], verbose=False)])
    fit_s = time.perf_counter() - t0
    pv = model.predict(xv, num_iteration=model.best_iteration)
    rmse = float(np.sqrt(np.sum(wv * (pv - yv) ** 2) / np.sum(wv)))
    with open(a.out, "w") as f:
        json.dump({"model": "lightgbm", "version": lgb.__version__, "fit_seconds": fit_s,
                   "trees": int(model.best_iteration), "valid_rmse": rmse,
                   "valid_pred": pv.tolist()}, f)


if __name__ == "__main__":
    main()
