//! Switching attention heads off: the set of (layer, head) pairs whose outputs are zeroed just
//! before the layer's output projection (GPT-2's `c_proj`, BERT's `attention.output.dense`,
//! the llama family's `o_proj`), as TransformerLens's head ablation does.

use std::collections::BTreeSet;
use std::fmt;

use ndarray::{s, Array2};

use crate::error::{Error, Result};

/// Heads switched off, as (layer, head), both 0-based. Empty means the model runs as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Ablation {
    heads: BTreeSet<(usize, usize)>,
}

impl Ablation {
    /// No head switched off.
    pub fn none() -> Self {
        Self::default()
    }

    pub fn new(heads: impl IntoIterator<Item = (usize, usize)>) -> Self {
        Ablation {
            heads: heads.into_iter().collect(),
        }
    }

    /// Reads `L.H[,L.H…]` (e.g. `0.1,2.3`); spaces around items are allowed, an empty text is
    /// no ablation. Range is checked separately, against a model, by `check`.
    pub fn parse(text: &str) -> Result<Self> {
        let mut heads = BTreeSet::new();
        for item in text.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let parsed = item
                .split_once('.')
                .and_then(|(l, h)| Some((l.trim().parse().ok()?, h.trim().parse().ok()?)));
            let Some(head) = parsed else {
                return Err(Error::Input(format!(
                    "\"{item}\" is not a head: write layer.head, both counted from 0, e.g. 0.1,2.3"
                )));
            };
            heads.insert(head);
        }
        Ok(Ablation { heads })
    }

    /// Every head must exist in a model of `layers` layers with `heads` heads each.
    pub fn check(&self, layers: usize, heads: usize) -> Result<()> {
        match self.heads.iter().find(|&&(l, h)| l >= layers || h >= heads) {
            Some((l, h)) => Err(Error::Input(format!(
                "head {l}.{h} does not exist: this model has layers 0–{} and heads 0–{} in each",
                layers.saturating_sub(1),
                heads.saturating_sub(1)
            ))),
            None => Ok(()),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.heads.is_empty()
    }

    pub fn len(&self) -> usize {
        self.heads.len()
    }

    pub fn contains(&self, layer: usize, head: usize) -> bool {
        self.heads.contains(&(layer, head))
    }

    /// The heads, in layer then head order.
    pub fn heads(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.heads.iter().copied()
    }

    /// Switches one head on if it was off, off if it was on.
    pub fn toggle(&mut self, layer: usize, head: usize) {
        if !self.heads.remove(&(layer, head)) {
            self.heads.insert((layer, head));
        }
    }

    /// Zeroes the switched-off heads' columns of one layer's attention output, the matrix the
    /// output projection reads: head h owns columns h·d..(h+1)·d. (S, heads·d)
    pub(crate) fn apply(&self, layer: usize, context: &mut Array2<f32>, head_dim: usize) {
        for (_, head) in self.heads.range((layer, 0)..(layer + 1, 0)) {
            let start = head * head_dim;
            if start + head_dim <= context.ncols() {
                context.slice_mut(s![.., start..start + head_dim]).fill(0.0);
            }
        }
    }
}

/// `0.1,2.3`: the form `parse` reads and the page's URL holds.
impl fmt::Display for Ablation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (layer, head)) in self.heads.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{layer}.{head}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_prints_and_checks_heads() {
        let a = Ablation::parse(" 2.3, 0.1,0.1 ").expect("parses");
        assert_eq!(a.to_string(), "0.1,2.3");
        assert_eq!(Ablation::parse("").expect("empty"), Ablation::none());
        for bad in ["1", "a.b", "1.-2", "1.2.3"] {
            let err = Ablation::parse(bad).expect_err(bad).to_string();
            assert!(err.contains("layer.head"), "{err}");
        }
        assert!(a.check(3, 4).is_ok());
        let err = a.check(2, 4).expect_err("layer 2 of 2").to_string();
        assert!(err.contains("head 2.3 does not exist"), "{err}");
        assert!(a.check(3, 3).is_err());
    }

    #[test]
    fn apply_zeroes_only_that_layers_heads() {
        let a = Ablation::new([(1, 0), (1, 2), (0, 1)]);
        let mut context = Array2::<f32>::ones((2, 6)); // 3 heads of 2
        a.apply(1, &mut context, 2);
        assert_eq!(context.row(0).to_vec(), vec![0.0, 0.0, 1.0, 1.0, 0.0, 0.0]);
        let mut other = Array2::<f32>::ones((2, 6));
        a.apply(2, &mut other, 2);
        assert!(other.iter().all(|&x| x == 1.0));
    }

    #[test]
    fn toggle_switches_back() {
        let mut a = Ablation::none();
        a.toggle(0, 1);
        assert!(a.contains(0, 1));
        a.toggle(0, 1);
        assert!(a.is_empty());
    }
}
