//! Azure resource ids and role-assignment scopes: parsing, validation, and containment.
//!
//! Everything that ends up in a URL passes through here first, so no path, query or host can be injected
//! through a name or an id: each segment is checked against the characters ARM allows.

use std::fmt;

use crate::error::{Error, Result};

/// A validated ARM resource id or scope, e.g.
/// `/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Storage/storageAccounts/{sa}`.
///
/// Comparison is case-insensitive, as in ARM. Trailing slashes are dropped.
/// Cloning is cheap (the parsed id is shared): snapshots and findings hand ids around by the thousand.
#[derive(Clone)]
pub struct ResourceId {
    inner: std::sync::Arc<Parts>,
}

struct Parts {
    /// The id as given (normalized: one leading slash, no trailing slash).
    text: String,
    /// Where each segment lies in `text` (start, end); no segment is empty.
    bounds: Box<[(u32, u32)]>,
}

impl Parts {
    /// From a normalized text ("/" or "/a/b/c", no empty segment).
    fn new(text: String) -> Parts {
        let mut bounds = Vec::new();
        let mut start = None;
        for (i, b) in text.bytes().enumerate().chain(std::iter::once((text.len(), b'/'))) {
            if b == b'/' {
                if let Some(s) = start.take() {
                    bounds.push((s as u32, i as u32));
                }
            } else if start.is_none() {
                start = Some(i);
            }
        }
        Parts { text, bounds: bounds.into_boxed_slice() }
    }
}

/// The segments of a [`ResourceId`], borrowed: `s.len()`, `s[i]`, `s.iter()`.
#[derive(Clone, Copy)]
pub struct Segments<'a> {
    parts: &'a Parts,
}

impl<'a> Segments<'a> {
    pub fn len(&self) -> usize {
        self.parts.bounds.len()
    }
    pub fn is_empty(&self) -> bool {
        self.parts.bounds.is_empty()
    }
    pub fn get(&self, i: usize) -> Option<&'a str> {
        let (a, b) = *self.parts.bounds.get(i)?;
        Some(&self.parts.text[a as usize..b as usize])
    }
    pub fn last(&self) -> Option<&'a str> {
        self.len().checked_sub(1).and_then(|i| self.get(i))
    }
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &'a str> + ExactSizeIterator + 'a {
        let parts = self.parts;
        parts.bounds.iter().map(move |&(a, b)| &parts.text[a as usize..b as usize])
    }
    /// Does segment `i` exist and equal `want`, ignoring case?
    fn is(&self, i: usize, want: &str) -> bool {
        self.get(i).is_some_and(|s| s.eq_ignore_ascii_case(want))
    }
}

impl std::ops::Index<usize> for Segments<'_> {
    type Output = str;
    fn index(&self, i: usize) -> &str {
        let (a, b) = self.parts.bounds[i];
        &self.parts.text[a as usize..b as usize]
    }
}

/// Raw access for [`crate::model::text::Text`], which keeps an id in a thin pointer.
impl ResourceId {
    /// The shared parts as a raw pointer; the strong count moves with it (release it with [`Self::raw_drop`]).
    pub(crate) fn into_raw(self) -> *const () {
        std::sync::Arc::into_raw(self.inner) as *const ()
    }
    /// The text of an id kept by [`Self::into_raw`].
    ///
    /// # Safety
    /// `ptr` came from `into_raw` and its count is still held for at least `'a`.
    pub(crate) unsafe fn raw_text<'a>(ptr: *const ()) -> &'a str {
        // SAFETY: per the contract, ptr points to live Parts.
        unsafe { &(*(ptr as *const Parts)).text }
    }
    /// Take one more count of an id kept by [`Self::into_raw`].
    ///
    /// # Safety
    /// `ptr` came from `into_raw` and its count is still held.
    pub(crate) unsafe fn raw_clone(ptr: *const ()) {
        // SAFETY: per the contract.
        unsafe { std::sync::Arc::increment_strong_count(ptr as *const Parts) }
    }
    /// Release one count of an id kept by [`Self::into_raw`].
    ///
    /// # Safety
    /// `ptr` came from `into_raw` (or was counted by `raw_clone`) and this count is released once.
    pub(crate) unsafe fn raw_drop(ptr: *const ()) {
        // SAFETY: per the contract.
        drop(unsafe { std::sync::Arc::from_raw(ptr as *const Parts) })
    }
}

