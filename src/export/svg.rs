//! A run's timeline as an SVG picture for slides and handouts: one lane per worker (grouped by
//! stage), one bar per task coloured by the core it started on, a time axis in seconds, the
//! completion order, and where the run was recorded.
//!
//! Every element a test or a script may look for has a class: `lane` (with `data-worker` and
//! `data-pid`), `bar` (with `data-task`; `bar lost` for a task whose worker died), `bar-run`
//! (many tasks merged, in very large runs), `exit`, `stage`, `tick`, `completion`.

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write;

use crate::limits;
use crate::record::{RunRecord, StageInfo, TaskInfo, WorkerInfo, WorkerStatus};

/// Width of the picture, in pixels.
const WIDTH: f64 = 1200.0;
/// Space around everything.
const MARGIN: f64 = 32.0;
/// Room left of the lanes for "w0 · PID 123".
const LABEL_COLUMN: f64 = 170.0;
/// Room right of the lanes for exit marks ("exit 3", "SIGKILL").
const END_COLUMN: f64 = 110.0;
/// Fonts: DejaVu Sans where installed, else the platform's sans-serif.
const FONT: &str = "'DejaVu Sans', 'Helvetica Neue', Arial, sans-serif";
/// Ink for text.
const INK: &str = "#1a1a1a";
/// Ink for secondary text.
const MUTED: &str = "#5a5a5a";
/// Red for lost tasks and failed exits (distinct from every core colour).
const ALARM: &str = "#b2182b";
/// Colour of a bar whose core is unknown.
const UNKNOWN_CORE: &str = "#bdbdbd";
/// Okabe & Ito's colour-blind-safe palette (black swapped for a dark grey), readable on white.
const CORE_COLOURS: [&str; 8] = [
    "#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442", "#6e6e6e",
];
/// Most task labels written out in the completion order; the rest are counted.
const MAX_ORDER_LABELS: usize = 60;

/// The SVG document of a run's timeline.
pub fn render(record: &RunRecord) -> String {
    let mut svg = Svg::default();
    let groups = lane_groups(record);
    let drawn: usize = groups.iter().map(|g| g.workers.len()).sum();
    let not_drawn = record.workers.iter().filter(|w| w.pid != 0).count() - drawn;
    let bars = bars(record, &groups);
    let scale = Scale::new(record, &bars);
    let lane_height = (640.0 / drawn.max(1) as f64).clamp(8.0, 28.0);

    let mut y = MARGIN;
    y = header(&mut svg, record, y);
    y = legend(&mut svg, &bars, record, y);
    let mut lane_top = HashMap::new();
    let mut lane_spans = Vec::new();
    for group in &groups {
        y = stage_heading(&mut svg, record, group.stage, y);
        let top = y;
        for worker in &group.workers {
            lane(&mut svg, worker, y, lane_height, &scale);
            lane_top.insert(worker.slot, y);
            y += lane_height * 1.25;
        }
        lane_spans.push((top, y - lane_height * 0.25));
        y += 6.0;
    }
    if not_drawn > 0 {
        y += 14.0;
        svg.text(
            scale.x0,
            y,
            12.0,
            MUTED,
            "",
            &format!(
                "… and {not_drawn} more workers, not drawn (at most {} lanes)",
                limits::MAX_WORKERS
            ),
        );
        y += 8.0;
    }
    let plot_bottom = y;
    grid(&mut svg, &scale, &lane_spans, plot_bottom);
    draw_bars(&mut svg, &bars, &lane_top, lane_height, &scale);
    y = axis(&mut svg, &scale, plot_bottom);
    y = completion(&mut svg, record, y);
    y = footer(&mut svg, record, y);
    svg.finish(y + MARGIN, &record.lesson)
}

/// An SVG body being written, with the definitions it needs.
#[derive(Default)]
struct Svg {
    body: String,
}

