//! How a dashboard attached to the bus reads it, and how it recovers. The stream is read through
//! an ordered JetStream consumer, and the last stream sequence delivered is remembered: when
//! the consumer breaks, or the connection comes back after a loss (a restarted server may have
//! forgotten the consumer), a new one starts right after that sequence, so nothing is missed
//! and nothing comes twice. Where no consumer can be made (the stream not there yet, or an
//! account that may only subscribe), a plain subscription takes what is published from now,
//! and a consumer is tried again on the next reconnect, from when the last message came.

use std::pin::Pin;
use std::time::{Duration, Instant};

use async_nats::jetstream::consumer::{DeliverPolicy, pull::OrderedConfig};
use futures_util::{Stream, StreamExt};

use crate::bus::message::ROOT;
use crate::config::BusConfig;

/// What a dashboard attaching replays: the tape's worth of the recent past.
const REPLAY: Duration = Duration::from_secs(120);
/// A broken consumer is remade at most this often.
const REOPEN_EVERY: Duration = Duration::from_secs(2);
/// How long making a consumer may take before the plain subscription is used.
const OPEN_LIMIT: Duration = Duration::from_secs(5);

/// A message, with its stream sequence when it came through the consumer; or word that the
/// consumer broke.
enum Item {
    Msg(async_nats::Subject, bytes::Bytes, Option<u64>),
    Broken,
}

type Items = Pin<Box<dyn Stream<Item = Item> + Send>>;

/// Where a new consumer starts.
#[derive(Clone, Copy, Debug)]
enum Start {
    /// Right after this stream sequence (what was delivered already).
    After(u64),
    /// At this time (a plain subscription's last message, or [`REPLAY`] back at first).
    Time(time::OffsetDateTime),
}

pub struct Reader {
    client: async_nats::Client,
    stream: String,
    items: Items,
    /// Whether `items` comes through a consumer (with replay) or a plain subscription.
    pub replaying: bool,
    last_seq: Option<u64>,
    last_at: Option<time::OffsetDateTime>,
    reopened: Option<Instant>,
}

impl Reader {
    pub async fn open(client: &async_nats::Client, cfg: &BusConfig) -> Result<Reader, String> {
        let start = Start::Time(time::OffsetDateTime::now_utc() - REPLAY);
        let (items, replaying) = items(client, &cfg.stream, start).await?;
        Ok(Reader {
            client: client.clone(),
            stream: cfg.stream.clone(),
            items,
            replaying,
            last_seq: None,
            last_at: None,
            reopened: None,
        })
    }

    /// The next message (subject, payload); a broken consumer is remade on the way. `None`
    /// when nothing can be read any more.
    pub async fn next(&mut self) -> Option<(async_nats::Subject, bytes::Bytes)> {
        loop {
            match self.items.next().await {
                Some(Item::Msg(subject, payload, seq)) => {
                    if seq.is_some() {
                        self.last_seq = seq;
                    } else if !self.replaying {
                        self.last_at = Some(time::OffsetDateTime::now_utc());
                    }
                    return Some((subject, payload));
                }
                Some(Item::Broken) | None => {
                    if let Some(at) = self.reopened {
                        tokio::time::sleep(REOPEN_EVERY.saturating_sub(at.elapsed())).await;
                    }
                    if self.reopen().await.is_err() {
                        return None;
                    }
                }
            }
        }
    }

    /// A new consumer after what was delivered (or a plain subscription where none can be
    /// made): after a reconnect, or when the one in use broke.
    pub async fn reopen(&mut self) -> Result<(), String> {
        self.reopened = Some(Instant::now());
        let start = match (self.last_seq, self.last_at) {
            (Some(seq), _) => Start::After(seq),
            (None, Some(at)) => Start::Time(at),
            (None, None) => Start::Time(time::OffsetDateTime::now_utc() - REPLAY),
        };
        let (items, replaying) = items(&self.client, &self.stream, start).await?;
        if replaying && !self.replaying {
            tracing::info!("bus: reading the stream again, from {start:?}");
        }
        self.items = items;
        self.replaying = replaying;
        Ok(())
    }
}

/// The stream from `start` through an ordered consumer, with the books (never kept by the
/// stream) as they are published, and `true`; or a plain subscription to all of the bus from
/// now, and `false`.
async fn items(
    client: &async_nats::Client,
    stream: &str,
    start: Start,
) -> Result<(Items, bool), String> {
    let js = async_nats::jetstream::new(client.clone());
    let deliver_policy = match start {
        Start::After(seq) => DeliverPolicy::ByStartSequence {
            start_sequence: seq + 1,
        },
        Start::Time(start_time) => DeliverPolicy::ByStartTime { start_time },
    };
    let ordered = async {
        let stream = js.get_stream(stream).await.ok()?;
        let consumer = stream
            .create_consumer(OrderedConfig {
                deliver_policy,
                ..Default::default()
            })
            .await
            .ok()?;
        consumer.messages().await.ok()
    };
    if let Ok(Some(messages)) = tokio::time::timeout(OPEN_LIMIT, ordered).await {
        // The consumer's end is a break too (the books' subscription would hide it).
        let ended = futures_util::stream::once(async { Item::Broken });
        let kept = messages.map(|m| match m {
            Ok(m) => {
                let seq = m.info().ok().map(|i| i.stream_sequence);
                Item::Msg(m.message.subject, m.message.payload, seq)
            }
            Err(e) => {
                tracing::debug!(error = %e, "bus consumer");
                Item::Broken
            }
        });
        let kept = kept.chain(ended);
        let books = client
            .subscribe(format!("{ROOT}.*.*.book"))
            .await
            .map_err(|e| e.to_string())?
            .map(|m| Item::Msg(m.subject, m.payload, None));
        return Ok((Box::pin(futures_util::stream::select(kept, books)), true));
    }
    let sub = client
        .subscribe(format!("{ROOT}.>"))
        .await
        .map_err(|e| e.to_string())?;
    Ok((
        Box::pin(sub.map(|m| Item::Msg(m.subject, m.payload, None))),
        false,
    ))
}
