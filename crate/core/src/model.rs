//! A loaded model: config, tokenizer and weights of one supported architecture, and the
//! entry point that turns text into a `Trace`.

use ndarray::{Array1, Array2};
use serde::Serialize;

use crate::ablation::Ablation;
use crate::bert::Bert;
use crate::cache::KvCache;
use crate::checkpoint::Checkpoint;
use crate::config::ModelConfig;
use crate::error::{Error, Result};
use crate::gpt2::Gpt2;
use crate::llama::Llama;
use crate::tensors::TensorStore;
use crate::tokenize::{TextTokenizer, Tokens};
use crate::trace::Trace;
use crate::weights::{Matrix, Precision};

enum Architecture {
    Bert(Bert),
    Gpt2(Gpt2),
    Llama(Llama),
}

pub struct Model {
    pub config: ModelConfig,
    pub tokenizer: TextTokenizer,
    architecture: Architecture,
}

/// Size facts the page shows beside a model's name.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ModelInfo {
    pub model_type: &'static str,
    pub vocab_size: usize,
    pub hidden_size: usize,
    pub num_layers: usize,
    pub num_heads: usize,
    /// Key/value heads (fewer than `num_heads` in grouped-query attention).
    pub num_kv_heads: usize,
    pub head_dim: usize,
    pub max_positions: usize,
    pub causal: bool,
    /// How the large weight matrices are held: "F32", "F16" or "BF16" (a BF16 checkpoint
    /// held in half precision keeps its own numbers).
    pub precision: &'static str,
    /// Bytes the weights occupy in memory.
    pub weight_bytes: u64,
}

/// The seed's one-hot argument in numbers for one token of this model.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct OneHotFacts {
    /// Length of the one-hot vector: the vocabulary size.
    pub vocab_size: usize,
    /// The position of the single 1: the token id.
    pub index: usize,
    /// Numbers in one embedding vector.
    pub hidden_size: usize,
    /// A vocab × vocab table of f32 one-hot rows.
    pub one_hot_table_bytes: u64,
    /// The model's vocab × hidden embedding table in f32.
    pub embedding_table_bytes: u64,
}

/// The tokenizer must fit the embedding table. BERT and GPT-2 files agree exactly; llama-family
/// tables are often padded past the tokenizer (Qwen2.5: 151,936 rows for 151,665 tokens).
fn check_vocabularies(config: &ModelConfig, tokenizer: usize) -> Result<()> {
    let rows = config.vocab_size();
    let fits = match config {
        ModelConfig::Llama(_) => tokenizer <= rows,
        _ => tokenizer == rows,
    };
    if fits {
        Ok(())
    } else {
        Err(Error::VocabMismatch {
            tokenizer,
            config: rows,
        })
    }
}

impl Model {
    /// Builds a model from the three files of a Hugging Face model folder, as bytes, with
    /// every weight in f32.
    pub fn from_bytes(
        config_json: &[u8],
        safetensors: &[u8],
        tokenizer_json: &[u8],
    ) -> Result<Self> {
        Self::from_bytes_with(config_json, safetensors, tokenizer_json, Precision::F32)
    }

    /// As `from_bytes`, keeping the large weight matrices in `precision`.
    pub fn from_bytes_with(
        config_json: &[u8],
        safetensors: &[u8],
        tokenizer_json: &[u8],
        precision: Precision,
    ) -> Result<Self> {
        Self::from_checkpoint(
            config_json,
            &Checkpoint::single(safetensors),
            tokenizer_json,
            precision,
        )
    }

    /// Builds a model from its config, its weights (one file or shards) and its tokenizer.
    pub fn from_checkpoint(
        config_json: &[u8],
        checkpoint: &Checkpoint,
        tokenizer_json: &[u8],
        precision: Precision,
    ) -> Result<Self> {
        let config = ModelConfig::from_json(config_json)?;
        let tokenizer = TextTokenizer::from_bytes(tokenizer_json, config.max_positions())?;
        check_vocabularies(&config, tokenizer.vocab_size())?;
        let files = checkpoint.files();
        let architecture = match &config {
            ModelConfig::Bert(c) => Architecture::Bert(Bert::load(c.clone(), files, precision)?),
            ModelConfig::Gpt2(c) => Architecture::Gpt2(Gpt2::load(c.clone(), files, precision)?),
            ModelConfig::Llama(c) => {
                // Hub checkpoints of LlamaForCausalLM name their tensors under "model.".
                let store = TensorStore::parse_shards(
                    files,
                    "embed_tokens.weight",
                    &["model.", ""],
                    precision,
                )?;
                Architecture::Llama(Llama::load(c.clone(), &store)?)
            }
        };
        Ok(Model {
            config,
            tokenizer,
            architecture,
        })
    }

