//! The embedded Azure File Sync error catalog: what an HRESULT means and what to do about it. Which of
//! this tool's checks can explain a code is the checks' own knowledge: each declares its codes beside its
//! function, and `checks::explaining` answers from those declarations (the catalog names no check).
//!
//! The data lives in `src/catalog/catalog.tsv` (generated once by `gen_catalog.py` from facts listed in
//! Microsoft's File Sync troubleshooting articles; every summary, explanation and remediation is the
//! project's own text) and is parsed once on first use. Everything here is pure: no I/O.
//!
//! Codes are written the way findings write them: `0x` and eight lower-case hex digits (see [`hex`]).
//! [`lookup`] accepts any common spelling: hex with or without `0x`, signed or unsigned decimal, the wrong
//! decimals some articles print, and the symbolic name.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::OnceLock;

use serde::ser::{Serialize, SerializeStruct, Serializer};

/// The catalog data, one entry per line (see the header comment in the file).
const DATA: &str = include_str!("catalog.tsv");

/// Troubleshooting article for sync session and per-item errors.
pub const ARTICLE_SYNC_ERRORS: &str =
    "https://learn.microsoft.com/troubleshoot/azure/azure-storage/files/file-sync/file-sync-troubleshoot-sync-errors";
/// Troubleshooting article for cloud tiering and recall errors.
pub const ARTICLE_CLOUD_TIERING: &str =
    "https://learn.microsoft.com/troubleshoot/azure/azure-storage/files/file-sync/file-sync-troubleshoot-cloud-tiering";
/// The article on File Sync with managed identities (no code links to it: it lists no codes; the tests
/// hold the catalog to that).
#[cfg(test)]
pub const ARTICLE_MANAGED_IDENTITIES: &str =
    "https://learn.microsoft.com/azure/storage/file-sync/file-sync-managed-identities";
/// The troubleshooting article on File Sync with managed identities (SupportArticles-docs
/// `file-sync-troubleshoot-managed-identities.md`, 04/2025): the one that lists the identity and permission
/// codes and their fixes (the overview above lists none).
pub const ARTICLE_MANAGED_IDENTITIES_TROUBLESHOOTING: &str =
    "https://learn.microsoft.com/troubleshoot/azure/azure-storage/files/file-sync/file-sync-troubleshoot-managed-identities";
/// Troubleshooting article for sync group, cloud endpoint and server endpoint management.
pub const ARTICLE_SYNC_GROUP_MANAGEMENT: &str =
    "https://learn.microsoft.com/troubleshoot/azure/azure-storage/files/file-sync/file-sync-troubleshoot-sync-group-management";

/// How many suggestions an unknown input gets at most.
const MAX_SUGGESTIONS: usize = 5;
/// Longest input (in characters) compared by edit distance; longer input is only matched by substring.
const MAX_FUZZY_CHARS: usize = 80;

// ------------------------------------------------------------------------------------------------
// Categories and tables

/// What kind of problem a code is. The first three come from the facts (authentication/authorization,
/// network, configuration); codes without one take the kind of the article table that lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    /// Authentication or authorization: identities, roles, certificates, keys.
    Auth,
    /// Reaching Azure: DNS, firewalls, proxies, TLS, private endpoints.
    Network,
    /// How Azure resources are set up: quotas, locks, subscriptions, deleted shares.
    Configuration,
    /// A whole sync session failed (no other category known).
    SyncSession,
    /// One file or folder failed to sync.
    PerItem,
    /// Cloud tiering could not tier a file.
    Tiering,
    /// Recalling a tiered file failed.
    Recall,
    /// Creating or deleting sync groups and endpoints failed.
    Management,
}

impl Category {
    pub const ALL: [Category; 8] = [
        Category::Auth,
        Category::Network,
        Category::Configuration,
        Category::SyncSession,
        Category::PerItem,
        Category::Tiering,
        Category::Recall,
        Category::Management,
    ];

