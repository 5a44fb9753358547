"""Drives keel broker serve through a client generated from its OpenAPI document by openapi-python-client.

Usage: broker_client.py CLIENT_DIR URL TOKEN
CLIENT_DIR holds the generated package (keel_trading_api_client). Feeds bars of X through
POST /sim/bars (plain HTTP: a test route), then trades through the generated functions and
models only: three market buys of 0.1, 0.2 and 1e-8, a bracket limit changed and cancelled, a
partial close of the position by its id. Prints one JSON object of what it saw.
"""
import importlib, json, sys

sys.path.insert(0, sys.argv[1])
URL, TOKEN = sys.argv[2], sys.argv[3]

import httpx  # noqa: E402
from keel_trading_api_client import AuthenticatedClient  # noqa: E402

api = "keel_trading_api_client.api.default."
models = "keel_trading_api_client.models."


def call(name, **arguments):
    """The generated function of one operation, by its operationId; its parsed answer."""
    response = importlib.import_module(api + name).sync_detailed(client=client, **arguments)
    if response.status_code >= 400:
        raise SystemExit(f"{name}: {response.status_code} {response.content[:300]!r}")
    return response.parsed


def model(name):
    module, _, cls = name.rpartition(".")
    return getattr(importlib.import_module(models + module), cls)


def bar(day, price):
    line = {"type": "bar", "symbol": "X", "timestamp": f"2024-01-{day:02d}T00:00:00Z", "open": price, "high": price, "low": price,
            "close": price, "volume": 1}
    answer = httpx.post(URL + "/sim/bars", content=json.dumps(line) + "\n", headers={"Authorization": f"Bearer {TOKEN}"})
    answer.raise_for_status()


client = AuthenticatedClient(base_url=URL, token=TOKEN, raise_on_unexpected_status=True)
out = {}
bar(1, 0.1)
out["ready"] = call("get_ready").ready

Body = model("post_orders_body.PostOrdersBody")
Side = model("post_orders_body_side.PostOrdersBodySide")
Type = model("post_orders_body_order_type.PostOrdersBodyOrderType")
placed = [call("post_orders", body=Body(symbol="X", side=Side.BUY, quantity=q, client_order_id=f"m{i}")) for i, q in enumerate(["0.1", "0.2", "1e-8"])]
out["placed"] = [[o.status.value, o.quantity, o.client_order_id] for o in placed]

limit = call("post_orders", body=Body(symbol="X", side=Side.BUY, quantity="5", order_type=Type.LIMIT, limit_price="0.05",
                                       stop_loss="0.04", take_profit="0.2", client_order_id="bracket"))
Change = model("patch_orders_id_body.PatchOrdersIdBody")
changed = call("patch_orders_id", id=limit.id, body=Change(limit_price="0.06"))
out["changed_limit"] = changed.limit_price
cancelled = call("delete_orders_id", id=limit.id)
out["cancelled"] = [cancelled.success, cancelled.order.status.value]

bar(2, 0.1)
positions = call("get_positions")
out["position"] = [positions[0].side.value, positions[0].quantity, positions[0].entry_price]
Close = model("delete_positions_id_body.DeletePositionsIdBody")
close = call("delete_positions_id", id=positions[0].id, body=Close(quantity="0.1"))
out["close"] = [close.side.value, close.quantity, close.reduce_only]
bar(3, 0.1)
out["after_close"] = call("get_positions_id", id=positions[0].id).quantity
trades = call("get_trades", order=model("get_trades_order.GetTradesOrder").ASC)
out["trades"] = [t.quantity for t in trades]
history = call("get_orders_history", status=[model("get_orders_history_status_item.GetOrdersHistoryStatusItem").FILLED])
out["filled"] = sorted(o.client_order_id for o in history)
account = call("get_account")
out["account"] = {"balance": account.balance, "equity": account.equity, "currency": account.currency}
out["capabilities"] = call("get_capabilities").order_types
print(json.dumps(out))
