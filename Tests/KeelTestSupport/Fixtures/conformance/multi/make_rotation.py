"""The expected answer of rotation_real, from an independent simulator of DESIGN.md section 4 (the
multi-symbol contract) written for this one strategy: no fees, 100% of equity, top 1 by
roc(close, 20), entry always true, no stops, no risk limits. Also cuts the three series to their
common dates. Run: python3 make_rotation.py ORCL.csv NVDA.csv GOOG.csv (the originals)."""
import csv, json, math, os, sys

here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "rotation_real")
symbols = ["ORCL", "NVDA", "GOOG"]

def read(path):
    rows = {}
    with open(path) as f:
        for r in csv.reader(f):
            if not r or not r[1][:1].isdigit():
                continue
            day = r[0][:10]
            rows[day] = [float(x) for x in r[1:6]]
    return rows

if len(sys.argv) == 4:
    series = [read(p) for p in sys.argv[1:]]
    days = sorted(set.intersection(*[set(s) for s in series]))
    for sym, s in zip(symbols, series):
        with open(os.path.join(here, sym + ".csv"), "w") as f:
            f.write("timestamp,open,high,low,close,volume\n")
            for d in days:
                o, h, l, c, v = s[d]
                f.write(f"{d}T00:00:00Z,{o!r},{h!r},{l!r},{c!r},{int(v)}\n")

data = [read(os.path.join(here, s + ".csv")) for s in symbols]
days = sorted(data[0])
cash, pos = 100000.0, {}          # pos[symbol] = (quantity, entry price, entry day)
pending_exit, pending_entry = set(), set()
trades, closes = [], {s: [] for s in symbols}
for t, day in enumerate(days):
    bar = {s: data[i][day] for i, s in enumerate(symbols)}
    # 1. At the open: every exit, then every entry, sized on equity valued at this open.
    for s in symbols:
        if s in pending_exit:
            q, p, d = pos.pop(s)
            price = bar[s][0]
            cash += q * price
            trades.append({"symbol": s, "side": "long", "entry_time": d + "T00:00:00Z", "entry_price": p,
                           "exit_time": day + "T00:00:00Z", "exit_price": price, "quantity": q,
                           "exit_reason": "signal", "pnl": q * (price - p)})
    pending_exit.clear()
    for s in symbols:
        if s in pending_entry:
            price = bar[s][0]
            equity = cash + sum(q * bar[o][0] for o, (q, _, _) in pos.items())
            q = min(math.floor(equity / price), math.floor(cash / price))
            if q >= 1:
                cash -= q * price
                pos[s] = (float(q), price, day)
    pending_entry.clear()
    # 3-4. At the close: rank, exits for every symbol, then entries.
    for s in symbols:
        closes[s].append(bar[s][3])
    roc = {s: closes[s][-1] / closes[s][-21] - 1 for s in symbols if len(closes[s]) > 20}
    ranked = sorted(roc, key=lambda s: (-roc[s], symbols.index(s)))[:1]
    for s in symbols:
        if s in pos and s not in ranked:
            pending_exit.add(s)
    for s in symbols:
        if (s not in pos or s in pending_exit) and s in ranked and bar[s][3] > 0:
            pending_entry.add(s)

last = {s: data[i][days[-1]][3] for i, s in enumerate(symbols)}
expected = {
    "description": "ORCL, NVDA and GOOG on their common dates, the best 20-day return held all in: every rotation's sale fills before "
                   "its purchase, which is sized on the cash the sale returned. From an independent simulator (make_rotation.py).",
    "capital": 100000,
    "trades": trades,
    "open_positions": [{"symbol": s, "side": "long", "entry_time": d + "T00:00:00Z", "entry_price": p, "quantity": q}
                       for s in symbols if s in pos for (q, p, d) in [pos[s]]],
    "final_equity": cash + sum(q * last[s] for s, (q, _, _) in pos.items()),
    "data": ["GOOG", "NVDA", "ORCL"],
}
with open(os.path.join(here, "expected.json"), "w") as f:
    json.dump(expected, f, indent=1)
    f.write("\n")
print(len(trades), "trades, final equity", expected["final_equity"])