impl PartialEq for ResourceId {
    fn eq(&self, other: &Self) -> bool {
        self.inner.text.eq_ignore_ascii_case(&other.inner.text)
    }
}
impl Eq for ResourceId {}

impl std::hash::Hash for ResourceId {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        for b in self.inner.text.bytes() {
            state.write_u8(b.to_ascii_lowercase());
        }
    }
}

impl fmt::Display for ResourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.inner.text)
    }
}

impl fmt::Debug for ResourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ResourceId({})", self.inner.text)
    }
}

impl serde::Serialize for ResourceId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.inner.text)
    }
}

impl<'de> serde::Deserialize<'de> for ResourceId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        ResourceId::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// Is `c` allowed in one segment of a resource id? ARM names are letters, digits and `-._()`; a few
/// resource types allow more (spaces are not among them for the types this tool touches). Anything that
/// could change a URL's meaning (`/ ? # % \ :` and control characters, spaces) is refused.
fn segment_char_ok(c: char) -> bool {
    c.is_alphanumeric()
        || matches!(c, '-' | '_' | '.' | '(' | ')' | '~' | '$' | '@' | '+' | '!' | '*' | ',' | ';' | '=' | '\'')
}

/// Validate one name that will become a URL path segment.
pub fn validate_segment(what: &str, name: &str) -> Result<()> {
    if name.is_empty() {
        return Err(Error::invalid_input(format!("{what} is empty")));
    }
    if name.len() > 260 {
        return Err(Error::invalid_input(format!("{what} is longer than 260 characters")));
    }
    if name == "." || name == ".." {
        return Err(Error::invalid_input(format!("{what} '{name}' is not a valid name")));
    }
    if let Some(bad) = name.chars().find(|c| !segment_char_ok(*c)) {
        return Err(Error::invalid_input(format!(
            "{what} '{}' contains the character {:?}, which Azure resource names do not allow",
            name.escape_debug(),
            bad
        )));
    }
    Ok(())
}

/// Validate a GUID (subscription id, principal id, role definition GUID).
pub fn validate_guid(what: &str, value: &str) -> Result<uuid::Uuid> {
    uuid::Uuid::parse_str(value.trim()).map_err(|_| {
        Error::invalid_input(format!(
            "{what} '{}' is not a GUID (expected the form 00000000-0000-0000-0000-000000000000)",
            value.escape_debug()
        ))
    })
}

