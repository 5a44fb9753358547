"""Drives keel serve through a client generated from its OpenAPI document by openapi-python-client.

Usage: generated_client.py CLIENT_DIR URL TOKEN STRATEGY_FILE
CLIENT_DIR holds the generated package (keel_client). Creates a strategy, runs a backtest on
ORCL.csv and waits for it, runs it on paper over ORCL.jsonl and waits for the run to end, reads
the run's portfolio and trades. Every call goes through the generated functions and models.
Prints one JSON object of what it saw.
"""
import importlib, json, sys, time

sys.path.insert(0, sys.argv[1])
URL, TOKEN, STRATEGY = sys.argv[2], sys.argv[3], sys.argv[4]

from keel_client import AuthenticatedClient  # noqa: E402

api = "keel_client.api.default."


def call(name, **arguments):
    """The generated function of one operation, by its operationId; its parsed answer."""
    response = importlib.import_module(api + name).sync_detailed(client=client, **arguments)
    if response.status_code >= 400:
        raise SystemExit(f"{name}: {response.status_code} {response.content[:300]!r}")
    return response


def model(name):
    module, _, cls = name.rpartition(".")
    return getattr(importlib.import_module("keel_client.models." + module), cls)


def settled(name, id):
    """Reads a backtest or a run through its generated function until it leaves `running` (60 s at most)."""
    deadline = time.time() + 60
    while True:
        view = call(name, id=id).parsed
        if view.status != "running" or time.time() > deadline:
            return view
        time.sleep(0.1)


client = AuthenticatedClient(base_url=URL, token=TOKEN, raise_on_unexpected_status=True)
out = {}
source = open(STRATEGY).read()

created = call("post_v1_strategies", body=model("post_v1_strategies_body.PostV1StrategiesBody")(source=source)).parsed
out["strategy"] = {"id": created.id, "mode": created.mode, "version": created.version}

Backtest = model("post_v1_backtests_body.PostV1BacktestsBody")
Data = model("post_v1_backtests_body_data.PostV1BacktestsBodyData")
data = Data.from_dict({"ORCL": "ORCL.csv"})
started = call("post_v1_backtests", body=Backtest(strategy_id=created.id, data=data, capital=100000.0)).parsed
out["backtest_started"] = started.status
backtest = settled("get_v1_backtests_id", started.id)
result = backtest.result
out["backtest"] = {"id": backtest.id, "status": backtest.status, "final_value": backtest.final_value,
                   "trades": len(result.trades) if result else None, "final_equity": result.final_equity if result else None}

Run = model("post_v1_runs_body.PostV1RunsBody")
run = call("post_v1_runs", body=Run(strategy_id=created.id, stream="ORCL.jsonl", symbols=["ORCL"], bar_seconds=86400)).parsed
view = settled("get_v1_runs_id", run.id)
out["run"] = {"status": view.status, "mode": view.mode, "last_seq": view.last_seq}
trades = call("get_v1_runs_id_trades", id=run.id, limit=500)
out["run_trades"] = len(trades.parsed)
out["run_trades_total"] = int(trades.headers.get("x-total-count", "-1"))
portfolio = call("get_v1_runs_id_portfolio", id=run.id).parsed
out["run_portfolio_status"] = portfolio.status
out["run_final_equity"] = portfolio.additional_properties.get("final_equity")
print(json.dumps(out))
