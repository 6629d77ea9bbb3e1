//! The HTML report: the summary and three SVG charts drawn with plotters (execution statuses
//! over time, admissions per minute, per-stage outcomes). The page is self-contained: no
//! scripts, no external files.

use ota_core::jobs::JobExecutionStatus::{self, *};
use plotters::coord::types::{RangedCoordf64, RangedCoordu64};
use plotters::coord::{CoordTranslate, Shift};
use plotters::prelude::*;

use super::{Report, table};
use crate::world::StageReport;

const WIDTH: u32 = 900;
const HEIGHT: u32 = 380;

/// A timeline line: name, colour, the status it counts.
type Series = (&'static str, RGBColor, JobExecutionStatus);

const STATUS_SERIES: [Series; 7] = [
    ("queued", RGBColor(150, 150, 150), Queued),
    ("in progress", RGBColor(31, 119, 180), InProgress),
    ("succeeded", RGBColor(44, 160, 44), Succeeded),
    ("failed", RGBColor(214, 39, 40), Failed),
    ("timed out", RGBColor(255, 127, 14), TimedOut),
    ("rejected", RGBColor(148, 103, 189), Rejected),
    ("canceled", RGBColor(140, 86, 75), Canceled),
];

/// A stage bar's segment: name, colour, count.
type StagePart = (&'static str, RGBColor, fn(&StageReport) -> u64);

/// A stage bar's segments, left to right.
const STAGE_PARTS: [StagePart; 6] = [
    ("succeeded", RGBColor(44, 160, 44), |s| {
        s.by_status[Succeeded]
    }),
    ("failed", RGBColor(214, 39, 40), |s| s.by_status[Failed]),
    ("timed out", RGBColor(255, 127, 14), |s| {
        s.by_status[TimedOut]
    }),
    ("rejected", RGBColor(148, 103, 189), |s| {
        s.by_status[Rejected]
    }),
    ("canceled", RGBColor(140, 86, 75), |s| s.by_status[Canceled]),
    ("unfinished", RGBColor(150, 150, 150), |s| s.unfinished),
];

/// Draw the legend of `chart`'s labelled series, boxed, at `position`.
fn draw_legend<'a, 'b: 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, SVGBackend<'b>, CT>,
    position: SeriesLabelPosition,
) -> Result<(), String> {
    chart
        .configure_series_labels()
        .border_style(BLACK)
        .background_style(WHITE.mix(0.85))
        .position(position)
        .draw()
        .map_err(|e| e.to_string())
}

/// The highest count any series reaches on the timeline (at least 1).
fn timeline_top(r: &Report) -> u64 {
    r.timeline
        .iter()
        .flat_map(|s| {
            STATUS_SERIES
                .iter()
                .map(|&(_, _, status)| s.by_status[status])
        })
        .max()
        .unwrap_or(0)
        .max(1)
}

/// A chart of the run's timeline on `root`: simulated minutes across (to the last sample),
/// counts up to `top` (plus a tenth) up `y_desc`, its mesh drawn, no series yet.
fn timeline_chart<'a, 'b>(
    root: &'a DrawingArea<SVGBackend<'b>, Shift>,
    r: &Report,
    caption: &str,
    top: u64,
    y_desc: &str,
) -> Result<TimelineChart<'a, 'b>, String> {
    let end = r.timeline.last().map_or(1.0, |s| s.minute.max(1.0));
    let mut chart = ChartBuilder::on(root)
        .caption(caption, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(56)
        .build_cartesian_2d(0f64..end, 0u64..top + top / 10 + 1)
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .x_desc("simulated minutes")
        .y_desc(y_desc)
        .draw()
        .map_err(|e| e.to_string())?;
    Ok(chart)
}

/// A chart of the timeline: minutes across, counts up.
type TimelineChart<'a, 'b> =
    ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordu64>>;

/// The execution statuses over time, as an SVG document.
///
/// # Errors
/// A plotters drawing error, as text.
pub fn statuses_chart(r: &Report) -> Result<String, String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let caption = "Executions by status (latest per thing)";
        let mut chart = timeline_chart(&root, r, caption, timeline_top(r), "things")?;
        for (name, color, status) in STATUS_SERIES {
            if r.timeline.iter().all(|s| s.by_status[status] == 0) {
                continue;
            }
            chart
                .draw_series(LineSeries::new(
                    r.timeline.iter().map(|s| (s.minute, s.by_status[status])),
                    color.stroke_width(2),
                ))
                .map_err(|e| e.to_string())?
                .label(name)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 16, y)], color.stroke_width(2))
                });
        }
        draw_legend(&mut chart, SeriesLabelPosition::UpperLeft)?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

