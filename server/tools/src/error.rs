//! The crate's error type: failures of the host (the disk, the process table), never the
//! model's mistakes, which are tool output text.

use std::path::PathBuf;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    /// The file no longer has the content (or buffer version) the change was computed on.
    #[error("{path} changed since the edit was computed")]
    BaseChanged { path: PathBuf },
    /// An Add (or a move) would overwrite an existing file.
    #[error("{path} already exists")]
    Exists { path: PathBuf },
    #[error("{path} does not exist")]
    Missing { path: PathBuf },
    #[error("{path} is not an absolute path")]
    RelativePath { path: PathBuf },
}
