//! `tokenscope`: prints a model's full trace as JSON and converts checkpoints into the
//! page's web bundles. Every failure is one line on stderr and exit status 2.

mod json;
mod tokenize;
mod train;

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use sha2::{Digest, Sha256};
use tokenscope_core::bundle::{convert_shards, BundleDtype};
use tokenscope_core::checkpoint::{read_dir, Checkpoint};
use tokenscope_core::generate::{generate, Sampling};
use tokenscope_core::lens::logit_lens;
use tokenscope_core::neighbours::{token_for_word, VocabularyIndex};
use tokenscope_core::{Ablation, Model, Precision};

/// The embedded default model, found from the source tree so the binary works from any cwd.
const DEFAULT_MODEL: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../assets/models/all-MiniLM-L6-v2"
);

/// The sentence `convert` runs through the source and the bundle to prove they agree.
const CHECK_SENTENCE: &str = "students celebrate the graduation with a big party";

#[derive(Parser)]
#[command(
    name = "tokenscope",
    version,
    about = "See how a transformer turns text into numbers"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a model on a text and print every traced tensor as one JSON object.
    Inspect {
        /// Model folder with config.json, tokenizer.json and model.safetensors (or
        /// model.safetensors.index.json and its shards): bert, gpt2, llama, mistral, qwen2, qwen3.
        #[arg(long, default_value = DEFAULT_MODEL)]
        model: PathBuf,
        /// The text to run.
        #[arg(long)]
        text: String,
        /// A second text, run with the first as a BERT sentence pair.
        #[arg(long)]
        pair: Option<String>,
        /// How many next-token candidates to list (GPT models).
        #[arg(long, default_value_t = 10)]
        top: usize,
        /// Print only these comma-separated keys (e.g. tokens,ids,attentions or qkv.query).
        /// `logit_lens` (GPT models: the top --top tokens of every layer at every position,
        /// [L+1][S]) is printed only when named here.
        #[arg(long)]
        fields: Option<String>,
        /// Switch these attention heads off (layer.head, from 0, comma-separated, e.g.
        /// 0.1,2.3): their outputs are zeroed before the layer's output projection, and
        /// every printed number is what the model computes without them.
        #[arg(long, default_value = "")]
        ablate: String,
    },
    /// The tokens nearest a token in the model's static embedding table, by cosine.
    Neighbours {
        /// Model folder (any supported type).
        #[arg(long, default_value = DEFAULT_MODEL)]
        model: PathBuf,
        /// A word (as it starts a word in running text, e.g. party → GPT-2's "Ġparty") or a
        /// vocabulary entry spelled exactly (e.g. ##ation).
        #[arg(long)]
        token: String,
        /// How many neighbours to list.
        #[arg(long, default_value_t = 10)]
        k: usize,
    },
    /// Cut a text with one tokenizer and print its tokens, ids and byte spans as JSON.
    Tokenize {
        /// chars, bytes, words, wordpiece (the embedded MiniLM's), gpt2 (GPT-2's byte-level
        /// BPE, 50,257 tokens) or model (--model's own tokenizer.json).
        #[arg(long)]
        tokenizer: String,
        /// Model folder, for --tokenizer model.
        #[arg(long)]
        model: Option<PathBuf>,
        /// The text.
        #[arg(long)]
        text: String,
        /// Also print how each token was built: BPE merges (pair, rank) from its bytes, or
        /// WordPiece's greedy longest-match step.
        #[arg(long)]
        merges: bool,
    },
    /// Continue a text with a GPT model, greedy or sampled; prints the continuation.
    Generate {
        /// GPT model folder (gpt2, llama, mistral, qwen2, qwen3) with config.json,
        /// tokenizer.json and model.safetensors or a sharded checkpoint. Each new token runs
        /// against the key/value cache of the tokens before it.
        #[arg(long)]
        model: PathBuf,
        /// The prompt.
        #[arg(long)]
        text: String,
        /// How many tokens to add at most (fewer at the end-of-text token or the model's
        /// last position).
        #[arg(long, default_value_t = 20)]
        max_tokens: usize,
        /// 0 is greedy; higher is more random.
        #[arg(long, default_value_t = 1.0, allow_negative_numbers = true)]
        temperature: f64,
        /// Keep only the k most probable tokens (0 keeps all).
        #[arg(long, default_value_t = 0)]
        top_k: usize,
        /// Keep the most probable tokens until they sum to p (1 keeps all).
        #[arg(long, default_value_t = 1.0, allow_negative_numbers = true)]
        top_p: f64,
        /// Seed of the sampler: the same seed gives the same continuation.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Print one JSON object: prompt_ids, generated_ids, text and per step the chosen
        /// id and the top candidates with probabilities.
        #[arg(long)]
        json: bool,
        /// How many candidates each step lists in --json.
        #[arg(long, default_value_t = 10)]
        top: usize,
    },
    /// Train a GPT-2-architecture model from text (a byte-level BPE tokenizer is trained
    /// first) and write it as a Hugging Face folder with training.json (the loss curve).
    Train(train::TrainArgs),
    /// Write a web bundle (F16 or F32 safetensors + config + tokenizer) from a model folder,
    /// one file even from a sharded checkpoint, and check that both give the same trace.
    Convert {
        #[arg(long)]
        from: PathBuf,
        #[arg(long)]
        to: PathBuf,
        #[arg(long, default_value = "f16")]
        dtype: String,
    },
}

