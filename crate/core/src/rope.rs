//! Rotary position embedding (RoPE) as transformers computes it: one frequency per pair of
//! dimensions (`modeling_rope_utils.py`), and each query or key turned by position × frequency
//! in the rotate-half layout, where dimension i pairs with dimension i + d/2.

use ndarray::{Array2, ArrayViewMut2, Axis};

use crate::llama_config::{Rope, RopeScaling};

/// The angle per position of each dimension pair, θ_i for i in 0..d/2, in f32 as PyTorch holds
/// `inv_freq` (its f32 arithmetic, step by step, so the rounding matches).
pub fn inverse_frequencies(rope: &Rope, head_dim: usize) -> Vec<f32> {
    let base = rope.theta as f32;
    let dim = head_dim as f32;
    let default: Vec<f32> = (0..head_dim)
        .step_by(2)
        .map(|i| 1.0 / base.powf(i as f32 / dim))
        .collect();
    match rope.scaling {
        RopeScaling::Default | RopeScaling::Dynamic { .. } => default,
        RopeScaling::Linear { factor } => default.iter().map(|f| f / factor as f32).collect(),
        RopeScaling::Llama3 {
            factor,
            low_freq_factor,
            high_freq_factor,
            original_max_position_embeddings,
        } => {
            let factor = factor as f32;
            let (low, high) = (low_freq_factor as f32, high_freq_factor as f32);
            let old_context = original_max_position_embeddings as f32;
            let low_freq_wavelen = old_context / low;
            let high_freq_wavelen = old_context / high;
            default
                .iter()
                .map(|&f| {
                    let wavelen = 2.0 * std::f32::consts::PI / f;
                    if wavelen < high_freq_wavelen {
                        f
                    } else if wavelen > low_freq_wavelen {
                        f / factor
                    } else {
                        let smooth = (old_context / wavelen - low) / (high - low);
                        (1.0 - smooth) * f / factor + smooth * f
                    }
                })
                .collect()
        }
    }
}

/// cos and sin of position × frequency for positions `start..start + len`, each row the
/// frequencies twice over (transformers' `cat((freqs, freqs))`). (len, d) each
pub fn cos_sin(inv_freq: &[f32], start: usize, len: usize) -> (Array2<f32>, Array2<f32>) {
    let half = inv_freq.len();
    let mut cos = Array2::zeros((len, 2 * half));
    let mut sin = Array2::zeros((len, 2 * half));
    for (row, position) in (start..start + len).enumerate() {
        for (i, &f) in inv_freq.iter().enumerate() {
            // The angle is an f32 product, as PyTorch's; its cos and sin are rounded once.
            let angle = (f * position as f32) as f64;
            let (s, c) = angle.sin_cos();
            for column in [i, i + half] {
                cos[[row, column]] = c as f32;
                sin[[row, column]] = s as f32;
            }
        }
    }
    (cos, sin)
}

/// Turns every head of `x` (heads, S, d) in place: x·cos + rotate_half(x)·sin, where
/// rotate_half(x) = (−x[d/2..], x[..d/2]).
pub fn rotate(x: &mut ndarray::Array3<f32>, cos: &Array2<f32>, sin: &Array2<f32>) {
    for mut head in x.axis_iter_mut(Axis(0)) {
        rotate_rows(head.view_mut(), cos, sin);
    }
}

fn rotate_rows(mut x: ArrayViewMut2<f32>, cos: &Array2<f32>, sin: &Array2<f32>) {
    let half = x.ncols() / 2;
    for ((mut row, c), s) in x.rows_mut().into_iter().zip(cos.rows()).zip(sin.rows()) {
        for i in 0..half {
            let (a, b) = (row[i], row[i + half]);
            // PyTorch rounds each product, then the sum: q·cos + rotate_half(q)·sin.
            row[i] = a * c[i] + (-b) * s[i];
            row[i + half] = b * c[i + half] + a * s[i + half];
        }
    }
}

/// The angle, in radians within (−π, π], by which each dimension pair is turned at each of
/// positions 0..positions: position × θ_i, as the rotation uses it. (positions, d/2)
pub fn angles(inv_freq: &[f32], positions: usize) -> Array2<f32> {
    Array2::from_shape_fn((positions, inv_freq.len()), |(p, i)| {
        let angle = (inv_freq[i] * p as f32) as f64;
        let wrapped = angle - std::f64::consts::TAU * (angle / std::f64::consts::TAU).round();
        wrapped as f32
    })
}

