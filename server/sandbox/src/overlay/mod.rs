//! The workspace overlay (Linux): commands run on the workspace root mounted as an overlayfs at
//! its own path, so they see the editor's unsaved buffers and never write the user's files.
//!
//! - Lower layer: the real tree. Upper layer: per agent thread, under its state dir; the server
//!   fills it with open buffers that differ from disk ([`Overlay::stage`]).
//! - The helper process enters the overlay right before exec ([`enter`], from an [`OverlayMount`]
//!   passed as JSON); write-through directories (target/, node_modules/, ...) are bind-mounted
//!   from the real tree so builds stay incremental.
//! - After each command the server reads the upper layer back ([`Overlay::changes`]) as created,
//!   modified and deleted files, outside ignored paths; the agent turns them into edit proposals.
//! - [`probe`] says once whether overlays work here; where they do not, commands run on the real
//!   tree and the tool result says so.
//!
//! Invariants: the real tree is never written through the overlay (only write-through
//! directories are); the upper layer changes only between commands; setup is O(1) in the size
//! of the tree. See docs/overlay.md. Not here: policies, Landlock, seccomp and the helper's
//! other namespaces (the rest of this crate), or turning changes into edits (the agent).

#![cfg(target_os = "linux")]

mod changes;
mod ignores;
mod mount;
mod probe;
mod sys;
mod upper;

pub use changes::{ChangeKind, ChangeLimits, ChangeSet, OverlayChange};
pub use mount::{enter, EnterPlan, EnterReport, OverlayMount, Step, StepError};
pub use probe::{probe, probe_in, OverlaySupport};
pub use upper::{Overlay, OverlayConfig, DEFAULT_WRITE_THROUGH};

use std::path::PathBuf;

/// Errors of the overlay API. What a command does inside the overlay is never an error.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot {op} {path}")]
    Io {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid overlay path {0} (want an absolute root, or a relative path without `..`)")]
    InvalidPath(PathBuf),
    #[error("the overlay state dir {state_dir} overlaps the workspace root {root}")]
    StateDirOverlapsRoot { root: PathBuf, state_dir: PathBuf },
    #[error("cannot enter the overlay: {step} failed")]
    Enter {
        step: Step,
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    pub(crate) fn io(op: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Io { op, path: path.into(), source }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