    /// The stable name used in JSON and in the data file (`auth`, `per-item`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Auth => "auth",
            Category::Network => "network",
            Category::Configuration => "configuration",
            Category::SyncSession => "sync-session",
            Category::PerItem => "per-item",
            Category::Tiering => "tiering",
            Category::Recall => "recall",
            Category::Management => "management",
        }
    }

    /// A few words for people.
    pub fn description(self) -> &'static str {
        match self {
            Category::Auth => "authentication or authorization",
            Category::Network => "network, proxy or firewall",
            Category::Configuration => "Azure resource configuration",
            Category::SyncSession => "sync session",
            Category::PerItem => "single file or folder",
            Category::Tiering => "cloud tiering",
            Category::Recall => "recall of a tiered file",
            Category::Management => "sync group or endpoint management",
        }
    }

    /// Parse [`Category::as_str`] back (case-insensitive).
    pub fn parse(s: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.as_str().eq_ignore_ascii_case(s.trim()))
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The table of an official article that lists a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Table {
    /// The managed identity troubleshooting article.
    ManagedIdentity,
    /// Sync errors article: errors that fail a whole session.
    SyncSession,
    /// Sync errors article: errors of single files or folders.
    SyncPerItem,
    /// Cloud tiering article: tiering errors.
    Tiering,
    /// Cloud tiering article: recall errors.
    Recall,
    /// Sync group management article.
    SyncGroupManagement,
}

impl Table {
    pub const ALL: [Table; 6] = [
        Table::ManagedIdentity,
        Table::SyncSession,
        Table::SyncPerItem,
        Table::Tiering,
        Table::Recall,
        Table::SyncGroupManagement,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Table::ManagedIdentity => "managed-identity",
            Table::SyncSession => "sync-session",
            Table::SyncPerItem => "sync-per-item",
            Table::Tiering => "tiering",
            Table::Recall => "recall",
            Table::SyncGroupManagement => "sync-group-management",
        }
    }

    /// What the table lists, for people.
    pub fn title(self) -> &'static str {
        match self {
            Table::ManagedIdentity => "Managed identity errors",
            Table::SyncSession => "Sync session errors",
            Table::SyncPerItem => "Per-item sync errors",
            Table::Tiering => "Cloud tiering errors",
            Table::Recall => "Recall errors",
            Table::SyncGroupManagement => "Sync group and endpoint management errors",
        }
    }

    /// The official article that holds the table.
    pub fn article(self) -> &'static str {
        match self {
            Table::ManagedIdentity => ARTICLE_MANAGED_IDENTITIES_TROUBLESHOOTING,
            Table::SyncSession | Table::SyncPerItem => ARTICLE_SYNC_ERRORS,
            Table::Tiering | Table::Recall => ARTICLE_CLOUD_TIERING,
            Table::SyncGroupManagement => ARTICLE_SYNC_GROUP_MANAGEMENT,
        }
    }

    pub fn parse(s: &str) -> Option<Table> {
        Table::ALL.into_iter().find(|t| t.as_str().eq_ignore_ascii_case(s.trim()))
    }
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One place where the official docs list a code, and the name they give it there (if any).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Context {
    pub table: Table,
    /// The identifier shown in that table: usually the symbolic name; for some management errors the
    /// operation error (e.g. `MgmtServerJobFailed`, shared by several codes); `None` when there is none.
    pub name: Option<&'static str>,
}

impl Serialize for Context {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Context", 4)?;
        s.serialize_field("table", &self.table)?;
        s.serialize_field("title", self.table.title())?;
        s.serialize_field("name", &self.name)?;
        s.serialize_field("article", self.table.article())?;
        s.end()
    }
}

// ------------------------------------------------------------------------------------------------
// Entries

/// One File Sync error code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogEntry {
    /// The HRESULT as a signed 32-bit value (what ARM's `lastSyncResult` carries).
    pub code: i32,
    /// Symbolic names, most specific first (may be empty for a few management errors). Each name
    /// identifies this entry alone.
    pub names: Vec<&'static str>,
    pub category: Category,
    /// One line.
    pub summary: &'static str,
    /// A few sentences: what happened and why.
    pub explanation: &'static str,
    /// What to do.
    pub remediation: &'static str,
    /// The official article to read first.
    pub article: &'static str,
    /// Wrong decimals that official articles print for this code; accepted by [`lookup`].
    pub doc_decimal_aliases: Vec<i64>,
    /// Every table that lists the code, primary first.
    pub contexts: Vec<Context>,
}

