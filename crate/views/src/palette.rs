//! Colours of the charts: one sequential scale for probabilities, one diverging scale for
//! similarities, in light and dark themes readable on a projector.

use plotters::style::RGBColor;

/// Light or dark page background.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Theme {
    Light,
    Dark,
}

impl Theme {
    pub fn background(self) -> RGBColor {
        match self {
            Theme::Light => RGBColor(251, 251, 253),
            Theme::Dark => RGBColor(21, 22, 27),
        }
    }

    pub fn text(self) -> RGBColor {
        match self {
            Theme::Light => RGBColor(29, 29, 36),
            Theme::Dark => RGBColor(236, 236, 241),
        }
    }

    /// Cells that have no value (a causal mask) are hatched in this colour.
    pub fn masked(self) -> RGBColor {
        match self {
            Theme::Light => RGBColor(215, 215, 222),
            Theme::Dark => RGBColor(55, 56, 66),
        }
    }
}

/// How values map to colours.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Palette {
    /// 0 → background, `max` → deep blue: attention probabilities.
    Sequential { max: f32 },
    /// −1 → red, 0 → background, +1 → blue: cosine similarities.
    Diverging,
}

fn mix(a: RGBColor, b: RGBColor, t: f32) -> RGBColor {
    let t = t.clamp(0.0, 1.0);
    let lerp = |x: u8, y: u8| (x as f32 + (y as f32 - x as f32) * t).round() as u8;
    RGBColor(lerp(a.0, b.0), lerp(a.1, b.1), lerp(a.2, b.2))
}

const BLUE: RGBColor = RGBColor(37, 78, 200);
const RED: RGBColor = RGBColor(200, 48, 48);

impl Palette {
    pub fn color(self, value: f32, theme: Theme) -> RGBColor {
        let base = theme.background();
        if !value.is_finite() {
            return theme.masked();
        }
        match self {
            Palette::Sequential { max } => {
                let max = if max > 0.0 { max } else { 1.0 };
                mix(base, BLUE, value / max)
            }
            Palette::Diverging => {
                if value >= 0.0 {
                    mix(base, BLUE, value)
                } else {
                    mix(base, RED, -value)
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_run_from_background_to_full_colour() {
        let seq = Palette::Sequential { max: 1.0 };
        assert_eq!(seq.color(0.0, Theme::Light), Theme::Light.background());
        assert_eq!(seq.color(1.0, Theme::Light), BLUE);
        assert_eq!(seq.color(2.0, Theme::Light), BLUE, "clamped");
        assert_eq!(Palette::Diverging.color(-1.0, Theme::Dark), RED);
        assert_eq!(Palette::Diverging.color(1.0, Theme::Dark), BLUE);
        assert_eq!(
            Palette::Diverging.color(f32::NAN, Theme::Dark),
            Theme::Dark.masked()
        );
    }
}