    /// Reads `config.json`, `model.safetensors` and `tokenizer.json` from a folder.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn from_dir(dir: &std::path::Path) -> Result<Self> {
        let read = |name: &str| {
            let path = dir.join(name);
            std::fs::read(&path).map_err(|e| Error::Io(format!("{}: {e}", path.display())))
        };
        let config = read("config.json")?;
        let tokenizer = read("tokenizer.json")?;
        let files = crate::checkpoint::read_dir(dir)?;
        let named: Vec<(&str, &[u8])> = files
            .iter()
            .map(|(n, b)| (n.as_str(), b.as_slice()))
            .collect();
        let checkpoint = Checkpoint::from_files(&named)?;
        Self::from_checkpoint(&config, &checkpoint, &tokenizer, Precision::F32)
    }

    pub fn info(&self) -> ModelInfo {
        let c = &self.config;
        ModelInfo {
            model_type: c.model_type(),
            vocab_size: c.vocab_size(),
            hidden_size: c.hidden_size(),
            num_layers: c.num_layers(),
            num_heads: c.num_heads(),
            num_kv_heads: c.num_kv_heads(),
            head_dim: c.head_dim(),
            max_positions: c.max_positions(),
            causal: c.is_causal(),
            precision: self.word_embeddings().format_name(),
            weight_bytes: self.weight_bytes(),
        }
    }

    /// Bytes the weights occupy in memory.
    pub fn weight_bytes(&self) -> u64 {
        match &self.architecture {
            Architecture::Bert(b) => b.weight_bytes(),
            Architecture::Gpt2(g) => g.weight_bytes(),
            Architecture::Llama(l) => l.weight_bytes(),
        }
    }

    /// Tokenizes a text, or a text pair for BERT (`[CLS] A [SEP] B [SEP]`).
    pub fn tokenize(&self, text: &str, pair: Option<&str>) -> Result<Tokens> {
        if pair.is_some() && self.config.is_causal() {
            return Err(Error::Input(
                "sentence pairs are a BERT input; a GPT model reads one text".into(),
            ));
        }
        let tokens = self.tokenizer.encode(text, pair)?;
        if tokens.ids.is_empty() {
            return Err(Error::Input(
                "the text has no tokens; type something".into(),
            ));
        }
        Ok(tokens)
    }

    /// Input made of ids the model chose itself (a generated continuation): no text behind
    /// them, so no offsets; every token is from the first text.
    pub fn tokens_from_ids(&self, ids: &[u32]) -> Tokens {
        Tokens {
            tokens: ids
                .iter()
                .map(|&id| self.tokenizer.id_to_token(id).unwrap_or_default())
                .collect(),
            ids: ids.to_vec(),
            offsets: vec![(0, 0); ids.len()],
            type_ids: vec![0; ids.len()],
            segments: vec![crate::tokenize::Segment::First; ids.len()],
            truncated: 0,
        }
    }

    /// Runs the model on a text (or a BERT sentence pair) and keeps every intermediate.
    pub fn trace(&self, text: &str, pair: Option<&str>) -> Result<Trace> {
        let input = self.tokenize(text, pair)?;
        self.trace_tokens(input)
    }

    /// Runs the model on already tokenized input.
    pub fn trace_tokens(&self, input: Tokens) -> Result<Trace> {
        self.trace_ablated(input, &Ablation::none())
    }

    /// Runs the model on already tokenized input with `ablation`'s heads switched off: each
    /// one's attention output is zeroed before its layer's output projection, so everything
    /// after it (later attentions, hidden states, the next token) is what the model computes
    /// without that head. The ablated heads' own attention rows are still traced.
    pub fn trace_ablated(&self, input: Tokens, ablation: &Ablation) -> Result<Trace> {
        ablation.check(self.config.num_layers(), self.config.num_heads())?;
        Ok(match &self.architecture {
            Architecture::Bert(bert) => {
                let out = bert.forward(&input, ablation)?;
                Trace {
                    input,
                    embeddings: out.embeddings,
                    hidden_states: out.hidden_states,
                    layers: out.layers,
                    next_token_probs: None,
                }
            }
            Architecture::Gpt2(gpt2) => {
                let out = gpt2.forward(&input, ablation)?;
                Trace {
                    input,
                    embeddings: out.embeddings,
                    hidden_states: out.hidden_states,
                    layers: out.layers,
                    next_token_probs: Some(out.next_token_probs),
                }
            }
            Architecture::Llama(llama) => {
                let c = &llama.config;
                let ids = input.checked_indices(c.vocab_size, c.max_position_embeddings)?;
                let out = llama.forward(&ids, ablation)?;
                Trace {
                    input,
                    embeddings: out.embeddings,
                    hidden_states: out.hidden_states,
                    layers: out.layers,
                    next_token_probs: Some(out.next_token_probs),
                }
            }
        })
    }

    /// The static embedding table, in the precision it is held in. (V, H)
    pub fn word_embeddings(&self) -> &Matrix {
        match &self.architecture {
            Architecture::Bert(b) => &b.word_embeddings,
            Architecture::Gpt2(g) => &g.wte,
            Architecture::Llama(l) => &l.embed_tokens,
        }
    }

    /// The learned position table, or None for rotary models, which have none. (P, H)
    pub fn position_embeddings(&self) -> Option<&Array2<f32>> {
        match &self.architecture {
            Architecture::Bert(b) => Some(&b.position_embeddings),
            Architecture::Gpt2(g) => Some(&g.wpe),
            Architecture::Llama(_) => None,
        }
    }

    /// Rotary models: the angle per position of each dimension pair, θ_i. (d/2)
    pub fn rotary_frequencies(&self) -> Option<&[f32]> {
        match &self.architecture {
            Architecture::Llama(l) => Some(&l.inv_freq),
            _ => None,
        }
    }

    /// The matrix whose rows score each next token: the embedding table when tied. (V, H)
    pub fn output_head(&self) -> &Matrix {
        match &self.architecture {
            Architecture::Llama(l) => l.head(),
            _ => self.word_embeddings(),
        }
    }

    /// A decoder's final norm (GPT-2's `ln_f`, the llama family's `norm`) applied to rows of
    /// the residual stream; None for BERT, which has none. (S, H)
    pub fn final_norm(&self, hidden: &Array2<f32>) -> Option<Array2<f32>> {
        match &self.architecture {
            Architecture::Gpt2(g) => Some(g.ln_f.forward(&hidden.view())),
            Architecture::Llama(l) => Some(l.norm.forward(&hidden.view())),
            Architecture::Bert(_) => None,
        }
    }

    /// A decoder's next-token distribution for rows that have been through the final norm:
    /// softmax of the output head's logits; None for BERT. (S, V)
    pub fn head_probs(&self, normed: &Array2<f32>) -> Option<Array2<f32>> {
        match &self.architecture {
            Architecture::Gpt2(g) => Some(g.next_token_probs(normed)),
            Architecture::Llama(l) => Some(l.next_token_probs(normed)),
            Architecture::Bert(_) => None,
        }
    }

    /// What attention multiplies q·k by in `layer` (0-based).
    pub fn attention_scale(&self, layer: usize) -> f32 {
        match &self.config {
            ModelConfig::Gpt2(c) => c.attention_scale(layer),
            ModelConfig::Llama(c) => c.attention_scale(),
            ModelConfig::Bert(_) => 1.0 / (self.config.head_dim() as f32).sqrt(),
        }
    }

    /// An empty key/value cache for `decode_step`.
    pub fn new_cache(&self) -> KvCache {
        KvCache::new(self.config.num_layers())
    }

    /// Reads `ids` after the positions in `cache` (a decoder only) and returns the logits
    /// after the last of them. (V)
    pub fn decode_step(&self, ids: &[u32], cache: &mut KvCache) -> Result<Vec<f32>> {
        let vocab = self.config.vocab_size();
        if let Some(&bad) = ids.iter().find(|&&i| i as usize >= vocab) {
            return Err(Error::Input(format!(
                "token id {bad} is outside the vocabulary of {vocab}"
            )));
        }
        if ids.is_empty() {
            return Err(Error::Input("no tokens to read".into()));
        }
        let end = cache.len() + ids.len();
        if end > self.config.max_positions() {
            return Err(Error::Input(format!(
                "{end} tokens exceed the model's {} positions",
                self.config.max_positions()
            )));
        }
        let ids: Vec<usize> = ids.iter().map(|&i| i as usize).collect();
        match &self.architecture {
            Architecture::Gpt2(g) => Ok(g.step(&ids, cache)),
            Architecture::Llama(l) => Ok(l.step(&ids, cache)),
            Architecture::Bert(_) => Err(Error::Input(
                "BERT reads text but does not continue it: no next-token step".into(),
            )),
        }
    }

    /// The static embedding of one token id, if it is in the vocabulary. (H)
    pub fn embedding_of(&self, id: u32) -> Option<Array1<f32>> {
        self.word_embeddings().row(id as usize)
    }

    pub fn one_hot_facts(&self, id: u32) -> OneHotFacts {
        let vocab = self.config.vocab_size() as u64;
        let hidden = self.config.hidden_size() as u64;
        let f32_bytes = std::mem::size_of::<f32>() as u64;
        OneHotFacts {
            vocab_size: vocab as usize,
            index: id as usize,
            hidden_size: hidden as usize,
            one_hot_table_bytes: vocab * vocab * f32_bytes,
            embedding_table_bytes: vocab * hidden * f32_bytes,
        }
    }
}
