//! A modern decoder in the views (tiny-llama: RoPE, 8 query heads over 2 key/value heads,
//! RMSNorm, SwiGLU, an untied head): the model line, the rotary position view, the
//! rotation in the q/k/v view, the key/value groups and the architecture panel, each
//! against the core's own numbers.

use super::*;
use tokenscope_core::anatomy::Anatomy;
use tokenscope_core::rope::{angles, score_by_distance};

fn llama(query: &[(&str, &str)]) -> Harness {
    let mut link = vec![("model", "models/tiny-llama"), ("b", "")];
    link.extend_from_slice(query);
    Harness::ready(&link)
}

#[test]
fn the_model_line_names_the_build_of_a_modern_decoder() {
    let h = llama(&[]);
    assert_eq!(
        shown(&h).text_of("model-info"),
        Some("tiny-llama · llama · 2 layers × 8 heads (2 key/value heads) · hidden 64 · vocabulary 320 · RoPE · RMSNorm · SwiGLU")
    );
}

#[test]
fn the_position_view_shows_turn_angles_and_scores_by_distance() {
    let mut h = llama(&[("view", "position"), ("layer", "1"), ("head", "6")]);
    let out = shown(&h);
    for (id, hidden) in [
        ("position-heading-rotary", false),
        ("position-heading-learned", true),
        ("sum-heading-rotary", false),
    ] {
        assert!(
            out.patches.contains(&Patch::Hidden {
                id: id.into(),
                hidden
            }),
            "{id}"
        );
    }
    let inv = h.model().rotary_frequencies().expect("rotary").to_vec();
    let trace = h.trace(CELEBRATION);
    let table = out.the_table("position-table").expect("angles");
    assert_eq!(table.rows.len(), trace.len());
    let expected = angles(&inv, 64);
    assert_cells(table, |r, c| expected[[r, c]], "angles");
    let facts = out.text_of("position-text").expect("facts");
    assert!(facts.contains("64 positions × 4 pairs"), "{facts}");
    // The selected token (the last) of layer 1, head 6 (key/value head 1).
    let token = trace.len() - 1;
    let layer = &trace.layers[1];
    let q = layer
        .query_unrotated
        .as_ref()
        .expect("q")
        .index_axis(ndarray::Axis(0), 6)
        .row(token)
        .to_vec();
    let k = layer
        .key_unrotated
        .as_ref()
        .expect("k")
        .index_axis(ndarray::Axis(0), 6)
        .row(token)
        .to_vec();
    let scale = (8f32).powf(-0.5);
    let scores = out.the_table("sum-table").expect("distances");
    assert_eq!(
        scores.rows,
        vec!["query at 32", "query at 47", "query at 63"]
    );
    for (r, at) in [32, 47, 63].into_iter().enumerate() {
        let want = score_by_distance(&q, &k, &inv, scale, at, 32);
        assert_cells_row(scores, r, &want);
    }
    let text = out.text_of("sum-text").expect("text");
    assert!(
        text.contains("the score depends only on how far apart"),
        "{text}"
    );
    // Its canvases paint, and the layer and head bar is in use here.
    h.send(Msg::ShowView("position".into()));
    for plan in View::Position.canvases(&h.page) {
        let (svg, _) = paint_svg(&h, plan.name, (900, 420));
        assert!(svg.starts_with("<svg") && svg.len() > 300, "{}", plan.name);
    }
    assert_eq!(
        View::Position.layer_bar(&h.page),
        super::super::kit::LayerBar::Used
    );
}

fn assert_cells_row(table: &Table, row: usize, expected: &[f32]) {
    assert_eq!(table.cells[row].len(), expected.len());
    for (c, cell) in table.cells[row].iter().enumerate() {
        assert_eq!(
            *cell,
            format!("{:.4}", expected[c]),
            "row {row}, distance {c}"
        );
    }
}

#[test]
fn the_qkv_view_shows_q_and_k_before_and_after_the_turn() {
    let h = llama(&[("view", "neuron"), ("layer", "0"), ("head", "5")]);
    let out = shown(&h);
    assert!(out.patches.contains(&Patch::Hidden {
        id: "rotation-block".into(),
        hidden: false
    }));
    let trace = h.trace(CELEBRATION);
    let token = trace.len() - 1;
    let layer = &trace.layers[0];
    let row = |t: &ndarray::Array3<f32>| t.index_axis(ndarray::Axis(0), 5).row(token).to_vec();
    let rows = [
        row(layer.query_unrotated.as_ref().expect("q")),
        row(&layer.query),
        row(layer.key_unrotated.as_ref().expect("k")),
        row(&layer.key),
    ];
    let table = out.the_table("rotation-table").expect("rotation");
    assert_cells(table, |r, c| rows[r][c], "q, k before and after");
    assert_ne!(rows[0], rows[1], "the last token's query is turned");
    let neuron = out.the_table("neuron-table").expect("scores");
    assert_eq!(
        neuron.cols.last().map(String::as_str),
        Some("q·k before the turn")
    );
    let text = out.text_of("rotation-text").expect("lengths");
    assert!(text.contains("lengths do not change"), "{text}");
}

#[test]
fn grouped_heads_are_named_in_the_head_view() {
    let h = llama(&[("view", "head")]);
    let text = shown(&h)
        .text_of("kv-groups")
        .map(String::from)
        .expect("groups");
    assert!(text.ends_with("0–3 → K/V 0 · 4–7 → K/V 1."), "{text}");
    assert_eq!(h.page.kv_group(5), 1);
    let bert = Harness::ready(&[("view", "head")]);
    assert_eq!(shown(&bert).text_of("kv-groups"), Some(""));
}

#[test]
fn the_architecture_panel_counts_each_part_and_names_each_difference() {
    let h = llama(&[("view", "architecture")]);
    let out = shown(&h);
    let text = out.text_of("architecture-text").expect("differences");
    for words in [
        "RMSNorm instead of LayerNorm",
        "SwiGLU",
        "rotary positions",
        "8 query heads share 2 key/value heads",
        "its own next-token matrix",
    ] {
        assert!(text.contains(words), "{words}: {text}");
    }
    let table = out.the_table("architecture-table").expect("parts");
    let anatomy = h.model().config.anatomy();
    let total = table.cells.last().expect("total row");
    assert_eq!(
        total[0],
        crate::format::grouped(Anatomy::gpt2_small().total_parameters())
    );
    assert_eq!(total[1], crate::format::grouped(anatomy.total_parameters()));
    assert_eq!(total[2], "100.0 %");
    // GPT-2 small's own block is drawn once when GPT-2 small is what is loaded; here two
    // columns, each box of the model in its own.
    let (svg, _) = paint_svg(&h, "architecture", (1000, 800));
    assert!(svg.contains("GPT-2 small") && svg.contains("tiny-llama"));
    assert!(
        svg.contains("SwiGLU MLP") && svg.contains("× 2 layers") && svg.contains("× 12 layers")
    );
    // BERT: the norm after each residual sum, and no next-token head.
    let bert = Harness::ready(&[("view", "architecture")]);
    let text = shown(&bert)
        .text_of("architecture-text")
        .map(String::from)
        .expect("bert");
    assert!(
        text.contains("the norm comes after each residual sum"),
        "{text}"
    );
}
