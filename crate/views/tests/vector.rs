//! The embedding of "party" as a strip and bars, and its one-hot vector, rendered to SVG
//! from MiniLM's real table and vocabulary.

mod common;

use common::{count, drawn, model, position, render, save, texts, trace, SEED};
use tokenscope_views::{draw_one_hot, draw_vector, OneHot, Theme, VectorStrip};

#[test]
fn party_embedding_draws_a_cell_and_a_bar_per_dimension() {
    let trace = trace(SEED);
    let id = trace.input.ids[position(&trace, "party")];
    let values = model().embedding_of(id).expect("in vocabulary").to_vec();
    assert_eq!(values.len(), 384);
    let vector = VectorStrip {
        title: "Static embedding of \"party\" · 384 dimensions",
        values: &values,
        theme: Theme::Light,
    };
    let (svg, layout) = render((900, 320), |root| draw_vector(root, &vector));
    let layout = layout.expect("draws");
    let nonzero = values.iter().filter(|v| **v != 0.0).count();
    assert_eq!(
        count(&svg, "rect"),
        1 + 384 + nonzero,
        "background, strip, bars"
    );
    let max = values.iter().copied().fold(f32::MIN, f32::max);
    let min = values.iter().copied().fold(f32::MAX, f32::min);
    assert_eq!(drawn(&svg, &format!("{max:.2}")), 1);
    assert_eq!(drawn(&svg, &format!("{min:.2}")), 1);
    // "0" is also the bars' zero line, so only the other ticks are unique.
    for tick in (64..384).step_by(64) {
        assert_eq!(drawn(&svg, &tick.to_string()), 1, "dimension tick {tick}");
    }
    // A pointer over the middle of dimension 100, in the strip or the bars, finds it.
    let x = layout.left + (100.5 * layout.cell_width) as i32;
    assert_eq!(layout.index_at(x, layout.top + 2), Some(100));
    assert_eq!(layout.index_at(x, layout.bottom - 2), Some(100));
    assert_eq!(layout.index_at(layout.left - 1, layout.top + 2), None);
    assert_eq!(layout.index_at(x, layout.bottom + 20), None);
    save("vector-party.svg", &svg);
}

#[test]
fn empty_vector_is_an_error() {
    let vector = VectorStrip {
        title: "",
        values: &[],
        theme: Theme::Dark,
    };
    assert!(render((300, 200), |root| draw_vector(root, &vector))
        .1
        .is_err());
}

fn one_hot_svg(vocab_size: usize, index: usize, token: &str) -> String {
    let one_hot = OneHot {
        title: "One-hot vector of a token",
        vocab_size,
        index,
        token,
        theme: Theme::Light,
    };
    let (svg, done) = render((900, 300), |root| draw_one_hot(root, &one_hot));
    done.expect("draws");
    svg
}

/// The close-up's cell values: the texts drawn as "0"/"1" right after the end labels.
fn cell_values(svg: &str) -> Vec<String> {
    texts(svg)
        .into_iter()
        .filter(|t| t == "0" || t == "1")
        .collect()
}

#[test]
fn one_hot_of_party_marks_its_id_in_thirty_thousand_zeros() {
    let vocab = model().tokenizer.vocab_size();
    assert_eq!(vocab, 30522);
    let trace = trace(SEED);
    let id = trace.input.ids[position(&trace, "party")] as usize;
    let svg = one_hot_svg(vocab, id, "party");
    assert_eq!(drawn(&svg, &format!("1 at index {id} (party)")), 1);
    assert_eq!(drawn(&svg, "30521"), 1, "the last index ends the strip");
    // "0" starts the strip; then 21 cells, one of them the 1.
    assert_eq!(drawn(&svg, "1"), 1);
    assert_eq!(cell_values(&svg).len(), 1 + 21);
    for i in id - 10..=id + 10 {
        assert_eq!(drawn(&svg, &i.to_string()), 1, "index {i} under its cell");
    }
    assert_eq!(drawn(&svg, &(id + 11).to_string()), 0);
    assert_eq!(drawn(&svg, "…"), 2, "the vector goes on both sides");
    save("one-hot-party.svg", &svg);
}

#[test]
fn one_hot_close_up_is_clamped_at_both_ends() {
    let svg = one_hot_svg(30522, 0, "[PAD]");
    for i in 2..=20 {
        assert_eq!(drawn(&svg, &i.to_string()), 1, "window 0..=20 holds {i}");
    }
    assert_eq!(drawn(&svg, "21"), 0);
    assert_eq!(drawn(&svg, "…"), 1, "only the right side goes on");
    let svg = one_hot_svg(30522, 30521, "##～");
    assert_eq!(drawn(&svg, "30501"), 1, "window ends at the last id");
    assert_eq!(drawn(&svg, "30500"), 0);
    assert_eq!(
        drawn(&svg, "30521"),
        2,
        "last cell and the strip's end label"
    );
    save("one-hot-last.svg", &svg);
    let svg = one_hot_svg(5, 3, "d");
    // The strip's "0", five cell values, and the indices 0 and 1 under their cells.
    assert_eq!(
        cell_values(&svg).len(),
        1 + 5 + 2,
        "a tiny vocabulary shows whole"
    );
    assert_eq!(
        drawn(&svg, "4"),
        2,
        "the strip's end label and the last cell's index"
    );
    assert_eq!(drawn(&svg, "…"), 0);
}

#[test]
fn one_hot_index_outside_the_vocabulary_is_an_error() {
    for (vocab_size, index) in [(10, 10), (0, 0)] {
        let one_hot = OneHot {
            title: "",
            vocab_size,
            index,
            token: "x",
            theme: Theme::Light,
        };
        assert!(render((900, 300), |root| draw_one_hot(root, &one_hot))
            .1
            .is_err());
    }
}
