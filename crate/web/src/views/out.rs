//! What a view puts on the page besides its charts, as plain data: texts, tables and small
//! element trees for the shell to apply. Native tests read the very same tables.

/// One element, built by the shell with text (never HTML: sentences come from users).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct El {
    pub tag: &'static str,
    pub class: String,
    pub text: Option<String>,
    pub attrs: Vec<(&'static str, String)>,
    /// CSS custom properties, set through the CSSOM (the page's CSP refuses style
    /// attributes).
    pub css: Vec<(&'static str, String)>,
    pub children: Vec<Node>,
}

impl El {
    pub fn new(tag: &'static str) -> Self {
        El {
            tag,
            ..El::default()
        }
    }

    pub fn class(mut self, class: impl Into<String>) -> Self {
        self.class = class.into();
        self
    }

    pub fn text(mut self, text: impl Into<String>) -> Self {
        self.text = Some(text.into());
        self
    }

    pub fn attr(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.attrs.push((name, value.into()));
        self
    }

    pub fn css(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.css.push((name, value.into()));
        self
    }

    pub fn child(mut self, node: impl Into<Node>) -> Self {
        self.children.push(node.into());
        self
    }

    /// The value of attribute `name`, if set.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// This element's text and its descendants', in order (what `textContent` gives).
    pub fn all_text(&self) -> String {
        let mut out = self.text.clone().unwrap_or_default();
        for child in &self.children {
            out.push_str(&child.all_text());
        }
        out
    }
}

/// A matrix of numbers as a table: a caption, column and row headers, and the cells as
/// already formatted text. Screen readers and tests read the numbers from here.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    /// The table's `data-testid`.
    pub test_id: &'static str,
    pub caption: String,
    pub corner: String,
    pub cols: Vec<String>,
    pub rows: Vec<String>,
    /// (rows, cols)
    pub cells: Vec<Vec<String>>,
    /// The row drawn as selected.
    pub highlight_row: Option<usize>,
    /// Cells right of the diagonal get the `masked` class: in a causal model they are 0
    /// by construction, not by what the model learned.
    pub mask_above_diagonal: bool,
    pub attrs: Vec<(&'static str, String)>,
}

impl Table {
    /// A table of `rows` × `cols` whose cell (r, c) is `cell(r, c)`.
    pub fn new(
        test_id: &'static str,
        caption: impl Into<String>,
        cols: Vec<String>,
        rows: Vec<String>,
        cell: impl Fn(usize, usize) -> String,
    ) -> Self {
        let cells = (0..rows.len())
            .map(|r| (0..cols.len()).map(|c| cell(r, c)).collect())
            .collect();
        Table {
            test_id,
            caption: caption.into(),
            cols,
            rows,
            cells,
            ..Table::default()
        }
    }

    /// The table's caption, head and body as HTML, every text escaped: the shell sets it in
    /// one `innerHTML` write. Built element by element, a 128-token attention table was
    /// 16,000 cells of three calls each from wasm, most of a keystroke's page time.
    pub fn inner_html(&self) -> String {
        let cells: usize = self.cells.iter().map(Vec::len).sum();
        let mut html = String::with_capacity(64 + 24 * (cells + self.cols.len()));
        html.push_str("<caption>");
        escape_into(&mut html, &self.caption);
        html.push_str("</caption><thead><tr><th>");
        escape_into(&mut html, &self.corner);
        html.push_str("</th>");
        for label in &self.cols {
            html.push_str("<th scope=\"col\">");
            escape_into(&mut html, label);
            html.push_str("</th>");
        }
        html.push_str("</tr></thead><tbody>");
        for (r, (label, row)) in self.rows.iter().zip(&self.cells).enumerate() {
            html.push_str(if self.highlight_row == Some(r) {
                "<tr class=\"selected\">"
            } else {
                "<tr>"
            });
            html.push_str("<th scope=\"row\">");
            escape_into(&mut html, label);
            html.push_str("</th>");
            for (c, text) in row.iter().enumerate() {
                html.push_str(if self.mask_above_diagonal && c > r {
                    "<td class=\"masked\">"
                } else {
                    "<td>"
                });
                escape_into(&mut html, text);
                html.push_str("</td>");
            }
            html.push_str("</tr>");
        }
        html.push_str("</tbody>");
        html
    }

    pub fn corner(mut self, corner: impl Into<String>) -> Self {
        self.corner = corner.into();
        self
    }

    pub fn highlight(mut self, row: Option<usize>) -> Self {
        self.highlight_row = row;
        self
    }

    pub fn masked(mut self, masked: bool) -> Self {
        self.mask_above_diagonal = masked;
        self
    }

    pub fn attr(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.attrs.push((name, value.into()));
        self
    }

    /// The value of attribute `name`, if set.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A part of the page: an element or a table.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    El(El),
    Table(Table),
}

impl Node {
    fn all_text(&self) -> String {
        match self {
            Node::El(el) => el.all_text(),
            Node::Table(t) => {
                let mut out = t.caption.clone();
                for row in &t.cells {
                    out.push_str(&row.concat());
                }
                out
            }
        }
    }
}

impl From<El> for Node {
    fn from(el: El) -> Self {
        Node::El(el)
    }
}

impl From<Table> for Node {
    fn from(table: Table) -> Self {
        Node::Table(table)
    }
}

/// One change to the element with id `id` ("body" and "html" name the page's own).
#[derive(Debug, Clone, PartialEq)]
pub enum Patch {
    Text {
        id: String,
        text: String,
    },
    /// The element's children, replaced.
    Children {
        id: String,
        nodes: Vec<Node>,
    },
    /// An attribute set (or removed with None).
    Attr {
        id: String,
        name: &'static str,
        value: Option<String>,
    },
    Hidden {
        id: String,
        hidden: bool,
    },
    Class {
        id: String,
        class: &'static str,
        on: bool,
    },
    Disabled {
        id: String,
        disabled: bool,
    },
    /// A form control's value (left alone while the person is typing in it).
    Value {
        id: String,
        value: String,
    },
    Checked {
        id: String,
        checked: bool,
    },
    /// A select's options (value, label) and the chosen value.
    Options {
        id: String,
        options: Vec<(String, String)>,
        selected: String,
    },
}

impl Patch {
    /// The element it changes.
    pub fn id(&self) -> &str {
        match self {
            Patch::Text { id, .. }
            | Patch::Children { id, .. }
            | Patch::Attr { id, .. }
            | Patch::Hidden { id, .. }
            | Patch::Class { id, .. }
            | Patch::Disabled { id, .. }
            | Patch::Value { id, .. }
            | Patch::Checked { id, .. }
            | Patch::Options { id, .. } => id,
        }
    }
}

/// The patches a render makes, in order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Out {
    pub patches: Vec<Patch>,
}

