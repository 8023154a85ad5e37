//! The lesson panel above the views: the step indicator, the step's title, what it says
//! with its numbers computed live (`lesson_claims.rs`), what to notice, what to try, and the
//! buttons that move through the steps and switch presentation mode on.

use super::kit::{Control, UiEvent};
use super::lesson_claims::said;
use super::out::{El, Node, Out};
use crate::page::{LessonMsg, Msg, PageModel, Step};

pub const CONTROLS: &[Control] = &[
    Control::on("lesson-start", UiEvent::Click, |_| {
        Some(Msg::Lesson(LessonMsg::Start))
    }),
    Control::on("lesson-prev", UiEvent::Click, |_| {
        Some(Msg::Lesson(LessonMsg::Move(-1)))
    }),
    Control::on("lesson-next", UiEvent::Click, |_| {
        Some(Msg::Lesson(LessonMsg::Move(1)))
    }),
    Control::on("lesson-restart", UiEvent::Click, |_| {
        Some(Msg::Lesson(LessonMsg::Restart))
    }),
    Control::on("lesson-exit", UiEvent::Click, |_| {
        Some(Msg::Lesson(LessonMsg::Exit))
    }),
    Control::on("lesson-present", UiEvent::Click, |_| {
        Some(Msg::Lesson(LessonMsg::TogglePresent))
    }),
    Control::on("lesson-fullscreen", UiEvent::Click, |_| {
        Some(Msg::Lesson(LessonMsg::Fullscreen))
    }),
    Control::within("lesson-dots", UiEvent::Click, "step", |i| {
        i.data
            .as_deref()?
            .parse()
            .ok()
            .map(|n| Msg::Lesson(LessonMsg::Go(n)))
    }),
];

/// The lesson panel, or nothing but the start button outside the lesson.
pub fn render(model: &PageModel, out: &mut Out) {
    let step = model.lesson_step();
    out.class("body", "in-lesson", step.is_some());
    out.class("body", "present", model.state.present);
    out.hidden("lesson", step.is_none());
    out.hidden("lesson-start", step.is_some());
    let Some(step) = step else {
        return;
    };
    let number = step.number();
    let total = Step::ALL.len();
    out.attr("lesson", "data-step", number.to_string());
    out.attr("lesson", "data-name", step.name());
    out.text(
        "lesson-indicator",
        model
            .t("lesson-indicator")
            .replace("{n}", &number.to_string())
            .replace("{total}", &total.to_string()),
    );
    out.children("lesson-dots", dots(model, number));
    out.text(
        "lesson-title",
        model.t(&format!("lesson-{}-title", step.name())),
    );
    match said(model, step) {
        Ok(said) => {
            out.children("lesson-body", said.body);
            out.children("lesson-notice", notice(model, said.notice));
        }
        Err(why) => {
            out.children(
                "lesson-body",
                vec![El::new("span").class("lesson-missing").text(why).into()],
            );
            out.children("lesson-notice", Vec::new());
        }
    }
    out.text(
        "lesson-edited",
        if model.lesson_edited() {
            model.t("lesson-edited")
        } else {
            ""
        },
    );
    out.hidden("lesson-edited", !model.lesson_edited());
    out.text(
        "lesson-try",
        format!(
            "{} {}",
            model.t("lesson-try"),
            model.t(&format!("lesson-{}-try", step.name()))
        ),
    );
    out.disabled("lesson-prev", number == 1);
    out.disabled("lesson-next", number == total);
    out.attr(
        "lesson-present",
        "aria-pressed",
        model.state.present.to_string(),
    );
}

fn notice(model: &PageModel, body: Vec<Node>) -> Vec<Node> {
    let mut nodes: Vec<Node> = vec![El::new("strong").text(model.t("lesson-notice")).into()];
    nodes.push(El::new("span").text(" ").into());
    nodes.extend(body);
    nodes
}

/// One button per step, the current one marked.
fn dots(model: &PageModel, current: usize) -> Vec<Node> {
    Step::ALL
        .iter()
        .map(|s| {
            let n = s.number();
            let mut el = El::new("button")
                .class(if n == current {
                    "lesson-dot current"
                } else {
                    "lesson-dot"
                })
                .attr("type", "button")
                .attr("data-step", n.to_string())
                .attr("title", model.t(&format!("lesson-{}-title", s.name())))
                .text(n.to_string());
            if n == current {
                el = el.attr("aria-current", "step");
            }
            el.into()
        })
        .collect()
}
