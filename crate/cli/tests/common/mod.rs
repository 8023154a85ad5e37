//! Shared by the CLI's test files: run the built `tokenscope`, read its JSON, find fixtures.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// The repository's root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A folder or file of `tests/reference/fixtures`.
pub fn fixture(name: &str) -> PathBuf {
    root().join("tests/reference/fixtures").join(name)
}

/// Runs the binary with `args`.
pub fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tokenscope"))
        .args(args)
        .output()
        .expect("binary runs")
}

/// The one JSON object a successful run prints.
pub fn json(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("stdout is one JSON object")
}
