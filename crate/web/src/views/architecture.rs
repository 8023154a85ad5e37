//! View 12, architecture: the loaded model's block drawn beside GPT-2's (LayerNorm or
//! RMSNorm, GELU MLP or SwiGLU, learned positions or RoPE, heads or shared key/value heads,
//! a tied or an own output head) with the model's real sizes, and each part's parameters.

use plotters::prelude::DrawingBackend;
use tokenscope_core::anatomy::{Anatomy, Mlp, Norm, Positions};
use tokenscope_views::{diagram_height, draw_block_diagram, BlockBox, BlockColumn, BlockDiagram};

use super::kit::{
    loaded, message, mlp_name, norm_name, theme, Area, CanvasPlan, Hit, PaintResult, Panel,
};
use super::out::{Out, Table};
use crate::format::grouped;
use crate::page::PageModel;

pub struct Architecture;

impl Panel for Architecture {
    fn canvases(model: &PageModel) -> Vec<CanvasPlan> {
        let height = match &model.facts {
            Some(facts) => diagram_height(&columns(model, &facts.anatomy)),
            None => 600,
        };
        vec![CanvasPlan::tall("architecture", height)]
    }

    fn paint<DB: DrawingBackend>(_name: &str, model: &PageModel, area: &Area<DB>) -> PaintResult {
        let Some(facts) = loaded(model) else {
            return message(area, model, model.t("loading"));
        };
        draw_block_diagram(
            area,
            &BlockDiagram {
                columns: &columns(model, &facts.anatomy),
                theme: theme(model),
            },
        )?;
        Ok(Hit::None.into())
    }

    fn render(model: &PageModel, out: &mut Out) {
        let Some(facts) = &model.facts else {
            return;
        };
        out.text("architecture-text", differences(model, &facts.anatomy));
        out.table("architecture-table", parts_table(model, &facts.anatomy));
    }
}

/// GPT-2 small on the left, the loaded model on the right (GPT-2's own block alone when the
/// loaded model is a GPT-2 of that very shape).
fn columns(model: &PageModel, anatomy: &Anatomy) -> Vec<BlockColumn> {
    let gpt2 = Anatomy::gpt2_small();
    let name = model.facts.as_ref().map_or("", |f| f.name.as_str());
    let mine = column(model, anatomy, &gpt2, name);
    if *anatomy == gpt2 {
        return vec![mine];
    }
    vec![column(model, &gpt2, &gpt2, "GPT-2 small"), mine]
}

fn sized(model: &PageModel, key: &str, value: usize) -> String {
    format!("{} {}", grouped(value as u64), model.t(key))
}

/// One model's boxes, top to bottom, each marked when it differs from `reference`'s.
fn column(model: &PageModel, a: &Anatomy, reference: &Anatomy, name: &str) -> BlockColumn {
    let t = |key: &str| model.t(key).to_string();
    let item = |label: String, detail: String, differs: bool| BlockBox {
        label,
        detail,
        differs,
    };
    // BERT normalises after each residual sum, GPT-2 and llama before each sub-block.
    let norm_differs = a.norm != reference.norm || a.pre_norm != reference.pre_norm;
    let norm = || {
        item(
            norm_name(a.norm).to_string(),
            a.hidden.to_string(),
            norm_differs,
        )
    };
    let mut boxes = vec![item(
        t("arch-embed"),
        format!("{} × {}", grouped(a.vocab as u64), a.hidden),
        false,
    )];
    boxes.push(match &a.positions {
        Positions::Learned { rows } => item(
            t("arch-pos-learned"),
            format!("{} × {}", grouped(*rows as u64), a.hidden),
            false,
        ),
        Positions::Rotary { theta, .. } => item(
            t("arch-pos-rotary"),
            format!("RoPE · {} {}", t("rope-base"), grouped(*theta as u64)),
            true,
        ),
    });
    let start = boxes.len();
    if a.pre_norm {
        boxes.push(norm());
    }
    boxes.push(item(
        attention_label(model, a),
        attention_detail(model, a),
        attention_differs(a, reference),
    ));
    boxes.push(item(t("arch-residual"), String::new(), false));
    boxes.push(norm());
    boxes.push(item(
        format!("{} MLP", mlp_name(a.mlp)),
        mlp_detail(a),
        a.mlp != reference.mlp,
    ));
    boxes.push(item(t("arch-residual"), String::new(), false));
    if !a.pre_norm {
        boxes.push(norm());
    }
    let end = boxes.len();
    if a.pre_norm {
        boxes.push(item(
            format!("{} ({})", norm_name(a.norm), t("arch-final")),
            a.hidden.to_string(),
            norm_differs,
        ));
    }
    match a.tied_head {
        Some(tied) => {
            let (label, differs) = match tied {
                true => (t("arch-head-tied"), false),
                false => (t("arch-head-own"), true),
            };
            boxes.push(item(
                label,
                format!("{} × {}", grouped(a.vocab as u64), a.hidden),
                differs,
            ));
            boxes.push(item(
                t("arch-softmax"),
                sized(model, "arch-tokens", a.vocab),
                false,
            ));
        }
        None => boxes.push(item(
            t("arch-contextual"),
            sized(model, "arch-numbers-each", a.hidden),
            true,
        )),
    }
    BlockColumn {
        title: vec![
            name.to_string(),
            format!(
                "{} {}",
                grouped(a.total_parameters()),
                model.t("arch-parameters")
            ),
        ],
        boxes,
        repeated: Some((start..end, format!("× {} {}", a.layers, model.t("layers")))),
    }
}

