//! A catalog entry as text (what `explain` prints).

use crate::catalog::CatalogEntry;

/// Where the text of a field starts, after its label.
const LABEL_WIDTH: usize = 14;
/// The width the text wraps to.
const LINE_WIDTH: usize = 100;

/// Appends `label: text`, wrapped at [`LINE_WIDTH`] with a hanging indent; words (URLs, hyphenated
/// names) are never split.
fn field(out: &mut String, label: &str, text: &str) {
    let head = if label.is_empty() { String::new() } else { format!("{label}:") };
    let head = format!("{head:<LABEL_WIDTH$}");
    let indent = " ".repeat(LABEL_WIDTH);
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let options = textwrap::Options::new(LINE_WIDTH)
        .initial_indent(&head)
        .subsequent_indent(&indent)
        .break_words(false)
        .word_splitter(textwrap::WordSplitter::NoHyphenation);
    let lines = textwrap::wrap(&text, options);
    if lines.is_empty() || text.is_empty() {
        out.push_str(head.trim_end());
        out.push('\n');
        return;
    }
    for line in lines {
        out.push_str(line.trim_end());
        out.push('\n');
    }
}

/// The JSON form of an entry (what `explain` answers): the catalog's facts and, as `checks`, the checks that
/// declare they can explain the code.
pub fn render_json(entry: &CatalogEntry) -> serde_json::Value {
    let mut json = entry.to_json();
    if let Some(fields) = json.as_object_mut() {
        fields.insert("checks".into(), serde_json::json!(crate::checks::explaining(&entry.hex())));
    }
    json
}

/// The human-readable form of an entry (what `explain` prints).
pub fn render_text(entry: &CatalogEntry) -> String {
    let mut out = String::new();
    out.push_str(&entry.hex());
    out.push_str("  ");
    out.push_str(entry.name().unwrap_or("(no symbolic name in the docs)"));
    out.push('\n');
    if entry.names.len() > 1 {
        field(&mut out, "Also named", &entry.names[1..].join(", "));
    }
    let mut decimal = format!("{} (unsigned {})", entry.code, entry.unsigned());
    if !entry.doc_decimal_aliases.is_empty() {
        let aliases: Vec<String> = entry.doc_decimal_aliases.iter().map(i64::to_string).collect();
        decimal.push_str(&format!("; the docs wrongly print {}", aliases.join(", ")));
    }
    field(&mut out, "Decimal", &decimal);
    field(&mut out, "Category", &format!("{} ({})", entry.category, entry.category.description()));
    field(&mut out, "Summary", entry.summary);
    field(&mut out, "Explanation", entry.explanation);
    field(&mut out, "What to do", entry.remediation);
    let checks = crate::checks::explaining(&entry.hex());
    if checks.is_empty() {
        field(&mut out, "Checks", "none of this tool's checks covers this code");
    } else {
        field(&mut out, "Checks", &checks.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", "));
    }
    let contexts: Vec<String> = entry
        .contexts
        .iter()
        .map(|c| match c.name {
            Some(n) if Some(n) != entry.name() => format!("{} (as {n})", c.table.title()),
            _ => c.table.title().to_string(),
        })
        .collect();
    field(&mut out, "Listed in", &contexts.join("; "));
    for (i, article) in entry.articles().into_iter().enumerate() {
        field(&mut out, if i == 0 { "Read more" } else { "" }, article);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_wraps_with_hanging_indent() {
        let mut out = String::new();
        field(&mut out, "Explanation", &"word ".repeat(60));
        let lines: Vec<&str> = out.lines().collect();
        assert!(lines.len() > 1);
        assert!(lines.iter().all(|l| l.chars().count() <= LINE_WIDTH));
        assert!(lines[1].starts_with(&" ".repeat(LABEL_WIDTH)));
    }
}
