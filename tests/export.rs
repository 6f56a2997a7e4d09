//! `proclab export`: the SVG timeline (well-formed, one lane per worker, one bar per task, bars
//! placed by start time, rendered to a real picture) and the text report, from fixed recordings.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use common::*;
use serde_json::Value;

const POOL_SLEEP: &str = "tests/fixtures/pool-sleep.jsonl";
const CRASHES: &str = "tests/fixtures/crashes-and-exit-codes.jsonl";

fn events_of(path: &str) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// Runs `proclab export FILE --svg OUT` and returns the SVG text.
fn export_svg(recording: &str, dir: &Path) -> String {
    let out = dir.join("run.svg");
    let output = proclab(&["export", recording, "--svg", out.to_str().unwrap()]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let said = String::from_utf8_lossy(&output.stdout);
    assert!(said.starts_with("wrote "), "{said}");
    std::fs::read_to_string(out).unwrap()
}

fn has_class(node: &roxmltree::Node, class: &str) -> bool {
    node.attribute("class")
        .is_some_and(|c| c.split_whitespace().any(|word| word == class))
}

fn texts(doc: &roxmltree::Document) -> Vec<String> {
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| {
            n.descendants()
                .filter(|d| d.is_text())
                .filter_map(|d| d.text())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

#[test]
fn the_fixtures_start_with_run_started() {
    for path in [POOL_SLEEP, CRASHES] {
        assert_eq!(events_of(path)[0]["event"], "run_started", "{path}");
    }
}

#[test]
fn the_svg_has_one_lane_per_worker_and_one_bar_per_task_in_start_order() {
    let dir = tempfile::tempdir().unwrap();
    let svg = export_svg(POOL_SLEEP, dir.path());
    let doc = roxmltree::Document::parse(&svg).expect("well-formed XML");
    let events = events_of(POOL_SLEEP);

    let lanes: Vec<_> = doc.descendants().filter(|n| has_class(n, "lane")).collect();
    let spawned = of_kind(&events, "spawned");
    assert_eq!(lanes.len(), spawned.len());
    for (lane, event) in lanes.iter().zip(&spawned) {
        assert_eq!(lane.attribute("data-pid"), Some(&*event["pid"].to_string()));
    }

    let mut bars: Vec<(f64, usize)> = doc
        .descendants()
        .filter(|n| has_class(n, "bar"))
        .map(|n| {
            let x: f64 = n.attribute("x").unwrap().parse().unwrap();
            (x, n.attribute("data-task").unwrap().parse().unwrap())
        })
        .collect();
    let started = of_kind(&events, "task_started");
    assert_eq!(bars.len(), started.len());
    let start_of: HashMap<usize, f64> = started
        .iter()
        .map(|e| {
            (
                e["task"].as_u64().unwrap() as usize,
                e["t_ms"].as_f64().unwrap(),
            )
        })
        .collect();
    bars.sort_by(|a, b| a.0.total_cmp(&b.0));
    let starts: Vec<f64> = bars.iter().map(|(_, task)| start_of[task]).collect();
    assert!(starts.is_sorted(), "bars by x: {bars:?}, starts {starts:?}");
    // A (5 s) started first and is the widest bar.
    let widths: HashMap<String, f64> = doc
        .descendants()
        .filter(|n| has_class(n, "bar"))
        .map(|n| {
            (
                n.attribute("data-task").unwrap().to_string(),
                n.attribute("width").unwrap().parse().unwrap(),
            )
        })
        .collect();
    assert!(widths["0"] > widths["3"] && widths["3"] > widths["1"] && widths["1"] > widths["2"]);

    let texts = texts(&doc);
    assert!(texts.iter().any(|t| t == "pool-sleep"), "{texts:?}");
    assert!(texts.iter().any(|t| t == "finished: B C A D"), "{texts:?}");
    assert!(texts.iter().any(|t| t == "w0 · PID 14493"), "{texts:?}");
    assert!(texts.iter().any(|t| t == "core 0") && texts.iter().any(|t| t == "core 1"));
    assert!(
        texts.iter().any(|t| t == "0.3 s"),
        "ticks in seconds: {texts:?}"
    );
    assert!(
        texts
            .iter()
            .any(|t| t.contains("2 cores") && t.contains("proclab 0.1.0")),
        "{texts:?}"
    );
}

#[test]
fn stages_lost_tasks_and_failed_exits_are_drawn() {
    let dir = tempfile::tempdir().unwrap();
    let svg = export_svg(CRASHES, dir.path());
    let doc = roxmltree::Document::parse(&svg).expect("well-formed XML");
    let events = events_of(CRASHES);
    let count = |class: &str| doc.descendants().filter(|n| has_class(n, class)).count();

    assert_eq!(count("lane"), of_kind(&events, "spawned").len());
    assert_eq!(count("stage"), of_kind(&events, "stage_started").len());
    assert_eq!(count("bar"), of_kind(&events, "task_started").len());
    let lost: Vec<String> = of_kind(&events, "task_lost")
        .iter()
        .map(|e| e["task"].to_string())
        .collect();
    let mut drawn_lost: Vec<String> = doc
        .descendants()
        .filter(|n| has_class(n, "lost"))
        .map(|n| n.attribute("data-task").unwrap().to_string())
        .collect();
    drawn_lost.sort();
    let mut expected = lost.clone();
    expected.sort();
    assert_eq!(drawn_lost, expected);
    let failed = of_kind(&events, "exited")
        .iter()
        .filter(|e| e["code"] != 0)
        .count();
    assert_eq!(count("exit"), failed);
    let texts = texts(&doc);
    assert!(texts.iter().any(|t| t == "SIGKILL"), "{texts:?}");
    assert!(texts.iter().any(|t| t == "exit 3"), "{texts:?}");
    assert!(
        texts.iter().any(|t| t.starts_with("Stage 2 · a pool of 2")),
        "{texts:?}"
    );
}

/// Renders the SVG with resvg into a PNG under target/ (to look at), and checks the picture.
fn render_png(svg: &str, name: &str) -> resvg::tiny_skia::Pixmap {
    let mut options = resvg::usvg::Options::default();
    options.fontdb_mut().load_system_fonts();
    let tree = resvg::usvg::Tree::from_str(svg, &options).expect("resvg parses the SVG");
    let size = tree.size().to_int_size();
    let mut pixmap = resvg::tiny_skia::Pixmap::new(size.width(), size.height()).unwrap();
    resvg::render(
        &tree,
        resvg::tiny_skia::Transform::default(),
        &mut pixmap.as_mut(),
    );
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    pixmap.save_png(&out).unwrap();
    pixmap
}

#[test]
fn the_svg_renders_to_a_picture_of_its_declared_size() {
    let dir = tempfile::tempdir().unwrap();
    for (recording, name) in [
        (POOL_SLEEP, "export-pool-sleep.png"),
        (CRASHES, "export-crashes.png"),
    ] {
        let svg = export_svg(recording, dir.path());
        let doc = roxmltree::Document::parse(&svg).unwrap();
        let root = doc.root_element();
        let width: u32 = root.attribute("width").unwrap().parse().unwrap();
        let height: u32 = root.attribute("height").unwrap().parse().unwrap();
        let pixmap = render_png(&svg, name);
        assert_eq!((pixmap.width(), pixmap.height()), (width, height));
        let pixels = pixmap.pixels();
        let inked = pixels
            .iter()
            .filter(|p| (p.red(), p.green(), p.blue()) != (255, 255, 255))
            .count();
        let share = inked as f64 / pixels.len() as f64;
        assert!(
            (0.03..0.8).contains(&share),
            "{name}: {share:.3} of the picture is not white"
        );
        let colours: std::collections::HashSet<_> = pixels
            .iter()
            .map(|p| (p.red(), p.green(), p.blue()))
            .collect();
        assert!(colours.len() > 20, "{name}: {} colours", colours.len());
    }
}

#[test]
fn the_text_format_is_the_report_of_proclab_run() {
    // The same events: the library's report of the fixture, with the lesson's title.
    let output = proclab(&["export", POOL_SLEEP, "--format", "text"]);
    assert!(output.status.success());
    let exported = String::from_utf8(output.stdout).unwrap();
    let recording = proclab::recording::Recording::read(Path::new(POOL_SLEEP)).unwrap();
    let record = proclab::record::RunRecord::from_events(recording.events().iter());
    let catalog = proclab::lesson::Catalog::load(None).unwrap();
    let expected = proclab::record::report::render(&record, catalog.get("pool-sleep"));
    assert_eq!(exported, expected);

    // A live run: `run` and `export` of its recording print the same sections.
    let dir = tempfile::tempdir().unwrap();
    let recorded = proclab(&["run", "pool-sleep", "--speed", "20", "--json"]);
    assert!(recorded.status.success());
    let file = dir.path().join("run.jsonl");
    std::fs::write(&file, &recorded.stdout).unwrap();
    let live = proclab(&["run", "pool-sleep", "--speed", "20"]);
    let out = dir.path().join("report.txt");
    let exported = proclab(&[
        "export",
        file.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(exported.status.success());
    let headings = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|line| !line.is_empty() && !line.starts_with(' '))
            .map(|line| line.replace(|c: char| c.is_ascii_digit() || c == '.', "#"))
            .collect()
    };
    let live = String::from_utf8(live.stdout).unwrap();
    let exported = std::fs::read_to_string(out).unwrap();
    assert_eq!(headings(&exported), headings(&live));
    assert!(headings(&live).len() >= 5, "{live}");
}

#[test]
fn a_bad_recording_names_the_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.jsonl");
    let first = std::fs::read_to_string(POOL_SLEEP)
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_string();
    std::fs::write(
        &file,
        format!("{first}\n{{\"event\":\"cpu\",\"t_ms\":1}}\n"),
    )
    .unwrap();
    let output = proclab(&["export", file.to_str().unwrap(), "--svg", "never.svg"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("{}:2:", file.display())) && stderr.contains("missing field"),
        "{stderr}"
    );
    assert!(!Path::new("never.svg").exists());
    let missing = proclab(&["export", "no-such.jsonl"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no-such.jsonl"));
}

#[test]
fn svg_goes_to_standard_output_with_format_svg() {
    let output = proclab(&["export", POOL_SLEEP, "--format", "svg"]);
    assert!(output.status.success());
    let svg = String::from_utf8(output.stdout).unwrap();
    assert!(roxmltree::Document::parse(&svg).is_ok());
}

#[test]
fn export_never_writes_over_its_own_recording() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run.jsonl");
    std::fs::copy(POOL_SLEEP, &path).unwrap();
    let before = std::fs::read(&path).unwrap();
    let path = path.to_str().unwrap();
    for args in [
        vec!["export", path, "-o", path],
        vec!["export", path, "--svg", path],
    ] {
        let output = proclab(&args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        assert!(
            stderr.contains("is the recording being exported"),
            "{stderr}"
        );
    }
    assert_eq!(std::fs::read(path).unwrap(), before);
}

#[test]
fn export_keeps_the_mode_of_a_file_it_replaces() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.txt");
    std::fs::write(&out, "old").unwrap();
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o600)).unwrap();
    let output = proclab(&["export", POOL_SLEEP, "-o", out.to_str().unwrap()]);
    assert!(output.status.success());
    let mode = std::fs::metadata(&out).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert!(
        std::fs::read_to_string(&out)
            .unwrap()
            .contains("completion: B C A D")
    );
}

#[test]
fn export_writes_into_a_fifo_as_a_stream() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("report.fifo");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    let output = proclab(&["export", POOL_SLEEP, "-o", fifo.to_str().unwrap()]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(reader.join().unwrap().contains("completion: B C A D"));
    use std::os::unix::fs::FileTypeExt;
    assert!(
        std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo()
    );
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(names.len(), 1, "only the FIFO");
}
