//! The cold tier's encoding: a run of closed candles of one series as one blob.
//!
//! Per candle: the open-time step in intervals, then open/high/low/close as zig-zag deltas
//! from the previous close (prices move little from one candle to the next, so most deltas
//! fit in one or two bytes), volume and quote volume as raw scaled integers, and the trade
//! count, all LEB128 varints. Trade ids are dropped: only the newest candle needs them, and
//! it is always hot.

use crate::domain::{Candle, Millis, Price, Qty, Quote, Timeframe};

/// Candles per chunk span: a day of 1m candles, a week of 5m, a month of 15m and so on.
pub fn chunk_span(tf: Timeframe) -> Millis {
    const DAY: Millis = 86_400_000;
    match tf {
        Timeframe::M1 => DAY,
        Timeframe::M5 => 7 * DAY,
        Timeframe::M15 => 30 * DAY,
        Timeframe::H1 => 90 * DAY,
        Timeframe::D1 => 2000 * DAY,
    }
}

/// Merges two ascending runs; on equal open times the hot (later-written) candle wins.
pub fn merge(cold: Vec<Candle>, hot: Vec<Candle>) -> Vec<Candle> {
    merge_by(cold, hot, |c| c.open_time)
}

/// [`merge`] of anything with an open time (`time`).
pub fn merge_by<T>(cold: Vec<T>, hot: Vec<T>, time: impl Fn(&T) -> Millis) -> Vec<T> {
    if cold.is_empty() {
        return hot;
    }
    if hot.is_empty() {
        return cold;
    }
    let mut out = Vec::with_capacity(cold.len() + hot.len());
    let (mut c, mut h) = (cold.into_iter().peekable(), hot.into_iter().peekable());
    loop {
        match (c.peek(), h.peek()) {
            (Some(a), Some(b)) if time(a) < time(b) => out.extend(c.next()),
            (Some(a), Some(b)) if time(a) == time(b) => {
                c.next();
                out.extend(h.next());
            }
            (_, Some(_)) => out.extend(h.next()),
            (Some(_), None) => out.extend(c.next()),
            (None, None) => return out,
        }
    }
}

/// One step of packing a series' old hot candles into its cold tier, the same on every
/// backend: the chunk holding the oldest hot candle, no further than `hot_before`.
pub fn pack_range(tf: Timeframe, oldest: Millis, hot_before: Millis) -> (Millis, Millis) {
    let start = chunk_start(tf, oldest);
    (start, (start + chunk_span(tf)).min(hot_before))
}

/// A cold chunk as it is to be stored.
pub struct Packed {
    pub first_open: Millis,
    pub last_open: Millis,
    pub count: i64,
    pub data: Vec<u8>,
    /// Hot candles it took in.
    pub moved: u64,
}

/// The chunk that results from adding `hot` (ascending) to the chunk already stored there
/// (`(first_open, data)`, if any): the hot candle wins where both have one. None when both
/// are empty.
pub fn repack(
    tf: Timeframe,
    stored: Option<(Millis, &[u8])>,
    hot: Vec<Candle>,
) -> Result<Option<Packed>, super::StoreError> {
    let mut existing = Vec::new();
    if let Some((first, data)) = stored {
        decode_chunk(tf, first, data, &mut existing)?;
    }
    let moved = hot.len() as u64;
    let all = merge(existing, hot);
    let (Some(first), Some(last)) = (all.first(), all.last()) else {
        return Ok(None);
    };
    Ok(Some(Packed {
        first_open: first.open_time,
        last_open: last.open_time,
        count: all.len() as i64,
        data: encode(tf, &all),
        moved,
    }))
}

/// Decodes a stored chunk, as the store reports a chunk that does not decode.
pub fn decode_chunk(
    tf: Timeframe,
    first_open: Millis,
    data: &[u8],
    out: &mut Vec<Candle>,
) -> Result<(), super::StoreError> {
    decode(tf, first_open, data, out)
        .map_err(|e| super::StoreError::Query(format!("a cold chunk does not decode: {e}")))
}

