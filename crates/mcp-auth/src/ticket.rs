//! [`TicketIssuer`] and [`Ticket`]: short-lived single-use credentials for browsers.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use subtle::{Choice, ConditionallySelectable};
use zeroize::Zeroizing;

use crate::constant_time::secret_eq;
use crate::token::random_bytes;
use crate::{Error, Identity, Result};

/// Issues and redeems single-use tickets.
///
/// Browsers cannot set headers on a WebSocket. The page first calls a bearer-authenticated
/// endpoint that returns [`TicketIssuer::issue`]'s ticket, then opens `wss://…/path?ticket=…`;
/// the server [`redeem`](TicketIssuer::redeem)s it, which succeeds once, before it expires, and
/// yields the [`Identity`] that asked for it. Tickets are 256-bit random, kept in memory only,
/// compared in constant time, and at most [`limit`](TicketIssuer::limit) are outstanding.
///
/// Cheap to clone: clones share the same tickets.
#[derive(Clone)]
pub struct TicketIssuer {
    pending: Arc<Mutex<Vec<Pending>>>,
    limit: usize,
}

struct Pending {
    secret: Zeroizing<String>,
    expires: Instant,
    identity: Identity,
}

impl TicketIssuer {
    /// Default number of tickets that may be outstanding at once.
    pub const DEFAULT_LIMIT: usize = 1024;
    /// Longest lifetime a ticket can have; longer `ttl`s are shortened to this.
    pub const MAX_TTL: Duration = Duration::from_secs(600);

    /// An issuer with no outstanding tickets and [`DEFAULT_LIMIT`](Self::DEFAULT_LIMIT).
    #[must_use]
    pub fn new() -> Self {
        Self {
            pending: Arc::default(),
            limit: Self::DEFAULT_LIMIT,
        }
    }

    /// Sets how many unexpired, unredeemed tickets may exist at once.
    #[must_use]
    pub fn limit(mut self, outstanding: usize) -> Self {
        self.limit = outstanding;
        self
    }

    /// Issues a ticket for `identity`, valid once within `ttl` (at most [`Self::MAX_TTL`]).
    ///
    /// # Errors
    ///
    /// [`Error::TooManyTickets`] if [`limit`](Self::limit) tickets are outstanding;
    /// [`Error::Random`] if the operating system's random number generator fails.
    pub fn issue(&self, identity: Identity, ttl: Duration) -> Result<Ticket> {
        self.issue_at(identity, ttl, Instant::now())
    }

    /// Redeems a ticket: returns who it was issued to if it exists and has not expired, and
    /// removes it so that it cannot be used again.
    #[must_use]
    pub fn redeem(&self, ticket: &str) -> Option<Identity> {
        self.redeem_at(ticket, Instant::now())
    }

    /// Number of tickets issued, not yet redeemed and not expired.
    #[must_use]
    pub fn outstanding(&self) -> usize {
        let mut pending = self.lock();
        prune(&mut pending, Instant::now());
        pending.len()
    }

    fn issue_at(&self, identity: Identity, ttl: Duration, now: Instant) -> Result<Ticket> {
        let ttl = ttl.min(Self::MAX_TTL);
        let secret = Zeroizing::new(URL_SAFE_NO_PAD.encode(random_bytes()?.as_ref()));
        let mut pending = self.lock();
        prune(&mut pending, now);
        if pending.len() >= self.limit {
            return Err(Error::TooManyTickets { limit: self.limit });
        }
        pending.push(Pending {
            secret: secret.clone(),
            expires: now.checked_add(ttl).unwrap_or(now),
            identity,
        });
        Ok(Ticket { secret, ttl })
    }

