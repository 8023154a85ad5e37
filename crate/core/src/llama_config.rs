//! Reads the `config.json` of a modern decoder (llama, mistral, qwen2, qwen3) into one set of
//! hyper-parameters: RMSNorm, a SwiGLU MLP, rotary positions and grouped-query attention,
//! with each family's biases, windows and norms as transformers builds them.

use serde::Deserialize;
use serde_json::Value;

use crate::error::{Error, Result};

/// Which transformers class the config names; they differ only in biases, windows and norms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Llama,
    Mistral,
    Qwen2,
    Qwen3,
}

impl Family {
    pub const ALL: [Family; 4] = [Family::Llama, Family::Mistral, Family::Qwen2, Family::Qwen3];

    pub fn name(self) -> &'static str {
        match self {
            Family::Llama => "llama",
            Family::Mistral => "mistral",
            Family::Qwen2 => "qwen2",
            Family::Qwen3 => "qwen3",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.name() == name)
    }
}

/// How rotary frequencies are stretched for contexts longer than training's
/// (`rope_type` in transformers' `modeling_rope_utils.py`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RopeScaling {
    /// θ_i = base^(−2i/d).
    Default,
    /// Every frequency divided by `factor`.
    Linear { factor: f64 },
    /// Llama 3.x: low frequencies divided by `factor`, high ones kept, a smooth blend between.
    Llama3 {
        factor: f64,
        low_freq_factor: f64,
        high_freq_factor: f64,
        original_max_position_embeddings: f64,
    },
    /// Dynamic NTK: the base grows only for texts longer than `max_position_embeddings`, which
    /// TokenScope never runs (it keeps that many tokens), so the frequencies are the default ones.
    Dynamic { factor: f64 },
}

/// The rope types this core computes, for the error that names an unsupported one.
pub const SUPPORTED_ROPE_TYPES: &str = "default, linear, llama3, dynamic";

/// Rotary position embedding settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rope {
    pub theta: f64,
    pub scaling: RopeScaling,
}

/// A llama-family decoder's hyper-parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct LlamaConfig {
    pub family: Family,
    pub vocab_size: usize,
    pub hidden_size: usize,
    pub intermediate_size: usize,
    pub num_hidden_layers: usize,
    pub num_attention_heads: usize,
    /// Heads of keys and values; each serves `num_attention_heads / num_key_value_heads`
    /// query heads (grouped-query attention; 1 is multi-query).
    pub num_key_value_heads: usize,
    /// Width of one head; Qwen3's differs from hidden / heads.
    pub head_dim: usize,
    pub max_position_embeddings: usize,
    pub rms_norm_eps: f64,
    pub rope: Rope,
    /// Biases on q, k and v.
    pub qkv_bias: bool,
    /// A bias on the attention's output projection.
    pub o_bias: bool,
    /// Biases on gate, up and down (llama's `mlp_bias`).
    pub mlp_bias: bool,
    /// Qwen3's RMSNorm over each head's query and key, before rotation.
    pub qk_norm: bool,
    /// The output head is the token embedding table (no `lm_head.weight`).
    pub tie_word_embeddings: bool,
    /// Per layer, the number of most recent tokens a query sees (itself included), or None
    /// for all earlier tokens.
    pub sliding_windows: Vec<Option<usize>>,
    /// Tokens that end a text; generation stops after any of them.
    pub eos_token_ids: Vec<u32>,
}

impl LlamaConfig {
    /// Query heads per key/value head.
    pub fn group_size(&self) -> usize {
        self.num_attention_heads / self.num_key_value_heads
    }

    /// What attention multiplies q·k by: 1/√head_dim.
    pub fn attention_scale(&self) -> f32 {
        (self.head_dim as f64).powf(-0.5) as f32
    }
}

#[derive(Deserialize)]
struct Raw {
    vocab_size: usize,
    hidden_size: usize,
    intermediate_size: usize,
    num_hidden_layers: usize,
    num_attention_heads: usize,
    #[serde(default)]
    num_key_value_heads: Option<usize>,
    #[serde(default)]
    head_dim: Option<usize>,
    #[serde(default = "default_positions")]
    max_position_embeddings: usize,
    #[serde(default = "default_eps")]
    rms_norm_eps: f64,
    #[serde(default = "default_act")]
    hidden_act: String,
    #[serde(default)]
    rope_theta: Option<f64>,
    #[serde(default)]
    rope_scaling: Option<Value>,
    #[serde(default)]
    rope_parameters: Option<Value>,
    #[serde(default)]
    partial_rotary_factor: Option<f64>,
    #[serde(default)]
    attention_bias: Option<bool>,
    #[serde(default)]
    mlp_bias: bool,
    #[serde(default)]
    tie_word_embeddings: bool,
    #[serde(default)]
    sliding_window: Option<usize>,
    #[serde(default)]
    use_sliding_window: bool,
    #[serde(default)]
    max_window_layers: Option<usize>,
    #[serde(default)]
    layer_types: Option<Vec<String>>,
    #[serde(default)]
    eos_token_id: Option<Value>,
}

