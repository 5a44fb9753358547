#!/usr/bin/env python3
"""Keel against backtesting.py, backtrader and vectorbt on the same generated bars and the same
strategy (S2E: SMA 10/30 crossover, all in, 5% stop-loss and 10% take-profit from the fill price).

Install the peers in a virtualenv outside the repository (pip install backtesting backtrader
vectorbt), and NautilusTrader in another (pip install nautilus_trader: it pins pandas below 3,
vectorbt wants 3), build Keel in release (swift build -c release --product keel, and the Benchmarks
package), then run: NAUTILUS_PYTHON=/path/to/other/python python3 Benchmarks/peers.py [BARS]

"compute" times the backtest alone, data already in memory (Keel: the in-process engine benchmark;
vectorbt: a warm second call, numba compiled; NautilusTrader: its engine with its order machinery,
the bars already made into its objects). "process" times a whole process from start to result,
reading the CSV (Keel: `keel backtest`, from its cache and from the CSV).
"""
import os, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KEEL = os.path.join(ROOT, ".build/release/keel")
KEEL_BENCH = os.path.join(ROOT, "Benchmarks/.build/release/KeelBenchmarks")
BARS = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
S2E = open(os.path.join(ROOT, "Benchmarks/s2e.yaml")).read()

PEER_PROCESS = r'''
import sys, time, pandas as pd, numpy as np
peer, path = sys.argv[1], sys.argv[2]
df = pd.read_csv(path, parse_dates=["timestamp"], index_col="timestamp")
# The CSV's times end in Z, so pandas makes a UTC-aware index; vectorbt then converts it element by
# element on every call (most of its time went there). A naive UTC index is the same bars.
if df.index.tz is not None:
    df.index = df.index.tz_convert(None)
df.columns = [c.capitalize() for c in df.columns]
t0 = time.perf_counter()
if peer == "backtesting.py":
    from backtesting import Backtest, Strategy
    from backtesting.lib import crossover
    from backtesting.test import SMA
    class S2E(Strategy):
        def init(self):
            self.fast = self.I(SMA, self.data.Close, 10); self.slow = self.I(SMA, self.data.Close, 30)
        def next(self):
            if crossover(self.fast, self.slow) and not self.position:
                self.buy(sl=self.data.Close[-1] * 0.95, tp=self.data.Close[-1] * 1.10)
            elif crossover(self.slow, self.fast) and self.position:
                self.position.close()
    stats = Backtest(df, S2E, cash=100_000, commission=0, exclusive_orders=False, finalize_trades=False).run()
    trades = stats["# Trades"]
elif peer == "backtrader":
    import backtrader as bt
    class S2E(bt.Strategy):
        def __init__(self):
            self.cross = bt.ind.CrossOver(bt.ind.SMA(period=10), bt.ind.SMA(period=30)); self.brackets = []
        def next(self):
            if not self.position and self.cross[0] > 0 and not self.brackets:
                size = int(self.broker.getcash() / self.data.close[0])
                self.brackets = self.buy_bracket(size=size, exectype=bt.Order.Market,
                                                 stopprice=self.data.close[0] * 0.95, limitprice=self.data.close[0] * 1.10)
            elif self.position and self.cross[0] < 0:
                for o in self.brackets: self.cancel(o)
                self.close(); self.brackets = []
        def notify_order(self, order):
            if order.status in (order.Completed, order.Canceled, order.Margin, order.Rejected) and not self.position and order.issell():
                self.brackets = []
    cerebro = bt.Cerebro(stdstats=False)
    cerebro.adddata(bt.feeds.PandasData(dataname=df, open="Open", high="High", low="Low", close="Close", volume="Volume"))
    cerebro.addstrategy(S2E); cerebro.broker.setcash(100_000)
    cerebro.run(); trades = -1
elif peer == "nautilus_trader":
    from nautilus_trader.backtest.engine import BacktestEngine, BacktestEngineConfig
    from nautilus_trader.config import LoggingConfig, StrategyConfig
    from nautilus_trader.indicators import SimpleMovingAverage
    from nautilus_trader.model.currencies import USD
    from nautilus_trader.model.data import BarType
    from nautilus_trader.model.enums import AccountType, OmsType, OrderSide
    from nautilus_trader.model.identifiers import InstrumentId, Symbol, TraderId, Venue
    from nautilus_trader.model.instruments import Equity
    from nautilus_trader.model.objects import Money, Price, Quantity
    from nautilus_trader.persistence.wranglers import BarDataWrangler
    from nautilus_trader.trading.strategy import Strategy
    venue = Venue("SIM")
    instrument = Equity(instrument_id=InstrumentId(Symbol("SYM001"), venue), raw_symbol=Symbol("SYM001"), currency=USD, price_precision=4,
                        price_increment=Price.from_str("0.0001"), lot_size=Quantity.from_int(1), ts_event=0, ts_init=0)
    bar_type = BarType.from_str(f"{instrument.id}-1-MINUTE-LAST-EXTERNAL")
    class Config(StrategyConfig, frozen=True):
        pass
    class S2E(Strategy):
        def __init__(self):
            super().__init__(Config()); self.fast = SimpleMovingAverage(10); self.slow = SimpleMovingAverage(30); self.above = None
        def on_start(self):
            self.register_indicator_for_bars(bar_type, self.fast); self.register_indicator_for_bars(bar_type, self.slow)
            self.subscribe_bars(bar_type)
        def on_bar(self, bar):
            if not (self.fast.initialized and self.slow.initialized):
                return
            above = self.fast.value > self.slow.value
            crossed_up, crossed_down = self.above is False and above, self.above is True and not above
            self.above = above
            close = bar.close.as_double()
            if crossed_up and self.portfolio.is_flat(instrument.id):
                cash = self.portfolio.account(venue).balance_total(USD).as_double()
                size = int(cash / close)
                if size > 0:
                    orders = self.order_factory.bracket(instrument_id=instrument.id, order_side=OrderSide.BUY, quantity=instrument.make_qty(size),
                                                        sl_trigger_price=instrument.make_price(close * 0.95), tp_price=instrument.make_price(close * 1.10))
                    self.submit_order_list(orders)
            elif crossed_down and self.portfolio.is_net_long(instrument.id):
                self.cancel_all_orders(instrument.id); self.close_all_positions(instrument.id)
    bars = BarDataWrangler(bar_type, instrument).process(df.rename(columns=str.lower).tz_localize("UTC"))
    t0 = time.perf_counter()
    engine = BacktestEngine(config=BacktestEngineConfig(trader_id=TraderId("KEEL-001"), logging=LoggingConfig(log_level="ERROR")))
    engine.add_venue(venue=venue, oms_type=OmsType.NETTING, account_type=AccountType.MARGIN, base_currency=USD, starting_balances=[Money(100_000, USD)])
    engine.add_instrument(instrument); engine.add_data(bars); engine.add_strategy(S2E()); engine.run()
    # Netting keeps one position id per instrument: count the exits that filled instead.
    trades = sum(1 for o in engine.cache.orders() if o.side == OrderSide.SELL and o.filled_qty.as_double() > 0)
else:
    import vectorbt as vbt
    close = df["Close"]
    def run():
        fast = vbt.MA.run(close, 10); slow = vbt.MA.run(close, 30)
        pf = vbt.Portfolio.from_signals(close, fast.ma_crossed_above(slow), fast.ma_crossed_below(slow), open=df["Open"],
                                        high=df["High"], low=df["Low"], sl_stop=0.05, tp_stop=0.10, init_cash=100_000)
        return pf.trades.count()
    run(); t0 = time.perf_counter(); trades = run()
print(f"{time.perf_counter() - t0:.4f} {trades}")
'''


