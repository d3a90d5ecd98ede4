//! `filesync_identity`: diagnose and repair Azure File Sync managed-identity deployments.
//!
//! The folders are the pipeline, `collect -> snapshot -> checks -> findings -> report`, and for changes
//! `snapshot -> plan -> apply`:
//!
//! - [`arm`]: the one ARM client every request goes through (with [`credentials`] for its tokens);
//! - [`collect`]: reads a deployment into a [`model::snapshot::Snapshot`];
//! - [`model`]: what the stages share, with no I/O (snapshot, resource ids, roles, the RBAC matcher,
//!   findings, the lookup index);
//! - [`checks`]: pure functions from a snapshot to [`model::findings::Finding`]s, a file per family;
//! - [`report`]: every renderer (findings, plans, apply results, catalog entries, diffs);
//! - [`repair`]: plans as data, then apply; [`diff`] compares two snapshots; [`catalog`] explains codes;
//! - [`api`]: the one front door, typed requests; the command line (`src/cli/`) and the C ABI ([`ffi`])
//!   are thin doors onto it.
//!
//! `docs/architecture.md` says what each stage may import and how to add a check.

pub mod api;
pub mod arm;
pub mod catalog;
pub mod checks;
pub mod cloud;
pub mod collect;
pub mod credentials;
pub mod diff;
pub mod error;
pub mod events;
pub mod ffi;
pub mod fsutil;
pub mod fuzzing;
pub mod local;
pub mod model;
pub mod repair;
pub mod report;
pub mod secret;
pub mod sync;
pub mod text;
pub mod wording;

pub use error::{Error, ErrorKind, Result};
pub use secret::Secret;

/// This build's version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
