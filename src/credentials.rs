//! Credentials (being written).
