#!/usr/bin/env python3
"""Generate TA-Lib reference vectors for tests/indicators_talib.rs.

Run once, by hand, and commit the JSON it writes; the Rust tests read the
JSON and never call Python:

    pip install TA-Lib numpy
    python3 tools/gen_talib_vectors.py            # from the crate root

Every fixture file holds a list of series; each series stores its own closes
(so the tests do not depend on ../shared) and, per parameter set, TA-Lib's
RSI / MOM / MACD / BBANDS(SMA) output aligned with the input. NaN (TA-Lib's
lookback) is written as null. Floats are written with Python's repr, i.e.
the shortest string that round-trips to the same f64: nothing is rounded.
"""

import csv
import json
import math
import os
import sys

import numpy as np
import talib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, "tests", "fixtures", "talib")
XRPETH_CSV = os.path.join(
    ROOT, "..", "shared", "fixtures", "binance", "XRPETH-1m-ohlcv-2019-10-11_to_13.csv"
)

DEFAULT = dict(
    rsi=14, macd_fast=12, macd_slow=26, macd_signal=9, bollinger=20, bollinger_k=2.0, momentum=10
)
# A second parameter set, so the tests check that the periods generalise the
# way TA-Lib does (not just the defaults hard-wired).
ALT = dict(rsi=5, macd_fast=5, macd_slow=35, macd_signal=5, bollinger=10, bollinger_k=1.5, momentum=3)


def clean(values):
    """numpy array -> list of float | None (TA-Lib NaN = undefined)."""
    return [None if math.isnan(v) else float(v) for v in values]


def expected(closes, p):
    x = np.asarray(closes, dtype=np.float64)
    macd, signal, hist = talib.MACD(x, p["macd_fast"], p["macd_slow"], p["macd_signal"])
    upper, middle, lower = talib.BBANDS(
        x, p["bollinger"], p["bollinger_k"], p["bollinger_k"], talib.MA_Type.SMA
    )
    return {
        "rsi14": clean(talib.RSI(x, p["rsi"])),
        "momentum10": clean(talib.MOM(x, p["momentum"])),
        "macd": {"macd": clean(macd), "signal": clean(signal), "hist": clean(hist)},
        "bollinger": {"upper": clean(upper), "middle": clean(middle), "lower": clean(lower)},
    }


def series(name, description, closes, param_sets, ema_periods=()):
    closes = [float(c) for c in closes]
    out = {
        "name": name,
        "description": description,
        "closes": closes,
        "cases": [{"params": p, "expected": expected(closes, p)} for p in param_sets],
    }
    x = np.asarray(closes, dtype=np.float64)
    if ema_periods:
        out["ema"] = [{"period": n, "values": clean(talib.EMA(x, n))} for n in ema_periods]
        out["sma"] = [{"period": n, "values": clean(talib.SMA(x, n))} for n in ema_periods]
    return out


def xrpeth_closes():
    with open(XRPETH_CSV, newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0][4] == "close", rows[0]
    return [float(r[4]) for r in rows[1:]]


def gap_filled(closes):
    """Insert runs of repeated closes, the way zero-volume candles fill gaps.

    Run lengths straddle every lookback (14, 20, 26, 33) so the flat windows
    hit RSI's g+l -> small, a zero-variance Bollinger window and a flat EMA.
    """
    out = []
    runs = {50: 3, 120: 15, 200: 21, 300: 40, 420: 1, 500: 27}
    for i, c in enumerate(closes):
        out.append(c)
        out.extend([c] * runs.get(i, 0))
    return out


def random_walk(n, seed):
    """Geometric random walk quantised to a 0.01 tick like a real price feed.

    Quantising keeps the stored closes short; the running sums still see
    non-representable decimals, so float drift is exercised over 10k bars.
    """
    rng = np.random.default_rng(seed)
    steps = rng.normal(0.0, 0.004, n)
    prices = 250.0 * np.exp(np.cumsum(steps))
    return [round(float(v), 2) for v in prices]


def write(name, payload):
    path = os.path.join(OUT_DIR, name)
    with open(path, "w") as f:
        json.dump(payload, f, separators=(",", ":"), allow_nan=False)
        f.write("\n")
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    meta = {
        "generator": "tools/gen_talib_vectors.py",
        "talib_python": talib.__version__,
        "talib_c": talib.__ta_version__.decode() if isinstance(talib.__ta_version__, bytes) else str(talib.__ta_version__),
        "numpy": np.__version__,
    }
    xrp = xrpeth_closes()
    write(
        "xrpeth_1m.json",
        dict(
            meta,
            series=[
                series(
                    "xrpeth_1m",
                    "Binance XRPETH 1m closes 2019-10-11..13 (column 5 of the shared CSV)",
                    xrp,
                    [DEFAULT],
                )
            ],
        ),
    )
    write(
        "flat.json",
        dict(meta, series=[series("flat", "120 identical closes", [0.00141418] * 120, [DEFAULT, ALT])]),
    )
    write(
        "gaps.json",
        dict(
            meta,
            series=[
                series(
                    "gaps",
                    "first 600 XRPETH closes with zero-volume gap runs of 3,15,21,40,1,27 repeated closes",
                    gap_filled(xrp[:600]),
                    [DEFAULT, ALT],
                    ema_periods=(10, 26),
                )
            ],
        ),
    )
    write(
        "random_walk_10k.json",
        dict(
            meta,
            series=[
                series(
                    "random_walk_10k",
                    "10,000-bar geometric random walk, numpy default_rng(20191011), 0.01 tick",
                    random_walk(10_000, 20191011),
                    [DEFAULT],
                )
            ],
        ),
    )
    rng = np.random.default_rng(7)
    tiny = [float(v) for v in 2e-6 + 1e-10 * np.cumsum(rng.standard_normal(200))]
    write(
        "tiny.json",
        dict(
            meta,
            series=[
                series(
                    "tiny",
                    "200 closes near 2e-6 moving ~1e-10 a bar: variances and RSI averages far "
                    "below TA-Lib's historical 1e-8 zero threshold",
                    tiny,
                    [DEFAULT],
                )
            ],
        ),
    )
    short = []
    for n in (0, 1, 2, 13, 14, 15, 19, 20, 33, 34, 35):
        short.append(series(f"short_{n}", f"first {n} XRPETH closes", xrp[:n], [DEFAULT]))
    write("short.json", dict(meta, series=short))
    total = sum(os.path.getsize(os.path.join(OUT_DIR, f)) for f in os.listdir(OUT_DIR))
    print(f"total {total} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