fn attention_label(model: &PageModel, a: &Anatomy) -> String {
    let kind = if a.causal {
        "arch-attention-causal"
    } else {
        "arch-attention"
    };
    model.t(kind).to_string()
}

/// "9 query heads · 3 key/value heads · d 64 · q, k turned (RoPE)" and the like.
fn attention_detail(model: &PageModel, a: &Anatomy) -> String {
    let mut parts = vec![if a.kv_heads != a.heads {
        format!(
            "{} {} · {} {}",
            a.heads,
            model.t("arch-query-heads"),
            a.kv_heads,
            model.t("kv-heads-count")
        )
    } else {
        format!("{} {}", a.heads, model.t("heads-count"))
    }];
    parts.push(format!("d {}", a.head_dim));
    if a.qk_norm {
        parts.push(model.t("arch-qk-norm").to_string());
    }
    if matches!(a.positions, Positions::Rotary { .. }) {
        parts.push(model.t("arch-rope-turn").to_string());
    }
    if let Some(window) = a.sliding_window {
        parts.push(format!("{} {window}", model.t("sliding-window")));
    }
    parts.join(" · ")
}

fn attention_differs(a: &Anatomy, reference: &Anatomy) -> bool {
    a.kv_heads != a.heads
        || a.qk_norm
        || a.sliding_window.is_some()
        || a.causal != reference.causal
        || std::mem::discriminant(&a.positions) != std::mem::discriminant(&reference.positions)
}

fn mlp_detail(a: &Anatomy) -> String {
    match a.mlp {
        Mlp::SwiGlu => format!(
            "gate, up {} → {} · silu(gate) × up · down → {}",
            a.hidden, a.intermediate, a.hidden
        ),
        _ => format!("{} → {} → {}", a.hidden, a.intermediate, a.hidden),
    }
}

/// In words: what the loaded model does differently from GPT-2.
fn differences(model: &PageModel, a: &Anatomy) -> String {
    let gpt2 = Anatomy::gpt2_small();
    let mut found = Vec::new();
    if a.norm == Norm::RmsNorm {
        found.push(model.t("diff-rmsnorm").to_string());
    }
    if !a.pre_norm {
        found.push(model.t("diff-post-norm").to_string());
    }
    if a.mlp == Mlp::SwiGlu {
        found.push(model.t("diff-swiglu").to_string());
    }
    if matches!(a.positions, Positions::Rotary { .. }) {
        found.push(model.t("diff-rope").to_string());
    }
    if a.kv_heads != a.heads {
        found.push(
            model
                .t("diff-gqa")
                .replace("{q}", &a.heads.to_string())
                .replace("{kv}", &a.kv_heads.to_string()),
        );
    }
    if a.qk_norm {
        found.push(model.t("diff-qk-norm").to_string());
    }
    if let Some(window) = a.sliding_window {
        found.push(model.t("diff-window").replace("{w}", &window.to_string()));
    }
    if a.tied_head == Some(false) {
        found.push(model.t("diff-own-head").to_string());
    }
    if !a.causal {
        found.push(model.t("diff-bidirectional").to_string());
    }
    if found.is_empty() {
        return model.t("diff-none").to_string();
    }
    let scale = a.total_parameters() as f64 / gpt2.total_parameters() as f64;
    // "0.3 ×" reads well down to a tenth; below, "1/887 of" is clearer than "0.00 ×".
    let size = if scale >= 0.1 {
        format!("{scale:.1} × GPT-2 small")
    } else {
        model
            .t("arch-fraction")
            .replace("{n}", &format!("{:.0}", 1.0 / scale))
    };
    format!(
        "{} {}. {} {} {} ({size}).",
        model.t("diff-lead"),
        found.join("; "),
        model.t("arch-size-lead"),
        grouped(a.total_parameters()),
        model.t("arch-parameters"),
    )
}

/// Parameters of each part, GPT-2 small beside the loaded model.
fn parts_table(model: &PageModel, a: &Anatomy) -> Option<Table> {
    let gpt2 = Anatomy::gpt2_small();
    let names = [
        "embeddings",
        "positions",
        "attention",
        "mlp",
        "norms",
        "head",
    ];
    let count = |anatomy: &Anatomy, name: &str| {
        anatomy
            .parts
            .iter()
            .filter(|p| p.name == name)
            .map(|p| p.parameters)
            .sum::<u64>()
    };
    let mut rows: Vec<String> = names
        .iter()
        .map(|n| model.t(&format!("part-{n}")).to_string())
        .collect();
    rows.push(model.t("part-total").to_string());
    let cells = |anatomy: &Anatomy, row: usize| match names.get(row) {
        Some(name) => count(anatomy, name),
        None => anatomy.total_parameters(),
    };
    let name = model
        .facts
        .as_ref()
        .map_or("", |f| f.name.as_str())
        .to_string();
    let share = |row: usize| {
        let total = a.total_parameters().max(1) as f64;
        format!("{:.1} %", 100.0 * cells(a, row) as f64 / total)
    };
    let table = Table::new(
        "architecture-table",
        model.t("arch-table"),
        vec![
            "GPT-2 small".into(),
            name,
            model.t("arch-share").to_string(),
        ],
        rows,
        |r, c| match c {
            0 => grouped(cells(&gpt2, r)),
            1 => grouped(cells(a, r)),
            _ => share(r),
        },
    );
    Some(table.corner(model.t("arch-part")))
}
