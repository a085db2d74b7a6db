//! Denial detection: did a failed command fail because the sandbox said no? The answer decides
//! what the model is told ("the sandbox blocked this") and, under `on-failure`, whether the user
//! is offered an unsandboxed retry. The heuristic is Codex's (`is_likely_sandbox_denied`).
//!
//! It is a heuristic over exit status and output text, not a kernel audit trail: a program that
//! prints "permission denied" for its own reasons is reported as a denial too.

/// Phrases that, in the output of a failed command, point at the sandbox.
const DENIAL_MARKERS: &[&str] =
    &["operation not permitted", "permission denied", "read-only file system", "seccomp", "sandbox", "landlock", "failed to write file"];

/// Exit codes that mean "usage error", "not executable", "not found": the command's own failure.
const NOT_A_DENIAL: &[i32] = &[2, 126, 127];

/// SIGSYS: what a seccomp filter in trap/kill mode delivers.
const SIGSYS: i32 = 31;

/// Whether a finished command was most likely stopped by the sandbox.
///
/// `exit_code` is the process's exit code (None when it died by a signal), `signal` the signal that
/// killed it. `sandboxed` is false for danger-full-access: nothing can be a sandbox denial then.
pub fn is_likely_sandbox_denied(sandboxed: bool, exit_code: Option<i32>, signal: Option<i32>, stdout: &str, stderr: &str) -> bool {
    if !sandboxed {
        return false;
    }
    if signal == Some(SIGSYS) || exit_code == Some(128 + SIGSYS) {
        return true;
    }
    match exit_code {
        Some(0) | None => return false,
        Some(c) if NOT_A_DENIAL.contains(&c) => return false,
        Some(_) => {}
    }
    [stderr, stdout].iter().any(|text| {
        let lower = text.to_ascii_lowercase();
        DENIAL_MARKERS.iter().any(|m| lower.contains(m))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        // (sandboxed, exit, signal, stdout, stderr, expected)
        type Case = (bool, Option<i32>, Option<i32>, &'static str, &'static str, bool);
        let cases: &[Case] = &[
            (true, Some(1), None, "", "touch: cannot touch '/etc/x': Permission denied", true),
            (true, Some(1), None, "", "bash: /usr/x: Read-only file system", true),
            (true, Some(1), None, "curl: (7) Couldn't connect: Operation not permitted", "", true),
            (true, Some(128 + 31), None, "", "", true),
            (true, None, Some(31), "", "", true),
            (true, Some(0), None, "", "permission denied", false),
            (true, Some(2), None, "", "permission denied", false),
            (true, Some(126), None, "", "Permission denied", false),
            (true, Some(127), None, "", "sandbox: command not found", false),
            (true, Some(1), None, "", "test failed: expected 3, got 4", false),
            (true, None, Some(9), "", "Permission denied", false),
            (false, Some(1), None, "", "Permission denied", false),
        ];
        for (i, &(sandboxed, exit, sig, out, err, want)) in cases.iter().enumerate() {
            assert_eq!(is_likely_sandbox_denied(sandboxed, exit, sig, out, err), want, "case {i}: {exit:?} {sig:?} {out:?} {err:?}");
        }
    }
}
