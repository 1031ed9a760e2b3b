//! A benchmark's child processes (the collector it measures, the dashboard under `script`) must
//! not outlive it: a killed `bench` once left a collector running with 1.2 GB of temp files.
//! The bench names itself in an environment variable; a child that finds it gone exits. The
//! temp folders of earlier, killed runs are removed at the next run's start.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// The benchmark's process id, as its children see it.
pub const PARENT_ENV: &str = "CRYPTOVIZ_BENCH_PARENT";
/// Every bench run works in a temp folder named `PREFIX<pid>-<ms>`.
pub const DIR_PREFIX: &str = "cryptoviz-bench-";

/// A command for a child of this benchmark: it ends itself when the benchmark is gone.
pub fn child(program: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut c = Command::new(program);
    c.env(PARENT_ENV, std::process::id().to_string());
    c
}

/// Whether process `pid` is alive (Linux: its /proc entry; elsewhere assumed alive).
fn alive(pid: u32) -> bool {
    if !Path::new("/proc/self").exists() {
        return true;
    }
    Path::new(&format!("/proc/{pid}")).exists()
}

/// In a benchmark's child: watch the benchmark and exit as soon as it is gone. Does nothing in
/// any other process.
pub fn exit_with_bench() {
    let Some(pid) = std::env::var(PARENT_ENV)
        .ok()
        .and_then(|p| p.parse::<u32>().ok())
    else {
        return;
    };
    std::thread::spawn(move || {
        loop {
            if !alive(pid) {
                tracing::warn!(
                    pid,
                    "the benchmark that started this process is gone; exiting"
                );
                std::process::exit(1);
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    });
}

/// Removes the temp folders of earlier bench runs whose process is gone; returns how many
/// and their bytes.
pub fn remove_leftovers(temp: &Path) -> (usize, u64) {
    let Ok(entries) = std::fs::read_dir(temp) else {
        return (0, 0);
    };
    let mut removed = (0, 0);
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(DIR_PREFIX))
            .and_then(|rest| rest.split('-').next())
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        if pid == std::process::id() || alive(pid) || !e.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        let bytes = size(&e.path());
        if std::fs::remove_dir_all(e.path()).is_ok() {
            removed.0 += 1;
            removed.1 += bytes;
        }
    }
    removed
}

fn size(path: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(path) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => size(&e.path()),
            Ok(_) => e.metadata().map_or(0, |m| m.len()),
            Err(_) => 0,
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn children_carry_the_benchmarks_pid() {
        let c = child("true");
        let env: Vec<_> = c.get_envs().collect();
        let me = std::process::id().to_string();
        assert_eq!(env, [(PARENT_ENV.as_ref(), Some(me.as_ref()))]);
    }

    #[test]
    fn only_dead_runs_folders_are_removed() {
        let temp = tempfile::tempdir().unwrap();
        // No process has a pid this high (Linux's limit is 2^22).
        let dead = temp.path().join(format!("{DIR_PREFIX}999999999-1"));
        std::fs::create_dir_all(dead.join("scale")).unwrap();
        std::fs::write(dead.join("scale/cryptoviz.db"), vec![0u8; 4096]).unwrap();
        let mine = temp
            .path()
            .join(format!("{DIR_PREFIX}{}-1", std::process::id()));
        std::fs::create_dir_all(&mine).unwrap();
        let other = temp.path().join("cryptoviz-bench-notes");
        std::fs::create_dir_all(&other).unwrap();
        assert_eq!(remove_leftovers(temp.path()), (1, 4096));
        assert!(!dead.exists() && mine.exists() && other.exists());
    }
}
