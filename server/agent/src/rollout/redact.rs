//! Secret redaction for everything written to session files: API keys and tokens by their
//! well-known shapes, private key blocks, and the values of this process's environment variables
//! whose names look secret. Matches become `[REDACTED]`.
//!
//! It works on JSON values, string by string, so that a replacement can never break the JSON
//! around it. It is a safety net, not a guarantee: a secret with no known shape that is not in
//! the environment passes through. Deliberately not here: scrubbing the environment of child
//! processes (the tools crate does that).

use regex::Regex;
use serde_json::Value;
use std::borrow::Cow;

pub const REDACTED: &str = "[REDACTED]";

/// Environment values shorter than this are not treated as secrets (too many false positives).
const MIN_ENV_SECRET_LEN: usize = 9;

/// Well-known token shapes. Each is a complete secret; the `Bearer` one keeps its keyword.
const PATTERNS: &[&str] = &[
    r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|\z)",
    r"\bsk-[A-Za-z0-9_-]{20,}",
    r"\bgithub_pat_[A-Za-z0-9_]{20,}",
    r"\bgh[pousr]_[A-Za-z0-9]{20,}",
    r"\bxox[abpr]-[A-Za-z0-9-]{10,}",
    r"\bAKIA[0-9A-Z]{16}\b",
];

/// Applies the redaction rules; build it once and reuse it (it holds compiled regexes).
#[derive(Clone, Debug)]
pub struct Redactor {
    /// `None` only if a constant pattern failed to compile (reported by `never!`).
    patterns: Option<Regex>,
    bearer: Option<Regex>,
    /// Literal secret values, longest first so that a value containing another wins.
    literals: Option<Regex>,
}

impl Redactor {
    /// The shape rules plus the values of this process's environment variables whose names look
    /// secret (`tools::shell::is_secret_name`: KEY, TOKEN, SECRET, PASSWORD, ..., the same rule
    /// that scrubs them from commands' environments) and which are longer than 8 characters.
    /// Values that are absolute paths are skipped (`PASSWORD_STORE_DIR`).
    pub fn from_env() -> Redactor {
        let secrets = std::env::vars_os().filter_map(|(k, v)| {
            let (k, v) = (k.into_string().ok()?, v.into_string().ok()?);
            (tools::shell::is_secret_name(&k) && !v.starts_with('/')).then_some(v)
        });
        Redactor::new(secrets)
    }

    /// The shape rules plus the given literal secrets (those longer than 8 characters).
    pub fn new(secrets: impl IntoIterator<Item = String>) -> Redactor {
        let mut secrets: Vec<String> =
            secrets.into_iter().map(|s| s.trim().to_string()).filter(|s| s.len() >= MIN_ENV_SECRET_LEN).collect();
        secrets.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        secrets.dedup();
        let literals = (!secrets.is_empty()).then(|| secrets.iter().map(|s| regex::escape(s)).collect::<Vec<_>>().join("|"));
        Redactor {
            patterns: compile(&PATTERNS.join("|")),
            bearer: compile(r"(?i)(\bBearer\s+)[A-Za-z0-9._~+/=-]{8,}"),
            literals: literals.and_then(|l| Regex::new(&l).ok()),
        }
    }

    /// `text` with every secret replaced; borrowed when there was none.
    pub fn redact_str<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut out = Cow::Borrowed(text);
        if let Some(lit) = &self.literals {
            if let Cow::Owned(s) = lit.replace_all(&out, REDACTED) {
                out = Cow::Owned(s);
            }
        }
        if let Some(Cow::Owned(s)) = self.patterns.as_ref().map(|p| p.replace_all(&out, REDACTED)) {
            out = Cow::Owned(s);
        }
        if let Some(Cow::Owned(s)) = self.bearer.as_ref().map(|b| b.replace_all(&out, format!("${{1}}{REDACTED}"))) {
            out = Cow::Owned(s);
        }
        out
    }

    /// Redacts every string in `value`, in place (object keys are left alone).
    pub fn redact_value(&self, value: &mut Value) {
        match value {
            Value::String(s) => {
                if let Cow::Owned(r) = self.redact_str(s) {
                    *s = r;
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| self.redact_value(v)),
            Value::Object(map) => map.values_mut().for_each(|v| self.redact_value(v)),
            Value::Null | Value::Bool(_) | Value::Number(_) => {}
        }
    }
}

