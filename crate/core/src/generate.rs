//! Text generation one token at a time, greedy or sampled with temperature, top-k and top-p
//! from a seeded generator, so a class can replay a run. Every step keeps its candidates.
//!
//! The sampling procedure, step by step (`tests/reference/generate_decoding.py` implements
//! the same in Python on PyTorch's logits, and the tests compare the ids):
//! 1. Logits of the last position: final hidden state · word-embedding tableᵀ (GPT-2's tied
//!    head), widened to f64.
//! 2. Temperature 0 is greedy: the highest logit wins (the lowest id on a tie); nothing is drawn.
//! 3. Otherwise p = softmax(logits / T) in f64.
//! 4. Candidates sorted by p, highest first (lower id first on a tie).
//! 5. top-k (k > 0) keeps the first k; top-p (p < 1) keeps the shortest prefix whose summed
//!    p reaches top-p. At least one candidate is always kept.
//! 6. One uniform number u in [0, 1) from SplitMix64(seed): the upper 53 bits of the next
//!    output divided by 2⁵³. The chosen token is the first kept candidate whose running sum
//!    of p exceeds u × (sum of the kept p) — the same as renormalising the kept candidates.
//! 7. Generation stops after `max_tokens`, after the model's end-of-text token, or when the
//!    text fills the model's positions.

use crate::error::{Error, Result};
use crate::model::Model;

/// SplitMix64 (Steele, Lea & Flood 2014): tiny, fast, and easy to reproduce in any language,
/// so the Python reference and a browser replay draw the very same numbers.
#[derive(Debug, Clone)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        SplitMix64 { state: seed }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1) with 53 random bits.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// How the next token is chosen.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sampling {
    /// 0 = greedy; higher flattens the distribution, lower sharpens it.
    pub temperature: f64,
    /// Keep only the k most probable tokens; 0 keeps all.
    pub top_k: usize,
    /// Keep the most probable tokens until their probabilities sum to this; 1 keeps all.
    pub top_p: f64,
    pub seed: u64,
}

impl Sampling {
    pub fn greedy() -> Self {
        Sampling {
            temperature: 0.0,
            top_k: 0,
            top_p: 1.0,
            seed: 0,
        }
    }

    /// Refuses settings that have no meaning, with a message that says which.
    pub fn validate(&self) -> Result<()> {
        if !self.temperature.is_finite() || self.temperature < 0.0 {
            return Err(Error::Input(format!(
                "temperature must be 0 (greedy) or positive, not {}",
                self.temperature
            )));
        }
        if !self.top_p.is_finite() || self.top_p <= 0.0 || self.top_p > 1.0 {
            return Err(Error::Input(format!(
                "top-p must be in (0, 1], not {}",
                self.top_p
            )));
        }
        Ok(())
    }
}

/// One token the model considered at a step.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub id: u32,
    /// Probability after temperature, before top-k / top-p (greedy: plain softmax).
    pub prob: f64,
    /// Survived top-k and top-p.
    pub kept: bool,
}

/// One generated token and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub id: u32,
    /// Its probability after temperature, before top-k / top-p.
    pub prob: f64,
    /// The most probable candidates, highest first, as many as asked for.
    pub top: Vec<Candidate>,
    /// How many candidates top-k and top-p kept (1 for greedy).
    pub kept: usize,
    /// The uniform number drawn (None for greedy).
    pub draw: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Generation {
    pub prompt_ids: Vec<u32>,
    pub generated_ids: Vec<u32>,
    pub steps: Vec<Step>,
    /// Milliseconds by the caller's clock (0 without one, see [`generate_timed`]): reading
    /// the prompt and choosing the first token, then every later token, one by one, against
    /// the key/value cache.
    pub prompt_ms: f64,
    pub decode_ms: f64,
}

fn softmax(logits: &[f64], temperature: f64) -> Vec<f64> {
    let scaled: Vec<f64> = logits.iter().map(|l| l / temperature).collect();
    let max = scaled.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let exps: Vec<f64> = scaled.iter().map(|s| (s - max).exp()).collect();
    let sum: f64 = exps.iter().sum();
    exps.iter().map(|e| e / sum).collect()
}

