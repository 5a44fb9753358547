"""Reference metrics from empyrical (PyPI: empyrical-reloaded 0.7.1) on equity curves Keel wrote.

For each case: `keel backtest ... --format json --equity` gives the curve, committed as CASE.csv
(time, equity); the returns are equity over the previous point, the first over the starting
capital (as Keel counts them). empyrical gets Keel's annualization (the observed bars per year,
printed in the result), so the test checks the formulas, not the choice of factor.
Run from the repository root: python3 Tests/KeelEngineTests/Fixtures/metrics/make_metrics.py FILE.json CASE ...
"""
import json, os, sys
import numpy as np
import pandas as pd
import empyrical

here = os.path.dirname(os.path.abspath(__file__))
out_path = os.path.join(here, "empyrical.json")
out = json.load(open(out_path)) if os.path.exists(out_path) else {}
args = sys.argv[1:]
for source, case in zip(args[::2], args[1::2]):
    result = json.load(open(source))
    curve = [(p["time"], p["equity"]) for p in result["equity"]]
    with open(os.path.join(here, case + ".csv"), "w") as f:
        f.write("time,equity\n")
        for t, e in curve:
            f.write(f"{t},{e!r}\n")
    equity = np.array([e for _, e in curve])
    returns = pd.Series(np.r_[equity[0] / result["capital"] - 1, equity[1:] / equity[:-1] - 1])
    n = result["metrics"]["annualization"]
    out[case] = {
        "annualization": n,
        "sharpe": float(empyrical.sharpe_ratio(returns, annualization=n)),
        "sortino": float(empyrical.sortino_ratio(returns, annualization=n)),
        "volatility": float(empyrical.annual_volatility(returns, annualization=n)),
        "max_drawdown": float(-empyrical.max_drawdown(returns)),
        "annual_return": float(empyrical.annual_return(returns, annualization=n)),
        "calmar": float(empyrical.calmar_ratio(returns, annualization=n)),
    }
json.dump(out, open(out_path, "w"), indent=1)
print(json.dumps(out, indent=1))
