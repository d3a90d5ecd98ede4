//! What the pipeline talks about, with no I/O: the [`snapshot::Snapshot`] a collection produces, Azure
//! resource ids, built-in roles, the one ARM action matcher ([`rbac`]), the [`findings::Finding`]s checks
//! produce, and the [`index::Index`] the checks and the planners look things up in.

pub mod api_versions;
pub mod check_id;
pub mod findings;
pub mod index;
pub mod phrases;
pub mod principal;
pub mod rbac;
pub mod resource_id;
pub mod roles;
pub mod snapshot;
pub mod tenant;
pub mod text;
