//! The two fuzz targets' bodies, shared by the libFuzzer entry points (`fuzz_targets/`) and
//! by the core's `fuzz_corpus` test, which replays the committed corpus on stable Rust.
//!
//! Each body may return early on an error (bad input deserves a message, not a panic) but
//! asserts what must hold whenever a model does answer.

use std::sync::OnceLock;

use tokenscope_core::checkpoint::Checkpoint;
use tokenscope_core::tokenize::TextTokenizer;
use tokenscope_core::{Model, Precision, Trace};

/// One of the small models from the golden-test fixtures, file by file.
pub struct Folder {
    pub config: &'static [u8],
    pub weights: &'static [u8],
    pub tokenizer: &'static [u8],
}

pub const TINY_GPT2: Folder = Folder {
    config: include_bytes!("../../tests/reference/fixtures/tiny-gpt2/config.json"),
    weights: include_bytes!("../../tests/reference/fixtures/tiny-gpt2/model.safetensors"),
    tokenizer: include_bytes!("../../tests/reference/fixtures/tiny-gpt2/tokenizer.json"),
};

pub const TINY_BERT: Folder = Folder {
    config: include_bytes!("../../tests/reference/fixtures/tiny-bert/config.json"),
    weights: include_bytes!("../../tests/reference/fixtures/tiny-bert/model.safetensors"),
    tokenizer: include_bytes!("../../tests/reference/fixtures/tiny-bert/tokenizer.json"),
};

pub const TINY_QWEN3: Folder = Folder {
    config: include_bytes!("../../tests/reference/fixtures/tiny-qwen3/config.json"),
    weights: include_bytes!("../../tests/reference/fixtures/tiny-qwen3/model.safetensors"),
    tokenizer: include_bytes!("../../tests/reference/fixtures/tiny-qwen3/tokenizer.json"),
};

pub const TINY_MISTRAL: Folder = Folder {
    config: include_bytes!("../../tests/reference/fixtures/tiny-mistral/config.json"),
    weights: include_bytes!("../../tests/reference/fixtures/tiny-mistral/model.safetensors"),
    tokenizer: include_bytes!("../../tests/reference/fixtures/tiny-mistral/tokenizer.json"),
};

pub const TINY_LLAMA: Folder = Folder {
    config: include_bytes!("../../tests/reference/fixtures/tiny-llama/config.json"),
    weights: include_bytes!("../../tests/reference/fixtures/tiny-llama/model.safetensors"),
    tokenizer: include_bytes!("../../tests/reference/fixtures/tiny-llama/tokenizer.json"),
};

pub const TINY_QWEN2: Folder = Folder {
    config: include_bytes!("../../tests/reference/fixtures/tiny-qwen2/config.json"),
    weights: include_bytes!("../../tests/reference/fixtures/tiny-qwen2/model.safetensors"),
    tokenizer: include_bytes!("../../tests/reference/fixtures/tiny-qwen2/tokenizer.json"),
};

/// tiny-llama in ten shards: its index, then each shard by name.
pub const SHARDED_INDEX: &[u8] = include_bytes!(
    "../../tests/reference/fixtures/tiny-llama-sharded/model.safetensors.index.json"
);

macro_rules! shards {
    ($($n:literal),*) => {
        [$((
            concat!("model-000", $n, "-of-00010.safetensors"),
            include_bytes!(concat!(
                "../../tests/reference/fixtures/tiny-llama-sharded/model-000", $n, "-of-00010.safetensors"
            )).as_slice(),
        )),*]
    };
}

pub const SHARDS: [(&str, &[u8]); 10] =
    shards!("01", "02", "03", "04", "05", "06", "07", "08", "09", "10");

/// The embedded models' tokenizers, the ones a class types into. Their weights would make
/// each run too slow (the GPT's 8,192-token head alone is 1M multiply-adds per position);
/// the forward passes are the same code as the tiny models'.
pub const MINILM_TOKENIZER: &[u8] =
    include_bytes!("../../assets/models/all-MiniLM-L6-v2/tokenizer.json");
pub const TOKENSCOPE_GPT_TOKENIZER: &[u8] =
    include_bytes!("../../assets/models/tokenscope-gpt/tokenizer.json");

/// What the first byte of a `load_model` input replaces in a valid folder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Replaced {
    Config,
    /// The whole safetensors file (short inputs: truncated or garbage files).
    Weights,
    /// Only the safetensors header (its JSON), the fixture's tensor bytes kept after it:
    /// wrong dtypes, shapes, offsets and names on real data.
    WeightsHeader,
    Tokenizer,
}

