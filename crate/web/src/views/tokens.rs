//! View 1, tokens and ids: the id lists and the shape of the embeddings, and the ids on a
//! number line (why an id's size means nothing).

use plotters::prelude::DrawingBackend;
use tokenscope_views::id_line::{draw_id_line, IdLine, IdMark};

use super::kit::{loaded, message, theme, Area, CanvasPlan, Hit, LayerBar, PaintResult, Panel};
use super::out::{El, Node, Out};
use crate::page::PageModel;
use crate::protocol::SentenceKey;

pub struct Tokens;

impl Panel for Tokens {
    fn layer_bar(_model: &PageModel) -> LayerBar {
        LayerBar::Dim
    }

    fn canvases(_model: &PageModel) -> Vec<CanvasPlan> {
        vec![CanvasPlan::fixed("ids")]
    }

    fn paint<DB: DrawingBackend>(_name: &str, model: &PageModel, area: &Area<DB>) -> PaintResult {
        let Some(facts) = loaded(model) else {
            return message(area, model, model.t("loading"));
        };
        // One mark per distinct id: a token that appears twice has one place on the line.
        let selected = model.selected();
        let mut marks: Vec<IdMark> = Vec::new();
        for (i, c) in model.chips.iter().enumerate() {
            let is_selected = Some(i) == selected;
            match marks.iter_mut().find(|m| m.id == c.id) {
                Some(mark) => mark.selected |= is_selected,
                None => marks.push(IdMark {
                    token: &c.token,
                    id: c.id,
                    selected: is_selected,
                }),
            }
        }
        draw_id_line(
            area,
            &IdLine {
                title: model.t("ids-title"),
                vocab_size: facts.vocab_size,
                marks: &marks,
                theme: theme(model),
            },
        )?;
        Ok(Hit::None.into())
    }

    fn render(model: &PageModel, out: &mut Out) {
        out.children("ids-list", id_lines(model));
    }
}

/// "A: [101, 2493, …] — 10 tokens → embeddings of shape [1, 10, 384]", per sentence shown.
fn id_lines(model: &PageModel) -> Vec<Node> {
    let Some(analysis) = &model.analysis else {
        return Vec::new();
    };
    let pair = model.attention_keys() == [SentenceKey::Pair];
    analysis
        .sentences
        .iter()
        .filter(|s| pair == (s.key == SentenceKey::Pair))
        .map(|sentence| {
            let name = model.sentence_name(sentence.key);
            let ids = sentence
                .ids
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            let count = sentence.ids.len();
            let mut shape = format!(
                " — {count} {} → {} [1, {count}, {}]",
                model.t("tokens-count"),
                model.t("shape"),
                analysis.hidden_size
            );
            if sentence.truncated > 0 {
                shape.push_str(&format!(
                    " · {} {}",
                    model.t("truncated"),
                    sentence.truncated
                ));
            }
            if sentence.too_long {
                shape.push_str(&format!(" · {name} {}", model.t("too-long")));
            }
            El::new("p")
                .class("id-line")
                .attr("data-sentence", sentence.key.name())
                .child(El::new("strong").text(format!("{name}: ")))
                .child(
                    El::new("code")
                        .text(format!("[{ids}]"))
                        .attr("data-testid", "ids"),
                )
                .child(El::new("span").class("shape").text(shape))
                .into()
        })
        .collect()
}
