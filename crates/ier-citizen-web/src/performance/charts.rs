//! Charts drawn on the server as accessible SVG, with the `svg` crate (which
//! escapes every text and attribute): each has `role="img"`, a `<title>` and a
//! `<desc>` it is labelled by, a `<title>` on every bar for pointer users, and
//! sizes itself to its container from its `viewBox`. One colour per chart
//! (GOV.UK blue); what else a bar means is said by shape and words, not
//! colour alone: the record day is orange *and* labelled, a count hidden as
//! "fewer than 10" is a dashed outline, explained under the chart.

use svg::Node;
use svg::node::element::{Description, Group, Line, Rectangle, SVG, Text, Title};

/// GOV.UK blue: bars.
const BLUE: &str = "#1d70b8";
/// GOV.UK orange: the record bar (told apart from blue with any colour vision, and labelled).
const ORANGE: &str = "#f47738";
/// The GOV.UK typeface, as govuk-frontend's CSS names it.
const FONT: &str = "\"GDS Transport\", arial, sans-serif";
/// GOV.UK text and secondary text colours.
const INK: &str = "#0b0c0c";
const GREY: &str = "#505a5f";
const RULE: &str = "#b1b4b6";

/// The height of the mark of a count published as "fewer than 10".
const HIDDEN_MARK: f64 = 6.0;

/// A column of a time series.
#[derive(Debug, Clone)]
pub struct Bar {
    /// The label under the axis, on some bars only.
    pub axis: Option<String>,
    /// What the bar is (for its tooltip).
    pub label: String,
    /// `None`: fewer than 10.
    pub value: Option<i64>,
    /// The record: drawn in orange and labelled.
    pub mark: bool,
}

/// A row of a breakdown.
#[derive(Debug, Clone)]
pub struct Row {
    pub label: String,
    pub value: i64,
}

/// The words a chart draws, in the page's language.
pub struct Words {
    pub fewer_than_10: String,
    pub record: String,
}

/// The smallest "nice" number (1, 2 or 5 × 10^k) at or above `n`, at least 10.
pub fn nice_ceiling(n: i64) -> i64 {
    let n = n.max(10);
    let mut step = 1i64;
    loop {
        for m in [1, 2, 5] {
            if step * m >= n {
                return step * m;
            }
        }
        step *= 10;
    }
}

fn text(x: f64, y: f64, anchor: &str, size: u32, fill: &str, content: impl Into<String>) -> Text {
    Text::new(content).set("x", x).set("y", y).set("text-anchor", anchor).set("font-size", size).set("fill", fill)
}

/// The chart's frame: an accessible `<svg>` of `width`×`height`.
fn frame(id: &str, title: &str, desc: &str, width: u32, height: u32) -> SVG {
    let mut d = Description::new().set("id", format!("{id}-desc"));
    d.append(svg::node::Text::new(desc));
    SVG::new()
        .set("viewBox", (0, 0, width, height))
        .set("width", "100%")
        .set("role", "img")
        .set("aria-labelledby", format!("{id}-title {id}-desc"))
        .set("font-family", FONT)
        .set("class", "ier-chart")
        .add(Title::new(title).set("id", format!("{id}-title")))
        .add(d)
}