impl Svg {
    fn text(&mut self, x: f64, y: f64, size: f64, fill: &str, attrs: &str, text: &str) {
        let _ = writeln!(
            self.body,
            r#"<text x="{x:.1}" y="{y:.1}" font-size="{size:.1}" fill="{fill}"{attrs}>{}</text>"#,
            escape(text)
        );
    }

    fn finish(self, height: f64, title: &str) -> String {
        let mut out = String::with_capacity(self.body.len() + 1024);
        let _ = writeln!(
            out,
            r##"<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH:.0}" height="{height:.0}" viewBox="0 0 {WIDTH:.0} {height:.0}" font-family="{FONT}">
<title>proclab run {title}</title>
<defs>
<pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
<rect width="3" height="6" fill="#ffffff" fill-opacity="0.75"/>
</pattern>
</defs>
<rect class="background" width="100%" height="100%" fill="#ffffff"/>"##,
            title = escape(title)
        );
        out.push_str(&self.body);
        out.push_str("</svg>\n");
        out
    }
}

/// Text made safe inside XML: markup characters escaped, control characters shown as escapes,
/// the other characters XML forbids replaced.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' => out.push(c),
            // Shown as `\u{1b}`: XML forbids most of them, and a terminal would obey them.
            c if c.is_control() => out.push_str(&crate::text::escaped(c)),
            '\u{fffe}' | '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// The workers of one stage, in slot order (at most [`limits::MAX_WORKERS`] lanes in all).
struct LaneGroup<'a> {
    stage: Option<usize>,
    workers: Vec<&'a WorkerInfo>,
}

fn lane_groups<'a>(record: &'a RunRecord) -> Vec<LaneGroup<'a>> {
    let mut budget = limits::MAX_WORKERS as usize;
    let mut group = |stage: Option<usize>, mut workers: Vec<&'a WorkerInfo>| {
        workers.truncate(budget);
        budget -= workers.len();
        LaneGroup { stage, workers }
    };
    if record.stages.is_empty() {
        return vec![group(
            None,
            record.workers.iter().filter(|w| w.pid != 0).collect(),
        )];
    }
    (0..record.stages.len())
        .map(|stage| group(Some(stage), record.stage_workers(stage).collect()))
        .collect()
}

/// Maps the run's milliseconds to x.
struct Scale {
    x0: f64,
    width: f64,
    end_ms: f64,
}

impl Scale {
    fn new(record: &RunRecord, bars: &[Bar]) -> Scale {
        let end_ms = bars
            .iter()
            .map(|b| b.end_ms)
            .fold(record.finished_ms.unwrap_or(record.now_ms), f64::max)
            .max(1.0);
        Scale {
            x0: MARGIN + LABEL_COLUMN,
            width: WIDTH - 2.0 * MARGIN - LABEL_COLUMN - END_COLUMN,
            end_ms,
        }
    }

    fn x(&self, t_ms: f64) -> f64 {
        self.x0 + (t_ms / self.end_ms).clamp(0.0, 1.0) * self.width
    }
}

/// One task's bar: where, and how it ended.
struct Bar<'a> {
    task: TaskInfo<'a>,
    worker: usize,
    start_ms: f64,
    end_ms: f64,
    finished: bool,
}

fn bars<'a>(record: &'a RunRecord, groups: &[LaneGroup]) -> Vec<Bar<'a>> {
    let drawn: HashMap<usize, &WorkerInfo> = groups
        .iter()
        .flat_map(|g| g.workers.iter().map(|w| (w.slot, *w)))
        .collect();
    let run_end = record.finished_ms.unwrap_or(record.now_ms);
    record
        .tasks
        .iter()
        .filter_map(|task| {
            let worker = drawn.get(&task.worker?)?;
            let start_ms = task.start_ms?;
            let stage_end = record.stages.get(worker.stage).and_then(|s| s.end_ms);
            let end_ms = task
                .end_ms
                .or(worker.exited_ms)
                .or(stage_end)
                .unwrap_or(run_end)
                .max(start_ms);
            Some(Bar {
                task,
                worker: worker.slot,
                start_ms,
                end_ms,
                finished: task.end_ms.is_some(),
            })
        })
        .collect()
}

