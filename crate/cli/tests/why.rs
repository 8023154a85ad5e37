//! `tokenscope inspect --ablate` / `--fields logit_lens` and `tokenscope neighbours`: the
//! numbers the core computes, the shapes the schema promises, and one-line refusals.

mod common;

use common::{fixture, json, run};
use tokenscope_core::lens::logit_lens;
use tokenscope_core::{Ablation, Model};

const TEXT: &str = "deputy leader is highly respected in the party";

#[test]
fn ablate_prints_what_the_core_computes_without_those_heads() {
    for name in ["tiny-gpt2", "tiny-bert", "tiny-qwen3"] {
        let dir = fixture(name);
        let dir = dir.to_str().expect("utf-8");
        let plain = json(&run(&[
            "inspect",
            "--model",
            dir,
            "--text",
            TEXT,
            "--fields",
            "hidden_states",
        ]));
        let out = json(&run(&[
            "inspect",
            "--model",
            dir,
            "--text",
            TEXT,
            "--ablate",
            "1.1, 0.0",
            "--fields",
            "hidden_states,attentions",
        ]));
        assert_eq!(out["ablated"], "0.0,1.1");
        assert_ne!(out["hidden_states"], plain["hidden_states"], "{name}");
        let model = Model::from_dir(&fixture(name)).expect("loads");
        let input = model.tokenize(TEXT, None).expect("tokenizes");
        let trace = model
            .trace_ablated(input, &Ablation::new([(0, 0), (1, 1)]))
            .expect("runs");
        let last = trace.hidden_states.last().expect("states");
        let printed = &out["hidden_states"][trace.hidden_states.len() - 1];
        for (i, row) in last.rows().into_iter().enumerate() {
            for (j, &x) in row.iter().enumerate() {
                let p = printed[i][j].as_f64().expect("a number") as f32;
                assert_eq!(p, x, "{name}: hidden state [{i}][{j}]");
            }
        }
    }
}

#[test]
fn bad_heads_exit_2_with_one_line() {
    let dir = fixture("tiny-gpt2");
    let dir = dir.to_str().expect("utf-8");
    for (spec, says) in [
        ("0.4", "head 0.4 does not exist"),
        ("2.0", "head 2.0 does not exist"),
        ("1", "is not a head"),
        ("a.b", "is not a head"),
    ] {
        let out = run(&["inspect", "--model", dir, "--text", "x", "--ablate", spec]);
        assert_eq!(out.status.code(), Some(2), "{spec}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(says) && err.trim().lines().count() == 1,
            "{spec}: {err}"
        );
    }
}

#[test]
fn logit_lens_is_layers_by_positions_by_top_k_and_ends_with_the_output() {
    let dir = fixture("tiny-llama");
    let out = json(&run(&[
        "inspect",
        "--model",
        dir.to_str().expect("utf-8"),
        "--text",
        TEXT,
        "--top",
        "3",
        "--fields",
        "logit_lens,next_token,tokens",
    ]));
    let lens = out["logit_lens"].as_array().expect("a list");
    let positions = out["tokens"].as_array().expect("tokens").len();
    assert_eq!(lens.len(), 3, "2 layers + the output");
    for row in lens {
        assert_eq!(row.as_array().expect("row").len(), positions);
        for cell in row.as_array().expect("row") {
            assert_eq!(cell.as_array().expect("cell").len(), 3);
        }
    }
    // The last row's last cell is the next-token table.
    assert_eq!(lens[2][positions - 1], out["next_token"]["top"]);
    let model = Model::from_dir(&dir).expect("loads");
    let trace = model.trace(TEXT, None).expect("runs");
    let ours = logit_lens(&model, &trace, 3).expect("lens");
    assert_eq!(lens[0][1][0]["id"], ours.cells[0][1].top[0].0);
    // Not asked for, not computed.
    let plain = json(&run(&[
        "inspect",
        "--model",
        dir.to_str().expect("utf-8"),
        "--text",
        "x",
    ]));
    assert!(plain.get("logit_lens").is_none());
    // BERT has no lens: a one-line refusal.
    let out = run(&["inspect", "--text", "x", "--fields", "logit_lens"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("BERT makes none"));
}

#[test]
fn neighbours_of_party_in_minilm_start_with_parties() {
    let out = json(&run(&["neighbours", "--token", "party", "--k", "5"]));
    assert_eq!(out["token"], "party");
    let near = out["neighbours"].as_array().expect("a list");
    assert_eq!(near.len(), 5);
    assert_eq!(near[0]["token"], "parties");
    let cosines: Vec<f64> = near
        .iter()
        .map(|n| n["cosine"].as_f64().expect("number"))
        .collect();
    assert!(cosines.windows(2).all(|w| w[0] >= w[1]), "{cosines:?}");
    // GPT-2's byte-level vocabulary: the word as it starts a word.
    let gpt2 = fixture("tiny-gpt2");
    let out = json(&run(&[
        "neighbours",
        "--model",
        gpt2.to_str().expect("utf-8"),
        "--token",
        "party",
    ]));
    assert_eq!(out["token"], "Ġparty");
    // A word of several tokens names them.
    let out = run(&["neighbours", "--token", "tokenscope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("give one of them"));
}