/// The newest `n` candles at or before `before`, from a series' newest `n` hot candles
/// (ascending) and its cold chunks, which `older` hands out newest first as
/// `(first_open, data)`: only as many chunks are read as it takes to know the newest `n`.
pub fn newest(
    tf: Timeframe,
    hot: Vec<Candle>,
    before: Millis,
    n: usize,
    mut older: impl FnMut() -> Result<Option<(Millis, Vec<u8>)>, super::StoreError>,
) -> Result<Vec<Candle>, super::StoreError> {
    let mut cold: Vec<Candle> = Vec::new();
    let mut merged = hot.clone();
    while let Some((first_open, data)) = older()? {
        let mut chunk = Vec::new();
        decode_chunk(tf, first_open, &data, &mut chunk)?;
        chunk.retain(|c| c.open_time <= before);
        chunk.append(&mut cold);
        cold = chunk;
        merged = merge(cold.clone(), hot.clone());
        if merged.iter().filter(|c| c.open_time >= first_open).count() >= n {
            break;
        }
    }
    let skip = merged.len().saturating_sub(n);
    Ok(merged.split_off(skip))
}

pub fn chunk_start(tf: Timeframe, open_time: Millis) -> Millis {
    open_time.div_euclid(chunk_span(tf)) * chunk_span(tf)
}

fn put(out: &mut Vec<u8>, mut v: u128) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

fn zigzag(v: i128) -> u128 {
    ((v << 1) ^ (v >> 127)) as u128
}

fn unzigzag(v: u128) -> i128 {
    ((v >> 1) as i128) ^ -((v & 1) as i128)
}

/// A chunk of a `venue` series with [`Candle::mend_stored_zeros`] applied to its candles;
/// `None` when nothing in it changes.
pub fn mend_chunk(
    venue: crate::domain::Venue,
    tf: Timeframe,
    first_open: Millis,
    data: &[u8],
) -> Result<Option<Vec<u8>>, DecodeError> {
    let mut candles = Vec::new();
    decode(tf, first_open, data, &mut candles)?;
    let mut changed = false;
    for c in &mut candles {
        changed |= c.mend_stored_zeros(venue);
    }
    Ok(changed.then(|| encode(tf, &candles)))
}

/// The code of an absent quote volume: zigzag(-1). A quote volume is never negative, so no
/// real one has it, and chunks written before values could be absent read unchanged.
const ABSENT_QUOTE: u128 = 1;
/// The code of an absent trade count: one past any u64, which no real count reaches.
const ABSENT_TRADES: u128 = 1 << 64;

/// Encodes ascending candles (closed flags are implied: cold candles are closed).
pub fn encode(tf: Timeframe, candles: &[Candle]) -> Vec<u8> {
    let mut out = Vec::with_capacity(candles.len() * 16);
    let mut prev_open = candles.first().map_or(0, |c| c.open_time - tf.millis());
    let mut prev_close = 0i128;
    for c in candles {
        put(&mut out, ((c.open_time - prev_open) / tf.millis()) as u128);
        for p in [c.open, c.high, c.low, c.close] {
            put(&mut out, zigzag(p.raw() - prev_close));
        }
        put(&mut out, zigzag(c.volume.raw()));
        put(
            &mut out,
            c.quote_volume.map_or(ABSENT_QUOTE, |q| zigzag(q.raw())),
        );
        put(&mut out, c.trades.map_or(ABSENT_TRADES, u128::from));
        prev_open = c.open_time;
        prev_close = c.close.raw();
    }
    out
}

#[derive(Debug, thiserror::Error)]
#[error("cold chunk is truncated or corrupt")]
pub struct DecodeError;

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn next(&mut self) -> Result<u128, DecodeError> {
        let mut v = 0u128;
        let mut shift = 0;
        loop {
            let b = *self.data.get(self.pos).ok_or(DecodeError)?;
            self.pos += 1;
            if shift >= 128 {
                return Err(DecodeError);
            }
            v |= ((b & 0x7f) as u128) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
            shift += 7;
        }
    }
}

