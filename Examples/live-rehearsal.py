#!/usr/bin/env python3
"""A live run rehearsed end to end on this machine: `keel broker serve` as the broker, a bar file
as the market, `keel run --live` as the runner.

    python3 Examples/live-rehearsal.py STRATEGY EVENTS.jsonl [--bars N] [--faults JSON]

Each bar goes to the broker first (POST /sim/bars), then to the runner's stream; the script waits
until the runner has committed the bar and sent the orders it made, as a market's next bar would.
At the end it prints Keel's record next to the broker's. Uses the release binary (KEEL= to change).
"""
import argparse, json, os, secrets, sqlite3, subprocess, sys, tempfile, time, urllib.request

parser = argparse.ArgumentParser()
parser.add_argument('strategy')
parser.add_argument('events')
parser.add_argument('--bars', type=int, default=0, help='only the first N lines')
parser.add_argument('--faults', default='', help='e.g. {"timeout":2,"error":2,"drop":1,"rate_limit":1,"partial":2}')
parser.add_argument('--timeframe', default='1d')
args = parser.parse_args()

keel = os.environ.get('KEEL', os.path.join(os.path.dirname(__file__), '..', '.build', 'release', 'keel'))
folder = tempfile.mkdtemp(prefix='keel-rehearsal-')
token = secrets.token_hex(16)
open(os.path.join(folder, 'token'), 'w').write(token)
open(os.path.join(folder, 'run.yaml'), 'w').write('live: true\n')
state = os.path.join(folder, 'run.db')

broker = subprocess.Popen([keel, 'broker', 'serve', '--port', '0', '--token-file', os.path.join(folder, 'token')],
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
url = broker.stdout.readline().strip().removeprefix('listening on ')

def call(method, path, body=None):
    request = urllib.request.Request(url + path, data=body.encode() if body else None, method=method,
                                     headers={'Authorization': 'Bearer ' + token})
    return json.loads(urllib.request.urlopen(request).read())

lines = open(args.events).read().splitlines()
lines = lines[:args.bars] if args.bars else lines
symbols = sorted({json.loads(line)['symbol'] for line in lines if '"symbol"' in line})
if args.faults:
    call('POST', '/sim/faults', args.faults)
runner = subprocess.Popen([keel, 'run', args.strategy, '--live', '--config', os.path.join(folder, 'run.yaml'), '--broker', url,
                           '--broker-token-file', os.path.join(folder, 'token'), '--stream', '-', '--state', state,
                           '--symbols', ','.join(symbols), '--timeframe', args.timeframe, '--run-id', 'rehearsal', '--commit-every', '1'],
                          stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=open(os.path.join(folder, 'runner.log'), 'w'), text=True)

def caught_up(seq):
    try:
        db = sqlite3.connect(state, timeout=5)
        done = db.execute("SELECT last_seq FROM runs WHERE id = 'rehearsal'").fetchone()
        waiting = db.execute("SELECT COUNT(*) FROM broker_orders WHERE run_id = 'rehearsal' AND status = 'intent'").fetchone()[0]
        db.close()
        return done is not None and done[0] >= seq and waiting == 0
    except sqlite3.OperationalError:
        return False

started = time.time()
for i, line in enumerate(lines):
    call('POST', '/sim/bars', line + '\n')
    runner.stdin.write(line + '\n')
    runner.stdin.flush()
    while runner.poll() is None and not caught_up(i + 1):
        time.sleep(0.002)
runner.stdin.close()
runner.wait()
elapsed = time.time() - started

db = sqlite3.connect(state)
statuses = dict(db.execute("SELECT status, COUNT(*) FROM broker_orders GROUP BY status").fetchall())
recorded = db.execute("SELECT COUNT(*) FROM broker_fills WHERE kind = 'fill'").fetchone()[0]
held = dict(db.execute("SELECT symbol, SUM(CASE side WHEN 'buy' THEN qty ELSE -qty END) FROM broker_fills GROUP BY symbol").fetchall())
positions = {p['symbol']: float(p['quantity']) * (1 if p['side'] == 'LONG' else -1) for p in call('GET', '/positions')}
fills = call('GET', '/trades?order=asc&limit=5000')
broker.terminate()
print(f'{len(lines)} bars in {elapsed:.1f} s; runner exit {runner.returncode}; state and logs in {folder}')
print(f'orders by status: {statuses}')
print(f'broker fills: {len(fills)}; recorded by Keel: {recorded}')
print(f'positions, Keel\'s record: { {k: v for k, v in held.items() if v} }; the broker\'s: {positions}')
sys.exit(0 if runner.returncode == 0 and recorded == len(fills) else 1)
