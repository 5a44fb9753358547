#!/usr/bin/env python3
"""Opens a page in headless Chromium and reports what a person would see.

Drives Chromium over the DevTools protocol on a pipe (--remote-debugging-pipe: fd 3 in, fd 4 out,
messages ended by NUL), so it needs nothing beyond Python and Chromium. Prints one JSON object:
console errors and exceptions, every network request the page made, what the page's probe says it
drew (window.keelReport), the result of optional actions, and writes a PNG screenshot.

    look.py PAGE.html SCREENSHOT.png [--height PX] [--timeout S] [--action JS]...
"""
import argparse, base64, json, os, shutil, subprocess, sys, tempfile, time

PROBE = r"""
(() => {
  const r = window.keelReport || {};
  const charts = {};
  for (const node of document.querySelectorAll('.chart')) {
    charts[node.id] = {
      traces: (node.data || []).length,
      paths: node.querySelectorAll('svg path').length,
      points: node.querySelectorAll('svg .point, svg .trace path').length,
      canvases: node.querySelectorAll('canvas').length,
      empty: node.classList.contains('empty'),
    };
  }
  const stats = [...document.querySelectorAll('tr[data-metric]')].map(tr => ({
    metric: tr.dataset.metric, value: tr.dataset.value ?? null, text: tr.querySelector('td')?.textContent ?? '' }));
  return JSON.stringify({ ready: !!r.ready, renderMs: r.renderMs ?? null, scriptMs: r.scriptMs ?? null, plotlyMs: r.plotlyMs ?? null, firstPaintMs: r.firstPaintMs ?? null, timings: r.timings || {}, errors: r.errors || [], drawn: r.charts || {},
    charts, stats, title: document.title, bodyReady: document.body.getAttribute('data-ready') });
})()
"""


class Browser:
    def __init__(self, chromium, width, height):
        self.profile = tempfile.mkdtemp(prefix="keel-chromium-")
        to_child_r, self.to_child = os.pipe()
        self.from_child, from_child_w = os.pipe()
        os.set_inheritable(to_child_r, True); os.set_inheritable(from_child_w, True)
        def wire():
            a, b = os.dup(to_child_r), os.dup(from_child_w)
            os.dup2(a, 3); os.dup2(b, 4)
        self.proc = subprocess.Popen(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe", "--no-first-run",
             "--no-default-browser-check", "--hide-scrollbars", f"--window-size={width},{height}",
             f"--user-data-dir={self.profile}", "about:blank"],
            # close_fds would close 3 and 4 after `wire`: the pipe's ends are set there instead.
            preexec_fn=wire, close_fds=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_child_r); os.close(from_child_w)
        self.buffer, self.next_id, self.events = b"", 0, []

    def send(self, method, params=None, session=None):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session: message["sessionId"] = session
        os.write(self.to_child, json.dumps(message).encode() + b"\0")
        return self.wait_for(self.next_id)

    def read(self):
        while b"\0" not in self.buffer:
            chunk = os.read(self.from_child, 1 << 20)
            if not chunk: raise RuntimeError("chromium closed the pipe")
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def wait_for(self, ident):
        while True:
            message = self.read()
            if message.get("id") == ident:
                if "error" in message: raise RuntimeError(f"{message['error']}")
                return message.get("result", {})
            self.events.append(message)

    def close(self):
        try: self.send("Browser.close")
        except Exception: pass
        try: self.proc.wait(timeout=10)
        except Exception: self.proc.kill()
        shutil.rmtree(self.profile, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("page"); parser.add_argument("screenshot")
    parser.add_argument("--width", type=int, default=1400); parser.add_argument("--height", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=60); parser.add_argument("--action", action="append", default=[])
    parser.add_argument("--pdf", help="also print the page to this PDF file, as the browser's Print does")
    parser.add_argument("--top", help="start the screenshot at this CSS selector's element (default: the page's top)")
    args = parser.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if not chromium:
        print(json.dumps({"error": "no chromium: apt-get install chromium"})); return 2
    browser = Browser(chromium, args.width, 1000)
    try:
        target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Runtime", "Log", "Network", "Page"):
            browser.send(f"{domain}.enable", session=session)
        browser.send("Page.navigate", {"url": "file://" + os.path.abspath(args.page)}, session=session)
        deadline, probe = time.time() + args.timeout, None
        def evaluate(expression):
            result = browser.send("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True}, session=session)
            if "exceptionDetails" in result: return {"exception": result["exceptionDetails"].get("text")}
            return result["result"].get("value")
        while time.time() < deadline:
            state = evaluate("document.body ? document.body.getAttribute('data-ready') : null")
            if state in ("true", "error"): break
            time.sleep(0.05)
        probe = json.loads(evaluate(PROBE))
        actions = []
        for action in args.action:
            actions.append(evaluate(action))
        time.sleep(0.3)
        metrics = browser.send("Page.getLayoutMetrics", session=session)
        top = 0
        if args.top:
            top = int(evaluate(f"(() => {{ const e = document.querySelector({json.dumps(args.top)}); return e ? e.getBoundingClientRect().top + window.scrollY : 0; }})()") or 0)
        height = args.height or int(metrics["cssContentSize"]["height"]) - top
        shot = browser.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True,
                                                        "clip": {"x": 0, "y": top, "width": args.width, "height": height, "scale": 1}}, session=session)
        with open(args.screenshot, "wb") as f: f.write(base64.b64decode(shot["data"]))
        pdf = None
        if args.pdf:
            printed = browser.send("Page.printToPDF", {"printBackground": True}, session=session)
            data = base64.b64decode(printed["data"])
            with open(args.pdf, "wb") as f: f.write(data)
            pdf = {"bytes": len(data), "pages": data.count(b"/Type /Page") - data.count(b"/Type /Pages")}
        console, requests = [], []
        for event in browser.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert", "warning"):
                console.append(" ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", [])))
            elif method == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                console.append("exception: " + str(details.get("exception", {}).get("description", details.get("text"))))
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                console.append("log: " + params["entry"].get("text", ""))
            elif method == "Network.requestWillBeSent":
                requests.append(params.get("request", {}).get("url", ""))
        network = [u for u in requests if not u.startswith(("file:", "data:", "blob:", "about:"))]
        print(json.dumps({"probe": probe, "console": console, "requests": requests, "network": network, "actions": actions,
                          "pageHeight": height, "pdf": pdf}))
        return 0
    finally:
        browser.close()


if __name__ == "__main__":
    sys.exit(main())
