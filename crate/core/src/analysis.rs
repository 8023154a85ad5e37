//! Comparisons the page draws: cosine similarity of vectors, of token sets and of one
//! token pair across layers; attention averaged over heads; a PCA projection of vectors.

use ndarray::{s, Array1, Array2, Array3, ArrayView1, ArrayView2, Axis};

use crate::gemm::product_into;
use crate::trace::{LayerTrace, Trace};

/// The seed article's toy 4-d embeddings (cat, dog, car, banana), as the article gives them.
pub const TOY_VECTORS: [(&str, [f32; 4]); 4] = [
    ("cat", [0.5, 0.3, -0.1, 0.9]),
    ("dog", [0.6, 0.4, -0.2, 0.8]),
    ("car", [0.5, 0.3, -0.1, 0.9]),
    ("banana", [0.1, -0.8, 0.2, 0.4]),
];

/// cos θ = a·b / (|a||b|), accumulated in f64. A zero vector has no direction, so its
/// similarity to anything is reported as 0 rather than NaN.
pub fn cosine(a: ArrayView1<f32>, b: ArrayView1<f32>) -> f32 {
    let (mut dot, mut aa, mut bb) = (0.0f64, 0.0f64, 0.0f64);
    for (&x, &y) in a.iter().zip(b.iter()) {
        let (x, y) = (x as f64, y as f64);
        dot += x * y;
        aa += x * x;
        bb += y * y;
    }
    if aa == 0.0 || bb == 0.0 {
        return 0.0;
    }
    (dot / (aa.sqrt() * bb.sqrt())).clamp(-1.0, 1.0) as f32
}

/// Cosine similarity of every row of `a` with every row of `b`. (rows_a, rows_b)
///
/// Rows are scaled to length 1 (norms in f64) and then multiplied as one matrix product:
/// the pairwise f64 loop took 115 ms of a 128-token analysis in wasm, this takes a few. Each
/// value is within about 1e-6 of `cosine`, and `cosine_matrix(m, m)` stays exactly symmetric
/// (entry i, j adds the same products in the same order as entry j, i).
pub fn cosine_matrix(a: ArrayView2<f32>, b: ArrayView2<f32>) -> Array2<f32> {
    let unit_rows = |m: ArrayView2<f32>| {
        let mut unit = m.to_owned();
        for mut row in unit.rows_mut() {
            let norm = row
                .iter()
                .map(|&v| (v as f64) * (v as f64))
                .sum::<f64>()
                .sqrt();
            // A zero vector has no direction: its row stays 0, so its cosines are 0.
            let inv = if norm > 0.0 { 1.0 / norm } else { 0.0 };
            row.mapv_inplace(|v| (v as f64 * inv) as f32);
        }
        unit
    };
    let (a, b) = (unit_rows(a), unit_rows(b)); // (rows_a, H), (rows_b, H)
    let mut out = Array2::zeros((a.nrows(), b.nrows())); // (rows_a, rows_b)
    product_into(&a.view(), b.t(), 1.0, out.view_mut());
    out.mapv_inplace(|v| v.clamp(-1.0, 1.0));
    out
}

/// Cosine similarity of token `i` of `a` and token `j` of `b` at every depth: entry 0 uses
/// the static word embeddings, entry 1 the embedding-layer output, entry k+1 the output of
/// layer k. Shows the seed's point: the same word starts identical and drifts with context.
pub fn layerwise_cosine(a: &Trace, i: usize, b: &Trace, j: usize) -> Option<Vec<f32>> {
    if i >= a.len() || j >= b.len() || a.hidden_states.len() != b.hidden_states.len() {
        return None;
    }
    let mut series = vec![cosine(a.embeddings.word.row(i), b.embeddings.word.row(j))];
    series.extend(
        a.hidden_states
            .iter()
            .zip(&b.hidden_states)
            .map(|(x, y)| cosine(x.row(i), y.row(j))),
    );
    Some(series)
}

/// The attention of every query to every key averaged over heads. (heads, S, S) → (S, S)
pub fn mean_over_heads(attention: &Array3<f32>) -> Array2<f32> {
    attention
        .mean_axis(Axis(0))
        .unwrap_or_else(|| Array2::zeros((0, 0)))
}