/// Chooses the next token from one position's logits; `show` candidates are kept for display.
pub fn choose(
    logits: &[f32],
    sampling: &Sampling,
    rng: &mut SplitMix64,
    show: usize,
) -> Result<Step> {
    sampling.validate()?;
    if logits.is_empty() {
        return Err(Error::Input("no logits to choose from".into()));
    }
    if logits.iter().any(|l| !l.is_finite()) {
        return Err(Error::Input("the model produced a non-finite logit".into()));
    }
    let wide: Vec<f64> = logits.iter().map(|&l| f64::from(l)).collect();
    let greedy = sampling.temperature == 0.0;
    let probs = softmax(&wide, if greedy { 1.0 } else { sampling.temperature });
    let mut order: Vec<usize> = (0..probs.len()).collect();
    // Sorting by logit for greedy keeps exact ties on the lower id, like argmax.
    order.sort_by(|&a, &b| {
        let (x, y) = if greedy {
            (wide[a], wide[b])
        } else {
            (probs[a], probs[b])
        };
        y.total_cmp(&x).then(a.cmp(&b))
    });
    let kept = if greedy {
        1
    } else {
        let mut kept = if sampling.top_k > 0 {
            sampling.top_k.min(order.len())
        } else {
            order.len()
        };
        if sampling.top_p < 1.0 {
            let mut sum = 0.0;
            for (n, &i) in order.iter().take(kept).enumerate() {
                sum += probs[i];
                if sum >= sampling.top_p {
                    kept = n + 1;
                    break;
                }
            }
        }
        kept.max(1)
    };
    let (chosen, draw) = if greedy {
        (order[0], None)
    } else {
        let u = rng.next_f64();
        let total: f64 = order[..kept].iter().map(|&i| probs[i]).sum();
        let target = u * total;
        let mut running = 0.0;
        let mut chosen = order[kept - 1];
        for &i in &order[..kept] {
            running += probs[i];
            if running > target {
                chosen = i;
                break;
            }
        }
        (chosen, Some(u))
    };
    let top = order
        .iter()
        .take(show)
        .enumerate()
        .map(|(rank, &i)| Candidate {
            id: i as u32,
            prob: probs[i],
            kept: rank < kept,
        })
        .collect();
    Ok(Step {
        id: chosen as u32,
        prob: probs[chosen],
        top,
        kept,
        draw,
    })
}

/// The logits of the last position for `ids`, by running the whole text again (no cache):
/// the final hidden state · the output head. Generation uses the cache instead; this is the
/// reference the cache is tested against. (V)
pub fn next_token_logits(model: &Model, ids: &[u32]) -> Result<Vec<f32>> {
    let input = model.tokens_from_ids(ids);
    let trace = model.trace_tokens(input)?;
    let last = trace
        .hidden_states
        .last()
        .ok_or_else(|| Error::Input("the model has no layers".into()))?;
    let row = last.slice(ndarray::s![last.nrows().saturating_sub(1).., ..]); // (1, H)
    Ok(model
        .output_head()
        .mul_transposed(&row)
        .into_raw_vec_and_offset()
        .0) // (V)
}

/// Generates up to `max_tokens` after `prompt` with a causal model. The prompt is read once;
/// each new token then runs alone against the key/value cache of the tokens before it.
pub fn generate(
    model: &Model,
    prompt: &str,
    max_tokens: usize,
    sampling: &Sampling,
    show: usize,
) -> Result<Generation> {
    generate_timed(model, prompt, max_tokens, sampling, show, &|| 0.0)
}

