//! Replays the committed fuzz corpus (`fuzz/corpus/`) through the fuzz targets' bodies, so
//! every input that ever mattered to the fuzzer stays checked on stable Rust in CI.
#![cfg(not(target_arch = "wasm32"))]

#[path = "../../../fuzz/src/lib.rs"]
mod targets;

use std::path::Path;

use tokenscope_core::checkpoint::Checkpoint;
use tokenscope_core::{Model, Precision};

fn replay(target: &str, body: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target);
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).expect("the corpus folder exists") {
        let path = entry.expect("a corpus entry").path();
        let bytes = std::fs::read(&path).expect("a corpus file reads");
        body(&bytes);
        count += 1;
    }
    assert!(
        count >= 8,
        "{target}: only {count} inputs in {}",
        dir.display()
    );
    eprintln!("{target}: {count} inputs replayed without a panic");
}

#[test]
fn load_model_corpus_replays() {
    replay("load_model", targets::load_model);
}

#[test]
fn text_corpus_replays() {
    replay("text", targets::text);
}

#[test]
fn load_model_seeds_are_valid_folders() {
    // The selector and header split must rebuild the fixture exactly, or the fuzzer would
    // start from broken models and never reach the forward pass.
    let (header, data) = targets::split_safetensors(targets::TINY_GPT2.weights);
    let mut rebuilt = (header.len() as u64).to_le_bytes().to_vec();
    rebuilt.extend_from_slice(header);
    rebuilt.extend_from_slice(data);
    assert_eq!(rebuilt, targets::TINY_GPT2.weights);
    assert_eq!(targets::selector(true, targets::Replaced::Tokenizer), 7);
    // Every folder the selector reaches is a model that loads untouched, the sharded one too,
    // so the fuzzer starts from working models of every family.
    for family in 0..4 {
        for second in [false, true] {
            let byte = targets::family_selector(family, second, targets::Replaced::Config);
            let (folder, _) = targets::decode_selector(byte);
            let loaded = Model::from_bytes(folder.config, folder.weights, folder.tokenizer);
            assert!(
                loaded.is_ok(),
                "family {family}, {second}: {:?}",
                loaded.err()
            );
        }
    }
    let checkpoint = Checkpoint::sharded(targets::SHARDED_INDEX, &targets::SHARDS).expect("shards");
    let (folder, _) = targets::decode_selector(targets::family_selector(
        3,
        false,
        targets::Replaced::Config,
    ));
    let sharded =
        Model::from_checkpoint(folder.config, &checkpoint, folder.tokenizer, Precision::F32);
    assert!(sharded.is_ok(), "{:?}", sharded.err());
}
