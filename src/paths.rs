//! Where files live: the platform's directories unless flags or environment say otherwise.

use std::path::{Path, PathBuf};

use directories::ProjectDirs;

fn project() -> Option<ProjectDirs> {
    ProjectDirs::from("", "", "cryptoviz")
}

pub fn default_config_file() -> PathBuf {
    project()
        .map(|p| p.config_dir().join("config.toml"))
        .unwrap_or_else(|| PathBuf::from("cryptoviz.toml"))
}

pub fn default_data_dir() -> PathBuf {
    project()
        .map(|p| p.data_dir().to_path_buf())
        .unwrap_or_else(|| PathBuf::from(".cryptoviz"))
}

pub fn database_file(data_dir: &Path) -> PathBuf {
    data_dir.join("cryptoviz.db")
}

pub fn log_file(data_dir: &Path) -> PathBuf {
    data_dir.join("cryptoviz.log")
}
