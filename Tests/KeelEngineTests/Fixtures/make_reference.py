#!/usr/bin/env python3
"""Writes indicator_reference.json: Keel's indicators computed once by TA-Lib (0.6+, from PyPI) where
it has them, and by the plain definitions below where it does not. Run it from a virtualenv outside
the repository: python3 make_reference.py ../../KeelTestSupport/Fixtures/bars

Differences from TA-Lib on purpose (the test accounts for them): roc, pct_change and natr are
fractions (TA-Lib's are 100 times larger); RSI is 50, not 0, when prices never changed. stdev,
variance, zscore and bbands come from an exact two-pass computation, not TA-Lib, whose running
E[x^2] - E[x]^2 loses digits when the variance is tiny next to the mean (UNITBTC1M); Keel's
re-centred sums keep them, and on ORCL the two agree anyway.
"""
import csv, json, math, sys, datetime as dt
import numpy as np
import talib

BARS = 600
folder = sys.argv[1]

def load(name):
    rows = list(csv.DictReader(open(f"{folder}/{name}.csv")))[:BARS]
    col = lambda k: np.array([float(r[k]) for r in rows])
    times = [int(dt.datetime.fromisoformat(r["timestamp"].replace("Z", "+00:00")).timestamp() * 1000) for r in rows]
    return {"time": times, "open": col("open"), "high": col("high"), "low": col("low"), "close": col("close"), "volume": col("volume")}

def out(a):
    return [None if (x is None or (isinstance(x, float) and math.isnan(x))) else float(x) for x in a]

def two_pass(x, n):
    """Exact window mean and population variance: math.fsum, then deviations from the mean."""
    mean = [math.nan] * len(x); var = [math.nan] * len(x)
    for i in range(n - 1, len(x)):
        w = x[i - n + 1:i + 1]; m = math.fsum(w) / n
        mean[i] = m; var[i] = math.fsum((v - m) ** 2 for v in w) / n
    return np.array(mean), np.array(var)

def rma(x, n):
    r = [math.nan] * len(x); start = next(i for i, v in enumerate(x) if not math.isnan(v))
    if start + n > len(x): return r
    r[start + n - 1] = sum(x[start:start + n]) / n
    for i in range(start + n, len(x)): r[i] = (r[i - 1] * (n - 1) + x[i]) / n
    return r

