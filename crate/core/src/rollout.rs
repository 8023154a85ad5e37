//! Attention rollout (Abnar & Zuidema 2020): how much each token's final representation
//! draws on each input token, following attention through every layer with the residual
//! connection counted as half of each step.

use ndarray::{Array2, Axis};

use crate::analysis::mean_over_heads;
use crate::trace::LayerTrace;

/// One step of rollout: `0.5·A + 0.5·I` with each row renormalised to sum to 1. (S, S)
pub fn with_residual(attention: &Array2<f32>) -> Array2<f32> {
    let mut step = attention.mapv(|a| 0.5 * a);
    for (i, mut row) in step.axis_iter_mut(Axis(0)).enumerate() {
        row[i] += 0.5;
        let sum: f32 = row.sum();
        if sum > 0.0 {
            row.mapv_inplace(|x| x / sum);
        }
    }
    step
}

/// Rollout after every layer: entry l is `Â_l · … · Â_0`, where `Â` is the head-averaged
/// attention with the residual added (`with_residual`). Row i of entry l says how much token
/// i's representation after layer l draws on each input token; each row sums to 1. Products
/// are taken in f64. L × (S, S)
pub fn attention_rollout(layers: &[LayerTrace]) -> Vec<Array2<f32>> {
    let means: Vec<Array2<f32>> = layers
        .iter()
        .map(|layer| mean_over_heads(&layer.attention))
        .collect();
    rollout_of_means(&means)
}

/// Rollout from each layer's head-averaged attention (S, S), as `attention_rollout`.
pub fn rollout_of_means(means: &[Array2<f32>]) -> Vec<Array2<f32>> {
    let mut rolled: Option<Array2<f64>> = None;
    means
        .iter()
        .map(|mean| {
            let step = with_residual(mean).mapv(f64::from);
            let next = match &rolled {
                Some(below) => step.dot(below),
                None => step,
            };
            let out = next.mapv(|x| x as f32);
            rolled = Some(next);
            out
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{arr2, Array3};

    fn layer(attention: Array3<f32>) -> LayerTrace {
        let (heads, s, _) = attention.dim();
        let zeros = Array3::zeros((heads, s, 1));
        LayerTrace {
            query: zeros.clone(),
            key: zeros.clone(),
            value: zeros,
            query_unrotated: None,
            key_unrotated: None,
            scores: attention.clone(),
            attention,
            context: Array2::zeros((s, heads)),
        }
    }

    #[test]
    fn rollout_multiplies_residual_steps_from_the_first_layer_up() {
        let a = arr2(&[[1.0f32, 0.0], [1.0, 0.0]]);
        let b = arr2(&[[0.0f32, 1.0], [0.0, 1.0]]);
        // Two heads per layer, averaged: layer 0 = a, layer 1 = (a + b) / 2.
        let l0 = ndarray::stack(Axis(0), &[a.view(), a.view()]).expect("same shapes");
        let l1 = ndarray::stack(Axis(0), &[a.view(), b.view()]).expect("same shapes");
        let rolled = attention_rollout(&[layer(l0), layer(l1)]);
        let s0 = arr2(&[[1.0f32, 0.0], [0.5, 0.5]]);
        assert_eq!(rolled[0], s0);
        let s1 = arr2(&[[0.75f32, 0.25], [0.25, 0.75]]);
        let expected = s1.dot(&s0);
        assert!(rolled[1]
            .iter()
            .zip(expected.iter())
            .all(|(x, y)| (x - y).abs() < 1e-6));
        for row in rolled[1].rows() {
            assert!((row.sum() - 1.0).abs() < 1e-6);
        }
    }
}
