//! Bearer-token authentication (work in progress).