/// One head's output for one query token: Σ_j attention[head, query, j] · value[head, j],
/// sliced from what the layer really passed on. (d)
pub fn head_context(layer: &LayerTrace, head: usize, query: usize) -> Option<ArrayView1<'_, f32>> {
    let (heads, seq, d) = layer.value.dim();
    if head >= heads || query >= seq {
        return None;
    }
    Some(layer.context.slice(s![query, head * d..(head + 1) * d]))
}

/// The `k` most probable tokens of one distribution, highest first (the lower id on a tie).
pub fn top_tokens(probs: ArrayView1<f32>, k: usize) -> Vec<(u32, f32)> {
    let mut ranked: Vec<(u32, f32)> = probs
        .iter()
        .enumerate()
        .map(|(id, &p)| (id as u32, p))
        .collect();
    // Highest first, the lower id first on a tie: a total order, so selecting the first k
    // and sorting only them gives what sorting everything would (GPT-2's 50,257 candidates
    // per position were sorted in full at every keystroke).
    let order = |a: &(u32, f32), b: &(u32, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
    if k == 0 {
        return Vec::new();
    }
    if k < ranked.len() {
        ranked.select_nth_unstable_by(k - 1, order);
        ranked.truncate(k);
    }
    ranked.sort_by(order);
    ranked
}

/// Principal components of a set of vectors, for drawing them in 2-D or 3-D.
#[derive(Debug, Clone)]
pub struct Pca {
    /// Unit directions, most variance first. (k, H)
    pub components: Array2<f32>,
    /// Each input vector's coordinates along the components. (n, k)
    pub projected: Array2<f32>,
    /// Share of the total variance each component explains.
    pub explained_variance_ratio: Vec<f32>,
}

/// PCA by power iteration on the covariance matrix, in f64 and deterministic (fixed start
/// vector, fixed iteration count), so the same vectors always give the same picture. Each
/// component's sign is chosen so its largest coordinate is positive.
pub fn pca(points: ArrayView2<f32>, k: usize) -> Pca {
    let (n, dim) = points.dim();
    let k = k.min(dim).min(n);
    let data = points.mapv(f64::from);
    let mean = data
        .mean_axis(Axis(0))
        .unwrap_or_else(|| Array1::zeros(dim));
    let centered = &data - &mean; // (n, H)
    let mut covariance = centered.t().dot(&centered) / (n.max(2) - 1) as f64; // (H, H)
    let total: f64 = covariance.diag().sum();
    let mut components = Array2::<f32>::zeros((k, dim));
    let mut ratios = Vec::with_capacity(k);
    for c in 0..k {
        let mut v = Array1::from_shape_fn(dim, |i| 1.0 + (i as f64 * 0.618_033_988_75).fract());
        v /= v.dot(&v).sqrt();
        let mut eigenvalue = 0.0;
        for _ in 0..500 {
            let next = covariance.dot(&v);
            let norm = next.dot(&next).sqrt();
            if norm == 0.0 {
                break;
            }
            eigenvalue = v.dot(&next);
            v = next / norm;
        }
        let biggest = v
            .iter()
            .copied()
            .fold(0.0f64, |m, x| if x.abs() > m.abs() { x } else { m });
        if biggest < 0.0 {
            v.mapv_inplace(|x| -x);
        }
        ratios.push(if total > 0.0 {
            (eigenvalue / total) as f32
        } else {
            0.0
        });
        // Deflate so the next iteration finds the next direction.
        let outer = v
            .view()
            .insert_axis(Axis(1))
            .dot(&v.view().insert_axis(Axis(0)));
        covariance = covariance - outer * eigenvalue;
        components.row_mut(c).assign(&v.mapv(|x| x as f32));
    }
    let projected = centered
        .dot(&components.mapv(f64::from).t())
        .mapv(|x| x as f32);
    Pca {
        components,
        projected,
        explained_variance_ratio: ratios,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::arr1;

    fn toy(name: &str) -> ndarray::Array1<f32> {
        let (_, v) = TOY_VECTORS
            .iter()
            .find(|(n, _)| *n == name)
            .copied()
            .unwrap_or(("", [0.0; 4]));
        arr1(&v)
    }

    /// The article prints 0.9832 and 0.1511. (The seed README's "0.9833" is a slip: the
    /// exact value is 1.16 / √(1.16 · 1.2) = 0.983192…, which rounds to 0.9832.)
    #[test]
    fn top_tokens_equal_a_full_sort_ties_included() {
        // Repeated values, so ties must fall to the lower id as a full sort orders them.
        let probs: Vec<f32> = (0..200).map(|i| ((i * 37) % 23) as f32 / 23.0).collect();
        let mut everything: Vec<(u32, f32)> = probs
            .iter()
            .enumerate()
            .map(|(id, &p)| (id as u32, p))
            .collect();
        everything.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        for k in [0, 1, 5, 9, 10, 199, 200, 230] {
            let top = top_tokens(arr1(&probs).view(), k);
            assert_eq!(top, everything[..k.min(200)].to_vec(), "k {k}");
        }
    }

    #[test]
    fn seed_toy_vectors_give_the_seed_numbers() {
        let cat_dog = cosine(toy("cat").view(), toy("dog").view());
        let car_banana = cosine(toy("car").view(), toy("banana").view());
        let exact = 1.16f64 / (1.16f64 * 1.2).sqrt();
        assert!(
            (cat_dog as f64 - exact).abs() < 1e-6,
            "cos(cat, dog) = {cat_dog}"
        );
        assert!((cat_dog - 0.9832).abs() < 5e-5, "cos(cat, dog) = {cat_dog}");
        assert!(
            (car_banana - 0.1511).abs() < 5e-5,
            "cos(car, banana) = {car_banana}"
        );
    }

    #[test]
    fn cosine_of_zero_vector_is_zero_and_matrix_is_symmetric() {
        let z = arr1(&[0.0f32, 0.0]);
        let v = arr1(&[1.0f32, 2.0]);
        assert_eq!(cosine(z.view(), v.view()), 0.0);
        let m = ndarray::arr2(&[[1.0f32, 0.0], [1.0, 1.0], [-2.0, 0.5]]);
        let c = cosine_matrix(m.view(), m.view());
        for i in 0..3 {
            assert!((c[[i, i]] - 1.0).abs() < 1e-6);
            for j in 0..3 {
                assert_eq!(c[[i, j]], c[[j, i]]);
                assert!((c[[i, j]] - cosine(m.row(i), m.row(j))).abs() < 1e-6);
            }
        }
        let with_zero = ndarray::arr2(&[[0.0f32, 0.0], [3.0, 4.0]]);
        let c = cosine_matrix(with_zero.view(), m.view());
        assert!(c.row(0).iter().all(|&v| v == 0.0));
        assert!((c[[1, 0]] - 0.6).abs() < 1e-6);
    }

    #[test]
    fn pca_finds_the_line_points_lie_on() {
        // Points along (3, 4)/5 with a little spread across it.
        let points = ndarray::arr2(&[
            [0.0f32, 0.0],
            [3.0, 4.0],
            [6.0, 8.0],
            [9.0, 12.0],
            [3.4, 3.7],
        ]);
        let p = pca(points.view(), 2);
        let first = p.components.row(0);
        assert!(
            (first[0] - 0.6).abs() < 0.02 && (first[1] - 0.8).abs() < 0.02,
            "{first}"
        );
        assert!(p.explained_variance_ratio[0] > 0.99);
        let sum: f32 = p.explained_variance_ratio.iter().sum();
        assert!((sum - 1.0).abs() < 1e-5, "ratios sum to {sum}");
        // Components are orthonormal.
        let dot = p.components.row(0).dot(&p.components.row(1));
        assert!(dot.abs() < 1e-5);
        // Projections are centred.
        let mean0: f32 = p.projected.column(0).sum() / 5.0;
        assert!(mean0.abs() < 1e-5);
    }

    #[test]
    fn top_tokens_rank_by_probability_then_id() {
        let probs = ndarray::arr1(&[0.1f32, 0.4, 0.1, 0.4]);
        assert_eq!(
            top_tokens(probs.view(), 3),
            vec![(1, 0.4), (3, 0.4), (0, 0.1)]
        );
        assert!(top_tokens(probs.view(), 0).is_empty());
        assert_eq!(top_tokens(probs.view(), 10).len(), 4);
    }

    #[test]
    fn mean_over_heads_averages() {
        let att = ndarray::Array3::from_shape_fn((2, 2, 2), |(h, i, j)| (h * 4 + i * 2 + j) as f32);
        let mean = mean_over_heads(&att);
        assert_eq!(mean, ndarray::arr2(&[[2.0f32, 3.0], [4.0, 5.0]]));
    }
}
