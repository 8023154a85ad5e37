//! The `tokenscope` binary on the modern decoders: inspect prints q and k before and after
//! rotation and no position rows, a sharded folder gives the single file's numbers,
//! generate continues with the cache, and convert writes one file from shards.

mod common;

use common::{fixture, json as stdout_json, run};
use serde_json::Value;

fn inspect(model: &str, text: &str) -> Value {
    let dir = fixture(model);
    stdout_json(&run(&[
        "inspect",
        "--model",
        dir.to_str().expect("utf-8 path"),
        "--text",
        text,
    ]))
}

#[test]
fn inspect_shows_rotation_and_a_sharded_folder_agrees() {
    let text = "deputy leader is highly respected in the party";
    let single = inspect("tiny-llama", text);
    assert_eq!(single["tokens"][0], "<|begin_of_text|>");
    assert!(single["embeddings"].get("position").is_none());
    let query = &single["qkv"]["query"];
    let unrotated = &single["qkv"]["query_unrotated"];
    // 2 layers × 8 heads × S × 8; position 0 turns by nothing, later positions do.
    assert_eq!(query[0][0][0], unrotated[0][0][0]);
    assert_ne!(query[0][0][3], unrotated[0][0][3]);
    // Grouped keys: heads 0-3 share key/value head 0.
    assert_eq!(single["qkv"]["key"][1][0], single["qkv"]["key"][1][3]);
    assert_ne!(single["qkv"]["key"][1][0], single["qkv"]["key"][1][4]);
    let sharded = inspect("tiny-llama-sharded", text);
    assert_eq!(single["attentions"], sharded["attentions"]);
    assert_eq!(single["next_token"], sharded["next_token"]);
}

#[test]
fn generate_and_convert_work_on_a_sharded_llama() {
    let dir = fixture("tiny-llama-sharded");
    let dir = dir.to_str().expect("utf-8 path");
    let generated = stdout_json(&run(&[
        "generate",
        "--model",
        dir,
        "--text",
        "the party",
        "--temperature",
        "0",
        "--max-tokens",
        "4",
        "--json",
    ]));
    assert_eq!(generated["generated_ids"].as_array().map(Vec::len), Some(4));
    let out = std::env::temp_dir().join(format!("tokenscope-convert-{}", std::process::id()));
    let converted = run(&[
        "convert",
        "--from",
        dir,
        "--to",
        out.to_str().expect("utf-8 path"),
        "--dtype",
        "f32",
    ]);
    assert!(
        converted.status.success(),
        "{}",
        String::from_utf8_lossy(&converted.stderr)
    );
    assert!(out.join("model.safetensors").exists());
    assert!(!out.join("model.safetensors.index.json").exists());
    let from_bundle = stdout_json(&run(&[
        "inspect",
        "--model",
        out.to_str().expect("utf-8 path"),
        "--text",
        "the party",
        "--fields",
        "next_token",
    ]));
    let from_shards = stdout_json(&run(&[
        "inspect",
        "--model",
        dir,
        "--text",
        "the party",
        "--fields",
        "next_token",
    ]));
    assert_eq!(from_bundle, from_shards);
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn a_folder_missing_a_shard_is_one_line_and_status_2() {
    let dir = std::env::temp_dir().join(format!("tokenscope-shards-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    for entry in std::fs::read_dir(fixture("tiny-llama-sharded")).expect("fixture") {
        let entry = entry.expect("entry");
        let name = entry.file_name();
        if name != "model-00004-of-00010.safetensors" {
            std::fs::copy(entry.path(), dir.join(&name)).expect("copy");
        }
    }
    let out = run(&[
        "inspect",
        "--model",
        dir.to_str().expect("utf-8"),
        "--text",
        "x",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("model-00004-of-00010.safetensors"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
