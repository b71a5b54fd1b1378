//! Transports: stdio and Streamable HTTP.

#[cfg(feature = "http")]
pub(crate) mod http;
#[cfg(feature = "stdio")]
pub(crate) mod stdio;
#[cfg(feature = "stdio")]
mod stdio_fds;
