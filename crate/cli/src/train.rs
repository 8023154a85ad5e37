//! `tokenscope train`: a GPT-2-architecture model learned from a text corpus, written as a
//! Hugging Face folder with its loss curve.

use std::path::{Path, PathBuf};
use std::time::Instant;

use tokenscope_core::config::{Gpt2Config, ModelConfig};
use tokenscope_core::corpus::{
    encode_lines, split_held_out, train_tokenizer, vocab_size, wordnet_lines, WordnetPart,
};
use tokenscope_core::optim::AdamWSettings;
use tokenscope_core::train::record::{InitRecord, RecordSettings, TrainingRecord};
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
    /// With --wordnet: take only WordNet's example sentences, not its definitions.
    #[arg(long, requires = "wordnet")]
    pub wordnet_examples: bool,
    /// Go on training this GPT-2 folder (config.json, model.safetensors, tokenizer.json)
    /// instead of a new model: its size and tokenizer are kept.
    #[arg(long, conflicts_with_all = ["vocab", "layers", "heads", "width", "context"])]
    pub init: Option<PathBuf>,
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
        let part = if args.wordnet_examples {
            WordnetPart::Examples
        } else {
            WordnetPart::All
        };
        for name in WORDNET_FILES {
            let path = dir.join(name);
            let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            // WordNet 3.0's files are Latin-1 in a few glosses; each byte is its code point.
            let text: String = bytes.iter().map(|&b| b as char).collect();
            lines.extend(wordnet_lines(&text, part));
        }
        let what = match part {
            WordnetPart::All => "glosses and examples",
            WordnetPart::Examples => "example sentences",
        };
        sources.push(format!("WordNet 3.0 {what} from {}", dir.display()));
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

/// The model a run starts from: a new one with the asked size and a tokenizer trained on
/// the corpus, or a trained folder (`--init`) with its own.
struct Start {
    config: Gpt2Config,
    params: Gpt2Params,
    tokenizer: Vec<u8>,
    /// The folder's own training.json, kept in the new record so its history is not lost.
    base_record: Option<TrainingRecord>,
}

fn start(args: &TrainArgs, train_lines: &[String]) -> Result<Start, String> {
    let Some(dir) = &args.init else {
        let tokenizer = train_tokenizer(train_lines, args.vocab).map_err(|e| e.to_string())?;
        let vocab_size = vocab_size(&tokenizer).map_err(|e| e.to_string())?;
        let config = Gpt2Config::for_training(
            vocab_size,
            args.width,
            args.layers,
            args.heads,
            args.context,
        );
        let params = Gpt2Params::init(&config, args.seed).map_err(|e| e.to_string())?;
        return Ok(Start {
            config,
            params,
            tokenizer,
            base_record: None,
        });
    };
    let read = |name: &str| {
        let path = dir.join(name);
        std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))
    };
    let config = match ModelConfig::from_json(&read("config.json")?) {
        Ok(ModelConfig::Gpt2(config)) => config,
        Ok(_) => return Err(format!("{}: --init takes a GPT-2 model", dir.display())),
        Err(e) => return Err(format!("{}: {e}", dir.display())),
    };
    let params = Gpt2Params::from_safetensors(&config, &read("model.safetensors")?)
        .map_err(|e| format!("{}: {e}", dir.display()))?;
    let tokenizer = read("tokenizer.json")?;
    let tokenizer_vocab = vocab_size(&tokenizer).map_err(|e| e.to_string())?;
    if tokenizer_vocab != config.vocab_size {
        return Err(format!(
            "{}: the tokenizer has {tokenizer_vocab} tokens but config.json says {}",
            dir.display(),
            config.vocab_size
        ));
    }
    let base_record = match std::fs::read(dir.join("training.json")) {
        Ok(bytes) => {
            Some(TrainingRecord::parse(&bytes).map_err(|e| format!("{}: {e}", dir.display()))?)
        }
        Err(_) => None,
    };
    Ok(Start {
        config,
        params,
        tokenizer,
        base_record,
    })
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
    let Start {
        config,
        params,
        tokenizer,
        base_record,
    } = start(args, &train_lines)?;
    let train_ids = encode_lines(&tokenizer, &train_lines).map_err(|e| e.to_string())?;
    let held_out_ids = encode_lines(&tokenizer, &held_out_lines).map_err(|e| e.to_string())?;
    // `start` has matched the config to the tokenizer (new or from --init).
    let vocab_size = config.vocab_size;
    eprintln!(
        "tokenizer: {vocab_size} tokens; {} training tokens, {} held out",
        train_ids.len(),
        held_out_ids.len()
    );
    let settings = TrainingSettings {
        batch: args.batch,
        seq: config.n_positions,
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
        "model: {} parameters ({} layers × {} heads, width {}, context {}){}",
        params.len(),
        config.n_layer,
        config.n_head,
        config.n_embd,
        config.n_positions,
        args.init
            .as_ref()
            .map_or(String::new(), |dir| format!(", from {}", dir.display()))
    );
    let mut run = TrainingRun::new(
        params,
        train_ids.clone(),
        held_out_ids.clone(),
        settings.clone(),
    )
    .map_err(|e| e.to_string())?;
    // Where a trained model starts on this text: the first point of a fine-tuning curve.
    let initial_held_out_loss = match args.init {
        Some(_) => {
            let loss = run.held_out_loss().map_err(|e| e.to_string())?;
            eprintln!(
                "step      0: held-out loss {loss:.4} (perplexity {:.1})",
                loss.exp()
            );
            Some(loss)
        }
        None => None,
    };
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
    let record = TrainingRecord {
        corpus: source,
        training_lines: Some(train_lines.len()),
        held_out_lines: Some(held_out_lines.len()),
        held_out_every: Some(args.held_out_every),
        held_out: None,
        training_tokens: train_ids.len(),
        held_out_tokens: held_out_ids.len(),
        vocab_size,
        parameters: run.params.len(),
        settings: RecordSettings::from_settings(&settings),
        held_out_loss: final_loss,
        held_out_perplexity: final_loss.exp(),
        seconds: started.elapsed().as_secs_f64(),
        trained_in: None,
        // Per-step losses thinned to window means: a curve a page can fetch and plot.
        history: thin_history(&run.history, CURVE_POINTS),
        init: args.init.as_ref().map(|dir| InitRecord {
            from: Some(dir.display().to_string()),
            held_out_loss_before: initial_held_out_loss,
            base: base_record.map(Box::new),
        }),
    };
    write(
        &args.out.join("training.json"),
        record.to_json()?.as_bytes(),
    )?;
    eprintln!(
        "wrote {}: held-out loss {final_loss:.4}, perplexity {:.1}, {:.0} s",
        args.out.display(),
        final_loss.exp(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