fn default_positions() -> usize {
    2048
}
fn default_eps() -> f64 {
    1e-6
}
fn default_act() -> String {
    "silu".into()
}

fn number(map: &Value, key: &str) -> Result<f64> {
    map.get(key).and_then(Value::as_f64).ok_or_else(|| {
        Error::Config(format!(
            "the rope settings lack \"{key}\", which their rope type needs"
        ))
    })
}

/// The rope settings, from transformers 5's `rope_parameters` or the hub's `rope_theta` and
/// `rope_scaling`.
fn rope(raw: &Raw) -> Result<Rope> {
    let params = raw
        .rope_parameters
        .as_ref()
        .filter(|v| v.is_object())
        .or(raw.rope_scaling.as_ref().filter(|v| v.is_object()));
    let theta = params
        .and_then(|p| p.get("rope_theta"))
        .and_then(Value::as_f64)
        .or(raw.rope_theta)
        .unwrap_or(10_000.0);
    if !(theta.is_finite() && theta > 1.0) {
        return Err(Error::Config(format!(
            "rope_theta must be a number above 1, not {theta}"
        )));
    }
    let partial = params
        .and_then(|p| p.get("partial_rotary_factor"))
        .and_then(Value::as_f64)
        .or(raw.partial_rotary_factor)
        .unwrap_or(1.0);
    if partial != 1.0 {
        return Err(Error::Config(format!(
            "partial_rotary_factor {partial} is not supported (only 1: every dimension rotates)"
        )));
    }
    let Some(params) = params else {
        return Ok(Rope {
            theta,
            scaling: RopeScaling::Default,
        });
    };
    let kind = params
        .get("rope_type")
        .or_else(|| params.get("type"))
        .and_then(Value::as_str)
        .unwrap_or("default");
    let scaling = match kind {
        "default" => RopeScaling::Default,
        "linear" => RopeScaling::Linear {
            factor: number(params, "factor")?,
        },
        "dynamic" => RopeScaling::Dynamic {
            factor: number(params, "factor")?,
        },
        "llama3" => RopeScaling::Llama3 {
            factor: number(params, "factor")?,
            low_freq_factor: number(params, "low_freq_factor")?,
            high_freq_factor: number(params, "high_freq_factor")?,
            original_max_position_embeddings: number(params, "original_max_position_embeddings")?,
        },
        other => {
            return Err(Error::Config(format!(
                "rope type \"{other}\" is not supported (supported: {SUPPORTED_ROPE_TYPES})"
            )))
        }
    };
    let factor_ok = |f: f64| f.is_finite() && f > 0.0;
    match scaling {
        RopeScaling::Linear { factor } | RopeScaling::Dynamic { factor } if !factor_ok(factor) => {
            return Err(Error::Config(format!(
                "rope factor must be positive, not {factor}"
            )))
        }
        RopeScaling::Llama3 {
            factor,
            low_freq_factor,
            high_freq_factor,
            original_max_position_embeddings,
        } if !(factor_ok(factor)
            && factor_ok(low_freq_factor)
            && high_freq_factor > low_freq_factor
            && factor_ok(original_max_position_embeddings)) =>
        {
            return Err(Error::Config(
                "llama3 rope needs positive factor, low_freq_factor < high_freq_factor and original_max_position_embeddings".into(),
            ))
        }
        _ => {}
    }
    Ok(Rope { theta, scaling })
}

