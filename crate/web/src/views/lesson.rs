//! The lesson panel above the views: the step indicator, the step's title, what it says
//! with its numbers computed live (`lesson_claims.rs`), what to notice, what to try, and the
//! buttons that move through the steps and switch presentation mode on.

use plotters::prelude::{IntoDrawingArea, SVGBackend};

use super::kit::{Control, UiEvent};
use super::lesson_claims::said;
use super::out::{El, Node, Out};
use super::View;
use crate::page::{HandoutPage, LessonMsg, Msg, PageModel, Step};

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
    Control::on("lesson-print", UiEvent::Click, |_| {
        Some(Msg::Lesson(LessonMsg::Handout))
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
    render_handout(model, out);
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
    let gathering = model.handout.as_ref().filter(|h| !h.done);
    out.disabled("lesson-print", gathering.is_some());
    out.text(
        "lesson-print",
        match gathering {
            Some(h) => model
                .t("lesson-printing")
                .replace("{n}", &(h.pages.len() + 1).to_string())
                .replace("{total}", &total.to_string()),
            None => model.t("lesson-print").to_string(),
        },
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

/// The page of the handout the lesson waits for, once its step's numbers are on screen:
/// its words (claims marked) and the shown view's first chart as SVG.
pub fn handout_page(model: &PageModel) -> Option<HandoutPage> {
    let number = model.handout_wants()?;
    let step = Step::at(number)?;
    let said = said(model, step).ok()?;
    let pieces = |nodes: &[Node]| -> Vec<(String, bool)> {
        nodes
            .iter()
            .filter_map(|n| match n {
                Node::El(el) => Some((el.all_text(), el.get("data-claim").is_some())),
                Node::Table(_) => None,
            })
            .collect()
    };
    Some(HandoutPage {
        step: number,
        title: model
            .t(&format!("lesson-{}-title", step.name()))
            .to_string(),
        body: pieces(&said.body),
        notice: pieces(&said.notice),
        try_this: model.t(&format!("lesson-{}-try", step.name())).to_string(),
        figure: figure(model),
    })
}

/// The shown view's first chart, drawn as SVG markup at a printable size.
fn figure(model: &PageModel) -> Option<String> {
    let view = View::shown(model);
    let plan = view.canvases(model).into_iter().next()?;
    let size = (1000, plan.height.unwrap_or(420).min(1100));
    let mut svg = String::new();
    {
        let area = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        view.paint(plan.name, model, &area).ok()?;
    }
    Some(svg)
}

/// SVG markup as a `data:` address an `<img>` shows (the page's CSP allows `data:` images).
fn svg_data_url(svg: &str) -> String {
    let mut url = String::from("data:image/svg+xml;charset=utf-8,");
    for byte in svg.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b' ' => {
                url.push(byte as char)
            }
            _ => url.push_str(&format!("%{byte:02X}")),
        }
    }
    url
}

/// The printed handout: one page per step, shown only when printing.
pub fn render_handout(model: &PageModel, out: &mut Out) {
    let ready = model.handout.as_ref().filter(|h| h.done);
    out.class("body", "has-handout", ready.is_some());
    let Some(handout) = ready else {
        out.children("handout", Vec::new());
        return;
    };
    let line = |pieces: &[(String, bool)], class: &'static str| -> Node {
        let mut p = El::new("p").class(class);
        for (text, claim) in pieces {
            p = p.child(El::new(if *claim { "strong" } else { "span" }).text(text.clone()));
        }
        p.into()
    };
    let pages = handout
        .pages
        .iter()
        .map(|page| {
            let heading = format!(
                "{} · {}",
                model
                    .t("lesson-indicator")
                    .replace("{n}", &page.step.to_string())
                    .replace("{total}", &Step::ALL.len().to_string()),
                page.title
            );
            let mut article = El::new("article")
                .class("handout-page")
                .attr("data-step", page.step.to_string())
                .child(El::new("h2").text(heading))
                .child(line(&page.body, "lesson-body"));
            let mut notice = vec![(format!("{} ", model.t("lesson-notice")), true)];
            notice.extend(page.notice.iter().cloned());
            article = article.child(line(&notice, "lesson-notice")).child(
                El::new("p").class("lesson-try").text(format!(
                    "{} {}",
                    model.t("lesson-try"),
                    page.try_this
                )),
            );
            if let Some(svg) = &page.figure {
                article = article.child(
                    El::new("img")
                        .class("handout-figure")
                        .attr("src", svg_data_url(svg))
                        .attr("alt", page.title.clone()),
                );
            }
            article.into()
        })
        .collect();
    out.children("handout", pages);
}
