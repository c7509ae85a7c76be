//! Keeps the crate graph pointing inward: the domain crate depends on no
//! other crate of ours, only the store speaks SQL, and only the client and
//! the stand-in speak HTTP.

use std::collections::BTreeMap;
use std::process::Command;

/// Normal (non-dev) dependencies of every workspace package.
fn dependencies() -> BTreeMap<String, Vec<String>> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let mut graph = BTreeMap::new();
    for package in metadata["packages"].as_array().unwrap() {
        let names = package["dependencies"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["kind"].is_null())
            .map(|d| d["name"].as_str().unwrap().to_owned())
            .collect();
        graph.insert(package["name"].as_str().unwrap().to_owned(), names);
    }
    graph
}

fn assert_none(graph: &BTreeMap<String, Vec<String>>, package: &str, forbidden: &[&str]) {
    let deps = &graph[package];
    for name in forbidden {
        assert!(
            !deps.iter().any(|d| d == name),
            "{package} must not depend on {name}"
        );
    }
}

const OURS: &[&str] = &[
    "mot-model",
    "mot-parse",
    "mot-store",
    "dvla-client",
    "mot-cli",
    "mot-fixtures",
    "mot-standin",
];
const SQL: &[&str] = &["mysql_async", "mysql_common", "sqlx"];
const HTTP: &[&str] = &["reqwest", "hyper", "axum", "oauth2"];

#[test]
fn model_depends_on_nothing_of_ours() {
    assert_none(&dependencies(), "mot-model", OURS);
}

#[test]
fn parser_does_no_network_or_sql() {
    let graph = dependencies();
    assert_none(&graph, "mot-parse", SQL);
    assert_none(&graph, "mot-parse", HTTP);
    assert_none(&graph, "mot-parse", &["tokio", "mot-store", "dvla-client"]);
}

#[test]
fn only_the_store_speaks_sql() {
    let graph = dependencies();
    for package in [
        "mot-model",
        "mot-parse",
        "dvla-client",
        "mot-fixtures",
        "mot-standin",
    ] {
        assert_none(&graph, package, SQL);
    }
    assert_none(&graph, "mot-store", HTTP);
    assert_none(&graph, "mot-store", &["mot-parse", "dvla-client"]);
}

#[test]
fn client_knows_no_storage_or_parsing() {
    assert_none(&dependencies(), "dvla-client", &["mot-store", "mot-parse"]);
}
