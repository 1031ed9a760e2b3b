//! The indicators chosen in the dashboard's menu, kept for the next start in a small file of
//! the data dir (`indicators.toml`; the demo's own is `demo-indicators.toml`). A chart choice
//! belongs to this machine's user, not to the store several collectors and dashboards share.
//!
//! The file also holds the config's list the choice was made over: when the config's
//! `[indicators]` has changed since, the config wins (the user edited it on purpose), and the
//! old choice is dropped with a line in the log.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::indicators::spec::Spec;

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Choice {
    /// Overlays then panes, canonical names.
    chosen: Vec<String>,
    /// The config's list at the time.
    config: Vec<String>,
}

/// Text from the file as it may appear in a message: one line, escaped, clipped.
fn one_line(s: &str) -> String {
    use crate::domain::text::{clip_bytes, escape_invisible};
    escape_invisible(&clip_bytes(s, 300)).into_owned()
}

pub fn path(data_dir: &Path, demo: bool) -> PathBuf {
    data_dir.join(if demo {
        "demo-indicators.toml"
    } else {
        "indicators.toml"
    })
}

/// What the chart starts with: the stored choice when it was made over this `config` list,
/// else the config's. The second value is what to tell the user (one line, naming the file).
pub fn load(file: &Path, config: &[Spec]) -> (Vec<Spec>, Option<String>) {
    let text = match std::fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return (config.to_vec(), None),
        Err(e) => {
            let why = format!(
                "{}: not read ({e}); the config's indicators",
                file.display()
            );
            return (config.to_vec(), Some(why));
        }
    };
    let choice: Choice = match toml::from_str(&text) {
        Ok(c) => c,
        Err(e) => {
            let first = e.message().lines().next().unwrap_or_default().to_string();
            let why = format!("{}: {first}; the config's indicators", file.display());
            return (config.to_vec(), Some(one_line(&why)));
        }
    };
    let names: Vec<String> = config.iter().map(Spec::name).collect();
    if choice.config != names {
        let why = format!(
            "{}: the config's [indicators] changed since the menu's choice; the config's",
            file.display()
        );
        return (config.to_vec(), Some(why));
    }
    let mut chosen = Vec::new();
    for name in &choice.chosen {
        match Spec::parse(name) {
            Ok(s) if !chosen.contains(&s) => chosen.push(s),
            Ok(_) => {}
            Err(e) => {
                let why = format!("{}: {e}; the config's indicators", file.display());
                return (config.to_vec(), Some(one_line(&why)));
            }
        }
    }
    // Overlays first, as everywhere else.
    chosen.sort_by_key(|s| !s.def().overlay);
    (chosen, None)
}

/// Where a dashboard keeps its choice, and the config's list it is made over.
#[derive(Clone, Debug)]
pub struct Keeper {
    pub file: PathBuf,
    pub config: Vec<Spec>,
}

impl Keeper {
    /// Keeps `chosen` for the next start, off the async threads.
    pub async fn keep(&self, chosen: Vec<String>) -> Result<(), String> {
        let (file, config) = (self.file.clone(), self.config.clone());
        tokio::task::spawn_blocking(move || save(&file, &chosen, &config))
            .await
            .unwrap_or_else(|e| Err(e.to_string()))
    }
}

/// Keeps `chosen` (made over the config's list `config`) for the next start: written whole to
/// a temporary file and renamed, so a crash leaves the old file or the new one.
pub fn save(file: &Path, chosen: &[String], config: &[Spec]) -> Result<(), String> {
    let choice = Choice {
        chosen: chosen.to_vec(),
        config: config.iter().map(Spec::name).collect(),
    };
    let body = toml::to_string(&choice).map_err(|e| e.to_string())?;
    let text = format!(
        "# The chart's indicators as chosen in the dashboard's menu (the i key), written by\n\
         # cryptoviz. `config` is the config's [indicators] they were chosen over: when the\n\
         # config changes, it wins.\n{body}"
    );
    let tmp = file.with_extension("toml.tmp");
    std::fs::write(&tmp, text)
        .and_then(|()| std::fs::rename(&tmp, file))
        .map_err(|e| format!("{}: {e}", file.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn specs(names: &[&str]) -> Vec<Spec> {
        names.iter().map(|n| Spec::parse(n).unwrap()).collect()
    }

    #[test]
    fn a_choice_comes_back_unless_the_config_changed_or_the_file_is_bad() {
        let dir = tempfile::tempdir().unwrap();
        let file = path(dir.path(), false);
        let config = specs(&["bbands:20,2", "rsi:14"]);
        assert_eq!(load(&file, &config), (config.clone(), None), "no file yet");

        let chosen = ["ema:50".to_string(), "rsi:21".to_string()];
        save(&file, &chosen, &config).unwrap();
        assert_eq!(load(&file, &config), (specs(&["ema:50", "rsi:21"]), None));

        let edited = specs(&["bbands:20,2", "rsi:14", "atr:14"]);
        let (list, why) = load(&file, &edited);
        assert_eq!(list, edited);
        assert!(why.unwrap().contains("changed since"));

        for bad in [
            "chosen = [\"ema:0\"]\nconfig = []\n",
            "chosen = 3\n",
            "\u{1b}[2J",
        ] {
            std::fs::write(&file, bad).unwrap();
            let (list, why) = load(&file, &[]);
            let why = why.unwrap();
            assert!(list.is_empty() && why.contains("indicators.toml"), "{why}");
            assert!(!why.contains('\u{1b}') && !why.contains('\n'), "{why:?}");
        }
        assert_ne!(path(dir.path(), true), file, "the demo keeps its own");
    }
}