impl CatalogEntry {
    /// `0x` and eight lower-case hex digits.
    pub fn hex(&self) -> String {
        hex(self.code)
    }

    /// The code as an unsigned 32-bit value.
    pub fn unsigned(&self) -> u32 {
        self.code as u32
    }

    /// The main symbolic name, if the docs give one.
    pub fn name(&self) -> Option<&'static str> {
        self.names.first().copied()
    }

    /// A short label: the main name, or the summary when there is no name.
    pub fn label(&self) -> &'static str {
        self.name().unwrap_or(self.summary)
    }

    /// The distinct articles of all contexts, primary first.
    pub fn articles(&self) -> Vec<&'static str> {
        let mut out = vec![self.article];
        for c in &self.contexts {
            if !out.contains(&c.table.article()) {
                out.push(c.table.article());
            }
        }
        out
    }

    /// The JSON form (see the `Serialize` impl): the catalog's facts, without the checks that explain the
    /// code (`report::catalog_entry_json` adds them, from the checks' declarations).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

impl Serialize for CatalogEntry {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("CatalogEntry", 10)?;
        s.serialize_field("code", &self.hex())?;
        s.serialize_field("decimal", &self.code)?;
        s.serialize_field("names", &self.names)?;
        s.serialize_field("category", &self.category)?;
        s.serialize_field("summary", self.summary)?;
        s.serialize_field("explanation", self.explanation)?;
        s.serialize_field("remediation", self.remediation)?;
        s.serialize_field("article", self.article)?;
        s.serialize_field("docDecimalAliases", &self.doc_decimal_aliases)?;
        s.serialize_field("contexts", &self.contexts)?;
        s.end()
    }
}

struct Catalog {
    /// Sorted by code.
    entries: Vec<CatalogEntry>,
    /// Upper-case symbolic name -> entry index.
    by_name: BTreeMap<String, usize>,
    /// Upper-case context name -> entry indexes (the names shared by several codes live here).
    by_context_name: BTreeMap<String, Vec<usize>>,
    /// Wrong doc decimal -> entry index.
    by_alias: BTreeMap<i64, usize>,
}

impl Catalog {
    fn index_of(&self, code: i32) -> Option<usize> {
        self.entries.binary_search_by_key(&(code as u32), |e| e.code as u32).ok()
    }
}

fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| match build(DATA) {
        Ok(c) => c,
        // The data is compiled in and checked by the tests: this can only be a build of broken data.
        Err(e) => panic!("the embedded File Sync error catalog is malformed: {e}"),
    })
}

/// All entries, sorted by code (as unsigned, which for these failure codes equals signed order).
#[cfg(test)]
pub fn entries() -> &'static [CatalogEntry] {
    &catalog().entries
}

/// The entry for an exact code, if the catalog has it.
pub fn get(code: i32) -> Option<&'static CatalogEntry> {
    let c = catalog();
    c.index_of(code).map(|i| &c.entries[i])
}

// ------------------------------------------------------------------------------------------------
// Parsing the data file

fn split_list(s: &str) -> impl Iterator<Item = &str> {
    s.split(';').map(str::trim).filter(|x| !x.is_empty())
}

