//! The repository's own rules, checked on its files: every Rust source
//! file opens with a `//!` header saying what it owns, and no source file
//! (tests aside) grows past about a thousand lines, so that each
//! behaviour has one short place to be found in.

use std::path::{Path, PathBuf};

/// Most lines of a source file before its tests.
const MAX_SOURCE_LINES: usize = 1000;

/// The workspace's root (two folders above this crate).
fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("the workspace root")
        .to_owned()
}

/// Every `.rs` file below `dir`, skipping build output.
fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if path.is_dir() {
            if name != "target" && name != "node_modules" {
                rust_files(&path, found);
            }
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            found.push(path);
        }
    }
}

fn sources() -> Vec<PathBuf> {
    let root = workspace();
    let mut found = Vec::new();
    rust_files(&root.join("crates"), &mut found);
    rust_files(&root.join("fuzz").join("fuzz_targets"), &mut found);
    found.sort();
    assert!(
        found.len() > 50,
        "the source files were not found: {found:?}"
    );
    found
}

#[test]
fn every_rust_file_opens_with_a_header_saying_what_it_owns() {
    let missing: Vec<String> = sources()
        .iter()
        .filter(|path| {
            let text = std::fs::read_to_string(path).unwrap_or_default();
            !text
                .lines()
                .find(|line| !line.trim().is_empty())
                .is_some_and(|line| line.starts_with("//!"))
        })
        .map(|path| path.display().to_string())
        .collect();
    assert!(missing.is_empty(), "no `//!` header: {missing:#?}");
}

#[test]
fn no_source_file_is_longer_than_a_thousand_lines_before_its_tests() {
    let long: Vec<String> = sources()
        .iter()
        .filter(|path| {
            // Integration tests and the hub's test harness are tests.
            let is_test = path.components().any(|part| part.as_os_str() == "tests")
                || path.file_name().is_some_and(|name| name == "testing.rs");
            !is_test
        })
        .filter_map(|path| {
            let text = std::fs::read_to_string(path).unwrap_or_default();
            let lines = text
                .lines()
                .take_while(|line| line.trim() != "#[cfg(test)]")
                .count();
            (lines > MAX_SOURCE_LINES).then(|| format!("{}: {lines} lines", path.display()))
        })
        .collect();
    assert!(long.is_empty(), "too long: {long:#?}");
}
