#!/usr/bin/env python3
"""cryptoviz's indicators against TA-Lib's C code, side by side in one run.

    pip install TA-Lib numpy
    cargo build --release
    python3 tools/indicator_speed.py [path/to/cryptoviz] [--full]

Runs `cryptoviz bench --json` (`--quick` unless --full) for its
`indicators_bars_per_sec` and `indicators_10k_candles_ms`, times TA-Lib
(through the PyPI wheel, which bundles TA-Lib's C library) on the very same
candles (the bench's generator, SplitMix64 seed 7, rebuilt here), and prints
bars per second and the ratio for every indicator. Python's call overhead is
a few microseconds per call, under 0.1 % of a 100,000-bar run.
"""

import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import talib

MASK = (1 << 64) - 1


class SplitMix64:
    def __init__(self, seed):
        self.s = seed

    def next(self):
        self.s = (self.s + 0x9E3779B97F4A7C15) & MASK
        z = self.s
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def range(self, lo, hi):
        return lo + self.next() % (hi - lo + 1)


def bench_candles(n):
    """src/bench/data.rs `candles`: prices in 1e-8 units, converted as cryptoviz does."""
    rng = SplitMix64(7)
    close = 4_210_050
    h, l, c, v = [], [], [], []
    for _ in range(n):
        o = close
        close = max(close + rng.range(0, 2000) - 1000, 1000)
        hi, lo = max(o, close) + 300, min(o, close) - 300
        vol = rng.range(0, 10_000_000)
        rng.range(0, 5000)  # trade count, unused here
        h.append(hi * 1_000_000 / 100_000_000)
        l.append(lo * 1_000_000 / 100_000_000)
        c.append(close * 1_000_000 / 100_000_000)
        v.append(vol / 100_000_000)
    return [np.asarray(x, dtype=np.float64) for x in (h, l, c, v)]


SMA = talib.MA_Type.SMA
CALLS = {
    "sma:20": lambda h, l, c, v: talib.SMA(c, 20),
    "ema:20": lambda h, l, c, v: talib.EMA(c, 20),
    "wma:20": lambda h, l, c, v: talib.WMA(c, 20),
    "dema:20": lambda h, l, c, v: talib.DEMA(c, 20),
    "tema:20": lambda h, l, c, v: talib.TEMA(c, 20),
    "bbands:20,2": lambda h, l, c, v: talib.BBANDS(c, 20, 2.0, 2.0, SMA),
    "rsi:14": lambda h, l, c, v: talib.RSI(c, 14),
    "macd:12,26,9": lambda h, l, c, v: talib.MACD(c, 12, 26, 9),
    "mom:10": lambda h, l, c, v: talib.MOM(c, 10),
    "roc:10": lambda h, l, c, v: talib.ROC(c, 10),
    "stoch:14,3,3": lambda h, l, c, v: talib.STOCH(h, l, c, 14, 3, SMA, 3, SMA),
    "stochrsi:14,14,3": lambda h, l, c, v: talib.STOCHRSI(c, 14, 14, 3, SMA),
    "atr:14": lambda h, l, c, v: talib.ATR(h, l, c, 14),
    "natr:14": lambda h, l, c, v: talib.NATR(h, l, c, 14),
    "adx:14": lambda h, l, c, v: talib.ADX(h, l, c, 14),
    "cci:14": lambda h, l, c, v: talib.CCI(h, l, c, 14),
    "willr:14": lambda h, l, c, v: talib.WILLR(h, l, c, 14),
    "mfi:14": lambda h, l, c, v: talib.MFI(h, l, c, v, 14),
    "obv": lambda h, l, c, v: talib.OBV(c, v),
    "sar:0.02,0.2": lambda h, l, c, v: talib.SAR(h, l, 0.02, 0.2),
}


def median_seconds(fn, reps):
    runs = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t)
    runs.sort()
    return runs[len(runs) // 2]


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    binary = args[0] if args else os.path.join("target", "release", "cryptoviz")
    full = "--full" in sys.argv
    with tempfile.TemporaryDirectory() as d:
        cmd = [binary, "bench", "--json", "--data-dir", d, "--config", "/dev/null"]
        if not full:
            cmd.insert(3, "--quick")
        print("running:", " ".join(cmd), file=sys.stderr)
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    report = json.loads(out)
    ours = report["indicators_bars_per_sec"]
    n = 100_000
    h, l, c, v = bench_candles(n)
    print(f"TA-Lib C {talib.__ta_version__.decode() if isinstance(talib.__ta_version__, bytes) else talib.__ta_version__}"
          f" (python wheel {talib.__version__}); {n:,} candles; bars per second, median of 21\n")
    print(f"| indicator | cryptoviz | TA-Lib C | ratio |")
    print(f"|---|---:|---:|---:|")
    for name, call in CALLS.items():
        secs = median_seconds(lambda: call(h, l, c, v), 21)
        theirs = n / secs
        mine = ours.get(name)
        ratio = f"{mine / theirs:.2f}" if mine else "n/a"
        print(f"| `{name}` | {mine:,.0f} | {theirs:,.0f} | {ratio} |")
    for name, mine in ours.items():
        if name not in CALLS:
            print(f"| `{name}` | {mine:,.0f} | (none in TA-Lib) | |")
    c10 = c[:10_000]
    four = lambda: (
        talib.RSI(c10, 14),
        talib.MACD(c10, 12, 26, 9),
        talib.BBANDS(c10, 20, 2.0, 2.0, SMA),
        talib.MOM(c10, 10),
    )
    theirs_ms = median_seconds(four, 51) * 1000
    mine_ms = report["indicators_10k_candles_ms"]
    print(f"\nv2's four over 10,000 closes: cryptoviz {mine_ms:.3f} ms, TA-Lib {theirs_ms:.3f} ms"
          f" (ratio of speeds {theirs_ms / mine_ms:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
