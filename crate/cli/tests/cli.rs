//! The `tokenscope` binary as a user runs it: JSON schema, --fields, exit status 2 on
//! bad arguments and files, and GPT-2's next-token list against the PyTorch fixture.

mod common;

use std::path::{Path, PathBuf};

use common::{json, root, run as tokenscope};
use serde_json::Value;

fn dims(v: &Value) -> Vec<usize> {
    let mut shape = Vec::new();
    let mut cur = v;
    while let Some(list) = cur.as_array() {
        shape.push(list.len());
        match list.first() {
            Some(first) => cur = first,
            None => break,
        }
    }
    shape
}

#[test]
fn inspect_prints_the_documented_schema_for_the_default_model() {
    let v = json(&tokenscope(&[
        "inspect",
        "--text",
        "students celebrate the graduation with a big party",
    ]));
    assert_eq!(
        v["ids"],
        serde_json::json!([101, 2493, 8439, 1996, 7665, 2007, 1037, 2502, 2283, 102])
    );
    assert_eq!(v["tokens"][8], "party");
    assert_eq!(v["truncated"], 0);
    assert_eq!(dims(&v["embeddings"]["word"]), [10, 384]);
    assert_eq!(dims(&v["embeddings"]["position"]), [10, 384]);
    assert_eq!(dims(&v["embeddings"]["output"]), [10, 384]);
    assert_eq!(dims(&v["hidden_states"]), [7, 10, 384]);
    assert_eq!(dims(&v["attentions"]), [6, 12, 10, 10]);
    assert_eq!(dims(&v["scores"]), [6, 12, 10, 10]);
    for part in ["query", "key", "value"] {
        assert_eq!(dims(&v["qkv"][part]), [6, 12, 10, 32], "{part}");
    }
    assert!(v.get("next_token").is_none(), "BERT has no next-token head");
    let row_sum: f64 = v["attentions"][0][0][8]
        .as_array()
        .expect("row")
        .iter()
        .filter_map(Value::as_f64)
        .sum();
    assert!(
        (row_sum - 1.0).abs() < 1e-5,
        "attention row sums to {row_sum}"
    );
}

#[test]
fn fields_selects_top_level_and_dotted_keys() {
    let v = json(&tokenscope(&[
        "inspect",
        "--text",
        "the party",
        "--fields",
        "tokens,ids,qkv.query",
    ]));
    let mut keys: Vec<&str> = v
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort();
    assert_eq!(keys, ["ids", "qkv", "tokens"]);
    let qkv: Vec<&str> = v["qkv"]
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(qkv, ["query"]);
}

#[test]
fn pair_gets_token_type_one_for_the_second_sentence() {
    let v = json(&tokenscope(&[
        "inspect",
        "--text",
        "the cat",
        "--pair",
        "a dog",
        "--fields",
        "tokens,type_ids",
    ]));
    assert_eq!(
        v["tokens"],
        serde_json::json!(["[CLS]", "the", "cat", "[SEP]", "a", "dog", "[SEP]"])
    );
    assert_eq!(v["type_ids"], serde_json::json!([0, 0, 0, 0, 1, 1, 1]));
}

#[test]
fn gpt2_next_token_top_matches_pytorch() {
    let fixtures = root().join("tests/reference/fixtures");
    let cases: Value =
        serde_json::from_slice(&std::fs::read(fixtures.join("cases.json")).expect("cases"))
            .expect("json");
    let case = cases["cases"]
        .as_array()
        .expect("list")
        .iter()
        .find(|c| c["name"] == "tiny-gpt2-1")
        .expect("case");
    let model = fixtures.join("tiny-gpt2");
    let text = case["text"].as_str().expect("text");
    let v = json(&tokenscope(&[
        "inspect",
        "--model",
        model.to_str().expect("utf-8 path"),
        "--text",
        text,
        "--top",
        "5",
        "--fields",
        "ids,next_token",
    ]));
    assert_eq!(v["ids"], case["ids"]);
    let top = v["next_token"]["top"].as_array().expect("top list");
    assert_eq!(top.len(), 5);

    // The reference distribution for the last position, from PyTorch.
    let bytes = std::fs::read(fixtures.join("tiny-gpt2-1.safetensors")).expect("fixture");
    let tensors = safetensors::SafeTensors::deserialize(&bytes).expect("parses");
    let probs = tensors.tensor("next_token_probs").expect("probs");
    let (seq, vocab) = (probs.shape()[0], probs.shape()[1]);
    let last: Vec<f32> = probs.data()[(seq - 1) * vocab * 4..]
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    let mut ranked: Vec<usize> = (0..vocab).collect();
    ranked.sort_by(|&a, &b| last[b].total_cmp(&last[a]));
    for (entry, &id) in top.iter().zip(&ranked) {
        assert_eq!(entry["id"], id);
        let prob = entry["prob"].as_f64().expect("prob");
        assert!(
            (prob - last[id] as f64).abs() < 1e-5,
            "{entry} vs torch {}",
            last[id]
        );
        assert!(entry["token"].as_str().is_some_and(|t| !t.is_empty()));
    }
}