def timed(command):
    start = time.perf_counter()
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return time.perf_counter() - start, out


def main():
    work = tempfile.mkdtemp(prefix="keel-peers-")
    subprocess.run([KEEL, "data", "generate", "--bars", str(BARS), "--seed", "1", "--out", work], check=True, capture_output=True)
    csv = os.path.join(work, "SYM001.csv")
    strategy = os.path.join(work, "s2e.yaml")
    open(strategy, "w").write(S2E)
    script = os.path.join(work, "peer.py")
    open(script, "w").write(PEER_PROCESS)

    rows = []
    out = subprocess.run([KEEL_BENCH, "engine", str(BARS)], capture_output=True, text=True, check=True).stdout
    keel_compute = float(out.split("median of 5: ")[1].split(" s")[0])
    keel_csv, _ = timed([KEEL, "backtest", strategy, "--data", f"SYM001={csv}", "--no-cache"])
    subprocess.run([KEEL, "data", "cache", csv], check=True, capture_output=True)
    keel_cache, _ = timed([KEEL, "backtest", strategy, "--data", f"SYM001={csv}"])
    rows.append(("keel", keel_compute, keel_cache, keel_csv))
    for peer in ["backtesting.py", "backtrader", "vectorbt", "nautilus_trader"]:
        python = os.environ.get("NAUTILUS_PYTHON", sys.executable) if peer == "nautilus_trader" else sys.executable
        total, out = timed([python, script, peer, csv])
        rows.append((peer, float(out.split()[0]), None, total, out.split()[1]))

    print(f"{BARS:,} one-minute bars, S2E, this machine. Times in seconds; ratio = peer time / Keel time.")
    print(f"{'engine':16}{'compute':>10}{'bars/s':>14}{'ratio':>8}{'process':>10}{'ratio':>8}")
    for name, compute, cached, total, *_ in rows:
        process = cached if cached is not None else total
        print(f"{name:16}{compute:>10.3f}{BARS / compute:>14,.0f}{compute / keel_compute:>8.1f}{process:>10.3f}{process / keel_cache:>8.1f}"
              + ("" if cached is None else f"   (from the CSV: {total:.3f} s)"))


if __name__ == "__main__":
    main()