fn core_colour(cpu: Option<u32>) -> &'static str {
    cpu.map_or(UNKNOWN_CORE, |c| {
        CORE_COLOURS[c as usize % CORE_COLOURS.len()]
    })
}

/// Black or white, whichever reads better on `background` (a `#rrggbb` colour).
fn ink_on(background: &str) -> &'static str {
    let channel = |i: usize| u8::from_str_radix(&background[i..i + 2], 16).unwrap_or(0) as f64;
    let luminance = 0.299 * channel(1) + 0.587 * channel(3) + 0.114 * channel(5);
    if luminance > 150.0 { INK } else { "#ffffff" }
}

fn seconds_text(ms: f64) -> String {
    if ms < 1000.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{:.2} s", ms / 1000.0)
    }
}

fn plural(n: usize, word: &str) -> String {
    format!("{} {word}{}", thousands(n), if n == 1 { "" } else { "s" })
}

/// 400000 → "400,000".
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

fn header(svg: &mut Svg, record: &RunRecord, y: f64) -> f64 {
    let title = if record.lesson.is_empty() {
        "(unnamed run)"
    } else {
        &record.lesson
    };
    svg.text(MARGIN, y + 20.0, 24.0, INK, r#" font-weight="bold""#, title);
    let workers = record.workers.iter().filter(|w| w.pid != 0).count();
    let took = record.finished_ms.map_or("not finished".to_string(), |ms| {
        format!("took {}", seconds_text(ms))
    });
    let speed = if (record.speed - 1.0).abs() > f64::EPSILON {
        format!(
            " at --speed {} (declared durations ÷ {})",
            crate::task::format_secs(record.speed),
            crate::task::format_secs(record.speed)
        )
    } else {
        String::new()
    };
    let stopped = if record.stopped {
        " · stopped early"
    } else {
        ""
    };
    let line = format!(
        "{} · {} · {took}{speed}{stopped}",
        plural(workers, "worker"),
        plural(record.tasks.len(), "task"),
    );
    svg.text(MARGIN, y + 44.0, 14.0, MUTED, "", &line);
    y + 62.0
}

/// The colour key: one swatch per core that ran a task, then the marks for lost tasks and exits.
fn legend(svg: &mut Svg, bars: &[Bar], record: &RunRecord, y: f64) -> f64 {
    let cores: BTreeSet<Option<u32>> = bars.iter().map(|b| b.task.cpu_start).collect();
    let mut x = MARGIN;
    let mut y = y + 12.0;
    let size = 13.0;
    svg.text(x, y + 10.0, size, INK, "", "Core each task started on:");
    x += 190.0;
    let mut item = |svg: &mut Svg, swatch: &str, label: &str| {
        let width = 26.0 + label.chars().count() as f64 * size * 0.5;
        if x + width > WIDTH - MARGIN {
            x = MARGIN + 190.0;
            y += 20.0;
        }
        let _ = writeln!(
            svg.body,
            r#"<g class="legend-item" transform="translate({x:.1} {y:.1})">{swatch}</g>"#
        );
        svg.text(x + 20.0, y + 10.0, size, INK, "", label);
        x += width + 14.0;
    };
    for core in &cores {
        let swatch = format!(
            r#"<rect width="14" height="12" rx="2" fill="{}"/>"#,
            core_colour(*core)
        );
        let label = core.map_or("unknown".to_string(), |c| format!("core {c}"));
        item(svg, &swatch, &label);
    }
    if cores
        .iter()
        .flatten()
        .any(|&c| c as usize >= CORE_COLOURS.len())
    {
        item(svg, "", "(colours repeat every 8 cores)");
    }
    if bars.iter().any(|b| b.task.lost) {
        let swatch = format!(
            r##"<rect width="14" height="12" fill="{UNKNOWN_CORE}"/><rect width="14" height="12" fill="url(#hatch)" stroke="{ALARM}" stroke-width="1.5" stroke-dasharray="3 2"/>"##
        );
        item(svg, &swatch, "lost: its worker died first");
    }
    if record.workers.iter().any(|w| exit_mark(w).is_some()) {
        let swatch = cross(7.0, 6.0, 5.0);
        item(svg, &swatch, "exit code ≠ 0 or killed by a signal");
    }
    y + 30.0
}

fn stage_heading(svg: &mut Svg, record: &RunRecord, stage: Option<usize>, y: f64) -> f64 {
    let Some((index, info)) = stage.and_then(|i| Some((i, record.stages.get(i)?))) else {
        return y + 6.0;
    };
    let _ = writeln!(
        svg.body,
        r#"<text class="stage" x="{MARGIN:.1}" y="{:.1}" font-size="15" fill="{INK}"><tspan font-weight="bold">Stage {} · {}</tspan><tspan dx="12" font-size="13" fill="{MUTED}">{}</tspan></text>"#,
        y + 18.0,
        index + 1,
        escape(&info.name),
        escape(&stage_detail(info))
    );
    y + 28.0
}

fn stage_detail(info: &StageInfo) -> String {
    let mut parts = vec![
        info.kind.name().to_string(),
        plural(info.workers as usize, "worker"),
    ];
    if let Some(chunksize) = info.chunksize {
        parts.push(format!("chunksize {chunksize}"));
    }
    if let Some(end) = info.end_ms {
        parts.push(format!("took {}", seconds_text(end - info.start_ms)));
    }
    parts.join(" · ")
}

fn lane(svg: &mut Svg, worker: &WorkerInfo, y: f64, height: f64, scale: &Scale) {
    let id = match (worker.tid, worker.adopted) {
        (Some(tid), _) => format!("PID {} TID {tid}", worker.pid),
        (None, true) => format!("orphan PID {}", worker.pid),
        (None, false) => format!("PID {}", worker.pid),
    };
    let _ = writeln!(
        svg.body,
        r##"<rect class="lane" data-worker="{}" data-pid="{}" x="{:.1}" y="{y:.1}" width="{:.1}" height="{height:.1}" fill="#f2f2f2"/>"##,
        worker.slot, worker.pid, scale.x0, scale.width
    );
    let size = (height * 0.62).clamp(6.0, 13.0);
    let middle = y + height / 2.0 + size * 0.36;
    svg.text(
        scale.x0 - 10.0,
        middle,
        size,
        INK,
        r#" text-anchor="end""#,
        &format!("w{} · {id}", worker.slot),
    );
    if let Some((mark, explanation)) = exit_mark(worker) {
        let x = scale.x(worker.exited_ms.unwrap_or(scale.end_ms));
        let arm = (height * 0.3).min(6.0);
        let _ = writeln!(
            svg.body,
            r#"<g class="exit" data-worker="{}"><title>{}</title>{}</g>"#,
            worker.slot,
            escape(&explanation),
            cross(x, y + height / 2.0, arm)
        );
        svg.text(
            scale.x0 + scale.width + 10.0,
            middle,
            size,
            ALARM,
            r#" font-weight="bold""#,
            &mark,
        );
    }
}

/// A red ✕ centred on (x, y), drawn with lines so no font is needed.
fn cross(x: f64, y: f64, arm: f64) -> String {
    format!(
        r#"<path d="M{:.1} {:.1}L{:.1} {:.1}M{:.1} {:.1}L{:.1} {:.1}" stroke="{ALARM}" stroke-width="2.5" stroke-linecap="round"/>"#,
        x - arm,
        y - arm,
        x + arm,
        y + arm,
        x - arm,
        y + arm,
        x + arm,
        y - arm
    )
}

/// The short mark and its explanation for a worker that failed: a non-zero code or a signal.
fn exit_mark(worker: &WorkerInfo) -> Option<(String, String)> {
    match worker.status {
        WorkerStatus::Exited(code) if code != 0 => {
            Some((format!("exit {code}"), format!("exited with code {code}")))
        }
        WorkerStatus::Killed(signal) => {
            let name = nix::sys::signal::Signal::try_from(signal)
                .map_or_else(|_| format!("signal {signal}"), |s| s.as_str().to_string());
            Some((
                name.clone(),
                format!("killed by {name} ({signal}); Python: exitcode -{signal}"),
            ))
        }
        _ => None,
    }
}

fn draw_bars(
    svg: &mut Svg,
    bars: &[Bar],
    lane_top: &HashMap<usize, f64>,
    lane_height: f64,
    scale: &Scale,
) {
    if bars.len() > limits::MAX_EXPORT_BARS {
        draw_merged_bars(svg, bars, lane_top, lane_height, scale);
        return;
    }
    let labelled = bars.len() <= limits::MAX_EXPORT_LABELLED_BARS && lane_height >= 14.0;
    let inset = if labelled { 2.0 } else { 1.0 };
    let next_start = if labelled {
        next_bar_starts(bars, scale)
    } else {
        HashMap::new()
    };
    for bar in bars {
        let Some(&top) = lane_top.get(&bar.worker) else {
            continue;
        };
        let x = scale.x(bar.start_ms);
        let width = (scale.x(bar.end_ms) - x).max(if labelled { 1.5 } else { 0.6 });
        let (y, height) = (top + inset, lane_height - 2.0 * inset);
        let fill = core_colour(bar.task.cpu_start);
        let (class, outline) = if bar.task.lost {
            (
                "bar lost",
                format!(r#" stroke="{ALARM}" stroke-width="2" stroke-dasharray="4 2""#),
            )
        } else if labelled {
            ("bar", r##" stroke="#ffffff" stroke-width="1""##.to_string())
        } else {
            ("bar", String::new())
        };
        let opacity = if bar.finished || bar.task.lost {
            ""
        } else {
            r#" fill-opacity="0.45""#
        };
        let _ = write!(
            svg.body,
            r#"<rect class="{class}" data-task="{}" x="{x:.2}" y="{y:.1}" width="{width:.2}" height="{height:.1}" rx="{}" fill="{fill}"{opacity}{outline}>"#,
            bar.task.index,
            if labelled { 3 } else { 0 },
        );
        if labelled {
            let _ = write!(svg.body, "<title>{}</title>", escape(&bar_title(bar)));
        }
        svg.body.push_str("</rect>\n");
        if bar.task.lost {
            let _ = writeln!(
                svg.body,
                r#"<rect class="hatch" x="{x:.2}" y="{y:.1}" width="{width:.2}" height="{height:.1}" fill="url(#hatch)"/>"#
            );
        }
        if labelled {
            let room = next_start
                .get(&bar.task.index)
                .copied()
                .unwrap_or(scale.x0 + scale.width)
                - (x + width);
            bar_label(svg, bar, (x, width), (top, lane_height), room);
        }
    }
}

/// The bar's label: inside it when it fits, else just after it when the lane has room there
/// (`room`: pixels to the next bar or the lane's end).
fn bar_label(
    svg: &mut Svg,
    bar: &Bar,
    (x, width): (f64, f64),
    (top, height): (f64, f64),
    room: f64,
) {
    let size = (height * 0.5).min(13.0);
    let label = if bar.task.lost {
        format!("{} lost", bar.task.label())
    } else {
        bar.task.label().to_string()
    };
    let text_width = label.chars().count() as f64 * size * 0.62 + 6.0;
    let baseline = top + height / 2.0 + size * 0.36;
    let fill = core_colour(bar.task.cpu_start);
    let (ink, halo) = if bar.task.lost {
        (
            ALARM,
            r##" paint-order="stroke" stroke="#ffffff" stroke-width="3""##,
        )
    } else {
        (ink_on(fill), "")
    };
    if width >= text_width {
        svg.text(
            x + width / 2.0,
            baseline,
            size,
            ink,
            &format!(r#" text-anchor="middle" font-weight="bold"{halo}"#),
            &label,
        );
    } else {
        // Past the exit mark, which sits at a lost task's end.
        let gap = if bar.task.lost { 10.0 } else { 4.0 };
        if room >= text_width + gap {
            let ink = if bar.task.lost { ALARM } else { INK };
            svg.text(x + width + gap, baseline, size, ink, "", &label);
        }
    }
}

/// For each task, the x where the next bar of its lane starts (none for a lane's last bar).
fn next_bar_starts(bars: &[Bar], scale: &Scale) -> HashMap<usize, f64> {
    let mut by_lane: HashMap<usize, Vec<&Bar>> = HashMap::new();
    for bar in bars {
        by_lane.entry(bar.worker).or_default().push(bar);
    }
    let mut next = HashMap::new();
    for lane in by_lane.values_mut() {
        lane.sort_by(|a, b| a.start_ms.total_cmp(&b.start_ms));
        for pair in lane.windows(2) {
            next.insert(pair[0].task.index, scale.x(pair[1].start_ms));
        }
    }
    next
}

fn bar_title(bar: &Bar) -> String {
    let core = bar
        .task
        .cpu_start
        .map_or("an unknown core".to_string(), |c| format!("core {c}"));
    let how = if bar.task.lost {
        " — lost: its worker died"
    } else if !bar.finished {
        " — not finished"
    } else {
        ""
    };
    format!(
        "{}: task {} on worker {}, started on {core}, {} to {}{how}",
        bar.task.label(),
        bar.task.index,
        bar.worker,
        seconds_text(bar.start_ms),
        seconds_text(bar.end_ms)
    )
}

/// Past [`limits::MAX_EXPORT_BARS`] bars, a lane's neighbouring tasks of the same core that
/// touch on screen become one `bar-run`, so the file stays small whatever the task count.
fn draw_merged_bars(
    svg: &mut Svg,
    bars: &[Bar],
    lane_top: &HashMap<usize, f64>,
    lane_height: f64,
    scale: &Scale,
) {
    let mut by_lane: HashMap<usize, Vec<&Bar>> = HashMap::new();
    for bar in bars {
        by_lane.entry(bar.worker).or_default().push(bar);
    }
    let mut lanes: Vec<_> = by_lane.into_iter().collect();
    lanes.sort_by_key(|(slot, _)| *slot);
    for (slot, mut lane_bars) in lanes {
        let Some(&top) = lane_top.get(&slot) else {
            continue;
        };
        lane_bars.sort_by(|a, b| a.start_ms.total_cmp(&b.start_ms));
        let mut runs: Vec<(f64, f64, &str, usize, bool)> = Vec::new();
        for bar in lane_bars {
            let (x0, x1) = (scale.x(bar.start_ms), scale.x(bar.end_ms));
            let fill = core_colour(bar.task.cpu_start);
            match runs.last_mut() {
                Some(run) if run.2 == fill && x0 <= run.1 + 1.0 => {
                    run.1 = run.1.max(x1);
                    run.3 += 1;
                    run.4 |= bar.task.lost;
                }
                _ => runs.push((x0, x1, fill, 1, bar.task.lost)),
            }
        }
        for (x0, x1, fill, count, lost) in runs {
            let outline = if lost {
                format!(r#" stroke="{ALARM}" stroke-width="1.5""#)
            } else {
                String::new()
            };
            let _ = writeln!(
                svg.body,
                r#"<rect class="bar-run" data-tasks="{count}" x="{x0:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{fill}"{outline}/>"#,
                top + 1.0,
                (x1 - x0).max(0.6),
                lane_height - 2.0
            );
        }
    }
}

/// A tick step of 1, 2 or 5 times a power of ten giving about eight ticks over `span_s`.
fn tick_step(span_s: f64) -> f64 {
    let raw = span_s / 8.0;
    let magnitude = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|step| *step >= raw)
        .unwrap_or(10.0 * magnitude)
}

/// The tick times, in seconds, and how many decimals their labels need.
fn ticks(scale: &Scale) -> (Vec<f64>, usize) {
    let span_s = scale.end_ms / 1000.0;
    let step = tick_step(span_s);
    let decimals = (-step.log10().floor()).max(0.0) as usize;
    let count = (span_s / step + 1e-9).floor() as usize;
    ((0..=count).map(|i| i as f64 * step).collect(), decimals)
}

/// Faint vertical lines at the ticks, behind the bars: over each stage's lanes (`spans`, top
/// and bottom), and from the last lane down to the axis at `bottom`.
fn grid(svg: &mut Svg, scale: &Scale, spans: &[(f64, f64)], bottom: f64) {
    let mut spans = spans.to_vec();
    if let Some(last) = spans.last_mut() {
        last.1 = bottom + 4.0;
    }
    for t_s in ticks(scale).0 {
        let x = scale.x(t_s * 1000.0);
        for (top, end) in &spans {
            let _ = writeln!(
                svg.body,
                r##"<path class="grid" d="M{x:.1} {top:.1}V{end:.1}" stroke="#000000" stroke-opacity="0.10"/>"##,
            );
        }
    }
}

fn axis(svg: &mut Svg, scale: &Scale, top: f64) -> f64 {
    let y = top + 4.0;
    let _ = writeln!(
        svg.body,
        r#"<path class="axis" d="M{:.1} {y:.1}H{:.1}" stroke="{INK}" stroke-width="1.2"/>"#,
        scale.x0,
        scale.x0 + scale.width
    );
    let (ticks, decimals) = ticks(scale);
    for (i, t_s) in ticks.into_iter().enumerate() {
        let x = scale.x(t_s * 1000.0);
        let label = if i == 0 {
            "0 s".to_string()
        } else {
            format!("{t_s:.decimals$} s")
        };
        let _ = writeln!(
            svg.body,
            r#"<path class="tick" d="M{x:.1} {y:.1}v6" stroke="{INK}"/>"#
        );
        svg.text(
            x,
            y + 22.0,
            13.0,
            INK,
            r#" class="tick-label" text-anchor="middle""#,
            &label,
        );
    }
    svg.text(
        scale.x0 + scale.width,
        y + 42.0,
        12.0,
        MUTED,
        r#" text-anchor="end""#,
        "time since the run started, measured on the parent's monotonic clock",
    );
    y + 50.0
}

fn completion(svg: &mut Svg, record: &RunRecord, y: f64) -> f64 {
    let labels = record.completion_labels();
    let total = labels.len();
    if total == 0 {
        return y;
    }
    let shown: Vec<String> = labels
        .take(MAX_ORDER_LABELS)
        .map(|label| label.to_string())
        .collect();
    let mut text = format!("finished: {}", shown.join(" "));
    if total > MAX_ORDER_LABELS {
        text.push_str(&format!(
            " … and {} more",
            thousands(total - MAX_ORDER_LABELS)
        ));
    }
    let size = 15.0;
    let per_line = ((WIDTH - 2.0 * MARGIN) / (size * 0.6)) as usize;
    let mut y = y + 6.0;
    for line in wrap(&text, per_line) {
        y += size * 1.35;
        svg.text(
            MARGIN,
            y,
            size,
            INK,
            r#" class="completion" font-weight="bold""#,
            &line,
        );
    }
    y
}

/// Splits `text` at spaces into lines of at most about `width` characters.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for word in text.split(' ') {
        let line = lines.last_mut().expect("one line at least");
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(word.to_string());
        } else {
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
    }
    lines
}

fn footer(svg: &mut Svg, record: &RunRecord, y: f64) -> f64 {
    let version = Some(record.version.as_str()).filter(|v| !v.is_empty());
    let mut text = format!(
        "Recorded on a machine with {} · proclab {} · parent PID {}",
        plural(record.cores as usize, "core"),
        version.unwrap_or("?"),
        record.parent_pid
    );
    let ours = env!("CARGO_PKG_VERSION");
    if version != Some(ours) {
        text.push_str(&format!(" · drawn by proclab {ours}"));
    }
    let y = y + 30.0;
    let _ = writeln!(
        svg.body,
        r##"<path d="M{MARGIN:.1} {:.1}H{:.1}" stroke="#d0d0d0"/>"##,
        y - 18.0,
        WIDTH - MARGIN
    );
    svg.text(MARGIN, y, 12.0, MUTED, r#" class="footer""#, &text);
    y
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Event;

    #[test]
    fn escapes_markup_and_characters_xml_forbids() {
        assert_eq!(
            escape("a<b & \"c\" 'd'>\u{1}\u{fffe}"),
            "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;\\u{1}\u{fffd}"
        );
        assert_eq!(
            escape("\u{1b}]0;t\u{7}\r\u{9b}\u{7f}"),
            "\\u{1b}]0;t\\u{7}\\r\\u{9b}\\u{7f}"
        );
    }

    #[test]
    fn big_counts_get_separators() {
        assert_eq!(thousands(400_000), "400,000");
        assert_eq!(thousands(999), "999");
        assert_eq!(plural(1, "task"), "1 task");
    }

    #[test]
    fn ticks_are_one_two_or_five_times_a_power_of_ten() {
        assert_eq!(tick_step(0.618), 0.1);
        assert_eq!(tick_step(6.0), 1.0);
        assert_eq!(tick_step(11.0), 2.0);
        assert_eq!(tick_step(30.0), 5.0);
    }

    fn many_tasks(tasks: usize, workers: usize) -> RunRecord {
        let mut events = vec![Event::RunStarted {
            t_ms: 0.0,
            lesson: "big <run>".into(),
            source: crate::event::RunSource::Lesson,
            parent_pid: 1,
            cores: 4,
            workers: workers as u32,
            speed: 1.0,
            stages: 1,
            version: "0.1.0".into(),
        }];
        for worker in 0..workers {
            events.push(Event::Spawned {
                t_ms: 0.0,
                worker,
                pid: 1000 + worker as u32,
                ppid: 1,
                stage: 0,
                tid: None,
                spawn_us: 1.0,
                pinned: None,
                adopted: false,
            });
        }
        for task in 0..tasks {
            let worker = task % workers;
            let t = (task / workers) as f64 * 0.01;
            let pid = 1000 + worker as u32;
            let cpu = Some((worker % 4) as u32);
            let label = format!("t{task}");
            events.push(Event::TaskStarted {
                t_ms: t,
                task,
                label: label.clone(),
                worker,
                pid,
                cpu,
            });
            events.push(Event::TaskFinished {
                t_ms: t + 0.01,
                task,
                label,
                worker,
                pid,
                cpu,
                result: serde_json::Value::Null,
                cpu_ms: 0.01,
            });
        }
        RunRecord::from_events(events)
    }

    #[test]
    fn a_large_run_stays_small_and_caps_its_lanes() {
        let record = many_tasks(100_000, 300);
        let svg = render(&record);
        assert!(svg.len() < 2_000_000, "{} bytes", svg.len());
        assert_eq!(
            svg.matches(r#"class="lane""#).count(),
            limits::MAX_WORKERS as usize
        );
        assert!(svg.contains("44 more workers, not drawn"));
        assert!(svg.contains("<title>proclab run big &lt;run&gt;</title>"));
        assert!(!svg.contains(r#"class="bar""#));
    }

    #[test]
    fn thousands_of_bars_are_thin_and_unlabelled() {
        let record = many_tasks(5_000, 4);
        let svg = render(&record);
        assert_eq!(svg.matches(r#"class="bar""#).count(), 5_000);
        assert!(!svg.contains("<title>t1:"));
    }
}