fn main() -> ExitCode {
    // A bug must still read as one line, not a backtrace.
    std::panic::set_hook(Box::new(|info| {
        eprintln!("tokenscope: internal error: {info}");
    }));
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let result = match cli.command {
        Command::Inspect {
            model,
            text,
            pair,
            top,
            fields,
            ablate,
        } => inspect(
            &model,
            &text,
            pair.as_deref(),
            top,
            fields.as_deref(),
            &ablate,
        ),
        Command::Neighbours { model, token, k } => neighbours(&model, &token, k),
        Command::Tokenize {
            tokenizer,
            model,
            text,
            merges,
        } => tokenize::tokenize(&tokenizer, model.as_ref(), &text, merges),
        Command::Convert { from, to, dtype } => convert(&from, &to, &dtype),
        Command::Train(args) => train::train(&args),
        Command::Generate {
            model,
            text,
            max_tokens,
            temperature,
            top_k,
            top_p,
            seed,
            json,
            top,
        } => {
            let sampling = Sampling {
                temperature,
                top_k,
                top_p,
                seed,
            };
            generate_text(&model, &text, max_tokens, &sampling, json, top)
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("tokenscope: {message}");
            ExitCode::from(2)
        }
    }
}

fn load(dir: &Path) -> Result<Model, String> {
    if !dir.is_dir() {
        return Err(format!("model folder {} does not exist", dir.display()));
    }
    Model::from_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))
}

fn inspect(
    dir: &Path,
    text: &str,
    pair: Option<&str>,
    top: usize,
    fields: Option<&str>,
    ablate: &str,
) -> Result<(), String> {
    let fields = json::Fields::parse(fields)?;
    let ablation = Ablation::parse(ablate).map_err(|e| format!("--ablate: {e}"))?;
    let model = load(dir)?;
    ablation
        .check(model.config.num_layers(), model.config.num_heads())
        .map_err(|e| format!("--ablate: {e}"))?;
    let input = model.tokenize(text, pair).map_err(|e| e.to_string())?;
    let trace = model
        .trace_ablated(input, &ablation)
        .map_err(|e| e.to_string())?;
    let lens = if fields.named("logit_lens") {
        Some(logit_lens(&model, &trace, top).map_err(|e| e.to_string())?)
    } else {
        None
    };
    let extras = json::Extras {
        top_k: top,
        ablation: &ablation,
        lens: lens.as_ref(),
    };
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    json::write_trace(&mut out, &model, &trace, &fields, &extras)
        .and_then(|()| out.flush())
        .map_err(|e| format!("writing JSON: {e}"))
}