    fn redeem_at(&self, ticket: &str, now: Instant) -> Option<Identity> {
        let mut pending = self.lock();
        prune(&mut pending, now);
        let mut found = Choice::from(0);
        let mut index = 0_u64;
        for (i, entry) in pending.iter().enumerate() {
            let matches = secret_eq(entry.secret.as_bytes(), ticket.as_bytes());
            index = u64::conditional_select(&index, &(i as u64), matches);
            found |= matches;
        }
        if !bool::from(found) {
            return None;
        }
        let index = usize::try_from(index).ok()?;
        (index < pending.len()).then(|| pending.swap_remove(index).identity)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Pending>> {
        // The vector is valid after any panic (pushes and removals are atomic), so a poisoned
        // lock is safe to reuse.
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn prune(pending: &mut Vec<Pending>, now: Instant) {
    pending.retain(|p| now < p.expires);
}

impl Default for TicketIssuer {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for TicketIssuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TicketIssuer")
            .field("outstanding", &self.lock().len())
            .field("limit", &self.limit)
            .finish()
    }
}

/// A single-use ticket, to hand to a browser (e.g. as JSON `{"ticket": "…"}`) and have it sent
/// back as `?ticket=…`. URL-safe, 43 characters; `Debug` prints `Ticket(***)`.
pub struct Ticket {
    secret: Zeroizing<String>,
    ttl: Duration,
}

impl Ticket {
    /// The ticket's value, to send to the client that asked for it.
    #[must_use]
    pub fn expose_secret(&self) -> &str {
        &self.secret
    }

    /// How long the ticket stays valid after it was issued.
    #[must_use]
    pub fn ttl(&self) -> Duration {
        self.ttl
    }
}

impl fmt::Debug for Ticket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Ticket(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TTL: Duration = Duration::from_secs(30);

    fn who() -> Identity {
        Identity::new(3, Some("web-ui".into()))
    }

    #[test]
    fn redeems_once() {
        let issuer = TicketIssuer::new();
        let ticket = issuer.issue(who(), TTL).unwrap();
        assert_eq!(ticket.expose_secret().len(), 43);
        assert_eq!(format!("{ticket:?}"), "Ticket(***)");
        assert_eq!(issuer.outstanding(), 1);
        assert_eq!(issuer.redeem(ticket.expose_secret()), Some(who()));
        assert_eq!(issuer.redeem(ticket.expose_secret()), None);
        assert_eq!(issuer.outstanding(), 0);
    }

    #[test]
    fn refuses_unknown_and_expired_tickets() {
        let issuer = TicketIssuer::new();
        let start = Instant::now();
        let ticket = issuer.issue_at(who(), TTL, start).unwrap();
        assert_eq!(issuer.redeem("not-a-ticket"), None);
        assert_eq!(issuer.redeem(""), None);
        assert_eq!(issuer.redeem(&ticket.expose_secret()[1..]), None);
        assert_eq!(issuer.redeem_at(ticket.expose_secret(), start + TTL), None);
        // Expired tickets are forgotten, so not even a later (impossible) clock makes them valid.
        assert_eq!(issuer.redeem_at(ticket.expose_secret(), start), None);
    }

    #[test]
    fn still_valid_just_before_expiry_and_ttl_is_capped() {
        let issuer = TicketIssuer::new();
        let start = Instant::now();
        let a = issuer.issue_at(who(), TTL, start).unwrap();
        let b = issuer
            .issue_at(who(), Duration::from_secs(86_400), start)
            .unwrap();
        assert_eq!(b.ttl(), TicketIssuer::MAX_TTL);
        let later = start + TTL - Duration::from_millis(1);
        assert_eq!(issuer.redeem_at(a.expose_secret(), later), Some(who()));
        let too_late = start + TicketIssuer::MAX_TTL;
        assert_eq!(issuer.redeem_at(b.expose_secret(), too_late), None);
    }

    #[test]
    fn limits_outstanding_tickets() {
        let issuer = TicketIssuer::new().limit(2);
        let start = Instant::now();
        let _a = issuer.issue_at(who(), TTL, start).unwrap();
        let _b = issuer.issue_at(who(), TTL, start).unwrap();
        let err = issuer.issue_at(who(), TTL, start).unwrap_err();
        assert!(matches!(err, Error::TooManyTickets { limit: 2 }));
        assert_eq!(err.to_string(), "too many outstanding tickets (limit 2)");
        // Expired tickets free their slots.
        assert!(issuer.issue_at(who(), TTL, start + TTL).is_ok());
    }

    #[test]
    fn clones_share_tickets() {
        let issuer = TicketIssuer::new();
        let ticket = issuer.clone().issue(who(), TTL).unwrap();
        assert!(issuer.redeem(ticket.expose_secret()).is_some());
    }
}
