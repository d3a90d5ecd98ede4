//! [`PrincipalId`]: the object id of a Microsoft Entra principal (a managed identity's service principal,
//! a user, a group), as role assignments, deny assignments and identities carry it.
//!
//! Entra object ids are GUIDs and compare without regard to letter case; ARM answers them in lower case,
//! but people paste them in any case. A `PrincipalId` is validated and lower-cased once, where text becomes
//! one ([`PrincipalId::parse`]), so code that holds one compares, hashes and names assignments with it
//! directly, and never lower-cases or re-validates it again.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, Result};

/// A principal's object id: a GUID, held in lower case with no surrounding spaces.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PrincipalId(String);

impl PrincipalId {
    /// Parse an object id (any letter case, spaces around it ignored). `what` names the value in the
    /// error, e.g. "the principal id" or "storageSyncPrincipalId".
    pub fn parse_named(what: &str, value: &str) -> Result<PrincipalId> {
        let trimmed = value.trim();
        match uuid::Uuid::parse_str(trimmed) {
            // `hyphenated` writes the canonical form: lower case, 8-4-4-4-12.
            Ok(u) if trimmed.len() == 36 => Ok(PrincipalId(u.hyphenated().to_string())),
            _ => Err(Error::invalid_input(format!(
                "{what} '{}' is not an object id (expected a GUID of the form 00000000-0000-0000-0000-000000000000)",
                value.escape_debug()
            ))),
        }
    }

    /// Parse an object id; the error calls it "the principal id".
    pub fn parse(value: &str) -> Result<PrincipalId> {
        PrincipalId::parse_named("the principal id", value)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key to look `text` up by in a set or map of `PrincipalId`s: itself when it is already in the
    /// canonical (lower) case, as ARM answers, else a lower-cased copy. No GUID parse, so a lookup per role
    /// assignment stays cheap; text that is not an object id simply finds nothing.
    pub fn lookup_key(text: &str) -> std::borrow::Cow<'_, str> {
        let t = text.trim();
        if t.bytes().any(|b| b.is_ascii_uppercase()) {
            std::borrow::Cow::Owned(t.to_ascii_lowercase())
        } else {
            std::borrow::Cow::Borrowed(t)
        }
    }

    /// Does `other` (text from anywhere, any case) name this principal?
    pub fn is(&self, other: &str) -> bool {
        self.0.eq_ignore_ascii_case(other.trim())
    }
}

impl std::str::FromStr for PrincipalId {
    type Err = Error;
    fn from_str(s: &str) -> Result<PrincipalId> {
        PrincipalId::parse(s)
    }
}

/// Reads as its (lower-case) text, as [`crate::model::check_id::CheckId`] does.
impl std::ops::Deref for PrincipalId {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

/// Looks a principal up by its text in a set of them without building one (the text must be lower case, as
/// ARM answers it; see [`PrincipalId::lookup_key`]).
impl std::borrow::Borrow<str> for PrincipalId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for PrincipalId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PrincipalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for PrincipalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PrincipalId({})", self.0)
    }
}

impl PartialEq<str> for PrincipalId {
    fn eq(&self, other: &str) -> bool {
        self.is(other)
    }
}

impl PartialEq<&str> for PrincipalId {
    fn eq(&self, other: &&str) -> bool {
        self.is(other)
    }
}

impl Serialize for PrincipalId {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for PrincipalId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<PrincipalId, D::Error> {
        let s = String::deserialize(d)?;
        PrincipalId::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::PrincipalId;

    #[test]
    fn parses_any_case_once_and_keeps_lower_case() {
        let p = PrincipalId::parse("  8F1B2C3D-0000-4A4A-9B9B-0123456789AB ").unwrap();
        assert_eq!(p.as_str(), "8f1b2c3d-0000-4a4a-9b9b-0123456789ab");
        assert_eq!(p, PrincipalId::parse("8f1b2c3d-0000-4a4a-9b9b-0123456789ab").unwrap());
        assert!(p.is("8F1B2C3D-0000-4A4A-9B9B-0123456789AB"));
        assert!(!p.is("8f1b2c3d-0000-4a4a-9b9b-0123456789ac"));
    }

    #[test]
    fn a_set_is_searched_by_text_in_any_case() {
        let set: std::collections::HashSet<PrincipalId> =
            [PrincipalId::parse("8f1b2c3d-0000-4a4a-9b9b-0123456789ab").unwrap()].into_iter().collect();
        for hit in ["8f1b2c3d-0000-4a4a-9b9b-0123456789ab", " 8F1B2C3D-0000-4A4A-9B9B-0123456789AB"] {
            assert!(set.contains(PrincipalId::lookup_key(hit).as_ref()), "{hit}");
        }
        assert!(!set.contains(PrincipalId::lookup_key("8f1b2c3d-0000-4a4a-9b9b-0123456789ac").as_ref()));
    }

    #[test]
    fn refuses_what_is_not_an_object_id_and_names_it() {
        for bad in ["", "not-a-guid", "{8f1b2c3d-0000-4a4a-9b9b-0123456789ab}", "8f1b2c3d00004a4a9b9b0123456789ab"] {
            let e = PrincipalId::parse_named("storageSyncPrincipalId", bad).unwrap_err().to_string();
            assert!(e.contains("storageSyncPrincipalId") && e.contains("not an object id"), "{bad}: {e}");
        }
    }

    #[test]
    fn serializes_as_its_text_and_refuses_bad_text_when_read() {
        let p: PrincipalId = serde_json::from_str("\"AAAAAAAA-0000-4A4A-9B9B-0123456789AB\"").unwrap();
        assert_eq!(serde_json::to_string(&p).unwrap(), "\"aaaaaaaa-0000-4a4a-9b9b-0123456789ab\"");
        assert!(serde_json::from_str::<PrincipalId>("\"x\"").is_err());
    }
}
