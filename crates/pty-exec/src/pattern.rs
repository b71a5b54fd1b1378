//! Tiny glob matching (`*` and `?`) shared by the environment allow/deny lists and the deny
//! patterns of a [`Policy`](crate::Policy).

/// `true` if `text` matches `pattern` as a whole, where `*` matches any run of items
/// (including none) and `?` exactly one; `eq` compares the other items.
///
/// Iterative with a single backtracking point: linear in practice, `O(n·m)` at worst, no
/// recursion, no allocation.
fn glob<T: Copy>(pattern: &[T], text: &[T], star: T, any: T, eq: impl Fn(T, T) -> bool) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut backtrack: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some(&c) if eq(c, star) => {
                backtrack = Some((p, t));
                p += 1;
            }
            Some(&c) if eq(c, any) || eq(c, text[t]) => {
                p += 1;
                t += 1;
            }
            _ => match backtrack {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    backtrack = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| eq(c, star))
}

/// [`glob`] over characters, case-sensitive.
pub(crate) fn glob_match(pattern: &[char], text: &[char]) -> bool {
    glob(pattern, text, '*', '?', |a, b| a == b)
}

/// Case-insensitive (ASCII) whole match of an environment variable name.
pub(crate) fn name_matches(pattern: &str, name: &str) -> bool {
    glob(pattern.as_bytes(), name.as_bytes(), b'*', b'?', |a, b| {
        a.eq_ignore_ascii_case(&b)
    })
}

/// Collapses runs of whitespace into one space and trims, so that `rm  -rf   /` and
/// `rm -rf /` look the same to a deny pattern.
pub(crate) fn normalize_whitespace(text: &str) -> Vec<char> {
    let mut out = Vec::with_capacity(text.len());
    let mut space = false;
    for c in text.trim().chars() {
        if c.is_whitespace() {
            space = true;
        } else {
            if space {
                out.push(' ');
                space = false;
            }
            out.push(c);
        }
    }
    out
}

/// `true` if the command contains a match of `pattern` anywhere (whitespace-normalized,
/// case-sensitive, `*` and `?` as wildcards).
pub(crate) fn command_matches(pattern: &str, command: &str) -> bool {
    let mut glob = vec!['*'];
    glob.extend(normalize_whitespace(pattern));
    glob.push('*');
    glob_match(&glob, &normalize_whitespace(command))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pattern: &str, text: &str) -> bool {
        let p: Vec<char> = pattern.chars().collect();
        let t: Vec<char> = text.chars().collect();
        glob_match(&p, &t)
    }

    #[test]
    fn globs() {
        assert!(m("", ""));
        assert!(!m("", "a"));
        assert!(m("*", ""));
        assert!(m("*", "anything"));
        assert!(m("LC_*", "LC_ALL"));
        assert!(!m("LC_*", "XLC_ALL"));
        assert!(m("*TOKEN*", "MY_TOKEN_FILE"));
        assert!(m("a?c", "abc"));
        assert!(!m("a?c", "ac"));
        assert!(m("a*b*c", "a-b-b-c"));
        assert!(!m("a*b*c", "a-b-b-d"));
        assert!(m("**x", "yyx"));
    }

    #[test]
    fn env_names_are_case_insensitive() {
        assert!(name_matches("*token*", "GITHUB_TOKEN"));
        assert!(name_matches("Path", "PATH"));
        assert!(!name_matches("PATH", "PATHEXT"));
    }

    #[test]
    fn commands_match_anywhere_with_normalized_spaces() {
        assert!(command_matches("rm -rf /", "sudo  rm   -rf /"));
        assert!(command_matches("mkfs*", "echo; mkfs.ext4 /dev/sda"));
        assert!(command_matches(":(){*", ":(){ :|:& };:"));
        assert!(!command_matches("rm -rf /", "rm -r /tmp/x"));
        assert!(!command_matches("RM", "rm"));
    }
}
