//! Scaled dot-product attention for every architecture: bidirectional (BERT), causal (GPT-2),
//! grouped-query (several query heads reading one key/value head), within a sliding window,
//! and for new tokens after cached ones (generation).

use std::ops::Range;

use ndarray::{s, Array2, Array3, ArrayView3, ArrayViewMut1, Axis};

use crate::gemm::product_into;
use crate::ops::softmax_prefix;
use crate::trace::LayerTrace;

/// Which keys each query may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mask {
    /// Queries see only their own and earlier positions.
    pub causal: bool,
    /// Queries see only this many most recent positions, their own included.
    pub window: Option<usize>,
    /// The position of the first query: the keys before it come from a cache.
    pub offset: usize,
}

impl Mask {
    /// Every query sees every key (BERT).
    pub const BIDIRECTIONAL: Mask = Mask {
        causal: false,
        window: None,
        offset: 0,
    };

    /// Each query sees its own and earlier positions (GPT-2).
    pub const CAUSAL: Mask = Mask {
        causal: true,
        window: None,
        offset: 0,
    };

    /// The keys query `row` sees, of `keys` in all.
    pub fn visible(&self, row: usize, keys: usize) -> Range<usize> {
        if !self.causal {
            return 0..keys;
        }
        let position = self.offset + row;
        let end = (position + 1).min(keys);
        let start = match self.window {
            Some(w) => (position + 1).saturating_sub(w),
            None => 0,
        };
        start.min(end)..end
    }
}

/// What attention computed, every query head.
pub struct Attended {
    /// q·k × scale before the mask. (heads, n, T)
    pub scores: Array3<f32>,
    /// Softmax over the visible keys; hidden keys are exactly 0. (heads, n, T)
    pub probs: Array3<f32>,
    /// Each head's probability-weighted values, heads side by side. (n, heads·d)
    pub context: Array2<f32>,
}

/// Attention of `query` (heads, n, d) over `key` and `value` (kv_heads, T, d), where query
/// head h reads key/value head h / (heads / kv_heads). The caller has checked that kv_heads
/// divides heads.
pub fn attend(
    query: ArrayView3<f32>,
    key: ArrayView3<f32>,
    value: ArrayView3<f32>,
    scale: f32,
    mask: Mask,
) -> Attended {
    let (heads, n, d) = query.dim();
    let (kv_heads, keys, value_dim) = value.dim();
    let group = heads / kv_heads.max(1);
    let mut scores = Array3::zeros((heads, n, keys));
    let mut probs = Array3::zeros((heads, n, keys));
    let mut context = Array2::zeros((n, heads * value_dim));
    // Each head writes straight into the traced arrays: no per-head temporaries, which at
    // 512 tokens were 12 MB copied per layer. Threads take consecutive heads.
    crate::parallel::split_ranges(
        0..heads,
        crate::parallel::parts(heads, heads * n * keys * (d + value_dim)),
        (scores.view_mut(), probs.view_mut(), context.view_mut()),
        &|(scores, probs, context), at| {
            let (scores_left, scores_right) = scores.split_at(Axis(0), at);
            let (probs_left, probs_right) = probs.split_at(Axis(0), at);
            let (context_left, context_right) = context.split_at(Axis(1), at * value_dim);
            (
                (scores_left, probs_left, context_left),
                (scores_right, probs_right, context_right),
            )
        },
        &|heads, (mut scores, mut probs, mut context)| {
            for (offset, h) in heads.enumerate() {
                let q = query.index_axis(Axis(0), h); // (n, d)
                let k = key.index_axis(Axis(0), h / group); // (T, d)
                let v = value.index_axis(Axis(0), h / group); // (T, d)
                let mut head_scores = scores.index_axis_mut(Axis(0), offset); // (n, T)
                product_into(&q, k.t(), scale, head_scores.view_mut()); // (n, d) · (d, T)
                let mut head_probs = probs.index_axis_mut(Axis(0), offset); // (n, T)
                head_probs.assign(&head_scores);
                for (i, row) in head_probs.rows_mut().into_iter().enumerate() {
                    softmax_span(row, mask.visible(i, keys));
                }
                let columns = offset * value_dim..(offset + 1) * value_dim;
                let head_context = context.slice_mut(s![.., columns]); // (n, d)
                product_into(&head_probs.view(), v, 1.0, head_context); // (n, T) · (T, d)
            }
        },
    );
    debug_assert_eq!(d, key.dim().2);
    Attended {
        scores,
        probs,
        context,
    }
}