/// Things admitted per simulated minute (the rollout rate the engine applied).
///
/// # Errors
/// A plotters drawing error, as text.
pub fn admissions_chart(r: &Report) -> Result<String, String> {
    let rates: Vec<(f64, u64)> = r
        .timeline
        .windows(2)
        .map(|w| (w[1].minute, w[1].admitted.saturating_sub(w[0].admitted)))
        .collect();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let top = rates.iter().map(|&(_, n)| n).max().unwrap_or(0).max(1);
        let caption = "Admissions per minute";
        let mut chart = timeline_chart(&root, r, caption, top, "things admitted")?;
        chart
            .draw_series(
                AreaSeries::new(rates.iter().copied(), 0, BLUE.mix(0.3)).border_style(BLUE),
            )
            .map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

/// Each stage's things by outcome, as stacked horizontal bars.
///
/// # Errors
/// A plotters drawing error, as text.
pub fn stages_chart(r: &Report) -> Result<String, String> {
    let mut svg = String::new();
    let rows = r.stages.len().max(1);
    let height = (80 + 34 * rows as u32).max(160);
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let top = r
            .stages
            .iter()
            .map(|s| s.targeted)
            .max()
            .unwrap_or(0)
            .max(1);
        let labels: Vec<String> = r
            .stages
            .iter()
            .map(|s| format!("{} {}", s.campaign, s.stage))
            .collect();
        let mut chart = ChartBuilder::on(&root)
            .caption("Per-stage outcome", ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(30)
            .y_label_area_size(200)
            .build_cartesian_2d(0u64..top + top / 20 + 1, (0usize..rows).into_segmented())
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(rows)
            .y_label_formatter(&|v| match v {
                SegmentValue::CenterOf(i) => labels.get(*i).cloned().unwrap_or_default(),
                _ => String::new(),
            })
            .x_desc("things")
            .draw()
            .map_err(|e| e.to_string())?;
        for (k, &(name, color, _)) in STAGE_PARTS.iter().enumerate() {
            chart
                .draw_series(stage_segments(r, k))
                .map_err(|e| e.to_string())?
                .label(name)
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 12, y + 5)], color.filled())
                });
        }
        draw_legend(&mut chart, SeriesLabelPosition::UpperRight)?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

/// Segment `k` of [`STAGE_PARTS`] of every stage's bar, a stage a row, each segment after
/// the ones before it.
fn stage_segments(r: &Report, k: usize) -> Vec<Rectangle<(u64, SegmentValue<usize>)>> {
    let (_, color, get) = STAGE_PARTS[k];
    r.stages
        .iter()
        .enumerate()
        .map(|(row, s)| {
            let start: u64 = STAGE_PARTS[..k].iter().map(|(_, _, f)| f(s)).sum();
            let mut bar = Rectangle::new(
                [
                    (start, SegmentValue::Exact(row)),
                    (start + get(s), SegmentValue::Exact(row + 1)),
                ],
                color.filled(),
            );
            bar.set_margin(6, 6, 0, 0);
            bar
        })
        .collect()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The whole page.
///
/// # Errors
/// A plotters drawing error, as text.
pub fn page(r: &Report) -> Result<String, String> {
    let invariants: String = r
        .invariants
        .iter()
        .map(|i| {
            format!(
                "<li class=\"{}\">{}: {}</li>",
                if i.held { "ok" } else { "fail" },
                escape(&i.name),
                escape(&i.detail)
            )
        })
        .collect();
    Ok(format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>ota-sim: {name}</title>\n\
         <style>body{{font-family:sans-serif;max-width:960px;margin:2em auto}}pre{{background:#f6f6f6;padding:1em;overflow-x:auto}}\
         .ok{{color:#2a7d2a}}.fail{{color:#c0392b;font-weight:bold}}figure{{margin:1.5em 0}}</style></head><body>\n\
         <h1>ota-sim: {name}</h1>\n<h2>Invariants</h2><ul>{invariants}</ul>\n<h2>Summary</h2><pre>{summary}</pre>\n\
         <figure>{statuses}</figure>\n<figure>{admissions}</figure>\n<figure>{stages}</figure>\n</body></html>\n",
        name = escape(&r.scenario),
        summary = escape(&table::summary(r)),
        statuses = statuses_chart(r)?,
        admissions = admissions_chart(r)?,
        stages = stages_chart(r)?,
    ))
}
