//! Process isolation for commands the model runs.
//!
//! A command runs in a separate helper process: the server's own binary re-executed as
//! `codeloop sandbox [policy] -- argv` ([`helper_main`]), which enters namespaces, applies rlimits,
//! no_new_privs, Landlock and seccomp, then execs the command. The server side ([`run`]) spawns
//! that helper with piped output, a timeout, cancellation and output caps, and reports what was
//! really enforced ([`Enforcement`]) and whether a failure looks like a sandbox denial.
//!
//! Invariants:
//! - The server process itself is never restricted: every restriction happens in the helper,
//!   which is single-threaded, after a re-exec (no work between fork and exec in the server).
//! - No sandboxed process inherits the server's stdout (the JSON-RPC stream): output is piped.
//! - What is enforced is reported, never assumed: a kernel without Landlock gives a report that
//!   says so, not a silent success.
//! - This crate is a leaf (std, libc, landlock, seccompiler, serde, tokio; of ours only stdx).
//!
//! Also here, as pure logic: the approval decision (`approval`, `command_safety`: who must be asked
//! before a command runs; the agent asks) and the workspace overlay (`overlay`: a per-thread
//! copy-on-write layer over the workspace, mounted by the helper).
//!
//! Not here: asking the user (agent and lsp), and turning overlay changes into edits (tools).

pub mod approval;
pub mod args;
pub mod command_safety;
pub mod denial;
pub mod env;
pub mod overlay;
pub mod policy;
pub mod report;
pub mod run;

#[cfg(target_os = "linux")]
pub mod doctor;
#[cfg(target_os = "linux")]
mod helper;
#[cfg(target_os = "linux")]
pub mod landlock;
#[cfg(target_os = "linux")]
mod limits;
#[cfg(target_os = "linux")]
mod namespaces;
#[cfg(target_os = "linux")]
pub mod seccomp;

pub use denial::is_likely_sandbox_denied;
pub use policy::{ResourceLimits, SandboxMode, SandboxPolicy};
pub use report::{Enforcement, LandlockState, ProcessLimit, ProtectionMethod};
pub use run::{run, run_cancellable, SandboxCommand, SandboxOutput, StreamOutput};

#[cfg(target_os = "linux")]
pub use helper::{helper_main, EXIT_SETUP_FAILED, EXIT_TIMED_OUT};

/// Exit code when the sandbox could not be set up.
#[cfg(not(target_os = "linux"))]
pub const EXIT_SETUP_FAILED: i32 = 125;

/// The helper entry point on systems without a sandbox implementation: refuses to run.
#[cfg(not(target_os = "linux"))]
pub fn helper_main(_args: Vec<std::ffi::OsString>) -> ! {
    eprintln!("codeloop sandbox: sandboxing is implemented only on Linux");
    std::process::exit(EXIT_SETUP_FAILED)
}

/// Errors of the server-side API. A command that fails is not an error: see [`SandboxOutput`].
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot find the current executable to use as the sandbox helper")]
    CurrentExe(#[source] std::io::Error),
    #[error("cannot create the private tmp {path}")]
    PrivateTmp { path: std::path::PathBuf, source: std::io::Error },
    #[error("cannot spawn the sandbox helper {helper}")]
    Spawn { helper: std::path::PathBuf, source: std::io::Error },
    #[error("cannot wait for the sandbox helper")]
    Wait(#[source] std::io::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
