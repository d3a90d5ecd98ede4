//! `filesync_identity`: diagnose and repair Azure File Sync managed-identity deployments.
//!
//! The crate is organised as the work flows: [`arm`] reads Azure Resource Manager through one client,
//! [`collect`] gathers a [`snapshot::Snapshot`], [`checks`] turn a snapshot into [`findings::Finding`]s
//! (pure functions, no I/O), and [`report`] renders them. The command-line tool (`src/cli/`) and the
//! C ABI ([`ffi`]) are thin layers over [`api`].

pub mod api;
pub mod arm;
pub mod catalog;
pub mod checks;
pub mod collect;
pub mod credentials;
pub mod diff;
pub mod error;
pub mod events;
pub mod ffi;
pub mod fsutil;
pub mod fuzzing;
pub mod model;
pub mod repair;
pub mod report;
pub mod secret;
pub mod sync;
pub mod text;

pub use error::{Error, ErrorKind, Result};
pub use secret::Secret;

/// This build's version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
