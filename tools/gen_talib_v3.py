#!/usr/bin/env python3
"""Generate TA-Lib reference vectors for the twenty indicators of SPEC §8.

Run by hand and commit the JSON it writes; the Rust tests
(`tests/indicators_v3.rs`) read the JSON and never call Python:

    pip install TA-Lib numpy
    python3 tools/gen_talib_v3.py                 # from the crate root

Each file under tests/fixtures/talib/v3/ holds one OHLCV series (its own bars,
so the tests need nothing outside the repository) and, for every indicator
name in SPECS, TA-Lib's outputs aligned with the bars: a list for one output,
an object of lists for several. TA-Lib's NaN (its lookback) is written as
null; floats are Python's repr (shortest round-trip), nothing is rounded.
"""

import csv
import json
import math
import os
import sys

import numpy as np
import talib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, "tests", "fixtures", "talib", "v3")
XRPETH_CSV = os.path.join(ROOT, "tests", "fixtures", "binance", "XRPETH-1m-ohlcv-2019-10-11_to_13.csv")
SMA = talib.MA_Type.SMA

# Each indicator with TA-Lib's default parameters and a second, unusual set
# (smallest legal periods included) so the tests see that the parameters are
# honoured, not hard-wired.
SPECS = [
    "sma:20", "sma:2", "ema:20", "ema:2", "wma:20", "wma:2", "dema:20", "dema:3",
    "tema:20", "tema:4", "bbands:20,2", "bbands:5,1.5", "rsi:14", "rsi:2",
    "macd:12,26,9", "macd:5,35,1", "mom:10", "mom:1", "roc:10", "roc:1",
    "stoch:14,3,3", "stoch:5,1,1", "stoch:9,4,2", "stochrsi:14,14,3", "stochrsi:5,3,1",
    "atr:14", "atr:1", "natr:14", "natr:2", "adx:14", "adx:2", "cci:14", "cci:2",
    "willr:14", "willr:2", "mfi:14", "mfi:2", "obv", "sar:0.02,0.2", "sar:0.05,0.1",
]


def clean(values):
    return [None if math.isnan(v) else float(v) for v in values]


def talib_outputs(spec, o, h, l, c, v):
    name, _, args = spec.partition(":")
    a = [float(x) for x in args.split(",")] if args else []
    n = [int(x) for x in a]
    if name in ("sma", "ema", "wma", "dema", "tema", "rsi", "mom", "roc"):
        return clean(getattr(talib, name.upper())(c, n[0]))
    if name == "bbands":
        up, mid, lo = talib.BBANDS(c, n[0], a[1], a[1], SMA)
        return {"upper": clean(up), "middle": clean(mid), "lower": clean(lo)}
    if name == "macd":
        m, s, hist = talib.MACD(c, n[0], n[1], n[2])
        return {"macd": clean(m), "signal": clean(s), "hist": clean(hist)}
    if name == "stoch":
        k, d = talib.STOCH(h, l, c, n[0], n[1], SMA, n[2], SMA)
        return {"k": clean(k), "d": clean(d)}
    if name == "stochrsi":
        k, d = talib.STOCHRSI(c, n[0], n[1], n[2], SMA)
        return {"k": clean(k), "d": clean(d)}
    if name in ("atr", "natr", "adx", "cci", "willr"):
        return clean(getattr(talib, name.upper())(h, l, c, n[0]))
    if name == "mfi":
        return clean(talib.MFI(h, l, c, v, n[0]))
    if name == "obv":
        return clean(talib.OBV(c, v))
    if name == "sar":
        return clean(talib.SAR(h, l, a[0], a[1]))
    raise ValueError(spec)


def write(name, description, bars):
    t, o, h, l, c, v = (list(col) for col in zip(*bars)) if bars else ([],) * 6
    arr = [np.asarray(x, dtype=np.float64) for x in (o, h, l, c, v)]
    payload = {
        "generator": "tools/gen_talib_v3.py",
        "talib_python": talib.__version__,
        "talib_c": str(talib.__ta_version__),
        "name": name,
        "description": description,
        "bars": {"time": [int(x) for x in t], "open": o, "high": h, "low": l, "close": c, "volume": v},
        "expected": {s: talib_outputs(s, *arr) for s in SPECS},
    }
    path = os.path.join(OUT_DIR, name + ".json")
    with open(path, "w") as f:
        json.dump(payload, f, separators=(",", ":"), allow_nan=False)
        f.write("\n")
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")


def xrpeth(limit):
    with open(XRPETH_CSV, newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["open_time_ms", "open", "high", "low", "close", "volume"], rows[0]
    return [(int(r[0]), *(float(x) for x in r[1:6])) for r in rows[1 : limit + 1]]


def walk(n, seed, start, sigma, tick):
    """OHLC bars from a geometric random walk, quantised to `tick`."""
    rng = np.random.default_rng(seed)
    closes = start * np.exp(np.cumsum(rng.normal(0.0, sigma, n)))
    bars, prev = [], start
    for i, c in enumerate(closes):
        wig = abs(rng.normal(0.0, sigma, 2)) * c
        o, c = prev, c
        hi, lo = max(o, c) + wig[0], min(o, c) - wig[1]
        q = lambda x: round(round(x / tick) * tick, 12)
        bars.append((1_600_000_000_000 + 60_000 * i, q(o), q(hi), max(q(lo), tick), q(c), float(round(rng.uniform(0, 50), 3))))
        prev = c
    return bars


def gapped(bars):
    """Zero-volume flat runs (a quiet market's filled gaps) straddling every lookback."""
    runs = {40: 3, 90: 15, 150: 21, 230: 40, 300: 1, 350: 27}
    out = []
    for i, b in enumerate(bars):
        out.append(b)
        for j in range(runs.get(i, 0)):
            c = out[-1][4]
            out.append((out[-1][0] + 60_000, c, c, c, c, 0.0))
    return [(bars[0][0] + 60_000 * k, *b[1:]) for k, b in enumerate(out)]


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    xrp = xrpeth(2000)
    write("xrpeth_1m", "first 2000 Binance XRPETH 1m candles, 2019-10-11 (tests/fixtures/binance)", xrp)
    write("flat", "60 identical candles, price 0.00141418, volume 10", [(60_000 * i, 0.00141418, 0.00141418, 0.00141418, 0.00141418, 10.0) for i in range(60)])
    write("gaps", "first 400 XRPETH candles with zero-volume flat runs of 3,15,21,40,1,27", gapped(xrpeth(400)))
    write("huge", "400 bars near 5e9 (a 1e-2 tick)", walk(400, 11, 5e9, 0.01, 0.01))
    write("tiny", "400 bars near 2e-6 moving ~1e-10 (a 1e-12 tick): values far below 1e-8", walk(400, 12, 2e-6, 0.00005, 1e-12))
    write("satoshi", "300 bars of 1..99 satoshi (1e-8 tick): the smallest decimals a venue quotes", walk(300, 13, 3e-8, 0.2, 1e-8))
    for n in (1, 2, 3, 15, 28, 35):
        write(f"short_{n}", f"first {n} XRPETH candles", xrp[:n])
    return 0


if __name__ == "__main__":
    sys.exit(main())
