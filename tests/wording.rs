//! No command or option of the command line reaches another face's user unnamed: every `--flag`,
//! `filesync-identity <command>` or bare command name in a text of the core (outside the command line
//! itself) is one of the phrases of `src/wording.rs`, which the PowerShell module words as cmdlets and
//! parameters. The flags are the command line's own, read from its clap definitions (`src/cli/`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use filesync_identity::api::PHRASES;

/// Files whose texts only the command line can show, and why.
const COMMAND_LINE_ONLY: &[(&str, &str)] = &[
    ("credentials/options.rs", "sign-in choices: the module always hands over a token"),
    ("credentials/azure_cli.rs", "signs in through the Azure CLI: the module hands over a token"),
    ("credentials/imds.rs", "signs in with a VM's identity: the module hands over a token"),
    ("credentials/entra.rs", "signs in with a secret or workload identity: the module hands over a token"),
    ("report/table.rs", "the command line's table: the module shows objects through its own views"),
];

/// Single texts only the command line can produce, and why.
const COMMAND_LINE_ONLY_TEXTS: &[(&str, &str, &str)] = &[(
    "checks/mod.rs",
    "--check {} with --skip {}",
    "a selection that leaves no check needs --skip, which the module does not have",
)];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable source folder") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n != "tests" && n != "cli") {
                rust_files(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "rs") && path.file_name().is_some_and(|n| n != "tests.rs") {
            out.push(path);
        }
    }
}

/// The text of a source without its `#[cfg(test)]` module and its comment lines.
fn production_code(text: &str) -> Vec<String> {
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(i) => &text[..i],
        None => text,
    };
    text.lines().filter(|l| !l.trim_start().starts_with("//")).map(str::to_string).collect()
}

/// The command line's long options and subcommands, from its clap definitions.
fn command_line_words() -> (BTreeSet<String>, BTreeSet<String>) {
    let cli = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/cli");
    let mut flags = BTreeSet::new();
    let mut commands = BTreeSet::new();
    for file in ["main.rs", "repair.rs"] {
        let text = std::fs::read_to_string(cli.join(file)).expect("the command line's source");
        let lines: Vec<&str> = text.lines().collect();
        let mut in_commands = false;
        for (i, line) in lines.iter().enumerate() {
            let t = line.trim();
            if t.starts_with("#[arg(") && t.contains("long") {
                if let Some(named) = t.split("long = \"").nth(1) {
                    flags.insert(named.split('"').next().unwrap_or_default().to_string());
                    continue;
                }
                let field = lines[i + 1..]
                    .iter()
                    .map(|l| l.trim())
                    .find(|l| !l.starts_with("#[") && !l.starts_with("///"))
                    .expect("a field after #[arg]");
                let name = field.trim_start_matches("pub ").split(':').next().unwrap_or_default();
                flags.insert(name.replace('_', "-"));
            }
            if t.starts_with("enum Command") || t.starts_with("pub enum Command") {
                in_commands = true;
            } else if in_commands && t == "}" {
                in_commands = false;
            } else if in_commands && t.chars().next().is_some_and(|c| c.is_ascii_uppercase()) {
                let variant: String = t.chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
                let mut kebab = String::new();
                for (j, c) in variant.chars().enumerate() {
                    if c.is_ascii_uppercase() && j > 0 {
                        kebab.push('-');
                    }
                    kebab.push(c.to_ascii_lowercase());
                }
                commands.insert(kebab);
            }
        }
    }
    (flags, commands)
}

/// Does `word` occur in `line` as a whole word (not inside a longer option or name)?
fn has_word(line: &str, word: &str) -> bool {
    line.match_indices(word).any(|(i, _)| {
        let after = line[i + word.len()..].chars().next();
        let before = line[..i].chars().last();
        !after.is_some_and(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            && !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || (c == '-' && !word.starts_with('-')))
    })
}

#[test]
fn the_scan_reads_the_command_lines_words() {
    let (flags, commands) = command_line_words();
    for f in ["graph-access-token", "include-security-posture-changes", "what-if", "check", "skip", "resource-id"] {
        assert!(flags.contains(f), "--{f} not found in {flags:?}");
    }
    for c in ["repair", "enable-identity", "explain", "collect", "apply"] {
        assert!(commands.contains(c), "{c} not found in {commands:?}");
    }
}

#[test]
fn every_command_or_option_a_core_text_names_is_a_phrase_of_the_vocabulary() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let (flags, commands) = command_line_words();
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut used = BTreeSet::new();
    let mut broken = Vec::new();
    for file in &files {
        let rel = file.strip_prefix(&src).expect("under src").to_string_lossy().replace('\\', "/");
        if rel == "wording.rs" || COMMAND_LINE_ONLY.iter().any(|(f, _)| *f == rel) {
            continue;
        }
        let text = std::fs::read_to_string(file).expect("utf-8 source");
        for (n, line) in production_code(&text).iter().enumerate() {
            // Only string literals: the words between the first and the last quote of the line.
            let (Some(a), Some(b)) = (line.find('"'), line.rfind('"')) else { continue };
            if a == b {
                continue;
            }
            let mut literal = line[a..=b].to_string();
            // Another tool's command (`az ...`, `azcmagent ...`) has options of its own.
            if literal.contains("\"az ") || literal.contains("`az ") || literal.contains("azcmagent ") {
                continue;
            }
            if COMMAND_LINE_ONLY_TEXTS.iter().any(|(f, t, _)| *f == rel && literal.contains(t)) {
                continue;
            }
            for p in PHRASES {
                if literal.contains(p.cli) {
                    used.insert(p.id);
                    literal = literal.replace(p.cli, " ");
                }
            }
            let mut left: Vec<String> =
                flags.iter().map(|f| format!("--{f}")).filter(|f| has_word(&literal, f)).collect();
            // The tool's name followed by one of its commands (the name alone is a product name).
            for c in &commands {
                if has_word(&literal, &format!("filesync-identity {c}")) {
                    left.push(format!("filesync-identity {c}"));
                }
            }
            // A bare command name with a dash (enable-identity, list-checks) is this tool's; single words
            // (repair, test) are ordinary English.
            left.extend(commands.iter().filter(|c| c.contains('-') && has_word(&literal, c)).cloned());
            if !left.is_empty() {
                broken.push(format!("src/{rel}:{}: {} in {}", n + 1, left.join(", "), literal));
            }
        }
    }
    assert!(files.len() > 50, "the scan reads the sources ({} files)", files.len());
    assert!(
        broken.is_empty(),
        "texts that name the command line's commands or options outside src/wording.rs's phrases (add the phrase, \
         and its PowerShell words in ps-module/src/Wording.cs):\n{}",
        broken.join("\n")
    );
    let unused: Vec<&str> = PHRASES.iter().map(|p| p.id).filter(|id| !used.contains(id)).collect();
    assert!(unused.is_empty(), "phrases no text uses any more (remove them): {unused:?}");
}

#[test]
fn the_scan_finds_a_flag_outside_the_vocabulary() {
    let (flags, _) = command_line_words();
    let literal = "\"grant it (--resource-id X) or run filesync-identity repair\"";
    assert!(flags.iter().any(|f| has_word(literal, &format!("--{f}"))));
    assert!(!has_word("\"--graph-access-token\"", "--graph-access"));
}