/// Decodes a chunk whose first candle opens at `first_open`, appending to `out`.
pub fn decode(
    tf: Timeframe,
    first_open: Millis,
    data: &[u8],
    out: &mut Vec<Candle>,
) -> Result<(), DecodeError> {
    let mut r = Reader { data, pos: 0 };
    let mut open_time = first_open - tf.millis();
    let mut prev_close = 0i128;
    while r.pos < data.len() {
        open_time += r.next()? as i64 * tf.millis();
        let mut p = [0i128; 4];
        for v in &mut p {
            *v = prev_close + unzigzag(r.next()?);
        }
        let volume = unzigzag(r.next()?);
        let quote = match r.next()? {
            ABSENT_QUOTE => None,
            q => Some(Quote::from_raw(unzigzag(q))),
        };
        let trades = match r.next()? {
            ABSENT_TRADES => None,
            n => Some(u64::try_from(n).map_err(|_| DecodeError)?),
        };
        prev_close = p[3];
        out.push(Candle {
            open_time,
            open: Price::from_raw(p[0]),
            high: Price::from_raw(p[1]),
            low: Price::from_raw(p[2]),
            close: Price::from_raw(p[3]),
            volume: Qty::from_raw(volume),
            quote_volume: quote,
            trades,
            closed: true,
            first_trade_id: None,
            last_trade_id: None,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (open_time, [o, h, l, c, volume, quote_volume], trades)
    fn candle(t: Millis, f: [&str; 6], n: u64) -> Candle {
        Candle {
            open_time: t,
            open: f[0].parse().unwrap(),
            high: f[1].parse().unwrap(),
            low: f[2].parse().unwrap(),
            close: f[3].parse().unwrap(),
            volume: f[4].parse().unwrap(),
            quote_volume: Some(f[5].parse().unwrap()),
            trades: Some(n),
            closed: true,
            first_trade_id: None,
            last_trade_id: None,
        }
    }

    #[test]
    fn round_trips_exactly_with_gaps_and_extremes() {
        let tf = Timeframe::M1;
        let v = vec![
            candle(
                60_000,
                ["42000.5", "42010", "41990.25", "42001", "1.9", "79793.55"],
                5,
            ),
            candle(120_000, ["42001", "42001", "42001", "42001", "0", "0"], 0),
            // a hole of three minutes
            candle(
                360_000,
                [
                    "0.00000001",
                    "99999999999",
                    "0.00000001",
                    "1",
                    "123456789012.12345678",
                    "0.0000000000000001",
                ],
                u64::MAX >> 1,
            ),
        ];
        let blob = encode(tf, &v);
        let mut back = Vec::new();
        decode(tf, 60_000, &blob, &mut back).unwrap();
        assert_eq!(back, v);
        // Absent values come back absent, beside a real zero and the largest count.
        let mut absent = v.clone();
        absent[0].quote_volume = None;
        absent[0].trades = None;
        absent[2].trades = Some(u64::MAX);
        let mut back = Vec::new();
        decode(tf, 60_000, &encode(tf, &absent), &mut back).unwrap();
        assert_eq!(back, absent);
        assert_eq!(
            (back[1].quote_volume, back[1].trades),
            (Some(Quote::ZERO), Some(0))
        );
        assert!(decode(tf, 60_000, &blob[..blob.len() - 1], &mut Vec::new()).is_err());
    }

    #[test]
    fn smaller_than_rows() {
        let tf = Timeframe::M1;
        let v: Vec<Candle> = (0..1440)
            .map(|i| {
                let f = [
                    "42000.5",
                    "42010.1",
                    "41990.25",
                    "42001.3",
                    "12.345",
                    "518573.1234",
                ];
                candle(i * 60_000, f, 250)
            })
            .collect();
        // A hot row of the same candle takes about 100 bytes on disk (tests/store_tiers.rs);
        // the quote volume at 16 places alone needs ~10 bytes here.
        let blob = encode(tf, &v);
        assert!(blob.len() < 1440 * 40, "{} bytes", blob.len());
    }
}
