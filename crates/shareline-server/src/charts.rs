//! Charts as inline SVG, drawn on the server: no chart library, nothing to
//! load, readable without JavaScript.

use std::fmt::Write;

use crate::views::TrendPoint;

const W: i64 = 720;
const H: i64 = 180;
const PAD: i64 = 28;

/// The 30-day trend of failing findings (all, and critical + high) as a
/// line chart with a text alternative.
pub(crate) fn trend(all: &[TrendPoint]) -> String {
    // Days before the first evaluation have no data: the line starts there.
    let points: Vec<(usize, i64, i64)> = all
        .iter()
        .enumerate()
        .filter_map(|(i, p)| Some((i, p.failing?, p.critical_high?)))
        .collect();
    if points.len() < 2 {
        let since = points
            .first()
            .and_then(|(i, _, _)| all.get(*i))
            .map_or_else(|| "the first evaluation".to_owned(), |p| p.day.clone());
        return format!(
            r#"<p class="empty">The trend builds up day by day from {since}: come back after the next scans.</p>"#
        );
    }
    let max = points.iter().map(|p| p.1).max().unwrap_or(0).max(1);
    let n = i64::try_from(all.len()).unwrap_or(1).max(2);
    let x = |i: usize| PAD + i64::try_from(i).unwrap_or(0) * (W - 2 * PAD) / (n - 1);
    let y = |v: i64| H - PAD - v * (H - 2 * PAD) / max;
    let line = |f: &dyn Fn(&(usize, i64, i64)) -> i64| {
        points
            .iter()
            .map(|p| format!("{},{}", x(p.0), y(f(p))))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let first = all.first().map_or("", |p| p.day.as_str());
    let last = all.last().map_or("", |p| p.day.as_str());
    let now = points.last().map_or(0, |p| p.1);
    let now_ch = points.last().map_or(0, |p| p.2);
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart" viewBox="0 0 {W} {H}" role="img" aria-labelledby="trend-title trend-desc" xmlns="http://www.w3.org/2000/svg">
<title id="trend-title">Failing findings, last 30 days</title>
<desc id="trend-desc">From {first} to {last}: {now} failing now, {now_ch} of them critical or high; the highest was {max}.</desc>
<line class="axis" x1="{PAD}" y1="{yb}" x2="{xr}" y2="{yb}"/>
<line class="axis" x1="{PAD}" y1="{PAD}" x2="{PAD}" y2="{yb}"/>
<text class="label" x="{PAD}" y="{ty}">{first}</text>
<text class="label end" x="{xr}" y="{ty}">{last}</text>
<text class="label" x="2" y="{PAD}">{max}</text>
<text class="label" x="2" y="{yb}">0</text>
<polyline class="series all" points="{all}"/>
<polyline class="series crit" points="{crit}"/>
</svg>"#,
        yb = H - PAD,
        xr = W - PAD,
        ty = H - 8,
        all = line(&|p| p.1),
        crit = line(&|p| p.2),
    );
    svg
}
