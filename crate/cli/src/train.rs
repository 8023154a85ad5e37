//! `tokenscope train`: a GPT-2-architecture model learned from a text corpus, written as a
//! Hugging Face folder with its loss curve.

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde_json::json;
use tokenscope_core::config::Gpt2Config;
use tokenscope_core::corpus::{
    encode_lines, split_held_out, train_tokenizer, vocab_size, wordnet_lines,
};
use tokenscope_core::optim::AdamWSettings;
use tokenscope_core::train::{thin_history, Gpt2Params, TrainingRun, TrainingSettings};

/// Points of the loss curve written to training.json.
const CURVE_POINTS: usize = 500;

/// Everything `train` is asked for on the command line.
#[derive(clap::Args)]
pub struct TrainArgs {
    /// A UTF-8 text file; each non-empty line is a document. Repeat to add files.
    #[arg(long)]
    pub corpus: Vec<PathBuf>,
    /// A WordNet 3.0 dict folder (Debian's wordnet-base: /usr/share/wordnet).
    #[arg(long)]
    pub wordnet: Option<PathBuf>,
    /// Where to write config.json, model.safetensors, tokenizer.json, training.json.
    #[arg(long)]
    pub out: PathBuf,
    #[arg(long, default_value_t = 4096)]
    pub vocab: usize,
    #[arg(long, default_value_t = 4)]
    pub layers: usize,
    #[arg(long, default_value_t = 4)]
    pub heads: usize,
    #[arg(long, default_value_t = 128)]
    pub width: usize,
    /// Positions the model sees (and the training window length).
    #[arg(long, default_value_t = 64)]
    pub context: usize,
    #[arg(long, default_value_t = 16)]
    pub batch: usize,
    #[arg(long, default_value_t = 2000)]
    pub steps: usize,
    #[arg(long, default_value_t = 3e-3)]
    pub learning_rate: f32,
    #[arg(long, default_value_t = 100)]
    pub warmup: usize,
    /// Measure the held-out loss every this many steps.
    #[arg(long, default_value_t = 100)]
    pub eval_every: usize,
    /// Hold out every n-th line of the corpus.
    #[arg(long, default_value_t = 50)]
    pub held_out_every: usize,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

/// The four WordNet data files, in a fixed order so the corpus never changes.
const WORDNET_FILES: [&str; 4] = ["data.noun", "data.verb", "data.adj", "data.adv"];

fn corpus_lines(args: &TrainArgs) -> Result<(Vec<String>, String), String> {
    if args.wordnet.is_none() && args.corpus.is_empty() {
        return Err("give --wordnet DIR, --corpus FILE (repeatable), or both".into());
    }
    let mut lines = Vec::new();
    let mut sources = Vec::new();
    if let Some(dir) = &args.wordnet {
        for name in WORDNET_FILES {
            let path = dir.join(name);
            let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            // WordNet 3.0's files are Latin-1 in a few glosses; each byte is its code point.
            let text: String = bytes.iter().map(|&b| b as char).collect();
            lines.extend(wordnet_lines(&text));
        }
        sources.push(format!(
            "WordNet 3.0 glosses and examples from {}",
            dir.display()
        ));
    }
    for file in &args.corpus {
        let bytes = std::fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
        let text = String::from_utf8(bytes)
            .map_err(|_| format!("{}: the corpus is not UTF-8 text", file.display()))?;
        lines.extend(
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(String::from),
        );
        let name = file.file_name().map_or_else(
            || file.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        sources.push(format!("lines of {name}"));
    }
    Ok((lines, sources.join(" + ")))
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
    std::fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))
}

