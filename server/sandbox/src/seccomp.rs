//! The seccomp filter (compiled with seccompiler, default allow, matches return EPERM):
//! always denied are ptrace, process_vm_readv/writev, io_uring_*, the kernel keyring and the
//! TIOCSTI terminal injection ioctl; with the network off, socket() for anything but AF_UNIX
//! stream/seqpacket, and connect, bind, listen, accept, accept4.
//!
//! Syscalls of another architecture (i386 via int 0x80) kill the process: seccompiler checks the
//! audit arch first. It is not a general syscall allow-list; Landlock and namespaces do the rest.

use seccompiler::{BpfProgram, SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter, SeccompRule, TargetArch};
use std::collections::BTreeMap;

/// Why the filter could not be installed.
#[derive(Debug, thiserror::Error)]
pub enum SeccompError {
    #[error("unsupported architecture {0}")]
    Arch(&'static str),
    #[error("{0}")]
    Build(#[from] seccompiler::BackendError),
    #[error("{0}")]
    Install(#[from] seccompiler::Error),
}

fn cond(arg: u8, op: SeccompCmpOp, value: u64) -> Result<SeccompCondition, SeccompError> {
    Ok(SeccompCondition::new(arg, SeccompCmpArgLen::Dword, op, value)?)
}

/// The rules: syscall number -> conditions (an empty list matches every call).
fn rules(network_off: bool) -> Result<BTreeMap<i64, Vec<SeccompRule>>, SeccompError> {
    let mut rules: BTreeMap<i64, Vec<SeccompRule>> = BTreeMap::new();
    for nr in [
        libc::SYS_ptrace,
        libc::SYS_process_vm_readv,
        libc::SYS_process_vm_writev,
        libc::SYS_io_uring_setup,
        libc::SYS_io_uring_enter,
        libc::SYS_io_uring_register,
        libc::SYS_keyctl,
        libc::SYS_add_key,
        libc::SYS_request_key,
    ] {
        rules.insert(nr, vec![]);
    }
    // TIOCSTI pushes bytes into the input of a terminal the command shares with a user.
    rules.insert(libc::SYS_ioctl, vec![SeccompRule::new(vec![cond(1, SeccompCmpOp::Eq, libc::TIOCSTI)?])?]);
    if network_off {
        let unix = libc::AF_UNIX as u64;
        for nr in [libc::SYS_connect, libc::SYS_bind, libc::SYS_listen, libc::SYS_accept, libc::SYS_accept4] {
            rules.insert(nr, vec![]);
        }
        rules.insert(libc::SYS_socketpair, vec![SeccompRule::new(vec![cond(0, SeccompCmpOp::Ne, unix)?])?]);
        rules.insert(
            libc::SYS_socket,
            vec![
                SeccompRule::new(vec![cond(0, SeccompCmpOp::Ne, unix)?])?,
                // An unconnected AF_UNIX datagram socket could sendmsg() to a host service's path.
                SeccompRule::new(vec![cond(0, SeccompCmpOp::Eq, unix)?, cond(1, SeccompCmpOp::MaskedEq(0xf), libc::SOCK_DGRAM as u64)?])?,
            ],
        );
    }
    Ok(rules)
}

fn target_arch() -> Result<TargetArch, SeccompError> {
    TargetArch::try_from(std::env::consts::ARCH).map_err(|_| SeccompError::Arch(std::env::consts::ARCH))
}

/// Compiles the filter (pure; also used by tests and doctor).
pub fn compile(network_off: bool) -> Result<BpfProgram, SeccompError> {
    let filter = SeccompFilter::new(rules(network_off)?, SeccompAction::Allow, SeccompAction::Errno(libc::EPERM as u32), target_arch()?)?;
    Ok(filter.try_into()?)
}

/// Installs the filter on the calling thread. Requires no_new_privs (or CAP_SYS_ADMIN).
pub fn apply(network_off: bool) -> Result<(), SeccompError> {
    let prog = compile(network_off)?;
    seccompiler::apply_filter(&prog)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn filters_compile() {
        assert!(super::compile(true).is_ok_and(|p| p.len() > 20));
        assert!(super::compile(false).is_ok());
    }
}