impl ResourceId {
    /// Parse and validate an id. Accepts ids with or without a trailing slash, in any letter case.
    pub fn parse(input: &str) -> Result<Self> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(Error::invalid_input("the resource id is empty"));
        }
        if !trimmed.starts_with('/') {
            return Err(Error::invalid_input(format!(
                "the resource id '{}' must start with '/', as in /subscriptions/<id>/resourceGroups/<name>/...",
                trimmed.escape_debug()
            )));
        }
        let segments: Vec<&str> = trimmed.split('/').filter(|s| !s.is_empty()).collect();
        if trimmed.contains("//") && trimmed.trim_end_matches('/').contains("//") {
            return Err(Error::invalid_input(format!(
                "the resource id '{}' has an empty segment ('//')",
                trimmed.escape_debug()
            )));
        }
        for seg in &segments {
            validate_segment("a segment of the resource id", seg).map_err(|e| {
                Error::invalid_input(format!(
                    "the resource id '{}' is malformed: {}",
                    trimmed.escape_debug(),
                    e.message()
                ))
            })?;
        }
        let text = if segments.is_empty() { "/".to_string() } else { format!("/{}", segments.join("/")) };
        let id = ResourceId { inner: std::sync::Arc::new(Parts::new(text)) };
        id.validate_structure()?;
        Ok(id)
    }

    fn validate_structure(&self) -> Result<()> {
        let s = self.segments();
        let bad =
            |why: &str| Err(Error::invalid_input(format!("the resource id '{}' is malformed: {why}", self.inner.text)));
        if s.is_empty() {
            return Ok(()); // the root scope "/"
        }
        let first = s[0].to_ascii_lowercase();
        match first.as_str() {
            "subscriptions" => {
                if s.len() < 2 {
                    return bad("the subscription id is missing after /subscriptions");
                }
                if uuid::Uuid::parse_str(&s[1]).is_err() {
                    return bad("the subscription id is not a GUID");
                }
                if s.len() >= 3 {
                    let third = s[2].to_ascii_lowercase();
                    if third == "resourcegroups" {
                        if s.len() < 4 {
                            return bad("the resource group name is missing after /resourceGroups");
                        }
                        if s.len() > 4 {
                            self.validate_provider_tail(4)?;
                        }
                    } else if third == "providers" {
                        self.validate_provider_tail(2)?;
                    } else {
                        return bad("expected 'resourceGroups' or 'providers' after the subscription id");
                    }
                }
                Ok(())
            }
            "providers" => {
                // Management groups and tenant-level providers.
                if s.len() < 2 {
                    return bad("the provider namespace is missing after /providers");
                }
                Ok(())
            }
            _ => bad("it must start with /subscriptions/ or /providers/"),
        }
    }

    fn validate_provider_tail(&self, at: usize) -> Result<()> {
        let s = self.segments();
        if !s[at].eq_ignore_ascii_case("providers") {
            return Err(Error::invalid_input(format!(
                "the resource id '{}' is malformed: expected 'providers' after the resource group",
                self.inner.text
            )));
        }
        if s.len() < at + 2 {
            return Err(Error::invalid_input(format!(
                "the resource id '{}' is malformed: the provider namespace is missing",
                self.inner.text
            )));
        }
        Ok(())
    }

    pub fn as_str(&self) -> &str {
        &self.inner.text
    }

    pub fn segments(&self) -> Segments<'_> {
        Segments { parts: &self.inner }
    }

    /// The subscription id, if the id lies within a subscription.
    pub fn subscription_id(&self) -> Option<&str> {
        let s = self.segments();
        if s.is(0, "subscriptions") {
            s.get(1)
        } else {
            None
        }
    }

    /// The resource group name, if the id lies within a resource group.
    pub fn resource_group(&self) -> Option<&str> {
        let s = self.segments();
        if s.is(0, "subscriptions") && s.is(2, "resourceGroups") {
            s.get(3)
        } else {
            None
        }
    }

    /// The last segment (the resource's name).
    pub fn name(&self) -> Option<&str> {
        self.segments().last()
    }

    /// The value following a `key` segment (case-insensitive), e.g. `value_after("storageAccounts")`.
    pub fn value_after(&self, key: &str) -> Option<&str> {
        let s = self.segments();
        (0..s.len()).find(|&i| s.is(i, key)).and_then(|i| s.get(i + 1))
    }

    /// Does this id (as a scope) contain `other`? True when equal, or when this id's segments are a prefix
    /// of `other`'s (case-insensitive). The root scope `/` and management-group scopes are treated as
    /// containing everything, because ARM only returns such assignments for scopes below them.
    pub fn contains(&self, other: &ResourceId) -> bool {
        let (mine, theirs) = (self.segments(), other.segments());
        if mine.is_empty() || self.is_management_group() {
            return true;
        }
        mine.len() <= theirs.len() && mine.iter().zip(theirs.iter()).all(|(a, b)| a.eq_ignore_ascii_case(b))
    }

    /// A management-group scope (`/providers/Microsoft.Management/managementGroups/{name}`).
    pub fn is_management_group(&self) -> bool {
        let s = self.segments();
        s.is(0, "providers") && s.is(1, "Microsoft.Management") && s.is(2, "managementGroups")
    }

    /// Append segments (each validated) to form a child id.
    pub fn child(&self, parts: &[&str]) -> Result<ResourceId> {
        for p in parts {
            validate_segment("a name", p)?;
        }
        let id = ResourceId::from_valid_segments(self.segments().iter().chain(parts.iter().copied()));
        id.validate_structure()?;
        Ok(id)
    }

    /// An id from segments that are each known to be valid (taken from a parsed id or checked by
    /// [`validate_segment`]).
    fn from_valid_segments<'s>(segments: impl Iterator<Item = &'s str>) -> ResourceId {
        let mut text = String::new();
        for seg in segments {
            text.push('/');
            text.push_str(seg);
        }
        if text.is_empty() {
            text.push('/');
        }
        ResourceId { inner: std::sync::Arc::new(Parts::new(text)) }
    }

    /// Is this a storage account id (`.../providers/Microsoft.Storage/storageAccounts/{name}`)?
    pub fn is_storage_account(&self) -> bool {
        let s = self.segments();
        s.len() == 8 && s.is(4, "providers") && s.is(5, "Microsoft.Storage") && s.is(6, "storageAccounts")
    }

    /// The kind of machine this id names, when it is an Azure Arc-enabled server
    /// (`.../providers/Microsoft.HybridCompute/machines/{name}`) or an Azure VM
    /// (`.../providers/Microsoft.Compute/virtualMachines/{name}`): the two kinds of resource whose
    /// system-assigned identity a registered server uses.
    pub fn machine_kind(&self) -> Option<MachineKind> {
        let s = self.segments();
        if s.len() != 8 || !s.is(0, "subscriptions") || !s.is(2, "resourceGroups") || !s.is(4, "providers") {
            return None;
        }
        if s.is(5, "Microsoft.HybridCompute") && s.is(6, "machines") {
            Some(MachineKind::ArcMachine)
        } else if s.is(5, "Microsoft.Compute") && s.is(6, "virtualMachines") {
            Some(MachineKind::VirtualMachine)
        } else {
            None
        }
    }

    /// Is this a Storage Sync Service id?
    pub fn is_storage_sync_service(&self) -> bool {
        let s = self.segments();
        s.len() == 8 && s.is(4, "providers") && s.is(5, "Microsoft.StorageSync") && s.is(6, "storageSyncServices")
    }

    /// The Storage Sync Service that is or contains this id (a registered server, a sync group, an
    /// endpoint), with the sync group when the id lies within one: what an Az.StorageSync object's
    /// `ResourceId` points at.
    pub fn storage_sync_service(&self) -> Option<(ResourceId, Option<&str>)> {
        let s = self.segments();
        if s.len() < 8 || !s.is(4, "providers") || !s.is(5, "Microsoft.StorageSync") || !s.is(6, "storageSyncServices")
        {
            return None;
        }
        let group = if s.len() >= 10 && s.is(8, "syncGroups") { s.get(9) } else { None };
        // A prefix of a valid id, ending at the service: valid as it is.
        Some((ResourceId::from_valid_segments(s.iter().take(8)), group))
    }

    /// The storage account that contains this id, if any.
    pub fn storage_account(&self) -> Option<ResourceId> {
        let s = self.segments();
        if s.len() >= 8 && s.is(5, "Microsoft.Storage") && s.is(6, "storageAccounts") {
            // A prefix of a valid id, ending at the account: valid as it is.
            Some(ResourceId::from_valid_segments(s.iter().take(8)))
        } else {
            None
        }
    }
}

