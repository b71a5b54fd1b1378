//! Which environment variables a child process gets.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fmt;

use crate::pattern::name_matches;

/// Variables passed from our environment by default (names, `*` as wildcard).
const DEFAULT_ALLOW: &[&str] = &[
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "SHELL",
    "LANG",
    "LANGUAGE",
    "LC_*",
    "TERM",
    "COLORTERM",
    "TZ",
    "TMPDIR",
    "TMP",
    "TEMP",
    // Windows needs these for most programs to start at all.
    "SYSTEMROOT",
    "SYSTEMDRIVE",
    "WINDIR",
    "COMSPEC",
    "PATHEXT",
    "USERPROFILE",
    "APPDATA",
    "LOCALAPPDATA",
];

/// Variables never passed from our environment, even when an allow pattern matches them:
/// anything named like a credential, and our own configuration (`MCP_LM_*` may hold the API
/// token, `LM_API_TOKEN` is LM Studio's).
const DEFAULT_DENY: &[&str] = &[
    "*TOKEN*",
    "*SECRET*",
    "*PASSWORD*",
    "*PASSWD*",
    "*PASSPHRASE*",
    "*API_KEY*",
    "*APIKEY*",
    "*PRIVATE_KEY*",
    "*CREDENTIAL*",
    "*SESSION_KEY*",
    "MCP_LM_*",
    "LM_API_*",
];

/// The environment of child processes: a scrubbed copy of ours plus explicit variables.
///
/// A child starts from an **empty** environment. From our own environment it receives only
/// variables whose name matches an allow pattern and no deny pattern (names compared without
/// regard to case; `*` and `?` are wildcards). The default allow-list is a safe set — `PATH`,
/// `HOME`, `USER`, `LOGNAME`, `SHELL`, `LANG`, `LANGUAGE`, `LC_*`, `TERM`, `COLORTERM`, `TZ`,
/// `TMPDIR` and the few that Windows programs need — and the default deny-list removes
/// anything named like a credential (`*TOKEN*`, `*SECRET*`, `*PASSWORD*`, `*API_KEY*`, ...)
/// and our own configuration (`MCP_LM_*`, `LM_API_*`). Deny wins over allow.
///
/// Variables given explicitly ([`EnvPolicy::set`], [`Command::env`](crate::Command::env),
/// [`PtyConfig::env`](crate::PtyConfig::env)) are passed as given: the caller chose their
/// values, so nothing of ours leaks through them.
///
/// `Debug` shows variable names only, never values.
///
/// ```
/// use pty_exec::EnvPolicy;
///
/// let policy = EnvPolicy::default().allow("CARGO_*").set("NO_COLOR", "1");
/// let env = policy.child_env(&[("GREETING".into(), "hi".into())]);
/// assert!(env.iter().any(|(name, value)| name == "NO_COLOR" && value == "1"));
/// assert!(env.iter().all(|(name, _)| name != "MCP_LM_API_TOKEN"));
/// ```
#[derive(Clone)]
#[must_use]
pub struct EnvPolicy {
    allow: Vec<String>,
    deny: Vec<String>,
    set: Vec<(String, String)>,
}

impl Default for EnvPolicy {
    fn default() -> Self {
        Self {
            allow: DEFAULT_ALLOW.iter().map(|s| (*s).to_owned()).collect(),
            deny: DEFAULT_DENY.iter().map(|s| (*s).to_owned()).collect(),
            set: Vec::new(),
        }
    }
}

impl EnvPolicy {
    /// Passes nothing from our environment (the deny-list is kept for later `allow` calls).
    pub fn empty() -> Self {
        Self {
            allow: Vec::new(),
            ..Self::default()
        }
    }

    /// Also passes our variables whose name matches `pattern` (case-insensitive, `*`/`?`).
    pub fn allow(mut self, pattern: impl Into<String>) -> Self {
        self.allow.push(pattern.into());
        self
    }

    /// Never passes our variables whose name matches `pattern`, even if allowed.
    pub fn deny(mut self, pattern: impl Into<String>) -> Self {
        self.deny.push(pattern.into());
        self
    }

    /// Clears the deny-list, including the credential patterns. Only for callers that
    /// control their own environment completely.
    pub fn without_default_deny(mut self) -> Self {
        self.deny.clear();
        self
    }

    /// Sets `name` to `value` in every child, overriding our own value.
    pub fn set(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.set.push((name.into(), value.into()));
        self
    }

    /// The allow patterns.
    #[must_use]
    pub fn allowed(&self) -> &[String] {
        &self.allow
    }

    /// The deny patterns.
    #[must_use]
    pub fn denied(&self) -> &[String] {
        &self.deny
    }

    /// `true` if a variable of ours named `name` would be passed to children.
    #[must_use]
    pub fn passes(&self, name: &str) -> bool {
        self.allow.iter().any(|p| name_matches(p, name))
            && !self.deny.iter().any(|p| name_matches(p, name))
    }

    /// The complete environment of a child: allowed variables of ours, then the policy's
    /// [`set`](Self::set) variables, then `explicit` (later entries win).
    #[must_use]
    pub fn child_env(&self, explicit: &[(String, String)]) -> Vec<(OsString, OsString)> {
        // Names compared case-sensitively except on Windows, where the OS ignores case.
        let key = |name: &OsString| -> OsString {
            if cfg!(windows) {
                name.to_ascii_uppercase()
            } else {
                name.clone()
            }
        };
        let mut env: BTreeMap<OsString, (OsString, OsString)> = BTreeMap::new();
        for (name, value) in std::env::vars_os() {
            if self.passes(&name.to_string_lossy()) {
                env.insert(key(&name), (name, value));
            }
        }
        for (name, value) in self.set.iter().chain(explicit) {
            let name = OsString::from(name);
            env.insert(key(&name), (name, OsString::from(value)));
        }
        env.into_values().collect()
    }
}

impl fmt::Debug for EnvPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnvPolicy")
            .field("allow", &self.allow)
            .field("deny", &self.deny)
            .field(
                "set",
                &self.set.iter().map(|(name, _)| name).collect::<Vec<_>>(),
            )
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_passes_safe_names_only() {
        let policy = EnvPolicy::default();
        for name in ["PATH", "HOME", "LANG", "LC_ALL", "TERM", "path"] {
            assert!(policy.passes(name), "{name}");
        }
        for name in [
            "MCP_LM_API_TOKEN",
            "LM_API_TOKEN",
            "GITHUB_TOKEN",
            "AWS_SECRET_ACCESS_KEY",
            "OPENAI_API_KEY",
            "DB_PASSWORD",
            "CARGO_HOME",
            "LD_PRELOAD",
        ] {
            assert!(!policy.passes(name), "{name}");
        }
    }

    #[test]
    fn deny_wins_over_allow() {
        let policy = EnvPolicy::default().allow("*");
        assert!(policy.passes("CARGO_HOME"));
        assert!(!policy.passes("MY_TOKEN"));
        assert!(
            EnvPolicy::default()
                .allow("*")
                .without_default_deny()
                .passes("MY_TOKEN")
        );
    }

    #[test]
    fn explicit_values_win_and_debug_hides_values() {
        let policy = EnvPolicy::empty()
            .set("A", "from-policy")
            .set("B", "secret-value");
        let env = policy.child_env(&[("A".into(), "explicit".into())]);
        assert_eq!(
            env,
            vec![
                ("A".into(), "explicit".into()),
                ("B".into(), "secret-value".into())
            ]
        );
        let debug = format!("{policy:?}");
        assert!(debug.contains("\"B\""));
        assert!(!debug.contains("secret-value"));
    }
}
