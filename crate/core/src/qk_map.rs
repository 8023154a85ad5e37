//! The joint query/key map of AttentionViz (Yeh et al. 2023): one head's query and key
//! vectors in one 2-D picture, after a normalisation that leaves every attention row as it
//! was, so a query lands near the keys it attends to.

use ndarray::{concatenate, s, Array1, Array2, ArrayView2, Axis};

use crate::analysis::{pca, Pca};

/// One head's queries and keys, normalised and projected together.
#[derive(Debug, Clone)]
pub struct QkMap {
    /// The queries multiplied by `scale`. (n, d)
    pub queries: Array2<f32>,
    /// The keys divided by `scale`, then moved by `shift` so both means coincide. (m, d)
    pub keys: Array2<f32>,
    /// c = √(mean ‖k‖ / mean ‖q‖): after it, queries and keys have the same average length.
    pub scale: f32,
    /// Added to every (scaled) key: mean(queries) − mean(keys). (d)
    pub shift: Array1<f32>,
    /// Queries' 2-D coordinates. (n, 2)
    pub query_points: Array2<f32>,
    /// Keys' 2-D coordinates. (m, 2)
    pub key_points: Array2<f32>,
    /// Share of the variance of all n + m vectors each axis shows.
    pub explained: Vec<f32>,
}

/// Why neither step changes attention: q·(k/c)·c = q·k for any c > 0, and q·(k + t) =
/// q·k + q·t adds the same number to every score in a query's row, which softmax ignores.
pub fn qk_map(queries: ArrayView2<f32>, keys: ArrayView2<f32>) -> QkMap {
    let mean_norm = |m: ArrayView2<f32>| {
        let n = m.nrows().max(1) as f64;
        m.rows()
            .into_iter()
            .map(|r| r.iter().map(|&x| (x as f64).powi(2)).sum::<f64>().sqrt())
            .sum::<f64>()
            / n
    };
    let (q_norm, k_norm) = (mean_norm(queries), mean_norm(keys));
    let scale = if q_norm > 0.0 && k_norm > 0.0 {
        (k_norm / q_norm).sqrt() as f32
    } else {
        1.0
    };
    let scaled_q = queries.mapv(|x| x * scale); // (n, d)
    let mut scaled_k = keys.mapv(|x| x / scale); // (m, d)
    let dim = queries.ncols();
    let mean = |m: &Array2<f32>| m.mean_axis(Axis(0)).unwrap_or_else(|| Array1::zeros(dim));
    let shift = mean(&scaled_q) - mean(&scaled_k); // (d)
    scaled_k += &shift;
    let both = concatenate(Axis(0), &[scaled_q.view(), scaled_k.view()])
        .unwrap_or_else(|_| Array2::zeros((0, dim))); // (n + m, d)
    let Pca {
        projected,
        explained_variance_ratio,
        ..
    } = pca(both.view(), 2);
    let n = queries.nrows();
    let mut points = Array2::<f32>::zeros((both.nrows(), 2));
    points
        .slice_mut(s![.., ..projected.ncols()])
        .assign(&projected);
    QkMap {
        query_points: points.slice(s![..n, ..]).to_owned(),
        key_points: points.slice(s![n.., ..]).to_owned(),
        queries: scaled_q,
        keys: scaled_k,
        scale,
        shift,
        explained: explained_variance_ratio,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array;

    fn softmax_rows(scores: Array2<f32>) -> Array2<f32> {
        let mut out = scores;
        for mut row in out.rows_mut() {
            let max = row.fold(f32::NEG_INFINITY, |m, &x| m.max(x));
            row.mapv_inplace(|x| (x - max).exp());
            let sum = row.sum();
            row.mapv_inplace(|x| x / sum);
        }
        out
    }

    #[test]
    fn normalising_keeps_every_attention_row_and_matches_lengths_and_means() {
        // Queries far from the keys and much longer, as real heads often have them.
        let q = Array::from_shape_fn((5, 4), |(i, j)| 3.0 + ((i * 7 + j * 3) % 5) as f32);
        let k = Array::from_shape_fn((6, 4), |(i, j)| -0.5 + 0.1 * ((i * 5 + j) % 7) as f32);
        let map = qk_map(q.view(), k.view());
        let before = softmax_rows(q.dot(&k.t()) * 0.5);
        let after = softmax_rows(map.queries.dot(&map.keys.t()) * 0.5);
        let worst = (&before - &after)
            .mapv(f32::abs)
            .fold(0.0f32, |m, &x| m.max(x));
        assert!(worst < 1e-5, "attention changed by {worst}");
        let mean_q = map.queries.mean_axis(Axis(0)).expect("rows");
        let mean_k = map.keys.mean_axis(Axis(0)).expect("rows");
        assert!((&mean_q - &mean_k).iter().all(|d| d.abs() < 1e-4));
        assert_eq!(map.query_points.dim(), (5, 2));
        assert_eq!(map.key_points.dim(), (6, 2));
        // The scale alone equalises the average lengths (before the shift).
        let len = |m: &Array2<f32>| {
            m.rows().into_iter().map(|r| r.dot(&r).sqrt()).sum::<f32>() / m.nrows() as f32
        };
        let unshifted = &map.keys - &map.shift;
        assert!((len(&map.queries) - len(&unshifted)).abs() < 1e-3);
    }
}
