#!/usr/bin/env python3
"""Load on keel serve's read routes, loopback only and bounded: requests per second and latency
percentiles per route.

    keel serve --port 8080 --db load.db --token-file api.token --data-dir Examples/data --rate-limit 0 &
    python3 Examples/load.py --url http://127.0.0.1:8080 --token-file api.token --seconds 10 --connections 4

It creates a strategy, runs one backtest and one paper run (on Examples/data/AAPL.csv) so the read
routes have something to read, then each connection (a thread with one keep-alive connection)
cycles through the routes until the time is up. The standard library only.
"""
import argparse, http.client, json, os, subprocess, sys, tempfile, threading, time, urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def request(conn, method, path, token, body=None):
    headers = {"Authorization": "Bearer " + token}
    if body is not None:
        headers["Content-Type"] = "application/json"
    conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    response = conn.getresponse()
    return response.status, response.read()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", default="http://127.0.0.1:8080")
    ap.add_argument("--token-file", required=True)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--connections", type=int, default=4)
    ap.add_argument("--data-dir", default=os.path.join(ROOT, "Examples/data"))
    args = ap.parse_args()
    url = urllib.parse.urlparse(args.url)
    if url.hostname not in ("127.0.0.1", "localhost", "::1"):
        sys.exit("load.py runs on loopback only")
    args.seconds = min(args.seconds, 120)
    args.connections = max(1, min(args.connections, 32))
    token = open(args.token_file).read().strip()
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)

    source = open(os.path.join(ROOT, "Strategies/sma_cross.yaml")).read()
    status, body = request(conn, "POST", "/v1/strategies", token, {"source": source})
    assert status == 201, body
    strategy = json.loads(body)["id"]
    status, body = request(conn, "POST", "/v1/backtests", token, {"strategy_id": strategy, "data": {"AAPL": "AAPL.csv"}})
    assert status == 202, body
    backtest = json.loads(body)["id"]
    # The paper run's stream: the bars as event lines, written inside the data folder.
    events = subprocess.run([os.path.join(ROOT, ".build/release/keel") if os.path.exists(os.path.join(ROOT, ".build/release/keel"))
                             else os.path.join(ROOT, ".build/debug/keel"), "data", "events",
                             "AAPL=" + os.path.join(args.data_dir, "AAPL.csv")], capture_output=True, text=True, check=True).stdout
    stream = "load-AAPL.jsonl"
    with open(os.path.join(args.data_dir, stream), "w") as f:
        f.write(events)
    status, body = request(conn, "POST", "/v1/runs", token, {"strategy_id": strategy, "stream": stream, "symbols": ["AAPL"]})
    assert status == 201, body
    run = json.loads(body)["id"]
    deadline = time.time() + 60
    while time.time() < deadline:
        done = json.loads(request(conn, "GET", f"/v1/backtests/{backtest}", token)[1])["status"] != "running"
        ended = json.loads(request(conn, "GET", f"/v1/runs/{run}", token)[1])["status"] != "running"
        if done and ended:
            break
        time.sleep(0.1)
    os.remove(os.path.join(args.data_dir, stream))

    routes = ["/health", "/v1/strategies", f"/v1/strategies/{strategy}", "/v1/backtests", f"/v1/backtests/{backtest}",
              f"/v1/runs/{run}", f"/v1/runs/{run}/portfolio", f"/v1/runs/{run}/positions", f"/v1/runs/{run}/trades",
              "/v1/leaderboard", "/v1/metrics", "/metrics"]
    latencies = {route: [] for route in routes}
    errors = []
    lock = threading.Lock()
    stop_at = time.time() + args.seconds

    def worker(offset):
        c = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
        mine = {route: [] for route in routes}
        i = offset
        while time.time() < stop_at:
            route = routes[i % len(routes)]
            i += 1
            start = time.perf_counter()
            status, _ = request(c, "GET", route, token)
            mine[route].append(time.perf_counter() - start)
            if status != 200:
                errors.append((route, status))
        with lock:
            for route, values in mine.items():
                latencies[route] += values

    started = time.time()
    threads = [threading.Thread(target=worker, args=(k,)) for k in range(args.connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.time() - started

    def pct(values, q):
        values = sorted(values)
        return values[min(len(values) - 1, max(0, int(q * len(values) + 0.999999) - 1))] * 1000 if values else float("nan")

    total = sum(len(v) for v in latencies.values())
    every = [x for v in latencies.values() for x in v]
    print(f"{total} requests in {elapsed:.1f} s over {args.connections} connections: {total / elapsed:,.0f} req/s, "
          f"p50 {pct(every, 0.5):.2f} ms, p99 {pct(every, 0.99):.2f} ms, errors {len(errors)}")
    print(f"{'route':40} {'requests':>9} {'p50 ms':>8} {'p99 ms':>8}")
    for route in routes:
        shown = route.replace(strategy, "{st}").replace(backtest, "{bt}").replace(run, "{run}")
        print(f"{shown:40} {len(latencies[route]):9d} {pct(latencies[route], 0.5):8.2f} {pct(latencies[route], 0.99):8.2f}")
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