/// Which layers attend within a sliding window, as each family's transformers class decides.
fn sliding_windows(family: Family, raw: &Raw) -> Result<Vec<Option<usize>>> {
    let layers = raw.num_hidden_layers;
    let window = match family {
        Family::Llama => None,
        Family::Mistral => raw.sliding_window,
        Family::Qwen2 | Family::Qwen3 => raw.sliding_window.filter(|_| raw.use_sliding_window),
    };
    let Some(window) = window else {
        return Ok(vec![None; layers]);
    };
    if window == 0 {
        return Err(Error::Config("sliding_window must be positive".into()));
    }
    // Mistral's class ignores layer_types: every layer slides.
    if let Some(types) = raw
        .layer_types
        .as_ref()
        .filter(|_| family != Family::Mistral)
    {
        if types.len() != layers {
            return Err(Error::Config(format!(
                "layer_types lists {} layers, num_hidden_layers is {layers}",
                types.len()
            )));
        }
        return types
            .iter()
            .map(|t| match t.as_str() {
                "sliding_attention" => Ok(Some(window)),
                "full_attention" => Ok(None),
                other => Err(Error::Config(format!(
                    "layer type \"{other}\" is not supported (supported: full_attention, sliding_attention)"
                ))),
            })
            .collect();
    }
    Ok(match family {
        // Qwen2/3 slide only from layer `max_window_layers` on.
        Family::Qwen2 | Family::Qwen3 => {
            let first = raw.max_window_layers.unwrap_or(layers);
            (0..layers)
                .map(|i| (i >= first).then_some(window))
                .collect()
        }
        _ => vec![Some(window); layers],
    })
}

fn eos_ids(value: Option<&Value>) -> Vec<u32> {
    let one = |v: &Value| v.as_u64().and_then(|id| u32::try_from(id).ok());
    match value {
        Some(Value::Array(ids)) => ids.iter().filter_map(one).collect(),
        Some(v) => one(v).into_iter().collect(),
        None => Vec::new(),
    }
}