impl Out {
    pub fn text(&mut self, id: impl Into<String>, text: impl Into<String>) {
        self.patches.push(Patch::Text {
            id: id.into(),
            text: text.into(),
        });
    }

    pub fn children(&mut self, id: impl Into<String>, nodes: Vec<Node>) {
        self.patches.push(Patch::Children {
            id: id.into(),
            nodes,
        });
    }

    /// Replaces the children of `id` with one table, or none.
    pub fn table(&mut self, id: impl Into<String>, table: Option<Table>) {
        self.children(id, table.into_iter().map(Node::Table).collect());
    }

    pub fn attr(&mut self, id: impl Into<String>, name: &'static str, value: impl Into<String>) {
        self.patches.push(Patch::Attr {
            id: id.into(),
            name,
            value: Some(value.into()),
        });
    }

    pub fn hidden(&mut self, id: impl Into<String>, hidden: bool) {
        self.patches.push(Patch::Hidden {
            id: id.into(),
            hidden,
        });
    }

    pub fn class(&mut self, id: impl Into<String>, class: &'static str, on: bool) {
        self.patches.push(Patch::Class {
            id: id.into(),
            class,
            on,
        });
    }

    pub fn disabled(&mut self, id: impl Into<String>, disabled: bool) {
        self.patches.push(Patch::Disabled {
            id: id.into(),
            disabled,
        });
    }

    pub fn value(&mut self, id: impl Into<String>, value: impl Into<String>) {
        self.patches.push(Patch::Value {
            id: id.into(),
            value: value.into(),
        });
    }

    pub fn checked(&mut self, id: impl Into<String>, checked: bool) {
        self.patches.push(Patch::Checked {
            id: id.into(),
            checked,
        });
    }

    pub fn options(
        &mut self,
        id: impl Into<String>,
        options: Vec<(String, String)>,
        selected: impl Into<String>,
    ) {
        self.patches.push(Patch::Options {
            id: id.into(),
            options,
            selected: selected.into(),
        });
    }

    /// The last patch that sets the text of `id`.
    pub fn text_of(&self, id: &str) -> Option<&str> {
        self.patches.iter().rev().find_map(|p| match p {
            Patch::Text { id: i, text } if i == id => Some(text.as_str()),
            _ => None,
        })
    }

    /// The value the last patch of `id`'s attribute `name` set (None when removed or unset).
    pub fn attr_of(&self, id: &str, name: &str) -> Option<String> {
        self.patches.iter().rev().find_map(|p| match p {
            Patch::Attr {
                id: i,
                name: n,
                value,
            } if i == id && *n == name => Some(value.clone()),
            _ => None,
        })?
    }

    /// The children the last patch of `id` gave it.
    pub fn children_of(&self, id: &str) -> Option<&[Node]> {
        self.patches.iter().rev().find_map(|p| match p {
            Patch::Children { id: i, nodes } if i == id => Some(nodes.as_slice()),
            _ => None,
        })
    }

    /// Every table anywhere in the patches with this `data-testid`.
    pub fn tables(&self, test_id: &str) -> Vec<&Table> {
        fn walk<'a>(nodes: &'a [Node], test_id: &str, out: &mut Vec<&'a Table>) {
            for node in nodes {
                match node {
                    Node::Table(t) if t.test_id == test_id => out.push(t),
                    Node::Table(_) => {}
                    Node::El(el) => walk(&el.children, test_id, out),
                }
            }
        }
        let mut out = Vec::new();
        for patch in &self.patches {
            if let Patch::Children { nodes, .. } = patch {
                walk(nodes, test_id, &mut out);
            }
        }
        out
    }

    /// The one table with this `data-testid`, if there is exactly one.
    pub fn the_table(&self, test_id: &str) -> Option<&Table> {
        match self.tables(test_id).as_slice() {
            [one] => Some(one),
            _ => None,
        }
    }

    /// The text a person reads in `id` after these patches: its text, or its children's.
    pub fn shown_text(&self, id: &str) -> Option<String> {
        self.patches.iter().rev().find_map(|p| match p {
            Patch::Text { id: i, text } if i == id => Some(text.clone()),
            Patch::Children { id: i, nodes } if i == id => {
                Some(nodes.iter().map(Node::all_text).collect())
            }
            _ => None,
        })
    }
}

/// Appends `text` with the five characters HTML gives meaning to escaped, so a sentence a
/// person typed is always shown as text, never read as markup.
pub fn escape_into(out: &mut String, text: &str) {
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
}
