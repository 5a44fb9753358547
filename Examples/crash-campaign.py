#!/usr/bin/env python3
"""The long crash campaign for `keel run --paper` (the test suite runs 50 kills; this runs 1,000).

Streams S2E over ORCL (5,036 daily bars) into a state file, kills the runner with SIGKILL at random
instants, restarts it with the same command until it finishes, and checks each state file against
one uninterrupted run: the same `keel runs show` JSON, the same fills and orders, unique fill ids,
and `PRAGMA integrity_check` ok.

    swift build -c release --product keel
    python3 Examples/crash-campaign.py 1000            # KEEL=path/to/keel to use another binary
"""
import json, os, random, signal, sqlite3, subprocess, sys, tempfile, time

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
keel = os.environ.get("KEEL", os.path.join(root, ".build/release/keel"))
target = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
per_run = 10
work = tempfile.mkdtemp(prefix="keel-crash-")
stream = os.path.join(work, "orcl.jsonl")
with open(stream, "w") as out:
    subprocess.run([keel, "data", "events", "ORCL=" + os.path.join(root, "Tests/KeelTestSupport/Fixtures/bars/ORCL.csv")], stdout=out, check=True)
strategy = os.path.join(root, "Tests/KeelTestSupport/Fixtures/conformance/strategies/S2E.yaml")

def command(state):
    return [keel, "run", strategy, "--paper", "--stream", stream, "--state", state, "--symbols", "ORCL", "--timeframe", "1d",
            "--run-id", "run", "--commit-every", "32"]

def show(state):
    return subprocess.run([keel, "runs", "show", "run", "--state", state, "--format", "json"], capture_output=True, text=True, check=True).stdout

def table(state, sql):
    with sqlite3.connect(state) as db:
        return db.execute(sql).fetchall()

reference = os.path.join(work, "reference.db")
started = time.monotonic()
subprocess.run(command(reference), capture_output=True, check=True)
duration = time.monotonic() - started
expected = show(reference)
fills_sql = "SELECT fill_id, client_order_id, symbol, side, quantity, price, fee, time, reason FROM fills ORDER BY id"
orders_sql = "SELECT client_order_id, status, quantity FROM orders ORDER BY client_order_id"
expected_fills, expected_orders = table(reference, fills_sql), table(reference, orders_sql)
print(f"reference: {len(expected_fills)} fills in {duration:.2f} s; killing at random instants within that", flush=True)

rng = random.Random(int(os.environ.get("SEED", "20261121")))
kills = runs = restarts = 0
failures = []
while kills < target:
    runs += 1
    state = os.path.join(work, f"crash-{runs}.db")
    here = 0
    while True:
        process = subprocess.Popen(command(state), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        restarts += 1
        if here < per_run and kills < target:
            time.sleep(rng.uniform(0.005, duration))
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
            if process.wait() == -signal.SIGKILL:
                kills += 1
                here += 1
                continue
        elif process.wait() != 0:
            failures.append(f"run {runs}: exit {process.returncode}")
        break
    problems = []
    if show(state) != expected: problems.append("runs show differs")
    fills = table(state, fills_sql)
    if fills != expected_fills: problems.append(f"{len(fills)} fills, expected {len(expected_fills)}")
    if len({f[0] for f in fills}) != len(fills): problems.append("a fill id appears twice")
    if table(state, orders_sql) != expected_orders: problems.append("orders differ")
    if table(state, "PRAGMA integrity_check") != [("ok",)]: problems.append("integrity_check failed")
    if problems: failures.append(f"run {runs} ({here} kills): " + "; ".join(problems))
    os.remove(state)
    print(f"\r{kills} kills, {runs} runs, {restarts} starts, {len(failures)} failures", end="", flush=True)

print()
print(json.dumps({"kills": kills, "runs": runs, "starts": restarts, "failures": failures}))
sys.exit(1 if failures else 0)