fn parse_entry(line: &'static str) -> Result<CatalogEntry, String> {
    let cols: Vec<&'static str> = line.split('\t').collect();
    if cols.len() != 9 {
        return Err(format!("expected 9 columns, found {}", cols.len()));
    }
    let code = cols[0]
        .strip_prefix("0x")
        .filter(|h| h.len() == 8 && h.bytes().all(|b| b.is_ascii_hexdigit()))
        .and_then(|h| u32::from_str_radix(h, 16).ok())
        .map(|v| v as i32)
        .ok_or_else(|| format!("bad code '{}'", cols[0]))?;
    if cols[0] != hex(code) {
        return Err(format!("code '{}' is not in canonical form {}", cols[0], hex(code)));
    }
    let decimal: i32 = cols[1].parse().map_err(|_| format!("bad decimal '{}'", cols[1]))?;
    if decimal != code {
        return Err(format!("decimal {decimal} does not match {}", cols[0]));
    }
    let names: Vec<&'static str> = split_list(cols[2]).collect();
    let category = Category::parse(cols[3]).ok_or_else(|| format!("bad category '{}'", cols[3]))?;
    let doc_decimal_aliases = split_list(cols[4])
        .map(|a| a.parse::<i64>().map_err(|_| format!("bad doc decimal '{a}'")))
        .collect::<Result<Vec<_>, _>>()?;
    let mut contexts = Vec::new();
    for item in split_list(cols[5]) {
        let (table, name) = item.split_once('=').ok_or_else(|| format!("bad context '{item}'"))?;
        let table = Table::parse(table).ok_or_else(|| format!("bad table '{table}'"))?;
        let name = Some(name.trim()).filter(|n| !n.is_empty());
        contexts.push(Context { table, name });
    }
    let article = contexts.first().ok_or("no context")?.table.article();
    let text = |i: usize, what: &str| -> Result<&'static str, String> {
        let t = cols[i].trim();
        if t.is_empty() {
            Err(format!("empty {what}"))
        } else {
            Ok(t)
        }
    };
    Ok(CatalogEntry {
        code,
        names,
        category,
        summary: text(6, "summary")?,
        explanation: text(7, "explanation")?,
        remediation: text(8, "remediation")?,
        article,
        doc_decimal_aliases,
        contexts,
    })
}

fn build(data: &'static str) -> Result<Catalog, String> {
    let mut entries = Vec::new();
    let mut header_seen = false;
    for (n, line) in data.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        if !header_seen {
            header_seen = true;
            if line.starts_with("code\t") {
                continue;
            }
        }
        entries.push(parse_entry(line).map_err(|e| format!("line {}: {e}", n + 1))?);
    }
    entries.sort_by_key(|e: &CatalogEntry| e.code as u32);
    if let Some(w) = entries.windows(2).find(|w| w[0].code == w[1].code) {
        return Err(format!("code {} appears twice", w[0].hex()));
    }
    let mut by_name = BTreeMap::new();
    let mut by_context_name: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    let mut by_alias = BTreeMap::new();
    for (i, e) in entries.iter().enumerate() {
        for name in &e.names {
            if by_name.insert(name.to_uppercase(), i).is_some() {
                return Err(format!("name {name} is used by more than one code"));
            }
        }
        for name in e.contexts.iter().filter_map(|c| c.name) {
            let v = by_context_name.entry(name.to_uppercase()).or_default();
            if !v.contains(&i) {
                v.push(i);
            }
        }
        for &a in &e.doc_decimal_aliases {
            if by_alias.insert(a, i).is_some() {
                return Err(format!("doc decimal {a} is claimed by more than one code"));
            }
        }
    }
    let catalog = Catalog { entries, by_name, by_context_name, by_alias };
    for (&a, &i) in &catalog.by_alias {
        let shadowed = i32::try_from(a).ok().and_then(|c| catalog.index_of(c));
        if shadowed.is_some() {
            return Err(format!("doc decimal {a} of {} is the real value of another code", catalog.entries[i].hex()));
        }
    }
    Ok(catalog)
}

// ------------------------------------------------------------------------------------------------
// Spellings of a code

/// `0x` and eight lower-case hex digits: the form findings use.
pub fn hex(code: i32) -> String {
    format!("0x{:08x}", code as u32)
}

/// The input without surrounding whitespace, byte order marks or zero-width spaces (pasting brings them).
fn clean(input: &str) -> &str {
    input.trim_matches(|c: char| c.is_whitespace() || matches!(c, '\u{feff}' | '\u{200b}' | '\u{200c}' | '\u{200d}'))
}

/// A decimal number with an optional sign, as i64 (`None` when it is not one or does not fit).
fn parse_decimal(s: &str) -> Option<i64> {
    let (negative, digits) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || digits.len() > 40 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let digits = digits.trim_start_matches('0');
    if digits.len() > 18 {
        return None; // beyond any 32-bit value and any doc mistake; also keeps i64 from overflowing
    }
    let v: i64 = if digits.is_empty() { 0 } else { digits.parse().ok()? };
    Some(if negative { -v } else { v })
}

fn all_hex(h: &str) -> Option<&str> {
    (!h.is_empty() && h.bytes().all(|b| b.is_ascii_hexdigit())).then_some(h)
}