/// q·k × scale with the query turned to position `query_at` and the key to `query_at − t`,
/// for every distance t = 0..=min(max_distance, query_at): what RoPE makes of one query and
/// one key at each distance. (t)
pub fn score_by_distance(
    query: &[f32],
    key: &[f32],
    inv_freq: &[f32],
    scale: f32,
    query_at: usize,
    max_distance: usize,
) -> Vec<f32> {
    let d = query.len();
    let turned = |v: &[f32], position: usize| {
        let mut x = ndarray::Array3::from_shape_vec((1, 1, d), v.to_vec())
            .unwrap_or_else(|_| ndarray::Array3::zeros((1, 1, d)));
        let (cos, sin) = cos_sin(inv_freq, position, 1);
        rotate(&mut x, &cos, &sin);
        x.into_raw_vec_and_offset().0
    };
    let q = turned(query, query_at);
    (0..=max_distance.min(query_at))
        .map(|t| {
            let k = turned(key, query_at - t);
            q.iter().zip(&k).map(|(a, b)| a * b).sum::<f32>() * scale
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array3;

    fn rope(scaling: RopeScaling) -> Rope {
        Rope {
            theta: 10_000.0,
            scaling,
        }
    }

    #[test]
    fn default_frequencies_fall_from_one() {
        let f = inverse_frequencies(&rope(RopeScaling::Default), 8);
        assert_eq!(f.len(), 4);
        assert_eq!(f[0], 1.0);
        assert!((f[1] - 0.1).abs() < 1e-7 && (f[2] - 0.01).abs() < 1e-8);
        let linear = inverse_frequencies(&rope(RopeScaling::Linear { factor: 4.0 }), 8);
        assert_eq!(linear[1], f[1] / 4.0);
    }

    #[test]
    fn llama3_keeps_high_frequencies_and_divides_low_ones() {
        let scaling = RopeScaling::Llama3 {
            factor: 8.0,
            low_freq_factor: 1.0,
            high_freq_factor: 4.0,
            original_max_position_embeddings: 64.0,
        };
        let plain = inverse_frequencies(&rope(RopeScaling::Default), 16);
        let scaled = inverse_frequencies(&rope(scaling), 16);
        // Wavelengths below 64/4 = 16 positions stay, above 64 are divided by 8.
        for (p, s) in plain.iter().zip(&scaled) {
            let wavelen = 2.0 * std::f32::consts::PI / p;
            if wavelen < 16.0 {
                assert_eq!(p, s);
            } else if wavelen > 64.0 {
                assert_eq!(*s, p / 8.0);
            } else {
                assert!(*s < *p && *s > p / 8.0);
            }
        }
    }

    #[test]
    fn rotation_keeps_length_and_depends_on_distance_only() {
        let inv = inverse_frequencies(&rope(RopeScaling::Default), 8);
        let q: Vec<f32> = (0..8).map(|i| (i as f32 * 0.37).sin()).collect();
        let k: Vec<f32> = (0..8).map(|i| (i as f32 * 0.71).cos()).collect();
        let at = |v: &[f32], position: usize| {
            let mut x = Array3::from_shape_vec((1, 1, 8), v.to_vec()).expect("shape");
            let (c, s) = cos_sin(&inv, position, 1);
            rotate(&mut x, &c, &s);
            x.into_raw_vec_and_offset().0
        };
        let dot = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>();
        let norm = |a: &[f32]| dot(a, a).sqrt();
        assert!((norm(&at(&q, 5)) - norm(&q)).abs() < 1e-5);
        // Query at 7, key at 3 scores as query at 14, key at 10: distance 4 both times.
        let near = dot(&at(&q, 7), &at(&k, 3));
        let far = dot(&at(&q, 14), &at(&k, 10));
        assert!((near - far).abs() < 1e-4, "{near} vs {far}");
        // At position 0 nothing turns.
        assert_eq!(at(&q, 0), q);
        // The same, through score_by_distance: the curve is the same wherever the query is.
        let from_7 = score_by_distance(&q, &k, &inv, 1.0, 7, 4);
        let from_14 = score_by_distance(&q, &k, &inv, 1.0, 14, 4);
        assert_eq!(from_7.len(), 5);
        for (a, b) in from_7.iter().zip(&from_14) {
            assert!((a - b).abs() < 1e-4);
        }
        assert!((from_7[4] - near).abs() < 1e-5);
        let turns = angles(&inv, 8);
        assert_eq!(turns.dim(), (8, 4));
        assert!((turns[[1, 0]] - 1.0).abs() < 1e-7 && turns[[0, 3]] == 0.0);
        assert!(turns.iter().all(|a| a.abs() <= std::f32::consts::PI + 1e-6));
    }
}
