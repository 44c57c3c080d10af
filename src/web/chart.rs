//! Charts as SVG made on the server: a line over labelled points, or bars with a threshold, each with a
//! title and a description for screen readers (the page also gives the numbers as a table).

use maud::{html, Markup, PreEscaped};

const W: f64 = 640.0;
const H: f64 = 220.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 28.0;

/// A line chart of `points` (label, value), oldest first, on a y axis from `lo` to `hi` widened to
/// hold every value; `title` and `desc` name it for assistive technology.
pub fn line(
    id: &str,
    title: &str,
    desc: &str,
    points: &[(String, i32)],
    lo: i32,
    hi: i32,
) -> Markup {
    let min = points.iter().map(|p| p.1).min().unwrap_or(lo).min(lo);
    let max = points.iter().map(|p| p.1).max().unwrap_or(hi).max(hi);
    let span = f64::from((max - min).max(1));
    let n = points.len();
    let x = |i: usize| {
        if n <= 1 {
            LEFT + (W - LEFT - RIGHT) / 2.0
        } else {
            LEFT + (W - LEFT - RIGHT) * i as f64 / (n - 1) as f64
        }
    };
    let y = |v: i32| TOP + (H - TOP - BOTTOM) * (1.0 - f64::from(v - min) / span);
    let path: String = points
        .iter()
        .enumerate()
        .map(|(i, p)| {
            format!(
                "{}{:.1},{:.1}",
                if i == 0 { "M" } else { " L" },
                x(i),
                y(p.1)
            )
        })
        .collect();
    // Four horizontal guides with their values.
    let guides: Vec<i32> = (0..=3).map(|k| min + (max - min) * k / 3).collect();
    // Label at most six months on the x axis.
    let every = n.div_ceil(6).max(1);
    let title_id = format!("{id}-title");
    let desc_id = format!("{id}-desc");
    html! {
        svg.chart id=(id) viewBox={ "0 0 " (W) " " (H) } role="img"
            aria-labelledby={ (title_id) " " (desc_id) } xmlns="http://www.w3.org/2000/svg" {
            title id=(title_id) { (title) }
            desc id=(desc_id) { (desc) }
            @for g in &guides {
                line x1=(LEFT) x2=(W - RIGHT) y1=(format!("{:.1}", y(*g))) y2=(format!("{:.1}", y(*g))) class="guide" {}
                text x=(LEFT - 6.0) y=(format!("{:.1}", y(*g) + 4.0)) text-anchor="end" class="tick" { (g) }
            }
            @for (i, p) in points.iter().enumerate() {
                @if i % every == 0 || i + 1 == n {
                    text x=(format!("{:.1}", x(i))) y=(H - 8.0) text-anchor="middle" class="tick" { (p.0) }
                }
            }
            @if n > 1 { path d=(path) class="series" {} }
            @for (i, p) in points.iter().enumerate() {
                circle cx=(format!("{:.1}", x(i))) cy=(format!("{:.1}", y(p.1))) r="3.5" class="point" {
                    title { (p.0) ": " (p.1) }
                }
            }
            (PreEscaped(""))
        }
    }
}

/// A bar chart of `points` (label, value, the value as shown), with a dashed line at `mark` (a flag's
/// threshold) where given; `title` and `desc` name it for assistive technology. Values at or below zero
/// draw no bar.
pub fn bars(
    id: &str,
    title: &str,
    desc: &str,
    points: &[(String, f64, String)],
    mark: Option<(f64, String)>,
) -> Markup {
    let top = points
        .iter()
        .map(|p| p.1)
        .chain(mark.as_ref().map(|m| m.0))
        .fold(0.0_f64, f64::max)
        .max(f64::MIN_POSITIVE)
        * 1.15;
    let n = points.len().max(1);
    let slot = (W - LEFT - RIGHT) / n as f64;
    let y = |v: f64| TOP + (H - TOP - BOTTOM) * (1.0 - v.max(0.0) / top);
    let title_id = format!("{id}-title");
    let desc_id = format!("{id}-desc");
    html! {
        svg.chart id=(id) viewBox={ "0 0 " (W) " " (H) } role="img"
            aria-labelledby={ (title_id) " " (desc_id) } xmlns="http://www.w3.org/2000/svg" {
            title id=(title_id) { (title) }
            desc id=(desc_id) { (desc) }
            line x1=(LEFT) x2=(W - RIGHT) y1=(format!("{:.1}", y(0.0))) y2=(format!("{:.1}", y(0.0))) class="guide" {}
            @for (i, p) in points.iter().enumerate() {
                @let x = LEFT + slot * i as f64 + slot * 0.2;
                rect.bar x=(format!("{x:.1}")) y=(format!("{:.1}", y(p.1))) width=(format!("{:.1}", slot * 0.6))
                    height=(format!("{:.1}", y(0.0) - y(p.1))) {
                    title { (p.0) ": " (p.2) }
                }
                text x=(format!("{:.1}", x + slot * 0.3)) y=(format!("{:.1}", y(p.1) - 4.0)) text-anchor="middle" class="tick" { (p.2) }
                text x=(format!("{:.1}", x + slot * 0.3)) y=(H - 8.0) text-anchor="middle" class="tick" { (p.0) }
            }
            @if let Some((v, label)) = &mark {
                line.mark x1=(LEFT) x2=(W - RIGHT) y1=(format!("{:.1}", y(*v))) y2=(format!("{:.1}", y(*v))) {}
                text x=(LEFT - 6.0) y=(format!("{:.1}", y(*v) + 4.0)) text-anchor="end" class="tick" { (label) }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_has_one_point_per_value_and_names_itself() {
        let pts = vec![("2026-01".to_string(), 600), ("2026-02".to_string(), 650)];
        let svg = line("c", "Score", "two months", &pts, 300, 900).into_string();
        assert_eq!(svg.matches("<circle").count(), 2);
        assert!(svg.contains("role=\"img\""));
        assert!(svg.contains("<title id=\"c-title\">Score</title>"));
        assert!(svg.contains("M44.0,"), "{svg}");
    }

    #[test]
    fn bars_have_one_rect_per_value_and_a_threshold_line() {
        let pts = vec![
            ("Q1".to_string(), 4.0, "4.0".to_string()),
            ("Q2".to_string(), 0.0, "—".to_string()),
            ("Q3".to_string(), 8.0, "8.0".to_string()),
        ];
        let svg = bars(
            "b",
            "Leverage",
            "three quarters",
            &pts,
            Some((5.0, "5".into())),
        )
        .into_string();
        assert_eq!(svg.matches("<rect").count(), 3);
        assert!(
            svg.contains("height=\"0.0\""),
            "an empty quarter draws no bar: {svg}"
        );
        assert_eq!(svg.matches("class=\"mark\"").count(), 1);
        assert!(svg.contains("<title>Q3: 8.0</title>"));
    }
}