/// A column chart of a time series (oldest first).
pub fn columns(id: &str, title: &str, desc: &str, bars: &[Bar], words: &Words) -> String {
    let (width, height) = (640.0, 280.0);
    let (left, right, top, bottom) = (56.0, 24.0, 24.0, 48.0);
    let plot_w = width - left - right;
    let plot_h = height - top - bottom;
    let max = nice_ceiling(bars.iter().filter_map(|b| b.value).max().unwrap_or(0));
    let y = |v: f64| top + plot_h - plot_h * v / max as f64;
    let mut svg = frame(id, title, desc, width as u32, height as u32);
    // Gridlines and their labels: 0, half, the top.
    let mut grid = Group::new().set("aria-hidden", "true");
    for v in [0, max / 2, max] {
        let at = y(v as f64);
        grid = grid
            .add(Line::new().set("x1", left).set("x2", width - right).set("y1", at).set("y2", at).set("stroke", RULE))
            .add(text(left - 6.0, at + 4.0, "end", 12, GREY, super::grouped(v)));
    }
    svg = svg.add(grid);
    let slot = plot_w / bars.len().max(1) as f64;
    let bar_w = (slot * 0.8).max(1.0);
    let mut any_hidden = false;
    let mut columns = Group::new();
    for (i, b) in bars.iter().enumerate() {
        let x = left + slot * i as f64 + (slot - bar_w) / 2.0;
        let tip =
            format!("{}: {}", b.label, b.value.map(super::grouped).unwrap_or_else(|| words.fewer_than_10.clone()));
        let shape = match b.value {
            Some(v) => {
                let top_y = y(v as f64);
                Rectangle::new()
                    .set("x", x)
                    .set("y", top_y)
                    .set("width", bar_w)
                    .set("height", (top + plot_h - top_y).max(0.0))
                    .set("fill", if b.mark { ORANGE } else { BLUE })
            }
            None => {
                // Not a height: a small hollow box on the axis, whatever the scale.
                any_hidden = true;
                Rectangle::new()
                    .set("x", x + 0.5)
                    .set("y", top + plot_h - HIDDEN_MARK)
                    .set("width", (bar_w - 1.0).max(0.5))
                    .set("height", HIDDEN_MARK)
                    .set("fill", "none")
                    .set("stroke", GREY)
                    .set("stroke-dasharray", "2 2")
            }
        };
        columns = columns.add(shape.add(Title::new(tip)));
        if b.mark
            && let Some(v) = b.value
        {
            let label_x = (x + bar_w / 2.0).clamp(left + 30.0, width - right - 30.0);
            columns = columns.add(text(label_x, y(v as f64) - 6.0, "middle", 12, INK, words.record.clone()));
        }
        if let Some(axis) = &b.axis {
            let tick_x = x + bar_w / 2.0;
            columns = columns
                .add(
                    Line::new()
                        .set("x1", tick_x)
                        .set("x2", tick_x)
                        .set("y1", top + plot_h)
                        .set("y2", top + plot_h + 4.0)
                        .set("stroke", GREY),
                )
                .add(text(tick_x, top + plot_h + 18.0, "middle", 12, INK, axis.clone()));
        }
    }
    svg = svg.add(columns);
    if any_hidden {
        let legend = Group::new()
            .set("aria-hidden", "true")
            .add(
                Rectangle::new()
                    .set("x", left)
                    .set("y", height - 14.0)
                    .set("width", 12)
                    .set("height", HIDDEN_MARK)
                    .set("fill", "none")
                    .set("stroke", GREY)
                    .set("stroke-dasharray", "2 2"),
            )
            .add(text(left + 18.0, height - 6.0, "start", 12, INK, words.fewer_than_10.clone()));
        svg = svg.add(legend);
    }
    svg.to_string()
}

/// A horizontal bar chart of a breakdown, each bar with its label above it
/// (labels of any length, in either language, fit) and its value after it.
pub fn bars(id: &str, title: &str, desc: &str, rows: &[Row]) -> String {
    let (width, row_h, right) = (640.0, 46.0, 80.0);
    let height = row_h * rows.len() as f64 + 4.0;
    let plot_w = width - right;
    let max = nice_ceiling(rows.iter().map(|r| r.value).max().unwrap_or(0));
    let mut group = Group::new();
    for (i, r) in rows.iter().enumerate() {
        let y = row_h * i as f64;
        let w = plot_w * r.value as f64 / max as f64;
        let tip = format!("{}: {}", r.label, super::grouped(r.value));
        group = group
            .add(text(0.0, y + 17.0, "start", 16, INK, r.label.clone()))
            .add(
                Rectangle::new()
                    .set("x", 0)
                    .set("y", y + 23.0)
                    .set("width", w.max(0.0))
                    .set("height", 18)
                    .set("fill", BLUE)
                    .add(Title::new(tip)),
            )
            .add(text(w + 6.0, y + 38.0, "start", 16, INK, super::grouped(r.value)));
    }
    frame(id, title, desc, width as u32, height as u32).add(group).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice() {
        assert_eq!(nice_ceiling(0), 10);
        assert_eq!(nice_ceiling(11), 20);
        assert_eq!(nice_ceiling(21), 50);
        assert_eq!(nice_ceiling(660_000), 1_000_000);
        assert_eq!(nice_ceiling(400_000), 500_000);
    }

    #[test]
    fn charts_are_labelled_and_escaped() {
        let words = Words { fewer_than_10: "fewer than 10".into(), record: "Record".into() };
        let bars = [
            Bar { axis: Some("<b>".into()), label: "a & b".into(), value: Some(12), mark: true },
            Bar { axis: None, label: "c".into(), value: None, mark: false },
        ];
        let s = columns("x", "Title \"q\"", "Desc", &bars, &words);
        assert!(s.starts_with("<svg"));
        assert!(s.contains(r#"role="img""#) && s.contains(r#"aria-labelledby="x-title x-desc""#));
        assert!(s.contains("<title id=\"x-title\">"));
        assert!(s.contains("&lt;b&gt;") && !s.contains("<b>"));
        assert!(s.contains("a &amp; b: 12"));
        assert!(s.contains("stroke-dasharray"), "a hidden count is a dashed outline");
        assert!(s.contains("Record\n</text>") || s.contains(">Record<"), "{s}");
        let b = bars_chart();
        assert!(b.contains("Wales: 1,234"));
    }

    fn bars_chart() -> String {
        bars("y", "T", "D", &[Row { label: "Wales".into(), value: 1234 }, Row { label: "England".into(), value: 0 }])
    }
}
