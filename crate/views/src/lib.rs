//! TokenScope's charts. Each view is a function over any plotters `DrawingBackend`, so the
//! page draws it on a canvas and the tests render the very same code to SVG.
//!
//! Which module draws which view of the page:
//!
//! | page view                                   | module          | entry point          |
//! |---------------------------------------------|-----------------|----------------------|
//! | attention as a matrix, cosine of two sets   | [`heatmap`]     | [`draw_heatmap`]     |
//! | head view (lines between two token columns) | [`head_view`]   | [`draw_head_view`]   |
//! | neuron view (q, k, q×k, softmax, v, Σ)      | [`neuron_view`] | [`draw_neuron_view`] |
//! | model view (every layer × head thumbnail)   | [`model_view`]  | [`draw_model_view`]  |
//! | cosine of a token pair by depth             | [`line_chart`]  | [`draw_line_chart`]  |
//! | an embedding vector, a one-hot vector       | [`vector`]      | [`draw_vector`], [`draw_one_hot`] |
//! | position-embedding table                    | [`dense_map`]   | [`draw_dense_map`]   |
//! | token ids on a number line (why not raw ids) | [`id_line`]     | [`id_line::draw_id_line`] |
//! | a model's loss falling as it trains         | [`loss_curve`]  | [`draw_loss_curve`]  |
//! | a model's block beside GPT-2's (architecture) | [`block_diagram`] | [`draw_block_diagram`] |
//! | next token with heads on and off (ablation) | [`paired_bars`] | [`draw_paired_bars`] |
//! | words on a plane and a token's path by layer | [`word_map`] | [`draw_word_map`] |
//! | one head's queries and keys on one plane      | [`qk_scatter`] | [`draw_qk_scatter`] |
//! | the logit lens (a word per layer × position) | [`token_grid`] | [`draw_token_grid`] |

pub mod bars;
pub mod block_diagram;
mod chart_frame;
pub mod dense_map;
pub mod head_view;
pub mod heatmap;
pub mod id_line;
pub mod line_chart;
pub mod loss_curve;
pub mod model_view;
pub mod neuron_view;
pub mod paired_bars;
pub mod palette;
pub mod qk_scatter;
pub mod strips;
pub mod text;
mod ticks;
pub mod token_grid;
pub mod token_rows;
pub mod vector;
pub mod word_map;

pub use block_diagram::{diagram_height, draw_block_diagram, BlockBox, BlockColumn, BlockDiagram};
pub use dense_map::{draw_dense_map, DenseLayout, DenseMap};
pub use head_view::{draw_head_view, head_color, Column, HeadView, HeadViewLayout};
pub use heatmap::{draw_heatmap, Heatmap, HeatmapLayout};
pub use line_chart::{draw_line_chart, LineChart, Series};
pub use loss_curve::{draw_loss_curve, LossCurve, LossSeries};
pub use model_view::{draw_model_view, ModelLayout, ModelView};
pub use neuron_view::{draw_neuron_view, NeuronHeaders, NeuronLayout, NeuronView};
pub use paired_bars::{draw_paired_bars, PairedBars};
pub use palette::{Palette, Theme};
pub use qk_scatter::{draw_qk_scatter, QkPoint, QkScatter};
pub use token_grid::{draw_token_grid, TokenGrid};
pub use token_rows::{
    draw_token_rows, token_rows_height, RowToken, TokenRow, TokenRows, TokenRowsLayout,
};
pub use vector::{draw_one_hot, draw_vector, OneHot, VectorLayout, VectorStrip};
pub use word_map::{draw_word_map, WordMap};

/// Drawing failed in the backend (a canvas that vanished, a full disk for SVG).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewError(pub String);

impl std::fmt::Display for ViewError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "drawing failed: {}", self.0)
    }
}

impl std::error::Error for ViewError {}

impl<E: std::error::Error + Send + Sync> From<plotters::drawing::DrawingAreaErrorKind<E>>
    for ViewError
{
    fn from(e: plotters::drawing::DrawingAreaErrorKind<E>) -> Self {
        ViewError(e.to_string())
    }
}
