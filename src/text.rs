//! [`Text`]: the strings of a finding. A large estate yields a hundred thousand findings, most of them
//! naming ids the snapshot already holds (the resource, the share scope, the role assignment) or wording
//! that never changes. `Text` keeps such a string by reference instead of copying it, and owns the rest.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use crate::resource_id::ResourceId;

/// A string that is fixed wording, shared (an id of the snapshot, a name used by many findings) or owned.
/// It reads as a `&str` (`Deref`), compares, hashes and orders as its text, and serializes as a JSON
/// string; cloning never copies the text.
#[derive(Clone)]
pub struct Text(Repr);

#[derive(Clone)]
enum Repr {
    Fixed(&'static str),
    Owned(Box<str>),
    Shared(Arc<str>),
    Id(ResourceId),
}

impl Text {
    /// Fixed wording: no allocation.
    pub const fn fixed(s: &'static str) -> Text {
        Text(Repr::Fixed(s))
    }

    /// A string several findings name: the text is kept once.
    pub fn shared(s: &str) -> Text {
        Text(Repr::Shared(Arc::from(s)))
    }

    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Fixed(s) => s,
            Repr::Owned(s) => s,
            Repr::Shared(s) => s,
            Repr::Id(id) => id.as_str(),
        }
    }
}

impl Default for Text {
    fn default() -> Self {
        Text::fixed("")
    }
}

impl std::ops::Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl std::borrow::Borrow<str> for Text {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl PartialEq for Text {
    fn eq(&self, other: &Text) -> bool {
        self.as_str() == other.as_str()
    }
}
impl Eq for Text {}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}
impl PartialEq<&str> for Text {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}
impl PartialEq<String> for Text {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other.as_str()
    }
}
impl PartialEq<Text> for str {
    fn eq(&self, other: &Text) -> bool {
        self == other.as_str()
    }
}
impl PartialEq<Text> for &str {
    fn eq(&self, other: &Text) -> bool {
        *self == other.as_str()
    }
}
impl PartialEq<Text> for String {
    fn eq(&self, other: &Text) -> bool {
        self.as_str() == other.as_str()
    }
}

impl PartialOrd for Text {
    fn partial_cmp(&self, other: &Text) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Text {
    fn cmp(&self, other: &Text) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl std::hash::Hash for Text {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state)
    }
}

impl From<String> for Text {
    fn from(s: String) -> Text {
        Text(Repr::Owned(s.into_boxed_str()))
    }
}
impl From<&String> for Text {
    fn from(s: &String) -> Text {
        Text(Repr::Owned(s.as_str().into()))
    }
}
/// A copy of the text (use [`Text::fixed`] for wording that never changes).
impl From<&str> for Text {
    fn from(s: &str) -> Text {
        Text(Repr::Owned(s.into()))
    }
}
impl From<Cow<'static, str>> for Text {
    fn from(s: Cow<'static, str>) -> Text {
        match s {
            Cow::Borrowed(s) => Text::fixed(s),
            Cow::Owned(s) => s.into(),
        }
    }
}
impl From<Arc<str>> for Text {
    fn from(s: Arc<str>) -> Text {
        Text(Repr::Shared(s))
    }
}
/// Shares the id's text (no copy).
impl From<ResourceId> for Text {
    fn from(id: ResourceId) -> Text {
        Text(Repr::Id(id))
    }
}
/// Shares the id's text (no copy).
impl From<&ResourceId> for Text {
    fn from(id: &ResourceId) -> Text {
        Text(Repr::Id(id.clone()))
    }
}
impl From<&Text> for Text {
    fn from(t: &Text) -> Text {
        t.clone()
    }
}
impl From<Text> for String {
    fn from(t: Text) -> String {
        t.as_str().to_string()
    }
}

impl serde::Serialize for Text {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Text {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Read straight into a shared string: every clone (a snapshot's ids are named by many findings)
        // then costs a reference count.
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Text;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Text, E> {
                Ok(Text::shared(s))
            }
        }
        d.deserialize_str(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_reads_compares_and_serializes_as_its_text() {
        let id = ResourceId::parse("/subscriptions/5f0c6b1e-3a2d-4c8b-9e7f-1a2b3c4d5e6f/resourceGroups/RG").unwrap();
        let kinds = [
            Text::fixed("/subscriptions/5f0c6b1e-3a2d-4c8b-9e7f-1a2b3c4d5e6f/resourceGroups/RG"),
            Text::from("/subscriptions/5f0c6b1e-3a2d-4c8b-9e7f-1a2b3c4d5e6f/resourceGroups/RG".to_string()),
            Text::shared("/subscriptions/5f0c6b1e-3a2d-4c8b-9e7f-1a2b3c4d5e6f/resourceGroups/RG"),
            Text::from(&id),
        ];
        for t in &kinds {
            assert_eq!(t.as_str(), "/subscriptions/5f0c6b1e-3a2d-4c8b-9e7f-1a2b3c4d5e6f/resourceGroups/RG");
            assert_eq!(t, &kinds[0]);
            assert_eq!(*t, "/subscriptions/5f0c6b1e-3a2d-4c8b-9e7f-1a2b3c4d5e6f/resourceGroups/RG");
            assert_eq!(
                serde_json::to_string(t).unwrap(),
                "\"/subscriptions/5f0c6b1e-3a2d-4c8b-9e7f-1a2b3c4d5e6f/resourceGroups/RG\""
            );
            assert_eq!(format!("{t:?}"), "\"/subscriptions/5f0c6b1e-3a2d-4c8b-9e7f-1a2b3c4d5e6f/resourceGroups/RG\"");
            let back: Text = serde_json::from_str(&serde_json::to_string(t).unwrap()).unwrap();
            assert_eq!(&back, t);
        }
        // Comparison is exact (unlike ResourceId's), so a finding's text round-trips unchanged.
        assert_ne!(
            Text::from(&id),
            Text::fixed("/subscriptions/5f0c6b1e-3a2d-4c8b-9e7f-1a2b3c4d5e6f/resourcegroups/rg")
        );
        assert!(Text::fixed("a") < Text::shared("b"));
    }

    #[test]
    fn an_id_is_shared_not_copied() {
        let id = ResourceId::parse("/subscriptions/5f0c6b1e-3a2d-4c8b-9e7f-1a2b3c4d5e6f/resourceGroups/rg").unwrap();
        let t = Text::from(&id);
        assert!(std::ptr::eq(t.as_str().as_ptr(), id.as_str().as_ptr()));
        let s = Text::shared("x");
        assert!(std::ptr::eq(s.clone().as_str().as_ptr(), s.as_str().as_ptr()));
    }
}
