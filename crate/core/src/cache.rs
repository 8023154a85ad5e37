//! The key/value cache of a decoder: each layer's keys and values of the tokens already read,
//! so that generating one more token runs the model on that token alone.

use ndarray::{concatenate, Array3, ArrayView3, Axis};

/// Keys and values per layer, (kv_heads, T, d) each, for the first `len` positions.
#[derive(Debug, Clone, Default)]
pub struct KvCache {
    layers: Vec<Option<(Array3<f32>, Array3<f32>)>>,
    len: usize,
}

impl KvCache {
    pub fn new(layers: usize) -> Self {
        KvCache {
            layers: vec![None; layers],
            len: 0,
        }
    }

    /// Positions already cached: the position of the next token.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Adds layer `layer`'s keys and values of the new tokens (kv_heads, n, d) and returns
    /// every cached position's, the new ones last. (kv_heads, len + n, d) each
    pub fn extend(
        &mut self,
        layer: usize,
        key: Array3<f32>,
        value: Array3<f32>,
    ) -> (ArrayView3<'_, f32>, ArrayView3<'_, f32>) {
        if self.layers.len() <= layer {
            self.layers.resize(layer + 1, None);
        }
        let slot = &mut self.layers[layer];
        let merged = match slot.take() {
            Some((k, v)) => (
                concatenate(Axis(1), &[k.view(), key.view()]).unwrap_or(key),
                concatenate(Axis(1), &[v.view(), value.view()]).unwrap_or(value),
            ),
            None => (key, value),
        };
        let (k, v) = slot.insert(merged);
        (k.view(), v.view())
    }

    /// Records that `n` new positions have gone through every layer.
    pub fn advance(&mut self, n: usize) {
        self.len += n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extending_appends_positions() {
        let mut cache = KvCache::new(2);
        let first = Array3::from_elem((2, 3, 4), 1.0f32);
        let (k, v) = cache.extend(0, first.clone(), first);
        assert_eq!((k.dim(), v.dim()), ((2, 3, 4), (2, 3, 4)));
        cache.advance(3);
        let next = Array3::from_elem((2, 1, 4), 2.0f32);
        let (k, _) = cache.extend(0, next.clone(), next);
        assert_eq!(k.dim(), (2, 4, 4));
        assert_eq!(k[[1, 3, 0]], 2.0);
        assert_eq!(k[[1, 2, 0]], 1.0);
        assert_eq!(cache.len(), 3);
    }
}
