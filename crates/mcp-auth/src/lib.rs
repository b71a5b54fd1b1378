#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(missing_docs)]
#![warn(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)]

mod authorization_header;
mod bearer_auth;
mod constant_time;
mod error;
mod host;
mod identity;
mod origin;
mod outcome;
mod rejection;
mod ticket;
mod token;
mod token_set;
mod websocket;

#[cfg(feature = "axum")]
mod axum_layer;
#[cfg(feature = "axum")]
mod extractor;

pub use authorization_header::{MalformedReason, bearer_token, parse_bearer};
pub use bearer_auth::BearerAuth;
pub use error::{Error, Result};
pub use host::HostPolicy;
pub use identity::Identity;
pub use origin::OriginPolicy;
pub use outcome::{AuthOutcome, InvalidTokenStatus};
pub use rejection::{AuthRejection, RejectionKind};
pub use ticket::{Ticket, TicketIssuer};
pub use token::Token;
pub use token_set::TokenSet;
pub use websocket::{
    TICKET_QUERY_PARAMETER, WEBSOCKET_PROTOCOL_PREFIX, query_ticket, websocket_protocol_token,
};

#[cfg(feature = "axum")]
pub use axum_layer::{BearerLayer, BearerService, json_body};
#[cfg(feature = "axum")]
pub use extractor::Authenticated;