/// The first byte of a `load_model` input: bit 0 picks the folder (tiny GPT-2 or tiny
/// BERT), the next bits pick the file the rest of the input replaces. Bits 3–4 pick the
/// family (`family_selector`): 0 as described, 1 tiny Qwen3 / tiny Mistral, 2 tiny llama /
/// tiny Qwen2, 3 the sharded tiny llama, whose "weights" are one shard and "header" the index.
pub fn selector(folder_is_bert: bool, replaced: Replaced) -> u8 {
    let file = match replaced {
        Replaced::Config => 0,
        Replaced::Weights => 1,
        Replaced::WeightsHeader => 2,
        Replaced::Tokenizer => 3,
    };
    u8::from(folder_is_bert) | (file << 1)
}

/// As `selector`, for the llama-family folders (`family` 1 to 3, see `selector`).
pub fn family_selector(family: u8, second: bool, replaced: Replaced) -> u8 {
    selector(second, replaced) | ((family & 3) << 3)
}

pub fn decode_selector(byte: u8) -> (&'static Folder, Replaced) {
    let second = byte & 1 == 1;
    let folder = match ((byte >> 3) & 3, second) {
        (1, false) => &TINY_QWEN3,
        (1, true) => &TINY_MISTRAL,
        (2 | 3, false) => &TINY_LLAMA,
        (2, true) => &TINY_QWEN2,
        (3, true) => &TINY_LLAMA,
        (_, true) => &TINY_BERT,
        (_, false) => &TINY_GPT2,
    };
    let replaced = match (byte >> 1) % 4 {
        0 => Replaced::Config,
        1 => Replaced::Weights,
        2 => Replaced::WeightsHeader,
        _ => Replaced::Tokenizer,
    };
    (folder, replaced)
}

/// A safetensors file's header (the JSON after the 8-byte length) and its tensor bytes.
pub fn split_safetensors(file: &[u8]) -> (&[u8], &[u8]) {
    let Some(length) = file.get(..8) else {
        return (&[], file);
    };
    let mut le = [0u8; 8];
    le.copy_from_slice(length);
    let end = usize::try_from(u64::from_le_bytes(le))
        .ok()
        .and_then(|n| n.checked_add(8))
        .filter(|&end| end <= file.len())
        .unwrap_or(8);
    (&file[8..end], &file[end..])
}

/// Target 1: a model folder with one file replaced by arbitrary bytes. Loading either fails
/// with an error or gives a model that runs the seed sentence without panicking.
pub fn load_model(data: &[u8]) {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let (folder, replaced) = decode_selector(first);
    if (first >> 3) & 3 == 3 {
        return load_sharded(folder, replaced, rest);
    }
    let mut config = folder.config.to_vec();
    let mut weights = folder.weights.to_vec();
    let mut tokenizer = folder.tokenizer.to_vec();
    match replaced {
        Replaced::Config => config = rest.to_vec(),
        Replaced::Weights => weights = rest.to_vec(),
        Replaced::WeightsHeader => {
            let (_, tensor_bytes) = split_safetensors(folder.weights);
            weights = (rest.len() as u64).to_le_bytes().to_vec();
            weights.extend_from_slice(rest);
            weights.extend_from_slice(tensor_bytes);
        }
        Replaced::Tokenizer => tokenizer = rest.to_vec(),
    }
    let Ok(model) = Model::from_bytes_with(&config, &weights, &tokenizer, Precision::F32) else {
        return;
    };
    run_seed(&model);
}

/// A model that loads runs the seed sentence within its positions, with as many layers of
/// attention as its config says, and (a decoder) generates with its cache.
fn run_seed(model: &Model) {
    let info = model.info();
    if let Ok(trace) = model.trace("students celebrate the graduation with a big party", None) {
        assert!(trace.len() <= info.max_positions);
        assert_eq!(trace.layers.len(), info.num_layers);
    }
    if info.causal {
        let greedy = tokenscope_core::generate::Sampling::greedy();
        if let Ok(run) = tokenscope_core::generate::generate(model, "the party", 3, &greedy, 1) {
            assert!(run
                .generated_ids
                .iter()
                .all(|&id| (id as usize) < info.vocab_size));
        }
    }
}

