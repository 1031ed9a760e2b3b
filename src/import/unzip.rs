//! Streams the CSV member of a zip archive without holding it in memory: a thread unpacks it
//! in chunks into a bounded channel that the row reader drains. The archive's borrow of its
//! file lives on that thread, so the reader needs no self-referential type; memory stays at a
//! few chunks whatever the member's size, and a member larger than [`MAX_MEMBER_BYTES`]
//! unpacked is refused.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use super::{ImportError, MAX_MEMBER_BYTES};

const CHUNK: usize = 64 * 1024;
/// Chunks in flight between the unpacking thread and the reader.
const IN_FLIGHT: usize = 4;

/// A reader over the first `.csv` member of the archive at `path`.
pub(super) fn member_reader(path: &Path) -> Result<Box<dyn BufRead>, ImportError> {
    let zip_err = |e: zip::result::ZipError| ImportError::Zip {
        path: path.into(),
        detail: e.to_string(),
    };
    let open = || -> Result<zip::ZipArchive<std::fs::File>, ImportError> {
        let file = std::fs::File::open(path).map_err(|source| ImportError::Io {
            path: path.into(),
            source,
        })?;
        zip::ZipArchive::new(file).map_err(zip_err)
    };
    let mut zip = open()?;
    let idx = (0..zip.len())
        .find(|&i| {
            zip.by_index(i)
                .map(|f| f.name().to_ascii_lowercase().ends_with(".csv"))
                .unwrap_or(false)
        })
        .ok_or_else(|| ImportError::EmptyZip { path: path.into() })?;
    // The declared size can lie; it only refuses early what the stream would refuse later.
    if zip.by_index(idx).map_err(zip_err)?.size() > MAX_MEMBER_BYTES {
        return Err(ImportError::TooLarge {
            path: path.into(),
            limit: MAX_MEMBER_BYTES,
        });
    }
    let (tx, rx) = sync_channel(IN_FLIGHT);
    std::thread::Builder::new()
        .name("unzip".into())
        .spawn(move || unpack(zip, idx, tx))
        .map_err(|source| ImportError::Io {
            path: path.into(),
            source,
        })?;
    Ok(Box::new(BufReader::with_capacity(
        CHUNK,
        ChannelReader {
            rx,
            chunk: Vec::new(),
            pos: 0,
        },
    )))
}

/// Runs on the unpacking thread until the member ends, fails, or the reader goes away.
fn unpack(mut zip: zip::ZipArchive<std::fs::File>, idx: usize, tx: SyncSender<Chunk>) {
    let mut member = match zip.by_index(idx) {
        Ok(m) => m,
        Err(e) => {
            let _ = tx.send(Err(e.to_string()));
            return;
        }
    };
    let mut total: u64 = 0;
    loop {
        let mut buf = vec![0u8; CHUNK];
        let n = match member.read(&mut buf) {
            Ok(0) => return,
            Ok(n) => n,
            Err(e) => {
                let _ = tx.send(Err(e.to_string()));
                return;
            }
        };
        total += n as u64;
        if total > MAX_MEMBER_BYTES {
            let _ = tx.send(Err(format!(
                "zip member is larger than {MAX_MEMBER_BYTES} bytes unpacked"
            )));
            return;
        }
        buf.truncate(n);
        if tx.send(Ok(buf)).is_err() {
            return;
        }
    }
}

type Chunk = Result<Vec<u8>, String>;

struct ChannelReader {
    rx: Receiver<Chunk>,
    chunk: Vec<u8>,
    pos: usize,
}

impl Read for ChannelReader {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.pos == self.chunk.len() {
            match self.rx.recv() {
                Ok(Ok(chunk)) => {
                    self.chunk = chunk;
                    self.pos = 0;
                }
                Ok(Err(e)) => return Err(std::io::Error::other(e)),
                // The thread finished: the member ended.
                Err(_) => return Ok(0),
            }
        }
        let n = out.len().min(self.chunk.len() - self.pos);
        out[..n].copy_from_slice(&self.chunk[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}
