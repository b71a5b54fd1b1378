//! Length-independent constant-time comparison.

use subtle::{Choice, ConstantTimeEq};

/// Compares a secret with a candidate without branching on their content or on where they differ.
///
/// `subtle`'s slice comparison returns early when the lengths differ, which tells an attacker
/// the secret's length. Here the work depends only on the candidate's length (which the caller
/// already knows): every candidate byte is compared with the secret byte at the same position,
/// wrapping around the secret, and the length equality is folded in at the end.
pub(crate) fn secret_eq(secret: &[u8], candidate: &[u8]) -> Choice {
    if secret.is_empty() {
        // Never true for a `Token` (validated non-empty); keeps the modulo below well-defined.
        return Choice::from(0);
    }
    let mut equal = Choice::from(1);
    for (i, byte) in candidate.iter().enumerate() {
        equal &= secret[i % secret.len()].ct_eq(byte);
    }
    let same_len = (secret.len() as u64).ct_eq(&(candidate.len() as u64));
    equal & same_len
}

#[cfg(test)]
mod tests {
    use super::secret_eq;

    #[test]
    fn equal_only_for_identical_bytes() {
        let secret = b"0123456789abcdef";
        assert!(bool::from(secret_eq(secret, b"0123456789abcdef")));
        assert!(!bool::from(secret_eq(secret, b"0123456789abcdeF")));
        assert!(!bool::from(secret_eq(secret, b"X123456789abcdef")));
        assert!(!bool::from(secret_eq(secret, b"0123456789abcde")));
        // A repetition of the secret matches byte for byte but not in length.
        assert!(!bool::from(secret_eq(
            secret,
            b"0123456789abcdef0123456789abcdef"
        )));
        assert!(!bool::from(secret_eq(secret, b"")));
        assert!(!bool::from(secret_eq(b"", b"")));
    }
}
