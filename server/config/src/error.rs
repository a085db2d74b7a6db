//! The crate's error type: which layer, which key, what is wrong.

use std::fmt;
use std::path::PathBuf;

pub type Result<T, E = ConfigError> = std::result::Result<T, E>;

/// Where a configuration value came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LayerSource {
    BuiltIn,
    UserFile(PathBuf),
    ProjectFile(PathBuf),
    /// One `-c key=value` argument.
    Override(String),
    InitializationOptions,
}

impl fmt::Display for LayerSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LayerSource::BuiltIn => f.write_str("built-in defaults"),
            LayerSource::UserFile(p) | LayerSource::ProjectFile(p) => write!(f, "{}", p.display()),
            LayerSource::Override(arg) => write!(f, "-c {arg}"),
            LayerSource::InitializationOptions => f.write_str("initializationOptions.config"),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{layer}: invalid TOML: {message}")]
    Syntax { layer: LayerSource, message: String },
    #[error("{layer}: key `{key}`: {message}")]
    Key { layer: LayerSource, key: String, message: String },
    #[error("-c {arg}: expected key=value")]
    OverrideSyntax { arg: String },
}