pub fn train(args: &TrainArgs) -> Result<(), String> {
    let started = Instant::now();
    let (lines, source) = corpus_lines(args)?;
    let (train_lines, held_out_lines) = split_held_out(lines, args.held_out_every);
    eprintln!(
        "corpus: {} training lines, {} held out ({source})",
        train_lines.len(),
        held_out_lines.len()
    );
    let tokenizer = train_tokenizer(&train_lines, args.vocab).map_err(|e| e.to_string())?;
    let train_ids = encode_lines(&tokenizer, &train_lines).map_err(|e| e.to_string())?;
    let held_out_ids = encode_lines(&tokenizer, &held_out_lines).map_err(|e| e.to_string())?;
    let vocab_size = vocab_size(&tokenizer).map_err(|e| e.to_string())?;
    eprintln!(
        "tokenizer: {vocab_size} tokens; {} training tokens, {} held out",
        train_ids.len(),
        held_out_ids.len()
    );
    let config = Gpt2Config::for_training(
        vocab_size,
        args.width,
        args.layers,
        args.heads,
        args.context,
    );
    let params = Gpt2Params::init(&config, args.seed).map_err(|e| e.to_string())?;
    let settings = TrainingSettings {
        batch: args.batch,
        seq: args.context,
        steps: args.steps,
        learning_rate: args.learning_rate,
        min_learning_rate: args.learning_rate / 10.0,
        warmup: args.warmup,
        max_grad_norm: 1.0,
        adamw: AdamWSettings::default(),
        eval_every: args.eval_every,
        eval_batches: 8,
        seed: args.seed,
    };
    eprintln!(
        "model: {} parameters ({} layers × {} heads, width {}, context {})",
        params.len(),
        args.layers,
        args.heads,
        args.width,
        args.context
    );
    let mut run = TrainingRun::new(
        params,
        train_ids.clone(),
        held_out_ids.clone(),
        settings.clone(),
    )
    .map_err(|e| e.to_string())?;
    let loop_started = Instant::now();
    while !run.finished() {
        let point = run.train_step().map_err(|e| e.to_string())?;
        if let Some(held_out) = point.held_out_loss {
            let seconds = loop_started.elapsed().as_secs_f64();
            let tokens = (point.step * settings.batch * settings.seq) as f64;
            eprintln!(
                "step {:>6}/{}: train loss {:.4}, held-out loss {:.4} (perplexity {:.1}), lr {:.2e}, {:.0} tokens/s",
                point.step,
                settings.steps,
                point.train_loss,
                held_out,
                held_out.exp(),
                point.learning_rate,
                tokens / seconds.max(1e-9)
            );
        }
    }
    let final_loss = run.held_out_loss().map_err(|e| e.to_string())?;
    std::fs::create_dir_all(&args.out).map_err(|e| format!("{}: {e}", args.out.display()))?;
    write(&args.out.join("config.json"), config.to_json().as_bytes())?;
    write(
        &args.out.join("model.safetensors"),
        &run.params.to_safetensors().map_err(|e| e.to_string())?,
    )?;
    write(&args.out.join("tokenizer.json"), &tokenizer)?;
    let report = json!({
        "corpus": source,
        "training_lines": train_lines.len(),
        "held_out_lines": held_out_lines.len(),
        "held_out_every": args.held_out_every,
        "training_tokens": train_ids.len(),
        "held_out_tokens": held_out_ids.len(),
        "vocab_size": vocab_size,
        "parameters": run.params.len(),
        "settings": {
            "batch": settings.batch, "seq": settings.seq, "steps": settings.steps,
            "learning_rate": settings.learning_rate, "min_learning_rate": settings.min_learning_rate,
            "warmup": settings.warmup, "max_grad_norm": settings.max_grad_norm,
            "beta1": settings.adamw.beta1, "beta2": settings.adamw.beta2, "eps": settings.adamw.eps,
            "weight_decay": settings.adamw.weight_decay, "seed": settings.seed,
        },
        "held_out_loss": final_loss,
        "held_out_perplexity": final_loss.exp(),
        "seconds": started.elapsed().as_secs_f64(),
        // Per-step losses thinned to window means: a curve a page can fetch and plot.
        "history": thin_history(&run.history, CURVE_POINTS),
    });
    write(
        &args.out.join("training.json"),
        serde_json::to_string_pretty(&report)
            .map_err(|e| e.to_string())?
            .as_bytes(),
    )?;
    eprintln!(
        "wrote {}: held-out loss {final_loss:.4}, perplexity {:.1}, {:.0} s",
        args.out.display(),
        final_loss.exp(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