fn neighbours(dir: &Path, word: &str, k: usize) -> Result<(), String> {
    let model = load(dir)?;
    let id = token_for_word(&model, word).map_err(|e| format!("--token: {e}"))?;
    let table = model.word_embeddings();
    let vector = table
        .row(id as usize)
        .ok_or_else(|| format!("--token: id {id} has no embedding row"))?;
    let near = VocabularyIndex::new(&model).nearest(table, vector.view(), k, &[id]);
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    json::write_neighbours(&mut out, &model, id, &near)
        .and_then(|()| out.flush())
        .map_err(|e| format!("writing JSON: {e}"))
}

fn generate_text(
    dir: &Path,
    text: &str,
    max_tokens: usize,
    sampling: &Sampling,
    as_json: bool,
    top: usize,
) -> Result<(), String> {
    sampling.validate().map_err(|e| e.to_string())?;
    let model = load(dir)?;
    let run = generate(&model, text, max_tokens, sampling, top).map_err(|e| e.to_string())?;
    let continuation = model
        .tokenizer
        .decode(&run.generated_ids)
        .map_err(|e| e.to_string())?;
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let written = if as_json {
        json::write_generation(&mut out, &model, &run, &continuation)
    } else {
        writeln!(out, "{continuation}")
    };
    written
        .and_then(|()| out.flush())
        .map_err(|e| format!("writing the output: {e}"))
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
    std::fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    println!(
        "wrote {} ({} bytes, sha256 {:x})",
        path.display(),
        bytes.len(),
        Sha256::digest(bytes)
    );
    Ok(())
}

fn convert(from: &Path, to: &Path, dtype: &str) -> Result<(), String> {
    let dtype = BundleDtype::parse(dtype)
        .ok_or_else(|| format!("--dtype must be f16 or f32, not \"{dtype}\""))?;
    let config = read(&from.join("config.json"))?;
    let tokenizer = read(&from.join("tokenizer.json"))?;
    // One model.safetensors, or an index and its shards: the bundle is always one file.
    let files = read_dir(from).map_err(|e| format!("{}: {e}", from.display()))?;
    let named: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    let checkpoint = Checkpoint::from_files(&named).map_err(|e| e.to_string())?;
    let source = Model::from_checkpoint(&config, &checkpoint, &tokenizer, Precision::F32)
        .map_err(|e| format!("{}: {e}", from.display()))?;
    let converted = convert_shards(checkpoint.files(), dtype).map_err(|e| e.to_string())?;
    let bundle = Model::from_bytes(&config, &converted, &tokenizer)
        .map_err(|e| format!("converted bundle: {e}"))?;

    // Both must give the same tokens and nearly the same attention before anything is written.
    let a = source
        .trace(CHECK_SENTENCE, None)
        .map_err(|e| e.to_string())?;
    let b = bundle
        .trace(CHECK_SENTENCE, None)
        .map_err(|e| e.to_string())?;
    if a.input.ids != b.input.ids {
        return Err("the bundle tokenizes differently from the source".into());
    }
    let attention_diff = a
        .layers
        .iter()
        .zip(&b.layers)
        .flat_map(|(x, y)| x.attention.iter().zip(y.attention.iter()))
        .map(|(x, y)| (x - y).abs())
        .fold(0.0f32, f32::max);
    let limit = match dtype {
        BundleDtype::F16 => 5e-3,
        BundleDtype::F32 => 1e-6,
    };
    println!("check: \"{CHECK_SENTENCE}\": largest attention difference source vs bundle = {attention_diff:.3e} (limit {limit:.0e})");
    if attention_diff > limit {
        return Err(format!(
            "the converted bundle's attention differs by {attention_diff:.3e} (> {limit:.0e}); keep --dtype f32"
        ));
    }
    std::fs::create_dir_all(to).map_err(|e| format!("{}: {e}", to.display()))?;
    write(&to.join("config.json"), &config)?;
    write(&to.join("tokenizer.json"), &tokenizer)?;
    write(&to.join("model.safetensors"), &converted)?;
    Ok(())
}
