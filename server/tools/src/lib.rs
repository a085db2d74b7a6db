//! The tools offered to the model: file reads through a `FileView` (open buffers over disk),
//! directory listing, grep, symbol lookups in the index, the plan, apply_patch and an
//! interim unsandboxed shell; their JSON-schema specs in a fixed order, and a registry that
//! parses calls and runs them.
//!
//! Architecture invariants:
//! - tools never write the user's files: apply_patch returns an `EditProposal` against the
//!   version it read (buffer version or disk hash); `apply_to_disk` is the exec-mode step,
//!   called by the front end, never by a tool;
//! - a model mistake (bad arguments, a patch that does not apply, a failing command) is a
//!   text result for the model, never a Rust error or a panic; `Error` is for the host's
//!   own failures (writing a proposal to disk);
//! - children never inherit the server's stdio: stdin is null, stdout and stderr are pipes;
//! - tool specs come out in one fixed order, so the request prefix stays cacheable.
//!
//! Not here: the agent loop (which calls `ToolRegistry`), approvals, the sandbox (the shell
//! is a plain process group until the sandbox crate's runner replaces `shell::spawn`).

mod context;
mod disk;
mod error;
pub mod files;
pub mod grep;
pub mod list_dir;
pub mod patch;
pub mod plan;
pub mod read_file;
mod registry;
pub mod shell;
pub mod shell_overlay;
pub mod shell_tool;
pub mod symbols;
#[cfg(test)]
mod test_support;
pub mod truncate;

pub use context::{ToolContext, ToolEffect, ToolOutput, ToolsConfig};
pub use disk::apply_to_disk;
pub use error::{Error, Result};
pub use files::{content_hash, display_path, resolve_path, DiskView, FileSnapshot, FileView, Overlaid};
pub use patch::{apply_patch, ChunkFailure, ChunkReason, FileStatus, PatchFailure, PatchOutcome, PatchedFile};
pub use plan::{Plan, PlanStep, StepStatus};
pub use registry::{run_blocking, ToolCall, ToolInput, ToolRegistry};