#[test]
fn bad_arguments_and_files_exit_2_with_one_line() {
    let cases: Vec<Vec<&str>> = vec![
        vec!["inspect"],
        vec!["inspect", "--text", "x", "--model", "/does/not/exist"],
        vec!["inspect", "--text", "x", "--fields", "nonsense"],
        vec!["convert", "--from", "/does/not/exist", "--to", "/tmp/x"],
        vec![
            "convert", "--from", ".", "--to", "/tmp/x", "--dtype", "int4",
        ],
        vec!["frobnicate"],
    ];
    for args in cases {
        let out = tokenscope(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !stderr.contains("panicked") && !stderr.contains("backtrace"),
            "{stderr}"
        );
        assert!(!stderr.trim().is_empty(), "{args:?} printed no message");
    }
    let gpt2 = root().join("tests/reference/fixtures/tiny-gpt2");
    let out = tokenscope(&[
        "inspect",
        "--model",
        gpt2.to_str().expect("path"),
        "--text",
        "a",
        "--pair",
        "b",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("pair"));
}

#[test]
fn convert_writes_a_bundle_that_inspects_the_same() {
    let dir = std::env::temp_dir().join(format!("tokenscope-convert-{}", std::process::id()));
    let src = root().join("tests/reference/fixtures/tiny-bert");
    let out = tokenscope(&[
        "convert",
        "--from",
        src.to_str().expect("path"),
        "--to",
        dir.to_str().expect("path"),
        "--dtype",
        "f16",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("largest attention difference"));
    let a = json(&tokenscope(&[
        "inspect",
        "--model",
        src.to_str().expect("p"),
        "--text",
        "big party",
        "--fields",
        "ids,attentions",
    ]));
    let b = json(&tokenscope(&[
        "inspect",
        "--model",
        dir.to_str().expect("p"),
        "--text",
        "big party",
        "--fields",
        "ids,attentions",
    ]));
    assert_eq!(a["ids"], b["ids"]);
    let flat = |v: &Value| -> Vec<f64> {
        let mut out = Vec::new();
        fn walk(v: &Value, out: &mut Vec<f64>) {
            match v {
                Value::Array(items) => items.iter().for_each(|i| walk(i, out)),
                other => out.extend(other.as_f64()),
            }
        }
        walk(v, &mut out);
        out
    };
    let (fa, fb) = (flat(&a["attentions"]), flat(&b["attentions"]));
    assert_eq!(fa.len(), fb.len());
    let diff = fa
        .iter()
        .zip(&fb)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max);
    assert!(diff < 5e-3, "f16 bundle attention differs by {diff}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn generate_reproduces_the_python_reference_and_prints_json() {
    let fixture: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("tests/reference/fixtures/decoding.json"))
            .expect("fixture"),
    )
    .expect("JSON");
    let model = root().join("tests/reference/fixtures/tiny-gpt2");
    let model = model.to_str().expect("utf-8 path");
    for case in fixture["cases"].as_array().expect("cases") {
        let num = |k: &str| case[k].to_string();
        let out = tokenscope(&[
            "generate",
            "--model",
            model,
            "--text",
            case["prompt"].as_str().expect("prompt"),
            "--max-tokens",
            &num("max_tokens"),
            "--temperature",
            &num("temperature"),
            "--top-k",
            &num("top_k"),
            "--top-p",
            &num("top_p"),
            "--seed",
            &num("seed"),
            "--json",
            "--top",
            "3",
        ]);
        let got = json(&out);
        assert_eq!(got["prompt_ids"], case["prompt_ids"]);
        assert_eq!(got["generated_ids"], case["generated_ids"], "{case}");
        let steps = got["steps"].as_array().expect("steps");
        assert_eq!(
            steps.len(),
            case["generated_ids"].as_array().expect("ids").len()
        );
        for step in steps {
            let top = step["top"].as_array().expect("top");
            assert_eq!(top.len(), 3);
            let probs: Vec<f64> = top
                .iter()
                .map(|c| c["prob"].as_f64().expect("prob"))
                .collect();
            assert!(
                probs.windows(2).all(|w| w[0] >= w[1]),
                "most probable first"
            );
        }
    }
    // Plain mode prints the decoded continuation.
    let out = tokenscope(&[
        "generate",
        "--model",
        model,
        "--text",
        "the party",
        "--temperature",
        "0",
        "--max-tokens",
        "3",
    ]);
    assert!(out.status.success());
    assert!(!out.stdout.is_empty());
}

