//! Protocol versions this crate speaks and how a version is chosen.

/// Supported legacy protocol versions (negotiated by `initialize`), newest first.
pub const SUPPORTED_VERSIONS: [&str; 4] = ["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"];

/// The newest supported legacy version (what `initialize` answers with for an unknown one).
pub const LATEST_VERSION: &str = SUPPORTED_VERSIONS[0];

/// Supported modern protocol versions (stateless, declared in every request's `_meta`),
/// newest first. `server/discover` lists these.
pub const MODERN_VERSIONS: [&str; 1] = ["2026-07-28"];

/// True for a modern (stateless) version this crate speaks.
#[must_use]
pub fn is_modern(version: &str) -> bool {
    MODERN_VERSIONS.contains(&version)
}

/// The one version with JSON-RPC batches.
pub(crate) const BATCH_VERSION: &str = "2025-03-26";

/// The client's version when supported, else the latest.
#[must_use]
pub fn negotiate(requested: &str) -> &'static str {
    SUPPORTED_VERSIONS
        .iter()
        .find(|v| **v == requested)
        .copied()
        .unwrap_or(LATEST_VERSION)
}

/// True for a legacy version this crate speaks (see [`is_modern`] for the modern ones).
#[must_use]
pub fn is_supported(version: &str) -> bool {
    SUPPORTED_VERSIONS.contains(&version)
}

#[cfg(test)]
mod tests {
    #[test]
    fn known_versions_are_echoed_and_others_get_the_latest() {
        for version in super::SUPPORTED_VERSIONS {
            assert_eq!(super::negotiate(version), version);
        }
        assert_eq!(super::negotiate("2099-01-01"), "2025-11-25");
        assert_eq!(super::negotiate(""), "2025-11-25");
    }

    #[test]
    fn modern_versions_are_not_negotiated_by_initialize() {
        assert!(super::is_modern("2026-07-28"));
        assert!(!super::is_supported("2026-07-28"));
        assert!(!super::is_modern("2025-11-25"));
    }
}
