//! TokenScope's charts. Each view is a function over any plotters `DrawingBackend`, so the
//! page draws it on a canvas and the tests render the very same code to SVG.

pub mod heatmap;
pub mod palette;

pub use heatmap::{draw_heatmap, Heatmap};
pub use palette::{Palette, Theme};

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