/// The sharded tiny llama with its config, one shard (`Weights`: shard 4), its index
/// (`WeightsHeader`) or its tokenizer replaced.
fn load_sharded(folder: &Folder, replaced: Replaced, rest: &[u8]) {
    let mut config = folder.config.to_vec();
    let mut tokenizer = folder.tokenizer.to_vec();
    let mut index = SHARDED_INDEX.to_vec();
    let mut shards: Vec<(&str, Vec<u8>)> = SHARDS.iter().map(|(n, b)| (*n, b.to_vec())).collect();
    match replaced {
        Replaced::Config => config = rest.to_vec(),
        Replaced::Weights => shards[3].1 = rest.to_vec(),
        Replaced::WeightsHeader => index = rest.to_vec(),
        Replaced::Tokenizer => tokenizer = rest.to_vec(),
    }
    let named: Vec<(&str, &[u8])> = shards.iter().map(|(n, b)| (*n, b.as_slice())).collect();
    let Ok(checkpoint) = Checkpoint::sharded(&index, &named) else {
        return;
    };
    if let Ok(model) = Model::from_checkpoint(&config, &checkpoint, &tokenizer, Precision::F32) {
        run_seed(&model);
    }
}

struct Models {
    tiny_bert: Model,
    tiny_gpt2: Model,
    tiny_qwen3: Model,
    minilm_tokenizer: TextTokenizer,
    gpt_tokenizer: TextTokenizer,
}

fn models() -> &'static Models {
    static MODELS: OnceLock<Models> = OnceLock::new();
    MODELS.get_or_init(|| {
        let load = |folder: &Folder| {
            Model::from_bytes(folder.config, folder.weights, folder.tokenizer)
                .expect("a fixture model loads")
        };
        Models {
            tiny_bert: load(&TINY_BERT),
            tiny_gpt2: load(&TINY_GPT2),
            tiny_qwen3: load(&TINY_QWEN3),
            minilm_tokenizer: TextTokenizer::from_bytes(MINILM_TOKENIZER, 512)
                .expect("MiniLM's tokenizer loads"),
            gpt_tokenizer: TextTokenizer::from_bytes(TOKENSCOPE_GPT_TOKENIZER, 64)
                .expect("the embedded GPT's tokenizer loads"),
        }
    })
}

/// Every attention row a distribution, and a GPT's never looking ahead.
fn check_trace(trace: &Trace, max_positions: usize, causal: bool) {
    assert_eq!(trace.len(), trace.input.ids.len());
    assert!(trace.len() <= max_positions);
    for layer in &trace.layers {
        for (head, matrix) in layer.attention.outer_iter().enumerate() {
            for (query, row) in matrix.outer_iter().enumerate() {
                let sum: f32 = row.sum();
                assert!(
                    (sum - 1.0).abs() < 1e-4,
                    "head {head} row {query} sums to {sum}"
                );
                if causal {
                    assert!(row.iter().skip(query + 1).all(|&p| p == 0.0));
                }
            }
        }
    }
}

/// What must hold of any tokenization: ids in the vocabulary, within the positions, one
/// token per id, offsets inside the text.
fn check_tokens(tokenizer: &TextTokenizer, text: &str, pair: Option<&str>, max_positions: usize) {
    let Ok(tokens) = tokenizer.encode(text, pair) else {
        return;
    };
    let vocab = tokenizer.vocab_size();
    assert!(tokens.ids.len() <= max_positions);
    assert!(tokens.ids.iter().all(|&id| (id as usize) < vocab));
    assert_eq!(tokens.tokens.len(), tokens.ids.len());
    let chars = text
        .chars()
        .count()
        .max(pair.map_or(0, |p| p.chars().count()));
    assert!(tokens
        .offsets
        .iter()
        .all(|&(start, end)| start <= end && end <= chars));
}

/// Target 2: arbitrary text (a tab splits a BERT sentence pair) through both embedded
/// tokenizers, and the forward passes of the tiny BERT, tiny GPT-2 and tiny Qwen3 (its
/// split-regex tokenizer, grouped queries, rotary positions), including the GPTs'
/// next-token probabilities.
pub fn text(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (first, pair) = match text.split_once('\t') {
        Some((a, b)) => (a, Some(b)),
        None => (text.as_ref(), None),
    };
    let models = models();
    check_tokens(&models.minilm_tokenizer, first, pair, 512);
    check_tokens(&models.gpt_tokenizer, &text, None, 64);
    let bert = &models.tiny_bert;
    if let Ok(trace) = bert.trace(first, pair) {
        check_trace(&trace, bert.info().max_positions, false);
    }
    for gpt in [&models.tiny_gpt2, &models.tiny_qwen3] {
        if let Ok(trace) = gpt.trace(&text, None) {
            check_trace(&trace, gpt.info().max_positions, true);
            let probs = trace.next_token_probs.as_ref().expect("a GPT predicts");
            for row in probs.outer_iter() {
                assert!((row.sum() - 1.0).abs() < 1e-4 && row.iter().all(|p| p.is_finite()));
            }
        }
    }
}