/// How a role-assignment scope at a file share is spelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShareScopeSpelling {
    /// `.../fileServices/default/fileshares/{share}`: the scope File Sync evaluates.
    FileShares,
    /// `.../fileServices/default/shares/{share}`: the share's ARM resource id; reported as not working.
    Shares,
}

/// The role-assignment scope File Sync uses for a share:
/// `{account}/fileServices/default/fileshares/{share}`.
pub fn file_share_scope(account: &ResourceId, share: &str) -> Result<ResourceId> {
    account.child(&["fileServices", "default", "fileshares", share])
}

/// The ARM resource id of a share: `{account}/fileServices/default/shares/{share}`.
pub fn share_resource_id(account: &ResourceId, share: &str) -> Result<ResourceId> {
    account.child(&["fileServices", "default", "shares", share])
}

/// If `scope` is a share-level scope, return (account, share name, spelling).
pub fn parse_share_scope(scope: &ResourceId) -> Option<(ResourceId, String, ShareScopeSpelling)> {
    let (_, share, spelling) = share_scope_names(scope)?;
    Some((scope.storage_account()?, share.to_string(), spelling))
}

/// If `scope` is a share-level scope, return (storage account name, share name, spelling), without
/// building new ids.
pub fn share_scope_names(scope: &ResourceId) -> Option<(&str, &str, ShareScopeSpelling)> {
    let s = scope.segments();
    if s.len() != 12
        || !s.is(5, "Microsoft.Storage")
        || !s.is(6, "storageAccounts")
        || !s.is(8, "fileServices")
        || !s.is(9, "default")
    {
        return None;
    }
    let spelling = if s.is(10, "fileshares") {
        ShareScopeSpelling::FileShares
    } else if s.is(10, "shares") {
        ShareScopeSpelling::Shares
    } else {
        return None;
    };
    Some((s.get(7)?, s.get(11)?, spelling))
}

