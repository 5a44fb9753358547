"""Drives Keel's MCP endpoint with the official Python SDK's client (`mcp` on PyPI).

Usage: mcp_client.py URL TOKEN STRATEGY_ID
Opens a session, lists the tools, calls each kind of tool (a backtest with a progress callback),
reads a report, ends the session. Prints one JSON object of what it saw.
"""
import asyncio, json, sys

import httpx2
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

URL, TOKEN, STRATEGY = sys.argv[1], sys.argv[2], sys.argv[3]

SOURCE = """keel: 1
name: Source cross
symbols: [BIG]
entry: {long: crosses_above(sma(close, 10), sma(close, 30))}
exit: {long: crosses_below(sma(close, 10), sma(close, 30))}
stop_loss: 5%
"""


def text(result):
    return result.content[0].text if result.content and getattr(result.content[0], "type", "") == "text" else None


async def main():
    out = {}
    headers = {"Authorization": f"Bearer {TOKEN}"}
    exchanges = []  # (method, status, session id) of every answer, seen by the HTTP client

    async def seen(response):
        exchanges.append([response.request.method, response.status_code, response.headers.get("mcp-session-id") or response.request.headers.get("mcp-session-id")])

    async with httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(60.0), event_hooks={"response": [seen]}) as http:
        async with streamable_http_client(URL + "/mcp", http_client=http) as (read, write):
            async with ClientSession(read, write) as session:
                init = await session.initialize()
                out["server"] = init.server_info.name
                out["protocol"] = init.protocol_version
                out["tools"] = sorted(tool.name for tool in (await session.list_tools()).tools)
                lint = await session.call_tool("lint_strategy", {"source": "keel: 1\nentry:\n  long: smaa(close, 3) > 1\n"})
                out["lint"] = json.loads(text(lint))
                progress = []

                async def on_progress(value, total, message):
                    progress.append([value, total, message])

                started = await session.call_tool("run_backtest", {"strategy_id": STRATEGY, "data": {"BIG": "BIG.csv"}, "wait_seconds": 60},
                                                  progress_callback=on_progress)
                out["backtest"] = json.loads(text(started))
                out["progress"] = progress
                source_progress = []

                async def on_source_progress(value, total, message):
                    source_progress.append([value, total, message])

                source = await session.call_tool("backtest_source", {"source": SOURCE, "data": {"BIG": "BIG.csv"}}, progress_callback=on_source_progress)
                out["source"] = json.loads(text(source))
                out["source_progress"] = source_progress
                broken = await session.call_tool("backtest_source", {"source": "keel: 1\nentry: {long: nope > 1}\n", "data": {"BIG": "BIG.csv"}})
                out["broken_is_error"] = broken.is_error
                report = await session.call_tool("get_report", {"backtest_id": out["backtest"]["id"]})
                resource = getattr(report.content[0], "resource", None)
                out["report"] = ({"uri": str(resource.uri), "mime": resource.mime_type, "starts": resource.text[:15], "length": len(resource.text)}
                                 if resource else {"error": text(report)})
                out["runs"] = json.loads(text(await session.call_tool("list_runs", {})))
                missing = await session.call_tool("halt_run", {"id": "run_0000000000000000"})
                out["halt_missing_is_error"] = missing.is_error
            # Leaving the client ends the session (DELETE /mcp): a message in it is then refused with 404.
        session_id = next(exchange[2] for exchange in exchanges if exchange[2])
        deleted = [exchange[1] for exchange in exchanges if exchange[0] == "DELETE"]
        after = await http.post(URL + "/mcp", json={"jsonrpc": "2.0", "id": 99, "method": "ping"}, headers={"mcp-session-id": session_id})
        out["session_ended"] = deleted == [204] and after.status_code == 404
        out["methods"] = sorted(set(exchange[0] for exchange in exchanges))
    print(json.dumps(out))


asyncio.run(main())