/// The hex digits of `0x...` or of a bare run of hex digits.
fn hex_digits(s: &str) -> Option<&str> {
    all_hex(s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")).unwrap_or(s))
}

/// Reads a code in any usual spelling and returns its signed 32-bit value; needs no catalog.
///
/// Accepted (surrounding whitespace and zero-width characters ignored, case-insensitive): `0x80c8305f` (one to eight hex digits after
/// `0x`, leading zeros allowed), `80c8305f` (exactly eight hex digits without prefix; an eight-character
/// string of digits is read as hex too, since no failure HRESULT has an eight-digit decimal), signed
/// decimal `-2134364065`, unsigned decimal `2160603231`. Anything else, or a value outside 32 bits, gives
/// `None`.
pub fn parse_code(input: &str) -> Option<i32> {
    let s = clean(input);
    if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        let h = all_hex(h)?.trim_start_matches('0');
        if h.len() > 8 {
            return None;
        }
        return Some(if h.is_empty() { 0 } else { u32::from_str_radix(h, 16).ok()? as i32 });
    }
    if s.len() == 8 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return u32::from_str_radix(s, 16).ok().map(|v| v as i32);
    }
    let v = parse_decimal(s)?;
    if let Ok(signed) = i32::try_from(v) {
        Some(signed)
    } else {
        u32::try_from(v).ok().map(|u| u as i32)
    }
}

// ------------------------------------------------------------------------------------------------
// Lookup

/// Why a [`lookup`] failed, with the entries the input may have meant.
#[derive(Debug, Clone)]
pub struct LookupError {
    /// The input as given.
    pub input: String,
    /// Near matches, best first (at most five; every candidate when the input is ambiguous).
    pub suggestions: Vec<&'static CatalogEntry>,
    /// The input is a name the docs use for several codes (e.g. `MgmtServerJobFailed`); `suggestions`
    /// holds all of them.
    pub ambiguous: bool,
}

/// The input cut to a readable length, control characters escaped, for messages.
fn shown(input: &str) -> String {
    let t = clean(input);
    let mut out = String::new();
    for (i, c) in t.chars().enumerate() {
        if i == 60 {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

impl fmt::Display for LookupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ambiguous {
            write!(
                f,
                "ambiguous File Sync error name '{}': the docs use it for {} codes (give the code itself)",
                shown(&self.input),
                self.suggestions.len()
            )?;
        } else {
            write!(f, "unknown File Sync error code '{}'", shown(&self.input))?;
        }
        if !self.suggestions.is_empty() {
            let list: Vec<String> = self.suggestions.iter().map(|e| format!("{} ({})", e.hex(), e.label())).collect();
            write!(f, "; did you mean {}?", list.join(", "))?;
        }
        Ok(())
    }
}

impl std::error::Error for LookupError {}

impl From<LookupError> for crate::error::Error {
    fn from(e: LookupError) -> Self {
        crate::error::Error::invalid_input(e.to_string())
    }
}

/// Finds the entry for a code in any spelling [`parse_code`] reads, a wrong decimal the docs print, or a
/// symbolic name (case-insensitive). Never panics; on failure the error carries suggestions.
pub fn lookup(input: &str) -> Result<&'static CatalogEntry, LookupError> {
    let c = catalog();
    let s = clean(input);
    let fail = |suggestions: Vec<usize>, ambiguous: bool| LookupError {
        input: input.to_string(),
        suggestions: suggestions.into_iter().map(|i| &c.entries[i]).collect(),
        ambiguous,
    };
    if s.is_empty() {
        return Err(fail(Vec::new(), false));
    }
    if let Some(i) = parse_code(s).and_then(|code| c.index_of(code)) {
        return Ok(&c.entries[i]);
    }
    if let Some(&i) = parse_decimal(s).and_then(|d| c.by_alias.get(&d)) {
        return Ok(&c.entries[i]);
    }
    let upper = s.to_uppercase();
    if let Some(&i) = c.by_name.get(&upper) {
        return Ok(&c.entries[i]);
    }
    if let Some(v) = c.by_context_name.get(&upper) {
        if let [i] = v.as_slice() {
            return Ok(&c.entries[*i]);
        }
        return Err(fail(v.clone(), true));
    }
    Err(fail(suggest(c, s), false))
}