/// Parses a llama-family config whose `model_type` is `family`.
pub fn parse(family: Family, value: Value) -> Result<LlamaConfig> {
    let raw: Raw = serde_json::from_value(value)
        .map_err(|e| Error::Config(format!("{} config: {e}", family.name())))?;
    let kv_heads = raw.num_key_value_heads.unwrap_or(raw.num_attention_heads);
    for (name, v) in [
        ("vocab_size", raw.vocab_size),
        ("hidden_size", raw.hidden_size),
        ("intermediate_size", raw.intermediate_size),
        ("num_hidden_layers", raw.num_hidden_layers),
        ("num_attention_heads", raw.num_attention_heads),
        ("num_key_value_heads", kv_heads),
        ("max_position_embeddings", raw.max_position_embeddings),
    ] {
        if v == 0 {
            return Err(Error::Config(format!("{name} must be positive")));
        }
    }
    if !raw.num_attention_heads.is_multiple_of(kv_heads) {
        return Err(Error::Config(format!(
            "num_key_value_heads {kv_heads} does not divide num_attention_heads {}: every key/value head must serve the same number of query heads",
            raw.num_attention_heads
        )));
    }
    let head_dim = match raw.head_dim {
        Some(d) => d,
        None if raw.hidden_size.is_multiple_of(raw.num_attention_heads) => {
            raw.hidden_size / raw.num_attention_heads
        }
        None => {
            return Err(Error::Config(format!(
            "hidden size {} is not divisible by the number of heads {} and no head_dim is given",
            raw.hidden_size, raw.num_attention_heads
        )))
        }
    };
    if head_dim == 0 || !head_dim.is_multiple_of(2) {
        return Err(Error::Config(format!(
            "head_dim must be a positive even number (rotary positions turn pairs), not {head_dim}"
        )));
    }
    if !(raw.rms_norm_eps.is_finite() && raw.rms_norm_eps >= 0.0) {
        return Err(Error::Config(format!(
            "rms_norm_eps must be a non-negative number, not {}",
            raw.rms_norm_eps
        )));
    }
    if !matches!(raw.hidden_act.as_str(), "silu" | "swish") {
        return Err(Error::Config(format!(
            "hidden_act \"{}\" is not supported for {} (supported: silu)",
            raw.hidden_act,
            family.name()
        )));
    }
    let attention_bias = raw.attention_bias.unwrap_or(false);
    let (qkv_bias, o_bias) = match family {
        Family::Llama | Family::Qwen3 => (attention_bias, attention_bias),
        Family::Mistral => (false, false),
        Family::Qwen2 => (true, false),
    };
    Ok(LlamaConfig {
        family,
        rope: rope(&raw)?,
        sliding_windows: sliding_windows(family, &raw)?,
        eos_token_ids: eos_ids(raw.eos_token_id.as_ref()),
        vocab_size: raw.vocab_size,
        hidden_size: raw.hidden_size,
        intermediate_size: raw.intermediate_size,
        num_hidden_layers: raw.num_hidden_layers,
        num_attention_heads: raw.num_attention_heads,
        num_key_value_heads: kv_heads,
        head_dim,
        max_position_embeddings: raw.max_position_embeddings,
        rms_norm_eps: raw.rms_norm_eps,
        qkv_bias,
        o_bias,
        mlp_bias: family == Family::Llama && raw.mlp_bias,
        qk_norm: family == Family::Qwen3,
        tie_word_embeddings: raw.tie_word_embeddings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn base() -> Value {
        json!({
            "vocab_size": 100, "hidden_size": 32, "intermediate_size": 64,
            "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
            "max_position_embeddings": 64, "rms_norm_eps": 1e-5
        })
    }

    fn with(extra: Value) -> Value {
        let mut v = base();
        for (k, x) in extra.as_object().expect("object") {
            v[k] = x.clone();
        }
        v
    }

    #[test]
    fn rope_theta_is_read_from_either_form() {
        let hub = parse(Family::Llama, with(json!({"rope_theta": 500000.0}))).expect("parses");
        assert_eq!(hub.rope.theta, 500000.0);
        let v5 = parse(
            Family::Llama,
            with(json!({"rope_parameters": {"rope_type": "default", "rope_theta": 1e6}})),
        )
        .expect("parses");
        assert_eq!(v5.rope.theta, 1e6);
        assert_eq!(v5.rope.scaling, RopeScaling::Default);
        let none = parse(Family::Llama, base()).expect("parses");
        assert_eq!(none.rope.theta, 10_000.0);
        let l3 = parse(
            Family::Llama,
            with(json!({"rope_theta": 500000.0, "rope_scaling": {"rope_type": "llama3", "factor": 32.0,
                "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}})),
        )
        .expect("parses");
        assert!(matches!(l3.rope.scaling, RopeScaling::Llama3 { factor, .. } if factor == 32.0));
        let old = parse(
            Family::Llama,
            with(json!({"rope_scaling": {"type": "linear", "factor": 2.0}})),
        )
        .expect("parses");
        assert_eq!(old.rope.scaling, RopeScaling::Linear { factor: 2.0 });
    }

    #[test]
    fn bad_settings_are_named() {
        let cases = [
            (with(json!({"num_key_value_heads": 3})), "does not divide"),
            (
                with(json!({"rope_scaling": {"rope_type": "yarn", "factor": 4.0}})),
                "rope type \"yarn\" is not supported (supported: default, linear, llama3, dynamic)",
            ),
            (
                with(json!({"rope_scaling": {"rope_type": "llama3", "factor": 8.0}})),
                "low_freq_factor",
            ),
            (with(json!({"head_dim": 7})), "even"),
            (
                with(
                    json!({"hidden_size": 30, "num_attention_heads": 4, "num_key_value_heads": 4}),
                ),
                "not divisible",
            ),
            (with(json!({"hidden_act": "gelu"})), "hidden_act"),
            (
                with(json!({"partial_rotary_factor": 0.5})),
                "partial_rotary_factor",
            ),
            (with(json!({"num_key_value_heads": 0})), "must be positive"),
        ];
        for (config, words) in cases {
            let err = parse(Family::Llama, config)
                .expect_err("refused")
                .to_string();
            assert!(err.contains(words), "{err} lacks {words}");
        }
    }

    #[test]
    fn each_family_gets_its_biases_norms_and_windows() {
        let qwen2 = parse(
            Family::Qwen2,
            with(json!({"sliding_window": 4, "use_sliding_window": false})),
        )
        .expect("parses");
        assert!(qwen2.qkv_bias && !qwen2.o_bias && !qwen2.qk_norm);
        assert_eq!(qwen2.sliding_windows, vec![None, None]);
        let qwen2 = parse(
            Family::Qwen2,
            with(json!({"sliding_window": 4, "use_sliding_window": true, "max_window_layers": 1})),
        )
        .expect("parses");
        assert_eq!(qwen2.sliding_windows, vec![None, Some(4)]);
        let qwen3 = parse(
            Family::Qwen3,
            with(json!({"head_dim": 16, "attention_bias": true})),
        )
        .expect("parses");
        assert!(qwen3.qk_norm && qwen3.qkv_bias && qwen3.o_bias);
        assert_eq!(qwen3.head_dim, 16);
        let mistral = parse(
            Family::Mistral,
            with(json!({"sliding_window": 5, "attention_bias": true})),
        )
        .expect("parses");
        assert!(!mistral.qkv_bias);
        assert_eq!(mistral.sliding_windows, vec![Some(5), Some(5)]);
        let llama = parse(
            Family::Llama,
            with(json!({"attention_bias": true, "mlp_bias": true, "sliding_window": 3, "eos_token_id": [7, 9]})),
        )
        .expect("parses");
        assert!(llama.qkv_bias && llama.o_bias && llama.mlp_bias);
        assert_eq!(llama.sliding_windows, vec![None, None]);
        assert_eq!(llama.eos_token_ids, vec![7, 9]);
        assert_eq!(llama.group_size(), 2);
    }
}
