//! Issue 3, "Reports": golden files (insta) for every report format of the demo sample, the JSON report
//! against docs/report.schema.json, and well-formedness of the HTML, its SVG and the Markdown's Mermaid
//! diagram, including hostile resource names.
//!
//! The snapshots live in tests/snapshots/. After a deliberate change: `INSTA_UPDATE=always cargo test
//! --test report_formats`, then review the diff (CI runs with CI=true, where insta writes nothing).

use filesync_identity::model::check_id::CheckId;
use std::collections::{BTreeSet, HashMap};
use std::process::Command;

use filesync_identity::model::findings::{Finding, Report, Status};
use filesync_identity::model::snapshot::Snapshot;
use filesync_identity::report::diagram::{Diagram, NodeKind};
use filesync_identity::report::{render_html, render_markdown};
use quick_xml::events::Event;
use serde_json::Value;

const SAMPLE: &str = include_str!("../examples/sample-deployment.json");
const SCHEMA: &str = include_str!("../docs/report.schema.json");
const HOSTILE: &str = "<script>alert('x&y')</script>\"&amp;";

fn demo(format: &str) -> String {
    let mut c = Command::new(env!("CARGO_BIN_EXE_filesync-identity"));
    // The table wraps to COLUMNS (else the terminal, else 100): fixed here so the golden does not depend on
    // where the tests run.
    c.env_remove("NO_COLOR").env("COLUMNS", "100").args(["demo", "--format", format]);
    let o = c.output().expect("the binary runs");
    assert_eq!(o.status.code(), Some(1), "the sample has failures: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).expect("UTF-8 output").replace(env!("CARGO_PKG_VERSION"), "VERSION")
}

fn report_of(snapshot: &Snapshot) -> Report {
    filesync_identity::api::test_report(snapshot, &Default::default(), &[]).expect("every check runs")
}

fn sample() -> Snapshot {
    Snapshot::from_json(SAMPLE).expect("the sample parses")
}

/// The sample with hostile text in every name the reports show.
fn hostile() -> Snapshot {
    let mut v: Value = serde_json::from_str(SAMPLE).unwrap();
    let svc = &mut v["services"][0];
    svc["name"] = format!("svc{HOSTILE}").into();
    svc["syncGroups"][0]["name"] = format!("sg{HOSTILE}").into();
    svc["syncGroups"][0]["cloudEndpoints"][0]["azureFileShareName"] = format!("share{HOSTILE}").into();
    svc["syncGroups"][0]["serverEndpoints"][0]["serverLocalPath"] = format!("D:\\{HOSTILE}#`|").into();
    svc["registeredServers"][0]["friendlyName"] = format!("srv{HOSTILE}").into();
    v["target"]["name"] = format!("svc{HOSTILE}").into();
    Snapshot::from_json(&v.to_string()).expect("the hostile sample parses")
}

// ---- Golden files -----------------------------------------------------------------------------------------

#[test]
fn golden_table() {
    let out = demo("table");
    assert!(!out.contains('\x1b'), "no colour when stdout is not a terminal");
    insta::assert_snapshot!("demo_table", out);
}

#[test]
fn golden_markdown() {
    insta::assert_snapshot!("demo_markdown", demo("markdown"));
}

#[test]
fn golden_html() {
    insta::assert_snapshot!("demo_html", demo("html"));
}

#[test]
fn golden_json() {
    insta::assert_snapshot!("demo_json", demo("json"));
}

// ---- JSON schema ------------------------------------------------------------------------------------------

fn schema() -> Value {
    serde_json::from_str(SCHEMA).expect("docs/report.schema.json is JSON")
}

#[test]
fn json_report_matches_the_schema() {
    let schema = schema();
    jsonschema::meta::validate(&schema).expect("the schema is a valid JSON Schema");
    assert_eq!(schema["$schema"], "https://json-schema.org/draft/2020-12/schema");
    let validator = jsonschema::draft202012::options().should_validate_formats(true).build(&schema).unwrap();
    for text in [demo("json"), filesync_identity::report::render_json(&report_of(&hostile()))] {
        let instance: Value = serde_json::from_str(&text).unwrap();
        let errors: Vec<String> =
            validator.iter_errors(&instance).map(|e| format!("{}: {e}", e.instance_path())).collect();
        assert!(errors.is_empty(), "the report does not match docs/report.schema.json:\n{}", errors.join("\n"));
    }
    // The schema is strict: an unknown field is refused, so a new field cannot go undocumented.
    let mut bad: Value = serde_json::from_str(&demo("json")).unwrap();
    bad["findings"][0]["surprise"] = true.into();
    assert!(!validator.is_valid(&bad));
    bad = serde_json::from_str(&demo("json")).unwrap();
    bad["findings"][0]["status"] = "broken".into();
    assert!(!validator.is_valid(&bad));
}

fn described(schema: &Value, def: &str) -> BTreeSet<String> {
    let props = &schema["$defs"][def]["properties"];
    let props = if def == "report" { &schema["properties"] } else { props };
    let map = props.as_object().unwrap_or_else(|| panic!("no properties for {def}"));
    for (k, v) in map {
        let has = v.get("description").and_then(Value::as_str).is_some_and(|d| !d.is_empty())
            || v.get("$ref").and_then(Value::as_str).is_some_and(|r| {
                let name = r.trim_start_matches("#/$defs/");
                schema["$defs"][name]["description"].as_str().is_some_and(|d| !d.is_empty())
            });
        assert!(has, "{def}.{k} has no description in docs/report.schema.json");
    }
    map.keys().cloned().collect()
}

#[test]
fn every_field_is_described_in_the_schema() {
    let schema = schema();
    // A finding with every optional field set.
    let f = Finding::new(CheckId::SERVICE_IDENTITY, Status::Unknown, "/subscriptions/x", "x", "m")
        .principal("p")
        .role("r")
        .scope("s")
        .codes(&["0x80c8305f"])
        .fix("do", Some("cmd".into()))
        .because("why")
        .evidence("k", 1);
    let v = serde_json::to_value(&f).unwrap();
    let fields: BTreeSet<String> = v.as_object().unwrap().keys().cloned().collect();
    assert_eq!(fields, described(&schema, "finding"), "Finding fields and the schema's finding properties differ");

    let mut report = report_of(&sample());
    report.target.resource_group = Some("rg".into());
    report.target.name = Some("n".into());
    report.sync_groups = vec!["finance".into()];
    let v = serde_json::to_value(&report).unwrap();
    let keys = |v: &Value| -> BTreeSet<String> { v.as_object().unwrap().keys().cloned().collect() };
    assert_eq!(keys(&v), described(&schema, "report"));
    assert_eq!(keys(&v["causes"][0]), described(&schema, "cause"));
    assert_eq!(keys(&v["target"]), described(&schema, "target"));
    assert_eq!(keys(&v["summary"]), described(&schema, "summary"));
    // Every status is in the schema's enum.
    let statuses: BTreeSet<String> =
        schema["$defs"]["status"]["enum"].as_array().unwrap().iter().map(|s| s.as_str().unwrap().into()).collect();
    for s in [Status::Fail, Status::Warning, Status::Unknown, Status::Pass, Status::NotApplicable] {
        assert!(statuses.contains(s.as_str()), "{} missing from the schema", s.as_str());
    }
}

// ---- HTML -------------------------------------------------------------------------------------------------

/// Parse `text` as XML (strict: every tag closed, names matching, attributes quoted and unique) and return
/// the text content, with entity and character references resolved.
fn parse_xml(what: &str, text: &str, check_refs: bool) -> String {
    let mut reader = quick_xml::Reader::from_str(text);
    reader.config_mut().check_end_names = true;
    reader.config_mut().check_comments = true;
    let mut stack: Vec<String> = Vec::new();
    let mut roots = 0;
    let mut content = String::new();
    loop {
        let ev = reader
            .read_event()
            .unwrap_or_else(|e| panic!("{what} is not well-formed at {}: {e}", reader.buffer_position()));
        let (start, name) = match &ev {
            Event::Start(e) => (Some(true), String::from_utf8_lossy(e.name().as_ref()).into_owned()),
            Event::Empty(e) => (Some(false), String::from_utf8_lossy(e.name().as_ref()).into_owned()),
            _ => (None, String::new()),
        };
        if let (Some(_), Event::Start(e) | Event::Empty(e)) = (start, &ev) {
            if stack.is_empty() {
                roots += 1;
            }
            if check_refs {
                assert!(
                    !["script", "link", "iframe", "img", "object", "embed", "image", "use", "base"]
                        .contains(&name.as_str()),
                    "{what}: <{name}> is not allowed in a self-contained report"
                );
            }
            for a in e.attributes() {
                let a = a.unwrap_or_else(|err| panic!("{what}: bad attribute in <{name}>: {err}"));
                let key = String::from_utf8_lossy(a.key.as_ref()).to_ascii_lowercase();
                let value = a.normalized_value(quick_xml::XmlVersion::Implicit1_0).unwrap().to_ascii_lowercase();
                if check_refs {
                    assert!(key != "src", "{what}: src= on <{name}>");
                    assert!(!key.starts_with("on"), "{what}: event handler {key}= on <{name}> (no JavaScript)");
                    if key == "href" || key.ends_with(":href") {
                        assert!(value.starts_with('#'), "{what}: external reference {key}=\"{value}\"");
                    }
                    assert!(!value.contains("url(http") && !value.contains("javascript:"), "{what}: {key}=\"{value}\"");
                }
            }
            if start == Some(true) {
                stack.push(name);
            }
        }
        match ev {
            Event::End(e) => {
                let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                assert_eq!(stack.pop().as_deref(), Some(name.as_str()), "{what}: unbalanced </{name}>");
            }
            Event::Text(t) => content.push_str(&t.decode().unwrap()),
            Event::CData(t) => content.push_str(&String::from_utf8_lossy(&t)),
            Event::GeneralRef(r) => {
                if let Some(c) = r.resolve_char_ref().unwrap() {
                    content.push(c);
                } else {
                    let name = r.decode().unwrap();
                    let c = match name.as_ref() {
                        "amp" => '&',
                        "lt" => '<',
                        "gt" => '>',
                        "quot" => '"',
                        "apos" => '\'',
                        other => panic!("{what}: entity &{other}; is not one XML knows"),
                    };
                    content.push(c);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    assert!(stack.is_empty(), "{what}: unclosed elements {stack:?}");
    assert_eq!(roots, 1, "{what}: one root element");
    content
}

fn svg_of(html: &str) -> &str {
    let start = html.find("<svg").expect("the HTML has an inline SVG");
    let end = html.find("</svg>").expect("the SVG is closed") + "</svg>".len();
    assert_eq!(html.matches("<svg").count(), 1, "one picture");
    &html[start..end]
}

fn check_html(what: &str, html: &str) -> String {
    assert!(html.starts_with("<!DOCTYPE html>\n"), "{what}: starts with the HTML5 doctype");
    let lower = html.to_ascii_lowercase();
    // Only fragment references (url(#arrow)) are allowed.
    assert_eq!(lower.matches("url(").count(), lower.matches("url(#").count(), "{what}: url() to outside the file");
    for bad in ["<script", "http://", "https://", "@import", "<link"] {
        // The SVG namespace is the one URL allowed: it is a name, never fetched.
        let count = lower.matches(bad).count()
            - lower.matches("xmlns=\"http://www.w3.org/2000/svg\"").count() * (bad == "http://") as usize;
        assert_eq!(count, 0, "{what}: '{bad}' found: the report must be self-contained");
    }
    let text = parse_xml(what, html, true);
    // Every in-page link has its target.
    for part in html.split("href=\"#").skip(1) {
        let target = &part[..part.find('"').unwrap()];
        assert!(html.contains(&format!("id=\"{target}\"")), "{what}: link to #{target}, which does not exist");
    }
    let svg = svg_of(html);
    parse_xml(&format!("{what} SVG"), svg, true);
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""), "{what}: the SVG declares its namespace");
    text
}

#[test]
fn html_is_well_formed_and_self_contained() {
    let html = demo("html");
    let text = check_html("demo HTML", &html);
    assert!(text.contains("Azure File Sync managed identities"));
    assert!(text.contains("New-AzRoleAssignment -ObjectId"), "commands are shown");
    // Same content as the JSON: every finding's message is in the page.
    let json: Value = serde_json::from_str(&demo("json")).unwrap();
    for f in json["findings"].as_array().unwrap() {
        assert!(text.contains(f["message"].as_str().unwrap()), "missing: {}", f["message"]);
        if let Some(c) = f["command"].as_str() {
            if f["status"] != "pass" && f["status"] != "not_applicable" {
                assert!(text.contains(c), "missing command: {c}");
            }
        }
    }
}

#[test]
fn hostile_names_are_escaped_everywhere() {
    let snapshot = hostile();
    let report = report_of(&snapshot);
    let html = render_html(&report, &snapshot);
    assert!(!html.contains("<script>"), "raw <script> in the HTML");
    assert!(html.contains("&lt;script&gt;alert(&#39;x&amp;y&#39;)&lt;/script&gt;&quot;&amp;amp;"));
    let text = check_html("hostile HTML", &html);
    // The parser gives the names back exactly.
    for name in [format!("sg{HOSTILE}"), format!("srv{HOSTILE}"), format!("share{HOSTILE}")] {
        assert!(text.contains(&name), "{name} not shown as text");
    }

    let md = render_markdown(&report, &snapshot);
    // Outside code blocks (where Markdown shows text as it is), no raw markup.
    let mut in_code = false;
    for line in md.lines() {
        if line.starts_with("```") {
            in_code = !in_code;
        } else if !in_code {
            assert!(!line.contains("<script>"), "raw <script> in the Markdown: {line}");
        }
    }
    // Commands stay exact (they are in code blocks), hostile text and all.
    for f in report.findings.iter().filter(|f| f.status == Status::Fail || f.status == Status::Warning) {
        if let Some(c) = &f.command {
            assert!(md.contains(&format!("\n{c}\n```")), "command changed: {c}");
        }
    }
    let mermaid = mermaid_block(&md);
    for line in mermaid.lines() {
        assert!(!line.contains('<') || line.contains("<br/>"), "raw < in Mermaid: {line}");
        assert!(!line.contains(HOSTILE), "raw hostile text in Mermaid: {line}");
    }
    check_mermaid(&mermaid, &report, &snapshot);
}

// ---- Markdown and Mermaid --------------------------------------------------------------------------------

fn mermaid_block(md: &str) -> String {
    let start = md.find("```mermaid\n").expect("a Mermaid block") + "```mermaid\n".len();
    let end = start + md[start..].find("\n```").expect("the Mermaid block is closed");
    md[start..end].to_string()
}

fn safe_id(id: &str) -> bool {
    let letters = id.trim_end_matches(|c: char| c.is_ascii_digit());
    !letters.is_empty() && letters.len() < id.len() && letters.chars().all(|c| c.is_ascii_lowercase())
}

/// Check the Mermaid block's syntax as far as we use it, and that exactly the links whose findings
/// failed are red. Returns the declared node ids.
fn check_mermaid(block: &str, report: &Report, snapshot: &Snapshot) -> BTreeSet<String> {
    let mut lines = block.lines();
    assert_eq!(lines.next(), Some("flowchart LR"));
    let mut declared = BTreeSet::new();
    let mut edges: Vec<(String, String, bool)> = Vec::new();
    let mut red: Option<BTreeSet<usize>> = None;
    let mut depth = 0i32;
    for raw in lines {
        let line = raw.trim();
        assert_eq!(line.matches('"').count() % 2, 0, "unbalanced quotes: {line}");
        for (open, close) in [('[', ']'), ('(', ')'), ('{', '}')] {
            assert_eq!(line.matches(open).count(), line.matches(close).count(), "unbalanced {open}{close}: {line}");
        }
        if let Some(rest) = line.strip_prefix("subgraph ") {
            let id = rest.split('[').next().unwrap();
            assert!(safe_id(id), "unsafe subgraph id {id}");
            declared.insert(id.to_string());
            depth += 1;
        } else if line == "end" {
            depth -= 1;
            assert!(depth >= 0, "'end' without 'subgraph'");
        } else if let Some(rest) = line.strip_prefix("linkStyle ") {
            let (idx, style) = rest.split_once(' ').unwrap();
            assert!(style.contains("stroke:red"));
            red = Some(idx.split(',').map(|i| i.parse().unwrap()).collect());
        } else if line.starts_with("classDef ") {
        } else if let Some(rest) = line.strip_prefix("class ") {
            let (ids, _) = rest.split_once(' ').unwrap();
            for id in ids.split(',') {
                assert!(declared.contains(id), "class on undeclared node {id}");
            }
        } else if line.contains("-->") {
            let parts: Vec<&str> = line.split_whitespace().collect();
            let (from, to, failed) = match parts.as_slice() {
                [a, "-->", b] => (a, b, false),
                [a, "--", "failed", "-->", b] => (a, b, true),
                _ => panic!("unexpected edge syntax: {line}"),
            };
            assert!(declared.contains(*from) && declared.contains(*to), "edge to an undeclared node: {line}");
            edges.push((from.to_string(), to.to_string(), failed));
        } else {
            let id: String = line.chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
            assert!(safe_id(&id), "unsafe node id in: {line}");
            let shape = &line[id.len()..];
            assert!(shape.len() > 4 && shape.contains('"'), "node without a quoted label: {line}");
            assert!(declared.insert(id.clone()), "node {id} declared twice");
        }
    }
    assert_eq!(depth, 0, "unbalanced subgraph/end");
    let red = red.unwrap_or_default();
    for (i, (_, _, failed)) in edges.iter().enumerate() {
        assert_eq!(red.contains(&i), *failed, "link {i}: red and the 'failed' label must agree");
    }
    assert!(red.iter().all(|&i| i < edges.len()), "linkStyle names a link that does not exist");

    // Independently of the renderer: which links carry a failed finding?
    let diagram = Diagram::build(report, snapshot);
    assert_eq!(diagram.edges.len(), edges.len());
    let failed_on =
        |rid: &str| report.findings.iter().any(|f| f.status == Status::Fail && f.resource_id.eq_ignore_ascii_case(rid));
    let ids: HashMap<&str, &str> = diagram.nodes.iter().map(|n| (n.id.as_str(), n.resource_id.as_str())).collect();
    for (i, (from, to, _)) in edges.iter().enumerate() {
        let (a, b) = (
            diagram.nodes.iter().find(|n| &n.id == from).unwrap(),
            diagram.nodes.iter().find(|n| &n.id == to).unwrap(),
        );
        let expected = match (a.kind, b.kind) {
            (NodeKind::Service, NodeKind::SyncGroup) => failed_on(ids[to.as_str()]),
            (NodeKind::SyncGroup, _) => false,
            (NodeKind::CloudEndpoint, NodeKind::Share) | (NodeKind::ServerEndpoint, _) => failed_on(ids[from.as_str()]),
            (NodeKind::Server, NodeKind::ClusterNode) => {
                // A finding about a server endpoint on this cluster, for this node's identity, failed.
                let node = snapshot
                    .services
                    .iter()
                    .flat_map(|s| &s.registered_servers)
                    .find(|r| r.id.as_str() == b.resource_id)
                    .unwrap();
                let ses: Vec<&str> = diagram
                    .edges
                    .iter()
                    .filter(|e| {
                        diagram.nodes[e.to].id == *from && diagram.nodes[e.from].kind == NodeKind::ServerEndpoint
                    })
                    .map(|e| diagram.nodes[e.from].resource_id.as_str())
                    .collect();
                report.findings.iter().any(|f| {
                    f.status == Status::Fail
                        && ses.iter().any(|s| s.eq_ignore_ascii_case(&f.resource_id))
                        && (f.principal_id.as_deref() == node.any_identity()
                            || f.evidence.get("server").and_then(|v| v.as_str()) == Some(node.display_name()))
                })
            }
            other => panic!("unexpected link kind {other:?}"),
        };
        assert_eq!(red.contains(&i), expected, "link {from} -> {to}: red iff its finding failed");
    }
    declared
}

#[test]
fn markdown_is_well_formed_and_links_are_red_iff_their_finding_failed() {
    let md = demo("markdown");
    let snapshot = sample();
    let report = report_of(&snapshot);
    let block = mermaid_block(&md);
    check_mermaid(&block, &report, &snapshot);
    // The demo has both kinds of link.
    assert!(block.contains("linkStyle "), "the demo has failed links");
    assert!(block.lines().any(|l| l.split_whitespace().nth(1) == Some("-->")), "and healthy ones");
    // Fences balanced, and every problem's command in a code block.
    assert_eq!(md.lines().filter(|l| l.starts_with("```")).count() % 2, 0, "unbalanced code fences");
    assert_eq!(md.matches("<details>").count(), md.matches("</details>").count());
    for f in report.findings.iter().filter(|f| f.status == Status::Fail) {
        if let Some(c) = &f.command {
            assert!(md.contains(&format!("\n{c}\n```")), "command not in a code block: {c}");
        }
        for code in &f.error_codes {
            assert!(md.contains(&format!("`{code}`")), "error code {code} not shown");
        }
    }
}

#[test]
fn svg_links_agree_with_the_mermaid_links() {
    let snapshot = sample();
    let report = report_of(&snapshot);
    let html = render_html(&report, &snapshot);
    let svg = svg_of(&html);
    let md = render_markdown(&report, &snapshot);
    let red_md: BTreeSet<(String, String)> = mermaid_block(&md)
        .lines()
        .filter(|l| l.contains("-- failed -->"))
        .map(|l| {
            let p: Vec<&str> = l.split_whitespace().collect();
            (p[0].to_string(), p[4].to_string())
        })
        .collect();
    let mut red_svg = BTreeSet::new();
    let mut all = 0;
    for part in svg.split("<path class=\"link").skip(1) {
        all += 1;
        let attr = |name: &str| {
            let start = part.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
            part[start..start + part[start..].find('"').unwrap()].to_string()
        };
        if part.starts_with(" failed\"") {
            assert!(attr("stroke") == "#d13438", "failed links are red");
            red_svg.insert((attr("data-from"), attr("data-to")));
        }
    }
    assert_eq!(all, Diagram::build(&report, &snapshot).edges.len(), "every link drawn");
    assert!(!red_svg.is_empty());
    assert_eq!(red_svg, red_md, "the SVG and the Mermaid diagram agree on the red links");
}

#[test]
fn healthy_deployment_has_no_red_link() {
    // Only the checks that pass in the sample's healthy parts: nothing failed, nothing red.
    let snapshot = sample();
    let mut report = report_of(&snapshot);
    report.findings.retain(|f| f.status != Status::Fail);
    let md = render_markdown(&report, &snapshot);
    assert!(!md.contains("linkStyle"), "no red link without a failed finding");
    assert!(!render_html(&report, &snapshot).contains("class=\"link failed\""));
}

#[test]
fn test_command_renders_the_same_reports_from_a_snapshot_file() {
    let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/sample-deployment.json");
    for format in ["markdown", "html"] {
        let o = Command::new(env!("CARGO_BIN_EXE_filesync-identity"))
            .args(["test", "--snapshot", sample, "--format", format])
            .env_remove("AZURE_SUBSCRIPTION_ID")
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(1), "{format}: {}", String::from_utf8_lossy(&o.stderr));
        let out = String::from_utf8(o.stdout).unwrap().replace(env!("CARGO_PKG_VERSION"), "VERSION");
        assert_eq!(out, demo(format), "test --snapshot and demo differ in {format}");
    }
}

/// The sample deployment with a second service (`contoso-dr`, a copy of the first under another name:
/// its own servers, sync groups and endpoints), as a resource-group target.
fn two_services() -> Snapshot {
    let mut v: Value = serde_json::from_str(SAMPLE).unwrap();
    let copy = serde_json::to_string(&v["services"][0])
        .unwrap()
        .replace("storageSyncServices/contoso-filesync/", "storageSyncServices/contoso-dr/")
        .replace("\"name\":\"contoso-filesync\"", "\"name\":\"contoso-dr\"");
    v["services"].as_array_mut().unwrap().push(serde_json::from_str(&copy).unwrap());
    v["target"] = serde_json::json!({"kind": "resourceGroup", "subscriptionId": v["target"]["subscriptionId"], "resourceGroup": "rg-filesync-prod"});
    Snapshot::from_json(&v.to_string()).unwrap()
}

#[test]
fn two_services_draw_as_one_well_formed_picture() {
    let snapshot = two_services();
    let report = report_of(&snapshot);
    let diagram = Diagram::build(&report, &snapshot);
    assert_eq!(diagram.nodes.iter().filter(|n| n.kind == NodeKind::Service).count(), 2);
    let ids: BTreeSet<&str> = diagram.nodes.iter().map(|n| n.id.as_str()).collect();
    assert_eq!(ids.len(), diagram.nodes.len(), "node ids are unique");
    check_mermaid(&mermaid_block(&render_markdown(&report, &snapshot)), &report, &snapshot);
    check_html("two services", &render_html(&report, &snapshot));
}

#[test]
fn needs_attention_names_the_service_when_there_are_several() {
    // Every server and endpoint name repeats from one service to the other.
    let two = two_services();
    let attention_rows = |md: &str| -> Vec<String> {
        let section = md.split("## Needs attention").nth(1).unwrap_or("").split("\n## ").next().unwrap_or("");
        section.lines().filter(|l| l.starts_with("| ") && !l.starts_with("| Status")).map(str::to_string).collect()
    };
    let rows = attention_rows(&render_markdown(&report_of(&two), &two));
    let server_rows: Vec<&String> = rows.iter().filter(|r| r.contains("Registered server")).collect();
    assert!(!server_rows.is_empty(), "{rows:#?}");
    for service in ["contoso-filesync", "contoso-dr"] {
        assert!(server_rows.iter().any(|r| r.contains(&format!("(service {service})"))), "{service}: {rows:#?}");
    }
    // Every row about something inside a service says which; storage accounts and services need not.
    for r in &rows {
        let inside =
            ["Registered server", "Sync group", "Server endpoint", "Cloud endpoint"].iter().any(|k| r.contains(k));
        assert_eq!(inside, r.contains("(service "), "{r}");
    }
    let html = render_html(&report_of(&two), &two);
    assert!(html.contains("(service contoso-dr)") && html.contains("(service contoso-filesync)"));
    check_html("two services, attention", &html);

    // One service: names as they are.
    let one = sample();
    let md = render_markdown(&report_of(&one), &one);
    assert!(!attention_rows(&md).is_empty() && !md.contains("(service "), "{md}");
}

#[test]
fn an_all_pass_report_says_so() {
    let snapshot = sample();
    let mut report = report_of(&snapshot);
    report.findings.retain(|f| matches!(f.status, Status::Pass | Status::NotApplicable));
    report.summary = filesync_identity::model::findings::Summary::of(&report.findings);
    let md = render_markdown(&report, &snapshot);
    assert!(md.contains("All checks passed.") && !md.contains("## Needs attention") && !md.contains("linkStyle"));
    let html = render_html(&report, &snapshot);
    assert!(html.contains("<div class=\"verdict pass\">All checks passed.</div>"));
    assert!(!html.contains("Needs attention") && !html.contains("class=\"link failed\""));
    check_html("all-pass HTML", &html);
}
