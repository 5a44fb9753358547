#!/usr/bin/env bash
# The README's curl session, start to finish, against a fresh `keel serve` on loopback:
# a strategy, a backtest, a paper run and its state, a control, a broker connection, the
# leaderboard, metrics and MCP. Run from the repository's root after `swift build --product keel`.
set -euo pipefail
KEEL=${KEEL:-.build/debug/keel}
WORK=$(mktemp -d)
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT
mkdir "$WORK/data"
cp Examples/data/AAPL.csv "$WORK/data/"
$KEEL data events AAPL=Examples/data/AAPL.csv > "$WORK/data/AAPL.jsonl"
python3 -c 'import secrets; print(secrets.token_hex(16))' > "$WORK/api.token"
export KEEL_SECRET_KEY=$(python3 -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())')
$KEEL serve --port 0 --db "$WORK/keel.db" --token-file "$WORK/api.token" --data-dir "$WORK/data" > "$WORK/serve.out" 2> "$WORK/serve.err" &
SERVER=$!
until grep -q listening "$WORK/serve.out" 2>/dev/null; do sleep 0.1; done
K=$(sed -n 's/listening on //p' "$WORK/serve.out")
T="Authorization: Bearer $(cat "$WORK/api.token")"
field() { python3 -c "import json, sys; print(json.load(sys.stdin)$1)"; }
say() { printf '\n$ %s\n' "$*"; }

say curl $K/health
curl -s $K/health; echo
say curl -H "\$T" -X POST $K/v1/strategies --data-binary @body.json
python3 -c 'import json; print(json.dumps({"source": open("Strategies/sma_cross.yaml").read()}))' > "$WORK/body.json"
curl -s -H "$T" -X POST $K/v1/strategies --data-binary @"$WORK/body.json" | tee "$WORK/st.json"; echo
ST=$(field '["id"]' < "$WORK/st.json")
say curl -H "\$T" -X POST $K/v1/backtests -d '{"strategy_id":"'$ST'","data":{"AAPL":"AAPL.csv"}}'
BT=$(curl -s -H "$T" -X POST $K/v1/backtests -d '{"strategy_id":"'$ST'","data":{"AAPL":"AAPL.csv"}}' | tee /dev/stderr | field '["id"]') 2>&1
sleep 1
say curl -H "\$T" $K/v1/backtests/$BT '| (status, final equity, trades)'
curl -s -H "$T" $K/v1/backtests/$BT | python3 -c 'import json,sys; b=json.load(sys.stdin); print(b["status"], b["result"]["final_equity"], len(b["result"]["trades"]))'
say curl -H "\$T" -X POST $K/v1/runs -d '{"strategy_id":"'$ST'","stream":"AAPL.jsonl","symbols":["AAPL"]}'
RUN=$(curl -s -H "$T" -X POST $K/v1/runs -d '{"strategy_id":"'$ST'","stream":"AAPL.jsonl","symbols":["AAPL"]}' | tee /dev/stderr | field '["id"]') 2>&1
sleep 1
say curl -H "\$T" $K/v1/runs/$RUN
curl -s -H "$T" $K/v1/runs/$RUN; echo
say curl -H "\$T" $K/v1/runs/$RUN/positions
curl -s -H "$T" $K/v1/runs/$RUN/positions; echo
say curl -H "\$T" "$K/v1/runs/$RUN/trades?limit=1"
curl -s -H "$T" "$K/v1/runs/$RUN/trades?limit=1"; echo
say curl -H "\$T" -X POST $K/v1/runs/$RUN/halt '(the run ended with its file: 409)'
curl -s -H "$T" -X POST $K/v1/runs/$RUN/halt; echo
say curl -H "\$T" -X POST $K/v1/brokers -d '{"name":"paper","url":"http://127.0.0.1:9100","credentials":{"token":"..."}}'
curl -s -H "$T" -X POST $K/v1/brokers -d '{"name":"paper","url":"http://127.0.0.1:9100","credentials":{"token":"secret-token"}}'; echo
say curl -H "\$T" "$K/v1/leaderboard?by=return"
curl -s -H "$T" "$K/v1/leaderboard?by=return"; echo
say curl -H "\$T" $K/metrics '| grep -E "^keel_(http_requests|run_sharpe)"'
curl -s -H "$T" $K/metrics | grep -E "^keel_(http_requests|run_sharpe)"
say curl -H "\$T" -X POST $K/mcp -d '{"jsonrpc":"2.0","id":1,"method":"tools/list"}' '| (tool names)'
curl -s -H "$T" -X POST $K/mcp -d '{"jsonrpc":"2.0","id":1,"method":"tools/list"}' | python3 -c 'import json,sys; print([t["name"] for t in json.load(sys.stdin)["result"]["tools"]])'
say curl -X POST $K/v1/strategies '(no token)'
curl -s -X POST $K/v1/strategies; echo