/// As [`generate`], timing the prompt and the later tokens with `clock` (milliseconds from
/// any origin): the page passes the browser's `performance.now`, which core cannot reach.
pub fn generate_timed(
    model: &Model,
    prompt: &str,
    max_tokens: usize,
    sampling: &Sampling,
    show: usize,
    clock: &dyn Fn() -> f64,
) -> Result<Generation> {
    sampling.validate()?;
    let info = model.info();
    if !info.causal {
        return Err(Error::Input(format!(
            "generation needs a GPT model; this is a {} model, which reads text but does not continue it",
            info.model_type
        )));
    }
    let prompt_ids = model.tokenize(prompt, None)?.ids;
    let eos = model.config.eos_token_ids();
    let mut ids = prompt_ids.clone();
    let mut rng = SplitMix64::new(sampling.seed);
    let mut steps = Vec::new();
    let mut cache = model.new_cache();
    let mut fresh = prompt_ids.clone();
    let started = clock();
    let mut first_chosen = started;
    while steps.len() < max_tokens && ids.len() < info.max_positions {
        let logits = model.decode_step(&fresh, &mut cache)?;
        let step = choose(&logits, sampling, &mut rng, show)?;
        ids.push(step.id);
        fresh = vec![step.id];
        let done = eos.contains(&step.id);
        steps.push(step);
        if steps.len() == 1 {
            first_chosen = clock();
        }
        if done {
            break;
        }
    }
    let finished = clock();
    Ok(Generation {
        generated_ids: ids[prompt_ids.len()..].to_vec(),
        prompt_ids,
        steps,
        prompt_ms: first_chosen - started,
        decode_ms: finished - first_chosen,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix64_matches_its_published_sequence() {
        // First outputs for seed 1234567 from the reference C implementation.
        let mut rng = SplitMix64::new(1234567);
        assert_eq!(rng.next_u64(), 6457827717110365317);
        assert_eq!(rng.next_u64(), 3203168211198807973);
        let u = SplitMix64::new(0).next_f64();
        assert!((0.0..1.0).contains(&u));
    }

    fn sampling(temperature: f64, top_k: usize, top_p: f64) -> Sampling {
        Sampling {
            temperature,
            top_k,
            top_p,
            seed: 7,
        }
    }

    #[test]
    fn greedy_takes_the_highest_logit_and_the_lower_id_on_a_tie() {
        let mut rng = SplitMix64::new(0);
        let step =
            choose(&[1.0, 3.0, 3.0, -2.0], &Sampling::greedy(), &mut rng, 3).expect("chooses");
        assert_eq!(step.id, 1);
        assert_eq!(step.kept, 1);
        assert_eq!(step.draw, None);
        assert_eq!(step.top.iter().map(|c| c.id).collect::<Vec<_>>(), [1, 2, 0]);
        assert!(step.top[0].kept && !step.top[1].kept);
    }

    #[test]
    fn top_k_and_top_p_keep_the_right_candidates() {
        // softmax of ln(p) is p: probabilities 0.5, 0.3, 0.15, 0.05.
        let logits: Vec<f32> = [0.5f32, 0.3, 0.15, 0.05].iter().map(|p| p.ln()).collect();
        let mut rng = SplitMix64::new(0);
        assert_eq!(
            choose(&logits, &sampling(1.0, 2, 1.0), &mut rng, 4)
                .expect("ok")
                .kept,
            2
        );
        assert_eq!(
            choose(&logits, &sampling(1.0, 0, 0.8), &mut rng, 4)
                .expect("ok")
                .kept,
            2
        );
        assert_eq!(
            choose(&logits, &sampling(1.0, 0, 0.81), &mut rng, 4)
                .expect("ok")
                .kept,
            3
        );
        assert_eq!(
            choose(&logits, &sampling(1.0, 0, 0.1), &mut rng, 4)
                .expect("ok")
                .kept,
            1
        );
        assert_eq!(
            choose(&logits, &sampling(1.0, 0, 1.0), &mut rng, 4)
                .expect("ok")
                .kept,
            4
        );
        // Only kept candidates are ever chosen.
        let mut rng = SplitMix64::new(3);
        for _ in 0..200 {
            let step = choose(&logits, &sampling(1.0, 2, 1.0), &mut rng, 4).expect("ok");
            assert!(step.id == 0 || step.id == 1);
        }
    }

    #[test]
    fn sampling_frequencies_follow_the_probabilities() {
        let logits: Vec<f32> = [0.5f32, 0.3, 0.2].iter().map(|p| p.ln()).collect();
        let mut rng = SplitMix64::new(42);
        let mut counts = [0usize; 3];
        let n = 20_000;
        for _ in 0..n {
            counts[choose(&logits, &sampling(1.0, 0, 1.0), &mut rng, 0)
                .expect("ok")
                .id as usize] += 1;
        }
        for (count, p) in counts.iter().zip([0.5, 0.3, 0.2]) {
            let share = *count as f64 / n as f64;
            assert!((share - p).abs() < 0.015, "{share} vs {p}");
        }
    }

    #[test]
    fn temperature_sharpens_and_flattens() {
        let logits = [2.0f32, 1.0, 0.0];
        let mut rng = SplitMix64::new(0);
        let cold = choose(&logits, &sampling(0.5, 0, 1.0), &mut rng, 3).expect("ok");
        let hot = choose(&logits, &sampling(2.0, 0, 1.0), &mut rng, 3).expect("ok");
        assert!(cold.top[0].prob > hot.top[0].prob);
        let expected = 1.0 / (1.0 + (-2.0f64).exp() + (-4.0f64).exp());
        assert!((cold.top[0].prob - expected).abs() < 1e-12);
    }

    #[test]
    fn meaningless_settings_are_refused() {
        let mut rng = SplitMix64::new(0);
        for bad in [
            sampling(-1.0, 0, 1.0),
            sampling(f64::NAN, 0, 1.0),
            sampling(1.0, 0, 0.0),
            sampling(1.0, 0, 1.5),
        ] {
            assert!(choose(&[1.0, 2.0], &bad, &mut rng, 2).is_err(), "{bad:?}");
        }
        assert!(choose(&[], &Sampling::greedy(), &mut rng, 2).is_err());
        assert!(choose(&[f32::NAN, 1.0], &Sampling::greedy(), &mut rng, 2).is_err());
    }
}