/// The id of a Storage Sync Service from its parts.
pub fn storage_sync_service_id(subscription: &str, resource_group: &str, name: &str) -> Result<ResourceId> {
    validate_guid("the subscription id", subscription)?;
    validate_segment("the resource group name", resource_group)?;
    validate_segment("the Storage Sync Service name", name)?;
    ResourceId::parse(&format!(
        "/subscriptions/{subscription}/resourceGroups/{resource_group}/providers/Microsoft.StorageSync/storageSyncServices/{name}"
    ))
}

/// Is `guid` the all-zero GUID (which File Sync uses for "none")?
pub fn is_zero_guid(guid: &str) -> bool {
    let t = guid.trim().trim_matches('"');
    t.is_empty() || uuid::Uuid::parse_str(t).map(|u| u.is_nil()).unwrap_or(false)
}

/// The GUID at the end of a role definition id, lower-cased
/// (`/subscriptions/x/providers/Microsoft.Authorization/roleDefinitions/{guid}` or just the GUID).
pub fn role_guid(role_definition_id: &str) -> String {
    role_definition_id.trim_end_matches('/').rsplit('/').next().unwrap_or("").to_ascii_lowercase()
}

/// A machine a registered server runs on, as far as its identity goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MachineKind {
    /// `Microsoft.HybridCompute/machines`: a server outside Azure, connected through Azure Arc.
    ArcMachine,
    /// `Microsoft.Compute/virtualMachines`: an Azure VM.
    VirtualMachine,
}

