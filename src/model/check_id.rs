//! [`CheckId`]: the stable id of a check (`area.what`, e.g. `cloud-endpoint.service-share-role`).
//!
//! The type is part of the shared vocabulary (findings carry one); each id is declared once, in the file of
//! its area beside its check (`declare_checks!` in `src/checks/`), as a constant such as
//! `CheckId::SERVICE_IDENTITY`. Code names a check by its constant, so a misspelt id does not compile;
//! text from outside (a `--check` flag, a request, a file) becomes a `CheckId` only through
//! [`CheckId::parse`].

use std::fmt;

/// A registered check's id. Reads as a `&str` (`Deref`), compares with strings, and serializes as one.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CheckId(&'static str);

impl CheckId {
    /// Only the checks' declarations make ids (`declare_checks!` in `src/checks/`).
    pub(crate) const fn declare(id: &'static str) -> CheckId {
        CheckId(id)
    }

    pub const fn as_str(self) -> &'static str {
        self.0
    }

    /// The registered check of this id (ids are compared exactly: they are lower case).
    pub fn parse(id: &str) -> Option<CheckId> {
        CheckId::ALL.iter().copied().find(|c| c.0 == id)
    }
}

impl std::ops::Deref for CheckId {
    type Target = str;
    fn deref(&self) -> &str {
        self.0
    }
}

impl AsRef<str> for CheckId {
    fn as_ref(&self) -> &str {
        self.0
    }
}

impl fmt::Display for CheckId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl fmt::Debug for CheckId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.0, f)
    }
}

impl PartialEq<str> for CheckId {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for CheckId {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl PartialEq<CheckId> for &str {
    fn eq(&self, other: &CheckId) -> bool {
        *self == other.0
    }
}

impl From<CheckId> for String {
    fn from(id: CheckId) -> String {
        id.0.to_string()
    }
}

impl serde::Serialize for CheckId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0)
    }
}

impl<'de> serde::Deserialize<'de> for CheckId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        CheckId::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("unknown check id '{s}'")))
    }
}
