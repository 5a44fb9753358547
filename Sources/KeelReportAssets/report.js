// Keel's report: draws the charts and tables of one backtest or sweep from the data Keel wrote
// into #keel-data, with the inlined Plotly. No network: everything the page needs is in the file.
// window.keelReport says when the page is drawn and what it drew (the tests read it).
(() => {
  "use strict";
  const status = (window.keelReport = { ready: false, renderMs: null, scriptMs: performance.now(), charts: {}, timings: {}, errors: [] });
  window.addEventListener("error", (e) => status.errors.push(String(e.message)));
  const data = JSON.parse(document.getElementById("keel-data").textContent);
  const config = { responsive: true, displaylogo: false, scrollZoom: false };
  const colors = { equity: "#2f5fb3", hold: "#8a94a6", up: "#1a7f4b", down: "#c0392b", vol: "#b7791f", band: "rgba(192,57,43,0.25)" };
  const MAX_POINTS = 1600; // points per drawn line: about one per pixel of a wide screen
  const MAX_CANDLES = 700;

  // ---- Unpacking (PackedColumn): base64, gzip, zigzag varint deltas, scaled integers.

  function base64Bytes(text) {
    const binary = atob(text);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  }

  async function gunzip(base64) {
    const stream = new Blob([base64Bytes(base64)]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  }

  // The column's integers (scaled values), as Float64Array: exact below 2^53.
  async function integers(column) {
    const out = new Float64Array(column.n);
    if (column.n === 0) return out;
    const bytes = await gunzip(column.gz);
    let pos = 0, value = 0;
    for (let i = 0; i < column.n; i++) {
      let shift = 1, v = 0, b;
      do { b = bytes[pos++]; v += (b & 0x7f) * shift; shift *= 128; } while (b & 0x80);
      const d = v % 2 === 0 ? v / 2 : -(v + 1) / 2;
      value = column.delta ? value + d : d;
      out[i] = value;
    }
    return out;
  }

  async function unpack(column) {
    const out = await integers(column);
    if (column.scale) { const f = Math.pow(10, column.scale); for (let i = 0; i < out.length; i++) out[i] /= f; }
    return out;
  }

  // Bars: closes as changes, opens as gaps from the last close, highs and lows as wicks beyond the body.
  async function unpackBars(b) {
    const t = await unpack(b.t), c = await integers(b.c), gap = await integers(b.gap), upper = await integers(b.upper), lower = await integers(b.lower);
    const n = t.length, f = Math.pow(10, b.c.scale);
    const o = new Float64Array(n), h = new Float64Array(n), l = new Float64Array(n), close = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const open = gap[i] + (i > 0 ? c[i - 1] : 0);
      o[i] = open / f; close[i] = c[i] / f;
      h[i] = (Math.max(open, c[i]) + upper[i]) / f; l[i] = (Math.min(open, c[i]) - lower[i]) / f;
    }
    return { symbol: b.symbol, t, o, h, l, c: close };
  }

  // Plotly arrives packed (HTMLWriter.scripts): unpacked and run once the page's text has painted.
  async function loadPlotly() {
    if (window.Plotly) return;
    await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
    const source = document.getElementById("plotly-gz");
    const script = document.createElement("script");
    script.textContent = new TextDecoder().decode(await gunzip(source.textContent.trim()));
    document.head.appendChild(script);
  }

  // ---- Formatting

  const pct = (x, d = 2) => (Number.isFinite(x) ? (x * 100).toFixed(d) + "%" : "n/a");
  const num = (x, d = 2) => (Number.isFinite(x) ? x.toLocaleString("en-US", { minimumFractionDigits: d, maximumFractionDigits: d }) : "n/a");
  const iso = (ms) => new Date(ms).toISOString().replace(".000Z", "Z").replace("T00:00:00Z", "");
  function duration(ms) {
    const s = ms / 1000;
    if (s >= 86400) return (s / 86400).toFixed(1) + " d";
    if (s >= 3600) return (s / 3600).toFixed(1) + " h";
    if (s >= 60) return (s / 60).toFixed(1) + " min";
    return s.toFixed(0) + " s";
  }
  const el = (tag, attrs = {}, text) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    return node;
  };

  // ---- Decimation: a line keeps each bucket's lowest and highest point, candles merge bars.

  function lowerBound(times, t) {
    let lo = 0, hi = times.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (times[mid] < t) lo = mid + 1; else hi = mid; }
    return lo;
  }

  function visible(times, range) {
    if (!range) return [0, times.length];
    return [Math.max(0, lowerBound(times, range[0]) - 1), Math.min(times.length, lowerBound(times, range[1]) + 1)];
  }

  function envelope(times, values, range, points = MAX_POINTS) {
    const [from, to] = visible(times, range);
    const x = [], y = [];
    const step = Math.max(1, Math.ceil((to - from) / (points / 2)));
    if (step === 1) {
      for (let i = from; i < to; i++) { x.push(times[i]); y.push(values[i]); }
      return { x, y, step };
    }
    for (let start = from; start < to; start += step) {
      const end = Math.min(to, start + step);
      let lo = start, hi = start;
      for (let i = start; i < end; i++) { if (values[i] < values[lo]) lo = i; if (values[i] > values[hi]) hi = i; }
      for (const i of lo <= hi ? [lo, hi] : [hi, lo]) { x.push(times[i]); y.push(values[i]); }
    }
    return { x, y, step };
  }

  function candles(bars, range) {
    const [from, to] = visible(bars.t, range);
    const step = Math.max(1, Math.ceil((to - from) / MAX_CANDLES));
    const x = [], open = [], high = [], low = [], close = [];
    for (let start = from; start < to; start += step) {
      const end = Math.min(to, start + step);
      let h = -Infinity, l = Infinity;
      for (let i = start; i < end; i++) { if (bars.h[i] > h) h = bars.h[i]; if (bars.l[i] < l) l = bars.l[i]; }
      x.push(bars.t[start]); open.push(bars.o[start]); high.push(h); low.push(l); close.push(bars.c[end - 1]);
    }
    return { x, open, high, low, close, step };
  }

  const axisRange = (event, current) => {
    if (event["xaxis.autorange"]) return null;
    if (event["xaxis.range[0]"] !== undefined) return [+new Date(event["xaxis.range[0]"]), +new Date(event["xaxis.range[1]"])];
    if (event["xaxis.range"]) return event["xaxis.range"].map((v) => +new Date(v));
    return current;
  };

  const baseLayout = (extra = {}) => Object.assign({
    margin: { l: 64, r: 56, t: 8, b: 32 },
    xaxis: { type: "date", showspikes: true, spikemode: "across", spikethickness: 1 },
    yaxis: { automargin: true },
    hovermode: "x unified",
    legend: { orientation: "h", y: 1.08, x: 0 },
    plot_bgcolor: "#fff", paper_bgcolor: "#fff",
  }, extra);

  async function plot(id, traces, layout) {
    const node = document.getElementById(id);
    if (!node) return null;
    const start = performance.now();
    await Plotly.newPlot(node, traces, layout, config);
    status.charts[id] = traces.length;
    status.timings[id] = Math.round(performance.now() - start);
    return node;
  }

  function empty(id, message) {
    const node = document.getElementById(id);
    if (!node) return;
    node.classList.add("empty");
    node.style.height = "auto";
    node.appendChild(el("p", { class: "note" }, message));
    status.charts[id] = 0;
  }

  // A chart of long series redrawn at full resolution for whatever range the user zooms to.
  function zoomable(node, redraw) {
    let range = null;
    node.on("plotly_relayout", (event) => {
      const next = axisRange(event, range);
      if (next === range) return;
      range = next;
      redraw(range);
    });
  }

  // ---- The backtest report

  async function backtest() {
    const equity = data.equity ? { t: await unpack(data.equity.t), v: await unpack(data.equity.v) } : null;
    const bars = [];
    for (const b of data.bars) bars.push(await unpackBars(b));
    const tr = data.trades;
    const trades = { n: tr.n, reasons: tr.reasons };
    for (const key of ["symbol", "side", "reason", "entry_time", "exit_time", "entry_price", "exit_price", "quantity", "pnl", "fees", "return"]) {
      trades[key] = await unpack(tr[key]);
    }
    decisions = await unpackDecisions(data.decisions);
    const hold = equity && bars.length ? buyAndHold(equity.t, bars) : null;
    await equityChart(equity, hold);
    if (data.comparison && equity) await comparisonChart(equity);
    await drawdownChart(equity);
    await rollingChart();
    await exposureChart();
    for (let i = 0; i < bars.length; i++) await priceChart(i, bars[i], trades);
    await monthlyChart();
    yearlyTable();
    await tradeReturnCharts(trades);
    await contributionChart();
    tradesTable(trades, bars);
    riskTable();
    document.getElementById("log-scale")?.addEventListener("change", (e) => {
      Plotly.relayout("chart-equity", { "yaxis.type": e.target.checked ? "log" : "linear" });
    });
  }

  // Capital times the mean over the symbols of close / first close (Metrics' buy_and_hold).
  function buyAndHold(times, bars) {
    const out = new Float64Array(times.length);
    const rows = bars.map(() => -1);
    for (let i = 0; i < times.length; i++) {
      let sum = 0;
      bars.forEach((b, s) => {
        while (rows[s] + 1 < b.t.length && b.t[rows[s] + 1] <= times[i]) rows[s]++;
        sum += rows[s] < 0 ? 1 : b.c[rows[s]] / b.c[0];
      });
      out[i] = (data.capital * sum) / bars.length;
    }
    return out;
  }

  async function equityChart(equity, hold) {
    if (!equity) return empty("chart-equity", "This result holds no equity curve: run the backtest with --equity (or --report) to draw it.");
    const traces = (range) => {
      const e = envelope(equity.t, equity.v, range);
      const list = [{ x: e.x, y: e.y, name: "equity", type: "scatter", mode: "lines", line: { color: colors.equity, width: 1.6 } }];
      if (hold) {
        const h = envelope(equity.t, hold, range);
        list.push({ x: h.x, y: h.y, name: "buy and hold", type: "scatter", mode: "lines", line: { color: colors.hold, width: 1.2, dash: "dot" } });
      }
      return list;
    };
    const node = await plot("chart-equity", traces(null), baseLayout({ yaxis: { tickformat: ",.0f", automargin: true } }));
    zoomable(node, (range) => {
      const next = traces(range);
      Plotly.restyle(node, { x: next.map((t) => t.x), y: next.map((t) => t.y) });
    });
  }

  // A paper or live run's equity over the backtest's on the same bars, the first divergence marked.
  async function comparisonChart(equity) {
    const other = { t: await unpack(data.comparison.t), v: await unpack(data.comparison.v) };
    const traces = (range) => {
      const a = envelope(equity.t, equity.v, range), b = envelope(other.t, other.v, range);
      return [{ x: a.x, y: a.y, name: "run", type: "scatter", mode: "lines", line: { color: colors.equity, width: 1.6 } },
        { x: b.x, y: b.y, name: "backtest", type: "scatter", mode: "lines", line: { color: colors.vol, width: 1.2, dash: "dot" } }];
    };
    const shapes = data.comparison.divergence === null ? [] : [{ type: "line", xref: "x", yref: "paper", x0: data.comparison.divergence, x1: data.comparison.divergence,
      y0: 0, y1: 1, line: { color: colors.down, width: 1, dash: "dash" } }];
    const node = await plot("chart-compare", traces(null), baseLayout({ yaxis: { tickformat: ",.0f", automargin: true }, shapes }));
    zoomable(node, (range) => { const next = traces(range); Plotly.restyle(node, { x: next.map((t) => t.x), y: next.map((t) => t.y) }); });
  }

  async function drawdownChart(equity) {
    if (!equity) return empty("chart-drawdown", "No equity curve in this result.");
    const dd = new Float64Array(equity.v.length);
    let peak = -Infinity;
    for (let i = 0; i < dd.length; i++) { peak = Math.max(peak, equity.v[i]); dd[i] = equity.v[i] / peak - 1; }
    const trace = (range) => {
      const e = envelope(equity.t, dd, range);
      return { x: e.x, y: e.y, name: "drawdown", type: "scatter", mode: "lines", fill: "tozeroy", line: { color: colors.down, width: 1 }, fillcolor: colors.band };
    };
    const node = await plot("chart-drawdown", [trace(null)], baseLayout({ yaxis: { tickformat: ".1%", automargin: true }, showlegend: false }));
    zoomable(node, (range) => { const t = trace(range); Plotly.restyle(node, { x: [t.x], y: [t.y] }); });
  }

  async function rollingChart() {
    const r = data.rolling;
    if (!r.t.length) return empty("chart-rolling", `Fewer than ${r.window + 2} daily closes: no rolling window to draw.`);
    await plot("chart-rolling", [
      { x: r.t, y: r.sharpe, name: `Sharpe (${r.window} d)`, type: "scatter", mode: "lines", line: { color: colors.equity, width: 1.4 } },
      { x: r.t, y: r.volatility, name: `volatility (${r.window} d)`, type: "scatter", mode: "lines", yaxis: "y2", line: { color: colors.vol, width: 1.2 } },
    ], baseLayout({ yaxis: { title: { text: "Sharpe" }, zeroline: true }, yaxis2: { overlaying: "y", side: "right", tickformat: ".0%", title: { text: "volatility" } } }));
  }

  async function exposureChart() {
    const x = data.exposure;
    if (!document.getElementById("chart-exposure")) return;
    await plot("chart-exposure", [{ x: x.t, y: x.v, name: "exposure", type: "scatter", mode: "lines", fill: "tozeroy", line: { color: colors.equity, width: 1 }, line_shape: "hv" }],
      baseLayout({ yaxis: { tickformat: ".0%", rangemode: "tozero" }, showlegend: false }));
  }

  // ---- Prices, trades on them, and the trade detail

  const selection = { trade: -1 };

  function tradeMarkers(trades, symbol, range) {
    const entries = { x: [], y: [], text: [], customdata: [], color: [], symbol: [] };
    const exits = { x: [], y: [], text: [], customdata: [], color: [] };
    const levels = { x: [], y: [] };
    let count = 0;
    for (let i = 0; i < trades.n; i++) {
      if (trades.symbol[i] !== symbol) continue;
      if (range && (trades.exit_time[i] < range[0] || trades.entry_time[i] > range[1])) continue;
      count++;
    }
    const shown = count <= 1500;
    if (shown) {
      const lv = data.levels;
      for (let i = 0; i < trades.n; i++) {
        if (trades.symbol[i] !== symbol) continue;
        if (range && (trades.exit_time[i] < range[0] || trades.entry_time[i] > range[1])) continue;
        const long = trades.side[i] > 0, win = trades.pnl[i] > 0;
        const label = `#${i + 1} ${long ? "long" : "short"} ${num(trades.quantity[i], 0)} @ ${trades.entry_price[i]}`;
        entries.x.push(trades.entry_time[i]); entries.y.push(trades.entry_price[i]); entries.customdata.push(i);
        entries.text.push(label); entries.color.push(long ? colors.up : colors.down); entries.symbol.push(long ? "triangle-up" : "triangle-down");
        exits.x.push(trades.exit_time[i]); exits.y.push(trades.exit_price[i]); exits.customdata.push(i);
        exits.text.push(`#${i + 1} exit (${trades.reasons[trades.reason[i]]}) @ ${trades.exit_price[i]}: ${pct(trades.return[i])}`);
        exits.color.push(win ? colors.up : colors.down);
        if (lv && count <= 300) {
          const sign = long ? 1 : -1, p = trades.entry_price[i];
          const marks = (lv.stop !== null && !lv.trailing ? [p * (1 - sign * lv.stop)] : []).concat(lv.targets.map((d) => p * (1 + sign * d)));
          for (const level of marks) levels.x.push(trades.entry_time[i], trades.exit_time[i], null), levels.y.push(level, level, null);
        }
      }
    }
    return { entries, exits, levels, count, shown };
  }

  async function priceChart(index, bars, trades) {
    const id = `chart-price-${index}`;
    const useCandles = () => document.getElementById("candles")?.checked ?? true;
    const traces = (range) => {
      const list = [];
      if (useCandles()) {
        const c = candles(bars, range);
        list.push({ type: "candlestick", x: c.x, open: c.open, high: c.high, low: c.low, close: c.close, name: c.step > 1 ? `${bars.symbol} (${c.step} bars a candle)` : bars.symbol,
          increasing: { line: { color: colors.up, width: 1 } }, decreasing: { line: { color: colors.down, width: 1 } }, hoverinfo: "x+y" });
      } else {
        const e = envelope(bars.t, bars.c, range);
        list.push({ type: "scatter", mode: "lines", x: e.x, y: e.y, name: `${bars.symbol} close`, line: { color: "#444", width: 1 } });
      }
      const m = tradeMarkers(trades, index, range);
      list.push({ type: "scatter", mode: "lines", x: m.levels.x, y: m.levels.y, name: "stop / target levels", hoverinfo: "skip",
        line: { color: "rgba(120,120,120,0.7)", width: 1, dash: "dash" }, connectgaps: false });
      list.push({ type: "scatter", mode: "markers", x: m.entries.x, y: m.entries.y, text: m.entries.text, customdata: m.entries.customdata, hoverinfo: "text",
        name: m.shown ? "entries" : `entries (${m.count}: zoom in)`, marker: { size: 9, color: m.entries.color, symbol: m.entries.symbol, line: { width: 0.5, color: "#fff" } } });
      list.push({ type: "scatter", mode: "markers", x: m.exits.x, y: m.exits.y, text: m.exits.text, customdata: m.exits.customdata, hoverinfo: "text",
        name: "exits", marker: { size: 8, color: m.exits.color, symbol: "x-thin-open", line: { width: 2, color: m.exits.color } } });
      return list;
    };
    let range = null;
    const layout = baseLayout({ xaxis: { type: "date", rangeslider: { visible: false } }, yaxis: { automargin: true, fixedrange: false }, hovermode: "closest" });
    const node = await plot(id, traces(null), layout);
    const redraw = () => Plotly.react(node, traces(range), Object.assign(node.layout, { xaxis: Object.assign(node.layout.xaxis, range ? { range: range.map((v) => new Date(v).toISOString()), autorange: false } : { autorange: true }) }));
    node.on("plotly_relayout", (event) => {
      const next = axisRange(event, range);
      if (next === range) return;
      range = next;
      redraw();
    });
    node.on("plotly_click", (event) => {
      const point = event.points.find((p) => p.customdata !== undefined);
      if (point) selectTrade(point.customdata, true);
    });
    document.getElementById("candles")?.addEventListener("change", redraw);
    node.showTrade = (i, level) => {
      const pad = Math.max((trades.exit_time[i] - trades.entry_time[i]) * 0.6, (data.bar_seconds || 60) * 1000 * 20);
      range = [trades.entry_time[i] - pad, trades.exit_time[i] + pad];
      // The level a protective exit fired at (a stop or target set by a price expression is known only there).
      node.layout.shapes = level === undefined ? [] : [{ type: "line", xref: "x", yref: "y", x0: trades.entry_time[i], x1: trades.exit_time[i], y0: level, y1: level,
        line: { color: colors.down, width: 1.5, dash: "dot" } }];
      redraw();
      node.scrollIntoView({ behavior: "smooth", block: "center" });
    };
    priceNodes[index] = node;
  }
  const priceNodes = [];

  // The decision trace (ReportData.decisions): columns, each decision's readings in one flat column.
  let decisions = null;
  async function unpackDecisions(d) {
    if (d.omitted || d.count === undefined || !d.t) return null;
    const out = { n: d.count, t: await unpack(d.t), symbol: await integers(d.symbol), action: await integers(d.action), side: await integers(d.side),
      rule: await integers(d.rule), shape: await integers(d.shape), values: await unpack(d.values), offset: new Float64Array(d.count) };
    const missing = new Set(d.missing);
    let at = 0;
    for (let i = 0; i < d.count; i++) { out.offset[i] = at; at += d.shapes[out.shape[i]].length; }
    out.symbolName = (i) => d.symbols[out.symbol[i]];
    out.get = (i) => [out.t[i], d.symbols[out.symbol[i]], d.actions[out.action[i]], out.side[i] > 0 ? "long" : "short", d.rules[out.rule[i]],
      d.shapes[out.shape[i]].map((name, k) => [name, missing.has(out.offset[i] + k) ? null : out.values[out.offset[i] + k]])];
    return out;
  }

  // The decision that opened trade i and the one that closed it: the latest of each at or before its time.
  function decisionsOf(i, trades) {
    if (!decisions) return null;
    const symbol = data.symbols[trades.symbol[i]];
    let entry = null, exit = null;
    for (let k = 0; k < decisions.n && decisions.t[k] <= trades.exit_time[i]; k++) {
      if (decisions.symbolName(k) !== symbol) continue;
      const d = decisions.get(k);
      if (d[0] <= trades.entry_time[i] && d[2] === "entry") entry = d;
      if (d[0] >= trades.entry_time[i] - (data.bar_seconds || 0) * 1000 && d[2] !== "entry") exit = d;
    }
    return { entry, exit };
  }

  function selectTrade(i, fromChart) {
    const trades = window.keelTrades;
    selection.trade = i;
    document.querySelectorAll("#trades-table tr.selected").forEach((r) => r.classList.remove("selected"));
    document.querySelector(`#trades-table tr[data-trade="${i}"]`)?.classList.add("selected");
    const panel = document.getElementById("trade-detail");
    if (!panel) return;
    panel.hidden = false;
    panel.replaceChildren();
    const long = trades.side[i] > 0;
    panel.appendChild(el("h3", {}, `Trade #${i + 1}: ${data.symbols[trades.symbol[i]]} ${long ? "long" : "short"}, ${trades.reasons[trades.reason[i]]}, ${pct(trades.return[i])}`));
    const facts = el("table");
    const rows = [["entry", `${iso(trades.entry_time[i])} at ${trades.entry_price[i]}`], ["exit", `${iso(trades.exit_time[i])} at ${trades.exit_price[i]}`],
      ["quantity", num(trades.quantity[i], 4)], ["P&L", num(trades.pnl[i])], ["fees", num(trades.fees[i])], ["held", duration(trades.exit_time[i] - trades.entry_time[i])]];
    for (const [k, v] of rows) { const tr = el("tr"); tr.append(el("th", {}, k), el("td", {}, v)); facts.appendChild(tr); }
    panel.appendChild(facts);
    const found = decisionsOf(i, trades);
    if (!found) {
      panel.appendChild(el("p", {}, `The decision trace is left out of this report (${data.decisions.count} decisions).`));
    } else {
      for (const [label, d] of [["Why it entered", found.entry], ["Why it exited", found.exit]]) {
        if (!d) { panel.appendChild(el("p", { class: "hint" }, `${label}: no traced decision (a fill of a pending order, or a run without trace).`)); continue; }
        panel.appendChild(el("h4", {}, `${label}: ${d[2]} ${d[3]} at ${iso(d[0])}`));
        panel.appendChild(el("pre", { class: "rule" }, d[4]));
        const values = el("table", { class: "values" });
        for (const [name, value] of d[5]) { const tr = el("tr"); tr.append(el("th", {}, name), el("td", { class: "num" }, value === null ? "n/a" : String(value))); values.appendChild(tr); }
        panel.appendChild(values);
      }
    }
    if (fromChart) return;
    const level = found?.exit?.[5].find(([name]) => name === "level")?.[1];
    priceNodes[trades.symbol[i]]?.showTrade(i, level === null ? undefined : level);
  }

  // ---- Returns

  async function monthlyChart() {
    const months = data.monthly;
    if (!months.length) return empty("chart-monthly", "No equity curve: no monthly returns.");
    const years = [...new Set(months.map((m) => m[0]))].sort();
    const z = years.map(() => new Array(12).fill(null));
    for (const [y, m, r] of months) z[years.indexOf(y)][m - 1] = r;
    const names = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    const limit = Math.max(0.01, ...months.map((m) => Math.abs(m[2])));
    const node = document.getElementById("chart-monthly");
    node.style.height = `${Math.max(160, 60 + 26 * years.length)}px`;
    await plot("chart-monthly", [{ type: "heatmap", x: names, y: years.map(String), z, zmin: -limit, zmax: limit, zmid: 0,
      colorscale: [[0, "#c0392b"], [0.5, "#f7f7f7"], [1, "#1a7f4b"]], texttemplate: "%{z:.1%}", hovertemplate: "%{y} %{x}: %{z:.2%}<extra></extra>",
      colorbar: { tickformat: ".0%" } }], { margin: { l: 56, r: 20, t: 8, b: 30 }, yaxis: { autorange: "reversed", type: "category" } });
  }

  function yearlyTable() {
    const node = document.getElementById("table-yearly");
    if (!node || !data.yearly.length) return;
    const table = el("table", { class: "list yearly" });
    const head = el("tr");
    head.append(el("th", {}, "Year"), el("th", { class: "num" }, "Return"));
    table.appendChild(el("thead")).appendChild(head);
    const body = table.appendChild(el("tbody"));
    for (const [year, r] of data.yearly) {
      const tr = el("tr");
      tr.append(el("td", {}, String(year)), el("td", { class: "num " + (r >= 0 ? "pos" : "neg") }, pct(r)));
      body.appendChild(tr);
    }
    node.appendChild(el("h3", {}, "Yearly returns"));
    node.appendChild(table);
  }

  async function tradeReturnCharts(trades) {
    if (!trades.n) {
      empty("chart-trade-returns", "No closed trades.");
      return empty("chart-duration", "No closed trades.");
    }
    const returns = Array.from(trades.return, (r) => r * 100);
    await plot("chart-trade-returns", [{ type: "histogram", x: returns, nbinsx: 60, marker: { color: colors.equity }, name: "trades", hovertemplate: "%{x}%: %{y} trades<extra></extra>" }],
      { margin: { l: 56, r: 20, t: 8, b: 40 }, xaxis: { title: { text: "trade return (%)" }, zeroline: true }, yaxis: { title: { text: "trades" } }, bargap: 0.02, showlegend: false });
    const stride = Math.max(1, Math.ceil(trades.n / 5000));
    const x = [], y = [], color = [], index = [];
    for (let i = 0; i < trades.n; i += stride) {
      x.push((trades.exit_time[i] - trades.entry_time[i]) / 3.6e6); y.push(trades.return[i] * 100);
      color.push(trades.pnl[i] > 0 ? colors.up : colors.down); index.push(i);
    }
    const node = await plot("chart-duration", [{ type: "scatter", mode: "markers", x, y, customdata: index, marker: { color, size: 5, opacity: 0.7 },
      hovertemplate: "trade #%{customdata}: %{x:.1f} h, %{y:.2f}%<extra></extra>", name: stride > 1 ? `1 in ${stride} trades` : "trades" }],
      { margin: { l: 56, r: 20, t: 8, b: 40 }, xaxis: { title: { text: "held (hours)" }, type: trades.n > 1 ? "log" : "linear" }, yaxis: { title: { text: "return (%)" }, zeroline: true },
        showlegend: stride > 1, hovermode: "closest" });
    node.on("plotly_click", (event) => { const p = event.points[0]; if (p) selectTrade(p.customdata, false); });
  }

  async function contributionChart() {
    if (!document.getElementById("chart-contribution")) return;
    const c = data.contribution;
    await plot("chart-contribution", [
      { type: "bar", x: c.map((s) => s.symbol), y: c.map((s) => s.realized), name: "realised", marker: { color: colors.equity } },
      { type: "bar", x: c.map((s) => s.symbol), y: c.map((s) => s.unrealized), name: "open", marker: { color: colors.hold } },
    ], { barmode: "relative", margin: { l: 64, r: 20, t: 8, b: 30 }, yaxis: { tickformat: ",.0f" }, legend: { orientation: "h", y: 1.1 } });
    const table = el("table", { class: "list" });
    const head = el("tr");
    for (const h of ["Symbol", "Realised P&L", "Open P&L", "Trades", "Win rate", "Fees", "Share of P&L"]) head.appendChild(el("th", { class: h === "Symbol" ? "" : "num" }, h));
    table.appendChild(el("thead")).appendChild(head);
    const total = c.reduce((s, x) => s + x.realized + x.unrealized, 0);
    const body = table.appendChild(el("tbody"));
    for (const s of c) {
      const tr = el("tr");
      tr.append(el("td", {}, s.symbol), el("td", { class: "num" }, num(s.realized)), el("td", { class: "num" }, num(s.unrealized)),
        el("td", { class: "num" }, String(s.trades)), el("td", { class: "num" }, s.trades ? pct(s.wins / s.trades, 1) : "n/a"),
        el("td", { class: "num" }, num(s.fees)), el("td", { class: "num" }, total ? pct((s.realized + s.unrealized) / total, 1) : "n/a"));
      body.appendChild(tr);
    }
    document.getElementById("table-contribution").appendChild(table);
  }

  // ---- Tables: sortable, a page at a time (a run may have hundreds of thousands of trades)

  function pagedTable(node, columns, count, cell, rowAttributes, onClick) {
    const pageSize = 50;
    let order = Array.from({ length: count }, (_, i) => i), page = 0, sortKey = null, ascending = true;
    const table = el("table", { class: "list" });
    const head = el("tr");
    for (const c of columns) {
      const th = el("th", { "data-key": c.key, class: c.num ? "num" : "" }, c.label);
      th.addEventListener("click", () => {
        ascending = sortKey === c.key ? !ascending : true;
        sortKey = c.key;
        order.sort((a, b) => { const x = c.value(a), y = c.value(b); return (x < y ? -1 : x > y ? 1 : a - b) * (ascending ? 1 : -1); });
        page = 0;
        render();
      });
      head.appendChild(th);
    }
    table.appendChild(el("thead")).appendChild(head);
    const body = table.appendChild(el("tbody"));
    const pager = el("div", { class: "pager" });
    node.append(table, pager);
    function render() {
      body.replaceChildren();
      for (const i of order.slice(page * pageSize, (page + 1) * pageSize)) {
        const tr = el("tr", rowAttributes(i));
        for (const c of columns) tr.appendChild(el("td", { class: (c.num ? "num " : "") + (c.tone ? c.tone(i) : "") }, cell(c, i)));
        if (onClick) tr.addEventListener("click", () => onClick(i));
        body.appendChild(tr);
      }
      pager.replaceChildren();
      const pages = Math.max(1, Math.ceil(count / pageSize));
      const button = (label, target) => { const b = el("button", { type: "button" }, label); b.disabled = target < 0 || target >= pages || target === page; b.addEventListener("click", () => { page = target; render(); }); return b; };
      pager.append(button("first", 0), button("previous", page - 1), el("span", {}, ` page ${page + 1} of ${pages} (${count} rows) `), button("next", page + 1), button("last", pages - 1));
    }
    render();
  }

  function tradesTable(trades) {
    window.keelTrades = trades;
    const node = document.getElementById("trades-table");
    if (!trades.n) { node.appendChild(el("p", {}, "No closed trades.")); return; }
    const tone = (i) => (trades.pnl[i] > 0 ? "pos" : trades.pnl[i] < 0 ? "neg" : "");
    const columns = [
      { key: "n", label: "#", num: true, value: (i) => i, show: (i) => String(i + 1) },
      { key: "symbol", label: "Symbol", value: (i) => data.symbols[trades.symbol[i]], show: (i) => data.symbols[trades.symbol[i]] },
      { key: "side", label: "Side", value: (i) => trades.side[i], show: (i) => (trades.side[i] > 0 ? "long" : "short") },
      { key: "entry_time", label: "Entry", value: (i) => trades.entry_time[i], show: (i) => iso(trades.entry_time[i]) },
      { key: "entry_price", label: "Entry price", num: true, value: (i) => trades.entry_price[i], show: (i) => String(trades.entry_price[i]) },
      { key: "exit_time", label: "Exit", value: (i) => trades.exit_time[i], show: (i) => iso(trades.exit_time[i]) },
      { key: "exit_price", label: "Exit price", num: true, value: (i) => trades.exit_price[i], show: (i) => String(trades.exit_price[i]) },
      { key: "quantity", label: "Quantity", num: true, value: (i) => trades.quantity[i], show: (i) => String(trades.quantity[i]) },
      { key: "pnl", label: "P&L", num: true, value: (i) => trades.pnl[i], show: (i) => num(trades.pnl[i]), tone },
      { key: "return", label: "Return", num: true, value: (i) => trades.return[i], show: (i) => pct(trades.return[i]), tone },
      { key: "fees", label: "Fees", num: true, value: (i) => trades.fees[i], show: (i) => num(trades.fees[i]) },
      { key: "held", label: "Held", num: true, value: (i) => trades.exit_time[i] - trades.entry_time[i], show: (i) => duration(trades.exit_time[i] - trades.entry_time[i]) },
      { key: "reason", label: "Exit reason", value: (i) => trades.reasons[trades.reason[i]], show: (i) => trades.reasons[trades.reason[i]] },
    ];
    pagedTable(node, columns, trades.n, (c, i) => c.show(i), (i) => ({ "data-trade": String(i) }), (i) => selectTrade(i, false));
    if (data.open.length) {
      node.appendChild(el("h3", {}, "Open at the end"));
      const list = el("ul");
      for (const p of data.open) list.appendChild(el("li", {}, `${p.symbol} ${p.side} ${p.quantity} from ${iso(p.entry_time)} at ${p.entry_price}, marked at ${p.mark_price}: ${num(p.unrealized_pnl)}`));
      node.appendChild(list);
    }
  }

  function riskTable() {
    const node = document.getElementById("risk-table");
    const events = data.risk_events;
    if (!events.length) {
      node.appendChild(el("p", {}, data.risk_event_count ? `${data.risk_event_count} risk events, not listed in this result.` : "No risk events: no refusal, no limit reached."));
      return;
    }
    const columns = [
      { key: "time", label: "Time", value: (i) => events[i][0], show: (i) => iso(events[i][0]) },
      { key: "symbol", label: "Symbol", value: (i) => events[i][1], show: (i) => events[i][1] },
      { key: "kind", label: "Kind", value: (i) => events[i][2], show: (i) => events[i][2] },
      { key: "reason", label: "Reason", value: (i) => events[i][3], show: (i) => events[i][3] },
    ];
    pagedTable(node, columns, events.length, (c, i) => c.show(i), () => ({}), null);
  }

  // ---- The sweep report: the parameter grid coloured by a metric the user picks

  function sweep() {
    const runs = data.runs, names = data.params, metrics = data.metrics;
    const select = document.getElementById("sweep-metric");
    for (const m of metrics) select.appendChild(el("option", { value: m.name }, m.label));
    select.value = data.objective;
    const draw = async () => {
      const metric = metrics.find((m) => m.name === select.value);
      const values = runs.map((r) => r.metrics[metric.name]);
      const best = bestRun(values, metric.higher);
      document.getElementById("sweep-best").textContent = best < 0 ? "No run has this metric." :
        `Best by ${metric.label}: ${names.map((n, k) => `${n} = ${runs[best].params[k]}`).join(", ")} (${show(values[best], metric)})`;
      if (names.length === 2) await heatmap(values, metric, best);
      else if (names.length === 1) await line(values, metric, best);
      else await parallel(values, metric);
      runDetail(best);
    };
    select.addEventListener("change", draw);
    return draw();
  }

  const show = (v, metric) => (v === null || v === undefined ? "n/a" : metric.percent ? pct(v) : metric.duration ? duration(v * 1000) : num(v, 3));
  const pointName = (i) => (data.numbering === "trial" ? `Trial ${i}` : `Run ${i + 1}`);

  function bestRun(values, higher) {
    let best = -1;
    values.forEach((v, i) => { if (v !== null && Number.isFinite(v) && (best < 0 || (higher ? v > values[best] : v < values[best]))) best = i; });
    return best;
  }

  async function heatmap(values, metric, best) {
    const [a, b] = [0, 1].map((k) => [...new Set(data.runs.map((r) => r.params[k]))].sort((x, y) => (typeof x === "number" ? x - y : String(x).localeCompare(String(y)))));
    const z = b.map(() => a.map(() => null)), index = b.map(() => a.map(() => null));
    data.runs.forEach((r, i) => { const y = b.indexOf(r.params[1]), x = a.indexOf(r.params[0]); z[y][x] = values[i]; index[y][x] = i; });
    const traces = [{ type: "heatmap", x: a.map(String), y: b.map(String), z, customdata: index, colorscale: "Viridis", reversescale: !metric.higher,
      texttemplate: a.length * b.length <= 400 ? (metric.percent ? "%{z:.1%}" : "%{z:.2f}") : "", hovertemplate: `${data.params[0]} %{x}, ${data.params[1]} %{y}: %{z}<extra></extra>`,
      colorbar: { tickformat: metric.percent ? ".0%" : "" } }];
    if (best >= 0) traces.push({ type: "scatter", mode: "markers", x: [String(data.runs[best].params[0])], y: [String(data.runs[best].params[1])], name: "best",
      marker: { symbol: "star", size: 18, color: "#fff", line: { color: "#000", width: 1.5 } }, hoverinfo: "skip" });
    const node = await plot("chart-sweep", traces, { margin: { l: 70, r: 20, t: 8, b: 50 }, xaxis: { title: { text: data.params[0] }, type: "category" },
      yaxis: { title: { text: data.params[1] }, type: "category" }, showlegend: false });
    node.removeAllListeners?.("plotly_click");
    node.on("plotly_click", (event) => { const p = event.points.find((q) => q.customdata !== undefined && q.customdata !== null); if (p) runDetail(p.customdata); });
  }

  async function line(values, metric, best) {
    const x = data.runs.map((r) => r.params[0]);
    const node = await plot("chart-sweep", [{ type: "scatter", mode: "lines+markers", x, y: values, customdata: data.runs.map((_, i) => i), name: metric.label },
      { type: "scatter", mode: "markers", x: best >= 0 ? [x[best]] : [], y: best >= 0 ? [values[best]] : [], name: "best", marker: { symbol: "star", size: 16, color: "#f1c40f", line: { color: "#000", width: 1 } } }],
      { margin: { l: 70, r: 20, t: 8, b: 50 }, xaxis: { title: { text: data.params[0] } }, yaxis: { title: { text: metric.label }, tickformat: metric.percent ? ".1%" : "" }, hovermode: "closest" });
    node.on("plotly_click", (event) => { const p = event.points[0]; if (p && p.customdata !== undefined) runDetail(p.customdata); });
  }

  async function parallel(values, metric) {
    const dimensions = data.params.map((name, k) => {
      const all = data.runs.map((r) => r.params[k]);
      const numeric = all.every((v) => typeof v === "number");
      const labels = [...new Set(all.map(String))];
      return numeric ? { label: name, values: all } : { label: name, values: all.map((v) => labels.indexOf(String(v))), tickvals: labels.map((_, i) => i), ticktext: labels };
    });
    dimensions.push({ label: metric.label, values: values.map((v) => (v === null ? NaN : v)) });
    await plot("chart-sweep", [{ type: "parcoords", line: { color: values.map((v) => (v === null ? NaN : v)), colorscale: "Viridis", reversescale: !metric.higher, showscale: true }, dimensions }],
      { margin: { l: 60, r: 60, t: 40, b: 20 } });
  }

  function runDetail(i) {
    const node = document.getElementById("sweep-run");
    if (i < 0 || !node) return;
    node.hidden = false;
    node.replaceChildren(el("h3", {}, `${pointName(i)}: ${data.params.map((n, k) => `${n} = ${data.runs[i].params[k]}`).join(", ")}`));
    const table = el("table", { class: "stats" });
    for (const m of data.metrics) {
      const tr = el("tr", { title: m.definition, "data-metric": m.name });
      tr.append(el("th", {}, m.label), el("td", {}, show(data.runs[i].metrics[m.name], m)));
      table.appendChild(tr);
    }
    node.appendChild(table);
  }

  // ---- Start

  const started = loadPlotly().then(() => { status.plotlyMs = performance.now(); return data.kind === "sweep" ? sweep() : backtest(); });
  started.then(() => {
    status.renderMs = performance.now();
    status.firstPaintMs = performance.getEntriesByType("paint").find((p) => p.name === "first-contentful-paint")?.startTime ?? null;
    status.ready = true;
    document.body.setAttribute("data-ready", "true");
  }, (error) => {
    status.errors.push(String(error && error.stack || error));
    console.error("keel report:", error);
    document.body.setAttribute("data-ready", "error");
  });
  window.addEventListener("beforeprint", () => document.querySelectorAll(".js-plotly-plot").forEach((node) => Plotly.Plots.resize(node)));
})();