#[test]
fn generate_refuses_bert_and_bad_settings_with_status_2() {
    let minilm = root().join("assets/models/all-MiniLM-L6-v2");
    let tiny = root().join("tests/reference/fixtures/tiny-gpt2");
    for (model, extra, says) in [
        (&minilm, vec![], "GPT"),
        (&tiny, vec!["--top-p", "1.5"], "top-p"),
        (&tiny, vec!["--temperature", "-1"], "temperature"),
    ] {
        let mut args = vec![
            "generate",
            "--model",
            model.to_str().expect("path"),
            "--text",
            "the party",
        ];
        args.extend(extra);
        let out = tokenscope(&args);
        assert_eq!(out.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(says), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
    }
}

/// A copy of the tiny GPT-2 folder with one file replaced, in a fresh temporary folder.
fn broken_gpt2(case: &str, file: &str, bytes: &[u8]) -> PathBuf {
    let source = root().join("tests/reference/fixtures/tiny-gpt2");
    let dir = std::env::temp_dir().join(format!("tokenscope-{}-{case}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp folder");
    for name in ["config.json", "tokenizer.json", "model.safetensors"] {
        std::fs::copy(source.join(name), dir.join(name)).expect("copies");
    }
    std::fs::write(dir.join(file), bytes).expect("writes");
    dir
}

#[test]
fn each_bad_model_file_gets_its_own_message_and_status_2() {
    let source = root().join("tests/reference/fixtures/tiny-gpt2");
    let weights = std::fs::read(source.join("model.safetensors")).expect("weights");
    let config = std::fs::read_to_string(source.join("config.json")).expect("config");
    let bert_tokenizer =
        std::fs::read(root().join("assets/models/all-MiniLM-L6-v2/tokenizer.json"))
            .expect("MiniLM tokenizer");
    let cases = [
        (
            broken_gpt2(
                "truncated",
                "model.safetensors",
                &weights[..weights.len() - 1000],
            ),
            "model.safetensors: the file is truncated",
        ),
        (
            broken_gpt2("vocab", "tokenizer.json", &bert_tokenizer),
            "tokenizer.json has 30522 tokens but config.json says vocab_size = 320",
        ),
        (
            broken_gpt2(
                "architecture",
                "config.json",
                config
                    .replace("\"model_type\": \"gpt2\"", "\"model_type\": \"mamba\"")
                    .as_bytes(),
            ),
            "model_type \"mamba\" is not supported (supported: bert, gpt2, llama, mistral, qwen2, qwen3)",
        ),
    ];
    for (dir, message) in &cases {
        for command in ["inspect", "generate"] {
            let out = tokenscope(&[
                command,
                "--model",
                dir.to_str().expect("path"),
                "--text",
                "a",
            ]);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{command} {dir:?}: {stderr}");
            assert!(
                stderr.contains(message),
                "{command}: {stderr:?} lacks {message:?}"
            );
            assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
        }
        let _ = std::fs::remove_dir_all(dir);
    }
}

#[test]
fn train_writes_a_model_that_learned_and_runs_deterministically() {
    let dir = std::env::temp_dir().join(format!("tokenscope-train-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp folder");
    let subjects = [
        "the students",
        "the class",
        "our teacher",
        "the deputy leader",
        "my friends",
    ];
    let verbs = ["celebrate", "enjoy", "plan", "remember", "organize"];
    let objects = [
        "a big party",
        "the graduation",
        "a long holiday",
        "the election",
        "a quiet dinner",
    ];
    let mut corpus = String::new();
    for (i, s) in subjects.iter().enumerate() {
        for (j, v) in verbs.iter().enumerate() {
            for (k, o) in objects.iter().enumerate() {
                if (i + j + k) % 2 == 0 {
                    corpus.push_str(&format!("{s} {v} {o} with everyone\n"));
                }
            }
        }
    }
    let corpus_path = dir.join("corpus.txt");
    std::fs::write(&corpus_path, corpus.repeat(3)).expect("writes corpus");
    let run = |out: &Path| {
        let out_str = out.to_str().expect("path");
        let result = tokenscope(&[
            "train",
            "--corpus",
            corpus_path.to_str().expect("path"),
            "--out",
            out_str,
            "--vocab",
            "300",
            "--layers",
            "2",
            "--heads",
            "2",
            "--width",
            "32",
            "--context",
            "16",
            "--batch",
            "4",
            "--steps",
            "60",
            "--warmup",
            "5",
            "--eval-every",
            "20",
            "--held-out-every",
            "10",
            "--seed",
            "7",
        ]);
        assert!(
            result.status.success(),
            "{}",
            String::from_utf8_lossy(&result.stderr)
        );
    };
    let (first, second) = (dir.join("a"), dir.join("b"));
    run(&first);
    run(&second);
    for file in ["config.json", "model.safetensors", "tokenizer.json"] {
        assert_eq!(
            std::fs::read(first.join(file)).expect("written"),
            std::fs::read(second.join(file)).expect("written"),
            "{file}: the same seed gives the same model"
        );
    }
    let report: Value =
        serde_json::from_slice(&std::fs::read(first.join("training.json")).expect("report"))
            .expect("json");
    let held_out: Vec<f64> = report["history"]
        .as_array()
        .expect("history")
        .iter()
        .filter_map(|p| p["held_out_loss"].as_f64())
        .collect();
    assert_eq!(held_out.len(), 3, "measured at steps 20, 40, 60");
    let vocab = report["vocab_size"].as_f64().expect("vocab");
    assert!(
        held_out[2] < held_out[0] && held_out[2] < vocab.ln() - 1.0,
        "the held-out loss falls well below guessing: {held_out:?}"
    );
    // The folder is a model the rest of the tool reads.
    let out = tokenscope(&[
        "generate",
        "--model",
        first.to_str().expect("path"),
        "--text",
        "the students",
        "--temperature",
        "0",
        "--max-tokens",
        "4",
        "--json",
    ]);
    let generated = json(&out);
    assert_eq!(generated["generated_ids"].as_array().expect("ids").len(), 4);

    // Going on from the trained folder (--init) on other text: same size and tokenizer, the
    // new text's held-out loss falls from where the folder started, and its record is kept.
    let party_path = dir.join("party.txt");
    let party: String = corpus
        .lines()
        .filter(|l| l.contains("party"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&party_path, party.repeat(4)).expect("writes corpus");
    let tuned = dir.join("tuned");
    let first_str = first.to_str().expect("path");
    let args = [
        "train",
        "--init",
        first_str,
        "--corpus",
        party_path.to_str().expect("path"),
        "--out",
        tuned.to_str().expect("path"),
        "--batch",
        "4",
        "--steps",
        "20",
        "--learning-rate",
        "1e-3",
        "--warmup",
        "2",
        "--eval-every",
        "10",
        "--held-out-every",
        "5",
    ];
    let result = tokenscope(&args);
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    for file in ["config.json", "tokenizer.json"] {
        assert_eq!(
            std::fs::read(first.join(file)).expect("written"),
            std::fs::read(tuned.join(file)).expect("written"),
            "{file}: --init keeps the model's size and tokenizer"
        );
    }
    let tuned_report: Value =
        serde_json::from_slice(&std::fs::read(tuned.join("training.json")).expect("report"))
            .expect("json");
    assert_eq!(tuned_report["init"]["from"], first_str);
    assert_eq!(
        tuned_report["init"]["base"], report,
        "the folder's own record is kept"
    );
    let before = tuned_report["init"]["held_out_loss_before"]
        .as_f64()
        .expect("the loss before fine-tuning");
    let after = tuned_report["held_out_loss"].as_f64().expect("final loss");
    assert!(
        after < before,
        "fine-tuning lowers the new text's loss: {before} → {after}"
    );
    // A size cannot be asked of a model that already has one.
    let mut with_width = args.to_vec();
    with_width.extend(["--width", "64"]);
    let refused = tokenscope(&with_width);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--width"));
    let _ = std::fs::remove_dir_all(&dir);
}