/// Optimal string alignment distance (edits, including swapping two neighbours) between two char slices.
fn osa(a: &[char], b: &[char]) -> usize {
    let (n, m) = (a.len(), b.len());
    let mut d = vec![vec![0usize; m + 1]; n + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    d[0] = (0..=m).collect();
    for i in 1..=n {
        for j in 1..=m {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1).min(d[i][j - 1] + 1).min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[n][m]
}

/// [`osa`] when it is at most `limit` (cheap length test first).
fn osa_within(a: &[char], b: &[char], limit: usize) -> Option<usize> {
    if a.len().abs_diff(b.len()) > limit {
        return None;
    }
    Some(osa(a, b)).filter(|d| *d <= limit)
}

fn chars(s: &str) -> Vec<char> {
    s.chars().collect()
}

/// Near matches for an input that matched nothing: by code (one-digit typos in hex or decimal, the
/// nearest codes of the same facility, a negated unsigned value) and by name (edit distance, substring).
fn suggest(c: &Catalog, s: &str) -> Vec<usize> {
    // (score, tie-break, index): lower is better. The tie-break is the numeric distance to the code the
    // input spells (when it spells one), or a length difference for names.
    let mut scored: Vec<(usize, u64, usize)> = Vec::new();
    let spelled = parse_code(s).map(|v| v as u32);
    let distance = |e: &CatalogEntry| spelled.map_or(0, |v| u64::from(e.unsigned().abs_diff(v)));
    let digits_only = s.trim_start_matches(['-', '+']);
    let numeric = !digits_only.is_empty() && digits_only.bytes().all(|b| b.is_ascii_digit());

    // Hex typos: one edit (change, swap, drop, add a digit) away from a code's eight digits.
    if let Some(h) = hex_digits(s).filter(|h| (4..=12).contains(&h.len())) {
        let h = chars(&h.to_ascii_lowercase());
        for (i, e) in c.entries.iter().enumerate() {
            if let Some(d) = osa_within(&h, &chars(&format!("{:08x}", e.unsigned())), 1) {
                scored.push((10 + d, distance(e), i));
            }
        }
    }
    // Decimal typos, against both decimal forms and the doc aliases.
    if numeric && (6..=14).contains(&s.len()) {
        let input = chars(s.strip_prefix('+').unwrap_or(s));
        for (i, e) in c.entries.iter().enumerate() {
            let mut forms = vec![e.code.to_string(), e.unsigned().to_string()];
            forms.extend(e.doc_decimal_aliases.iter().map(i64::to_string));
            if let Some(d) = forms.iter().filter_map(|f| osa_within(&input, &chars(f), 1)).min() {
                scored.push((10 + d, distance(e), i));
            }
        }
    }
    if let Some(d) = parse_decimal(s) {
        // The docs' usual slip: the unsigned value with a minus sign.
        if let Some(i) = d.checked_neg().and_then(|u| u32::try_from(u).ok()).and_then(|u| c.index_of(u as i32)) {
            scored.push((5, 0, i));
        }
    }
    // Nearest codes with the same upper 16 bits (severity and facility, e.g. 0x80c8xxxx).
    if let Some(code) = spelled {
        let mut near: Vec<(u64, usize)> = c
            .entries
            .iter()
            .enumerate()
            .filter(|(_, e)| e.unsigned() >> 16 == code >> 16)
            .map(|(i, e)| (distance(e), i))
            .collect();
        near.sort();
        for (d, i) in near.into_iter().take(3) {
            scored.push((20, d, i));
        }
    }
    // Names: a few edits away, or one contains the other.
    if !numeric {
        let upper = s.to_uppercase();
        let input = chars(&upper);
        let fuzzy = input.len() <= MAX_FUZZY_CHARS;
        let limit = (input.len() / 4).max(2);
        let mut consider = |name: &str, idxs: &[usize]| {
            let len_diff = name.len().abs_diff(upper.len()) as u64;
            let mut best = None;
            if fuzzy {
                if let Some(d) = osa_within(&input, &chars(name), limit) {
                    best = Some((30 + d, len_diff));
                }
            }
            if best.is_none()
                && input.len() >= 4
                && (name.contains(upper.as_str()) || (name.len() >= 4 && upper.contains(name)))
            {
                best = Some((40, len_diff));
            }
            if let Some((score, tie)) = best {
                scored.extend(idxs.iter().map(|&i| (score, tie, i)));
            }
        };
        for (name, idxs) in &c.by_context_name {
            consider(name, idxs);
        }
        for (name, &i) in &c.by_name {
            if !c.by_context_name.contains_key(name) {
                consider(name, &[i]);
            }
        }
    }
    scored.sort();
    let mut out: Vec<usize> = Vec::new();
    for (_, _, i) in scored {
        if !out.contains(&i) {
            out.push(i);
            if out.len() == MAX_SUGGESTIONS {
                break;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_parses_and_is_sorted() {
        let c = build(DATA).expect("catalog data");
        assert!(c.entries.windows(2).all(|w| (w[0].code as u32) < (w[1].code as u32)));
        assert!(!c.entries.is_empty());
    }

    #[test]
    fn parse_code_spellings() {
        let v = 0x80c8305fu32 as i32;
        for s in [
            "0x80c8305f",
            "0X80C8305F",
            "80c8305f",
            " 80C8305F\t",
            "-2134364065",
            "2160603231",
            "+2160603231",
            "0x0080c8305f",
        ] {
            assert_eq!(parse_code(s), Some(v), "{s}");
        }
        assert_eq!(parse_code("0x5"), Some(5));
        assert_eq!(parse_code("0"), Some(0));
        assert_eq!(parse_code("-0"), Some(0));
        assert_eq!(parse_code("4294967295"), Some(-1));
        assert_eq!(parse_code("-2147483648"), Some(i32::MIN));
        for s in [
            "",
            "0x",
            "-",
            "+",
            "0x123456789",
            "4294967296",
            "-2147483649",
            "99999999999999999999999999",
            "0x-1",
            "0x+1",
            "0x0x5",
            "8oc8305f",
            "١٢٣",
            "12 34",
            "+-1",
        ] {
            assert_eq!(parse_code(s), None, "{s:?}");
        }
    }

    #[test]
    fn hex_is_lower_case_and_padded() {
        assert_eq!(hex(0x80c8305fu32 as i32), "0x80c8305f");
        assert_eq!(hex(5), "0x00000005");
        assert_eq!(hex(-1), "0xffffffff");
    }

    #[test]
    fn osa_counts_transpositions_as_one() {
        assert_eq!(osa(&chars("80c8305f"), &chars("80c8350f")), 1);
        assert_eq!(osa(&chars("abc"), &chars("abd")), 1);
        assert_eq!(osa(&chars(""), &chars("ab")), 2);
    }

    #[test]
    fn parse_decimal_guards_overflow() {
        assert_eq!(parse_decimal("-2160591491"), Some(-2160591491));
        assert_eq!(parse_decimal("9223372036854775808"), None);
        assert_eq!(parse_decimal("0000000000000000000000000001"), Some(1));
        assert_eq!(parse_decimal("-"), None);
    }

    #[test]
    fn broken_data_is_reported() {
        assert!(build("code\tx\n0x1\t1\n").is_err());
        let dup = "0x80c8305f\t-2134364065\tA\tauth\t\tsync-session=A\ts\te\tr\n";
        assert!(build(Box::leak(format!("{dup}{dup}").into_boxed_str())).is_err());
        assert!(build("0x80c8305f\t-2134364065\tA\tnope\t\tsync-session=A\ts\te\tr\n").is_err());
        assert!(build("0x80c8305f\t-2134364066\tA\tauth\t\tsync-session=A\ts\te\tr\n").is_err());
        // A checks column (the checks declare their codes themselves) is a column too many.
        assert!(build("0x80c8305f\t-2134364065\tA\tauth\tservice.identity\t\tsync-session=A\ts\te\tr\n").is_err());
        assert!(build("0x80c8305f\t-2134364065\tA\tauth\t\tsync-session=A\ts\te\tr\n").is_ok());
    }

    #[test]
    fn shown_escapes_and_truncates() {
        assert_eq!(shown("a\nb"), "a\\nb");
        assert_eq!(shown(&"x".repeat(100)).chars().count(), 61);
    }
}
