//! Text measurement for layout, the same on every backend: plotters' own measurement in the
//! browser styles a hidden DOM element, which the page's CSP forbids, and natively it would
//! need font files. An estimate from character classes is close enough to place labels and
//! makes the SVG in tests lay out exactly like the canvas on the page.

use plotters::style::TextStyle;

use crate::ViewError;

/// Width of one character in ems, by class, for a typical sans-serif face. Slightly generous,
/// so neighbouring labels never overlap.
fn char_em(c: char) -> f64 {
    match c {
        'i' | 'j' | 'l' | '.' | ',' | ':' | ';' | '\'' | '|' | '!' | ' ' => 0.3,
        'f' | 't' | 'r' | '(' | ')' | '[' | ']' | '-' | '“' | '”' => 0.4,
        'm' | 'w' | 'M' | 'W' | '@' | '%' => 0.85,
        'A'..='Z' | '0'..='9' | '#' | '&' | '_' => 0.64,
        c if c.is_ascii() => 0.56,
        // CJK, kana, hangul, full-width forms and emoji take a full em.
        c if (c as u32) >= 0x1100 => 1.0,
        _ => 0.6,
    }
}

/// (width, height) in pixels of `text` in `style`.
pub fn measure(text: &str, style: &TextStyle) -> Result<(u32, u32), ViewError> {
    let size = style.font.get_size();
    let width: f64 = text.chars().map(char_em).sum::<f64>() * size;
    Ok((width.ceil() as u32, (size * 1.2).ceil() as u32))
}

#[cfg(test)]
mod tests {
    use super::*;
    use plotters::style::IntoFont;

    #[test]
    fn wider_text_measures_wider_and_cjk_takes_a_full_em() {
        let style = ("sans-serif", 10.0)
            .into_font()
            .color(&plotters::style::BLACK);
        let (narrow, h) = measure("ill", &style).expect("measures");
        let (wide, _) = measure("WWW", &style).expect("measures");
        assert!(narrow < wide);
        assert_eq!(h, 12);
        assert_eq!(measure("派对", &style).expect("measures").0, 20);
        assert_eq!(measure("", &style).expect("measures").0, 0);
    }
}