/// The patterns are constants checked by the tests: a failure is a programming error, reported
/// without crashing the agent.
fn compile(pattern: &str) -> Option<Regex> {
    Regex::new(pattern).map_err(|e| stdx::never!(true, "bad redaction pattern: {e}")).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(input: &str, expected: &str) {
        let r = Redactor::new(["hunter2hunter2".to_string(), "short".to_string()]);
        assert_eq!(r.redact_str(input), expected, "input: {input}");
    }

    #[test]
    fn known_shapes_are_redacted() {
        check("key sk-abcdefghijklmnopqrstuvwx123 end", "key [REDACTED] end");
        check("sk-proj-AbC_dEf-GhIjKlMnOpQrStUv", "[REDACTED]");
        check("sk-short is fine", "sk-short is fine");
        check("Authorization: Bearer eyJhbGciOi.J9x_y-z", "Authorization: Bearer [REDACTED]");
        check("bearer abcdefgh12345678", "bearer [REDACTED]");
        check("ghp_0123456789abcdefghijABCDEFGHIJ", "[REDACTED]");
        check("gho_0123456789abcdefghijABCDEFGHIJ!", "[REDACTED]!");
        check("token=github_pat_11ABCDEFG0123456789_abcdefghijklmnop", "token=[REDACTED]");
        check("xoxb-1234567890-abcdefghij", "[REDACTED]");
        check("aws AKIAIOSFODNN7EXAMPLE.", "aws [REDACTED].");
        check("AKIAIOSFODNN7EXAMPLEX", "AKIAIOSFODNN7EXAMPLEX");
        check("x\n-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nabc==\n-----END RSA PRIVATE KEY-----\ny", "x\n[REDACTED]\ny");
        check("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk (cut)", "[REDACTED]");
        check("-----BEGIN PUBLIC KEY-----\nMIIB", "-----BEGIN PUBLIC KEY-----\nMIIB");
        check("password is hunter2hunter2!", "password is [REDACTED]!");
        check("short stays", "short stays");
        check("nothing secret here", "nothing secret here");
    }

    #[test]
    fn values_are_redacted_string_by_string() {
        let r = Redactor::new(Vec::new());
        let mut v = json!({"type": "function_call", "arguments": "{\"cmd\":\"curl -H 'Authorization: Bearer abcdefgh123456'\"}",
                           "n": 3, "list": ["sk-aaaaaaaaaaaaaaaaaaaaaaaa", null]});
        r.redact_value(&mut v);
        assert_eq!(
            v,
            json!({"type": "function_call", "arguments": "{\"cmd\":\"curl -H 'Authorization: Bearer [REDACTED]'\"}",
                   "n": 3, "list": ["[REDACTED]", null]})
        );
    }

    #[test]
    fn environment_secrets_are_picked_by_name() {
        // A name no other test reads; std serialises its own environment accesses.
        std::env::set_var("CODELOOP_TEST_REDACT_API_KEY", "zq9-not-a-real-key-77");
        std::env::set_var("CODELOOP_TEST_REDACT_PLAIN", "zq9-visible-value-77");
        std::env::set_var("CODELOOP_TEST_REDACT_TOKEN_DIR", "/home/someone/tokens");
        let r = Redactor::from_env();
        assert_eq!(
            r.redact_str("a zq9-not-a-real-key-77 b zq9-visible-value-77 c /home/someone/tokens"),
            "a [REDACTED] b zq9-visible-value-77 c /home/someone/tokens"
        );
    }
}
