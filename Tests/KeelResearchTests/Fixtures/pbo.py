# Makes pbo.json: the probability of backtest overfitting by CSCV (Bailey, Borwein, Lopez de Prado
# and Zhu, 2015) as pypbo computes it (github.com/esvhd/pypbo, commit ddbc631, AGPL: run, not
# copied), for Keel's Overfitting to be checked against. Run outside the repository with pypbo's
# folder on PYTHONPATH and numpy, scipy, pandas, seaborn, statsmodels, joblib, psutil installed.
import json, sys, numpy as np
import pypbo

def sharpe(x):
    # Mean over sample standard deviation per column, 0 without variance (Keel's convention).
    mean, std = x.mean(axis=0), x.std(axis=0, ddof=1)
    return np.where(std > 0, mean / np.where(std > 0, std, 1), 0.0)

rng = np.random.default_rng(20261207)
cases = []
def case(name, M, S):
    result = pypbo.pbo(M, S=S, metric_func=sharpe, threshold=0, n_jobs=1, verbose=False, plot=False, hist=False)
    cases.append({"name": name, "blocks": S, "returns": np.round(M, 10).T.tolist(),
                  "pbo": float(result.pbo), "median_logit": float(np.median(result.logits)), "splits": len(result.logits)})

# Noise: 12 trials of pure noise, 168 periods (8 of them left out of 16 blocks of 10).
case("noise", rng.normal(0, 0.01, (168, 12)), 16)
# Skill: trial k drifts by k, so the in-sample best is also best out of sample.
case("skill", rng.normal(0, 0.01, (160, 10)) + np.arange(10) * 0.0006, 16)
# Mixed, fewer blocks: 25 trials, one with a real drift, the rest noise.
mixed = rng.normal(0, 0.01, (120, 25)); mixed[:, 7] += 0.002
case("mixed", mixed, 8)
json.dump({"source": "pypbo ddbc631 (github.com/esvhd/pypbo), metric: mean / sample std, 0 without variance", "cases": cases},
          open("pbo.json", "w"))