/// Softmax over `span` of the row; every entry outside it becomes exactly 0, as after
/// PyTorch's finfo.min mask and softmax.
fn softmax_span(mut row: ArrayViewMut1<f32>, span: Range<usize>) {
    row.slice_mut(s![..span.start]).fill(0.0);
    softmax_prefix(row.slice_mut(s![span.start..]), span.len());
}

/// Repeats each key/value head for the query heads that read it: (kv_heads, T, d) →
/// (kv_heads · group, T, d), transformers' `repeat_kv`, so traces hold one per query head.
pub fn repeat_heads(x: &Array3<f32>, group: usize) -> Array3<f32> {
    if group == 1 {
        return x.clone();
    }
    let (kv_heads, t, d) = x.dim();
    let mut out = Array3::zeros((kv_heads * group, t, d));
    for (h, mut head) in out.axis_iter_mut(Axis(0)).enumerate() {
        head.assign(&x.index_axis(Axis(0), h / group));
    }
    out
}

impl Attended {
    /// The layer's trace for a model whose queries and keys are not rotated (BERT, GPT-2):
    /// these q/k/v (heads, S, d) beside what attention made of them.
    pub fn into_trace(
        self,
        query: Array3<f32>,
        key: Array3<f32>,
        value: Array3<f32>,
    ) -> LayerTrace {
        LayerTrace {
            query,
            key,
            value,
            query_unrotated: None,
            key_unrotated: None,
            scores: self.scores,
            attention: self.probs,
            context: self.context,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_show_the_right_keys() {
        assert_eq!(Mask::BIDIRECTIONAL.visible(0, 5), 0..5);
        assert_eq!(Mask::CAUSAL.visible(2, 5), 0..3);
        let window = Mask {
            causal: true,
            window: Some(3),
            offset: 0,
        };
        assert_eq!(window.visible(0, 6), 0..1);
        assert_eq!(window.visible(5, 6), 3..6);
        let cached = Mask {
            causal: true,
            window: Some(2),
            offset: 4,
        };
        // One new query at position 4 after 4 cached keys sees keys 3 and 4.
        assert_eq!(cached.visible(0, 5), 3..5);
    }

    #[test]
    fn grouped_heads_read_their_shared_key_and_value() {
        let query = Array3::from_shape_fn((4, 3, 2), |(h, i, j)| (h + i + 2 * j) as f32 * 0.1);
        let key = Array3::from_shape_fn((2, 3, 2), |(h, i, j)| (h * 3 + i + j) as f32 * 0.2);
        let value = Array3::from_shape_fn((2, 3, 2), |(h, i, j)| (h * 5 + i * j) as f32);
        let grouped = attend(query.view(), key.view(), value.view(), 0.5, Mask::CAUSAL);
        let expanded_k = repeat_heads(&key, 2);
        let expanded_v = repeat_heads(&value, 2);
        let plain = attend(
            query.view(),
            expanded_k.view(),
            expanded_v.view(),
            0.5,
            Mask::CAUSAL,
        );
        assert_eq!(grouped.probs, plain.probs);
        assert_eq!(grouped.context, plain.context);
        // Heads 0 and 1 share key head 0: their first rows (one visible key) are identical.
        assert_eq!(grouped.probs[[0, 0, 0]], 1.0);
        assert_eq!(grouped.probs[[3, 0, 0]], 1.0);
        for row in grouped.probs.lanes(Axis(2)) {
            assert!((row.sum() - 1.0).abs() < 1e-6);
        }
    }

    /// Threads take whole heads; every score, probability and context entry must come out
    /// the same, bit for bit, as on one thread, causal and grouped-query included.
    #[cfg(feature = "threads")]
    #[test]
    fn a_pool_of_threads_attends_the_same_bits() {
        use ndarray::Array3;
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .expect("a native pool");
        let filled = |shape: (usize, usize, usize), seed: usize| {
            Array3::from_shape_fn(shape, |(h, i, j)| {
                ((h * 17 + i * 31 + j * 7 + seed * 13) % 29) as f32 / 9.0 - 1.5
            })
        };
        for (mask, kv_heads) in [(Mask::BIDIRECTIONAL, 6), (Mask::CAUSAL, 3)] {
            let (heads, n, d) = (6, 48, 32);
            let query = filled((heads, n, d), 1);
            let key = filled((kv_heads, n, d), 2);
            let value = filled((kv_heads, n, d), 3);
            let alone = attend(query.view(), key.view(), value.view(), 0.17, mask);
            let shared = pool.install(|| {
                assert!(crate::parallel::parts(heads, heads * n * n * 2 * d) > 1);
                attend(query.view(), key.view(), value.view(), 0.17, mask)
            });
            assert_eq!(shared.scores, alone.scores);
            assert_eq!(shared.probs, alone.probs);
            assert_eq!(shared.context, alone.context);
        }
    }
}