impl MachineKind {
    /// How a person calls it.
    pub fn describe(self) -> &'static str {
        match self {
            MachineKind::ArcMachine => "Azure Arc-enabled server",
            MachineKind::VirtualMachine => "Azure VM",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn machines_are_told_apart_by_provider_and_type() {
        let sub = "/subscriptions/6f1c2b7e-4a4d-4b1e-9a7c-2d5f0e8b9c31";
        let kind = |tail: &str| ResourceId::parse(&format!("{sub}{tail}")).unwrap().machine_kind();
        // Graph writes alternativeNames in lower case; ARM's casing does not matter.
        assert_eq!(
            kind("/resourcegroups/rg/providers/microsoft.hybridcompute/machines/fs1"),
            Some(MachineKind::ArcMachine)
        );
        assert_eq!(
            kind("/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1"),
            Some(MachineKind::VirtualMachine)
        );
        assert_eq!(kind("/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/ss"), None);
        assert_eq!(kind("/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1/extensions/x"), None);
        assert_eq!(kind("/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/u"), None);
    }

    #[test]
    fn ids_inside_a_storage_sync_service_name_it_and_their_sync_group() {
        let svc = "/subscriptions/6f1c2b7e-4a4d-4b1e-9a7c-2d5f0e8b9c31/resourceGroups/rg/providers/Microsoft.StorageSync/storageSyncServices/svc";
        for (tail, group) in [
            ("", None),
            ("/registeredServers/44444444-4444-4444-8444-444444444444", None),
            ("/syncGroups/sg1", Some("sg1")),
            ("/syncGroups/sg1/cloudEndpoints/ce", Some("sg1")),
            ("/SYNCGROUPS/sg2/serverEndpoints/se", Some("sg2")),
        ] {
            let id = ResourceId::parse(&format!("{svc}{tail}")).unwrap();
            let (service, g) = id.storage_sync_service().unwrap_or_else(|| panic!("{tail}"));
            assert_eq!(service.as_str(), svc, "{tail}");
            assert_eq!(g, group, "{tail}");
        }
        let account = ResourceId::parse(
            "/subscriptions/6f1c2b7e-4a4d-4b1e-9a7c-2d5f0e8b9c31/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sa",
        )
        .unwrap();
        assert!(account.storage_sync_service().is_none());
    }

    const SA: &str = "/subscriptions/3a048283-338f-4002-a9dd-a50fdadcb392/resourceGroups/rg1/providers/Microsoft.Storage/storageAccounts/sa1";

    #[test]
    fn parses_and_normalizes() {
        let id = ResourceId::parse(&format!("{SA}/")).unwrap();
        assert_eq!(id.as_str(), SA);
        assert_eq!(id.subscription_id(), Some("3a048283-338f-4002-a9dd-a50fdadcb392"));
        assert_eq!(id.resource_group(), Some("rg1"));
        assert_eq!(id.name(), Some("sa1"));
        assert!(id.is_storage_account());
        assert_eq!(
            id,
            ResourceId::parse(
                &SA.to_uppercase()
                    .replace("3A048283-338F-4002-A9DD-A50FDADCB392", "3a048283-338f-4002-a9dd-a50fdadcb392")
            )
            .unwrap()
        );
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "",
            "subscriptions/x",
            "/subscriptions/not-a-guid/resourceGroups/rg",
            "/subscriptions/3a048283-338f-4002-a9dd-a50fdadcb392/resourceGroups",
            "/subscriptions/3a048283-338f-4002-a9dd-a50fdadcb392/resourceGroups/rg?x=1",
            "/subscriptions/3a048283-338f-4002-a9dd-a50fdadcb392/resourceGroups/r g",
            "/subscriptions/3a048283-338f-4002-a9dd-a50fdadcb392/resourceGroups/rg/providers/../x",
            "/subscriptions/3a048283-338f-4002-a9dd-a50fdadcb392/resourceGroups/rg%2f",
            "/subscriptions/3a048283-338f-4002-a9dd-a50fdadcb392/resourceGroups/rg#frag",
            "/subscriptions/3a048283-338f-4002-a9dd-a50fdadcb392//resourceGroups/rg",
            "/foo/bar",
        ] {
            let e = ResourceId::parse(bad).unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::InvalidInput, "{bad}");
        }
    }

    #[test]
    fn containment() {
        let sa = ResourceId::parse(SA).unwrap();
        let rg = ResourceId::parse("/subscriptions/3a048283-338f-4002-a9dd-a50fdadcb392/resourceGroups/RG1").unwrap();
        let share = file_share_scope(&sa, "share1").unwrap();
        let wrong = share_resource_id(&sa, "share1").unwrap();
        assert!(rg.contains(&sa));
        assert!(sa.contains(&share));
        assert!(!share.contains(&sa));
        assert!(!wrong.contains(&share));
        let other_rg =
            ResourceId::parse("/subscriptions/3a048283-338f-4002-a9dd-a50fdadcb392/resourceGroups/rg10").unwrap();
        assert!(!ResourceId::parse("/subscriptions/3a048283-338f-4002-a9dd-a50fdadcb392/resourceGroups/rg1")
            .unwrap()
            .contains(&other_rg));
        let mg = ResourceId::parse("/providers/Microsoft.Management/managementGroups/root").unwrap();
        assert!(mg.contains(&share));
        assert_eq!(parse_share_scope(&wrong).unwrap().2, ShareScopeSpelling::Shares);
        assert_eq!(parse_share_scope(&share).unwrap().2, ShareScopeSpelling::FileShares);
    }

    #[test]
    fn zero_guid_means_none() {
        assert!(is_zero_guid("00000000-0000-0000-0000-000000000000"));
        assert!(is_zero_guid(""));
        assert!(!is_zero_guid("00000000-0000-0000-0000-000000000001"));
    }
}