def hma(x, n):
    a = talib.WMA(x, n // 2); b = talib.WMA(x, n)
    d = 2 * a - b
    first = np.argmax(~np.isnan(d))
    res = np.full(len(x), np.nan)
    res[first:] = talib.WMA(d[first:], int(math.sqrt(n)))
    return res

def window_ratio(num, den, n, empty):
    res = [math.nan] * len(num)
    for i in range(n - 1, len(num)):
        v = sum(den[i - n + 1:i + 1]); p = sum(num[i - n + 1:i + 1])
        res[i] = empty(i) if v == 0 else p / v
    return res

def supertrend(h, l, c, n, m):
    atr = talib.ATR(h, l, c, n); line = [math.nan] * len(c); direction = [math.nan] * len(c)
    upper = lower = math.nan; d = -1.0
    for i in range(len(c)):
        if math.isnan(atr[i]): continue
        mid = (h[i] + l[i]) / 2; bu = mid + m * atr[i]; bl = mid - m * atr[i]
        if math.isnan(upper):
            upper, lower = bu, bl
        else:
            was_up = d > 0
            upper = bu if (bu < upper or c[i - 1] > upper) else upper
            lower = bl if (bl > lower or c[i - 1] < lower) else lower
            d = (-1.0 if c[i] < lower else 1.0) if was_up else (1.0 if c[i] > upper else -1.0)
        line[i] = lower if d > 0 else upper; direction[i] = d
    return line, direction

def vwap(h, l, c, v, t):
    res = []; day = None; pv = vol = 0.0
    for i in range(len(c)):
        d = t[i] // 86_400_000
        if d != day: day, pv, vol = d, 0.0, 0.0
        tp = (h[i] + l[i] + c[i]) / 3; pv += tp * v[i]; vol += v[i]
        res.append(tp if vol == 0 else pv / vol)
    return res

def cross(a, b, above):
    r = [math.nan] * len(a)
    for i in range(1, len(a)):
        if any(math.isnan(x) for x in (a[i], b[i], a[i - 1], b[i - 1])): continue
        r[i] = 1.0 if ((a[i - 1] <= b[i - 1] and a[i] > b[i]) if above else (a[i - 1] >= b[i - 1] and a[i] < b[i])) else 0.0
    return r

def rising(x, n):
    r = [math.nan] * len(x)
    for i in range(n, len(x)): r[i] = 1.0 if all(x[j] > x[j - 1] for j in range(i - n + 1, i + 1)) else 0.0
    return r

def barssince(cond):
    r = []; count = -1
    for c in cond:
        if c == 1.0: count = 0
        elif count >= 0: count += 1
        r.append(float(count) if count >= 0 else math.nan)
    return r

def valuewhen(cond, x, k):
    r = []; seen = []
    for c, v in zip(cond, x):
        if c == 1.0: seen.append(v)
        r.append(seen[-1 - k] if len(seen) > k else math.nan)
    return r

cases = []
def case(data, name, args, outputs):
    cases.append({"data": data, "name": name, "args": args, "outputs": {k: out(v) for k, v in outputs.items()}})

for data in ["ORCL", "UNITBTC1M"]:
    d = load(data); o, h, l, c, v, t = d["open"], d["high"], d["low"], d["close"], d["volume"], d["time"]
    case(data, "sma", {"n": 20}, {"value": talib.SMA(c, 20)})
    case(data, "ema", {"n": 20}, {"value": talib.EMA(c, 20)})
    case(data, "wma", {"n": 20}, {"value": talib.WMA(c, 20)})
    case(data, "dema", {"n": 10}, {"value": talib.DEMA(c, 10)})
    case(data, "tema", {"n": 10}, {"value": talib.TEMA(c, 10)})
    case(data, "kama", {"n": 10}, {"value": talib.KAMA(c, 10)})
    case(data, "rma", {"n": 14}, {"value": rma(list(c), 14)})
    case(data, "hma", {"n": 16}, {"value": hma(c, 16)})
    case(data, "vwma", {"n": 20}, {"value": window_ratio(list(c * v), list(v), 20, lambda i: c[i])})
    case(data, "rsi", {"n": 14}, {"value": talib.RSI(c, 14)})
    k, dd = talib.STOCH(h, l, c, fastk_period=14, slowk_period=3, slowk_matype=0, slowd_period=3, slowd_matype=0)
    case(data, "stoch", {"n": 14, "d": 3, "smooth": 3}, {"k": k, "d": dd})
    k, dd = talib.STOCH(h, l, c, fastk_period=5, slowk_period=1, slowk_matype=0, slowd_period=3, slowd_matype=0)
    case(data, "stoch", {"n": 5, "d": 3, "smooth": 1}, {"k": k, "d": dd})
    r = talib.RSI(c, 14)
    k, dd = talib.STOCH(r, r, r, fastk_period=14, slowk_period=3, slowk_matype=0, slowd_period=3, slowd_matype=0)
    case(data, "stochrsi", {"n": 14, "rsi_period": 14, "smooth": 3, "d": 3}, {"k": k, "d": dd})
    m, s, hist = talib.MACD(c, 12, 26, 9)
    case(data, "macd", {"fast": 12, "slow": 26, "signal": 9}, {"macd": m, "signal": s, "histogram": hist})
    case(data, "cci", {"n": 20}, {"value": talib.CCI(h, l, c, 20)})
    case(data, "mfi", {"n": 14}, {"value": talib.MFI(h, l, c, v, 14)})
    case(data, "williams_r", {"n": 14}, {"value": talib.WILLR(h, l, c, 14)})
    case(data, "roc", {"n": 10}, {"value": talib.ROC(c, 10) / 100})
    case(data, "momentum", {"n": 10}, {"value": talib.MOM(c, 10)})
    case(data, "atr", {"n": 14}, {"value": talib.ATR(h, l, c, 14)})
    case(data, "natr", {"n": 14}, {"value": talib.NATR(h, l, c, 14) / 100})
    case(data, "true_range", {}, {"value": talib.TRANGE(h, l, c)})
    case(data, "dmi", {"n": 14}, {"plus": talib.PLUS_DI(h, l, c, 14), "minus": talib.MINUS_DI(h, l, c, 14)})
    case(data, "adx", {"n": 14}, {"value": talib.ADX(h, l, c, 14)})
    st, sd = supertrend(h, l, c, 10, 3.0)
    case(data, "supertrend", {"n": 10, "multiplier": 3}, {"line": st, "direction": sd})
    mean, var = two_pass(list(c), 20)
    case(data, "stdev", {"n": 20}, {"value": np.sqrt(var)})
    case(data, "variance", {"n": 20}, {"value": var})
    case(data, "zscore", {"n": 20}, {"value": (c - mean) / np.sqrt(var)})
    case(data, "bbands", {"n": 20, "k": 2}, {"upper": mean + 2 * np.sqrt(var), "middle": mean, "lower": mean - 2 * np.sqrt(var)})
    if data == "ORCL":  # TA-Lib agrees where the variance is not tiny next to the mean
        assert np.allclose(talib.VAR(c, 20, 1)[19:], var[19:], rtol=1e-9, atol=0)
    e = talib.EMA(c, 20); a = talib.ATR(h, l, c, 10)
    case(data, "keltner", {"n": 20, "k": 2, "atr_period": 10}, {"upper": e + 2 * a, "middle": e, "lower": e - 2 * a})
    hh = talib.MAX(h, 20); ll = talib.MIN(l, 20)
    case(data, "donchian", {"n": 20}, {"upper": hh, "middle": (hh + ll) / 2, "lower": ll})
    case(data, "highest", {"n": 20}, {"value": talib.MAX(c, 20)})
    case(data, "lowest", {"n": 20}, {"value": talib.MIN(c, 20)})
    case(data, "obv", {}, {"value": talib.OBV(c, v)})
    mfv = [0.0 if h[i] == l[i] else ((c[i] - l[i]) - (h[i] - c[i])) / (h[i] - l[i]) * v[i] for i in range(len(c))]
    case(data, "cmf", {"n": 20}, {"value": window_ratio(mfv, list(v), 20, lambda i: 0.0)})
    case(data, "vwap", {}, {"value": vwap(h, l, c, v, t)})
    fast = list(talib.SMA(c, 10)); slow = list(talib.SMA(c, 30))
    up = cross(fast, slow, True)
    case(data, "crosses_above", {"fast": 10, "slow": 30}, {"value": up})
    case(data, "crosses_below", {"fast": 10, "slow": 30}, {"value": cross(fast, slow, False)})
    case(data, "rising", {"n": 3}, {"value": rising(list(c), 3)})
    case(data, "barssince", {"fast": 10, "slow": 30}, {"value": barssince(up)})
    case(data, "valuewhen", {"fast": 10, "slow": 30, "occurrence": 1}, {"value": valuewhen(up, list(c), 1)})

inputs = {}
for data in ["ORCL", "UNITBTC1M"]:
    d = load(data)
    inputs[data] = {k: (d[k] if k == "time" else out(d[k])) for k in ["time", "open", "high", "low", "close", "volume"]}
json.dump({"generator": "make_reference.py", "talib": talib.__version__, "bars": BARS, "inputs": inputs, "cases": cases},
          open("indicator_reference.json", "w"), separators=(",", ":"))
print(len(cases), "cases")
