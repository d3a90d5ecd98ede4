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

// The public face is closed: a type a caller can receive from it can also be named through it (the
// answers' parts are in `api::parts`).
#![deny(unnameable_types)]

// The public face: the front door (typed requests, and the types its calls take and give), what results
// are made of, the renderers, the error. The command line is a separate binary on this face; the C ABI's
// exports (`ffi`) are `#[no_mangle]` and need no public module. Integration tests, `bench/` and `fuzz/`
// reach the library through this face (`docs/architecture.md`).
pub mod api;
pub mod error;
#[doc(hidden)]
pub mod fuzzing;
pub mod model;
pub mod report;

// Every stage behind the door is the crate's own: the tests of their internals are unit tests (sharing
// `tests/support/deployment.rs`, below), and integration tests and `bench/` go through `api`.
pub(crate) mod arm;
pub(crate) mod catalog;
pub(crate) mod checks;
pub(crate) mod cloud;
pub(crate) mod collect;
pub(crate) mod credentials;
pub(crate) mod diff;
pub(crate) mod events;
pub(crate) mod ffi;
pub(crate) mod fsutil;
pub(crate) mod local;
pub(crate) mod repair;
pub(crate) mod secret;
pub(crate) mod sync;
pub(crate) mod wording;

// The unit tests that run against the fake ARM share the integration tests' deployments and front-door
// helpers (`tests/support/deployment.rs`), which name the library by its crate name, as a test does.
#[cfg(test)]
extern crate self as filesync_identity;
#[cfg(test)]
#[path = "../tests/support/deployment.rs"]
mod test_support;

pub use error::{Error, ErrorKind, Result};
pub use secret::Secret;

/// This build's version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
