//! Property tests of the lesson parser, the validator and the planner: whatever text a
//! `lesson.toml` holds, `parse_lesson` returns a value or a problem and never panics; whenever it
//! finds no problem, the lesson loads from disk and `engine::plan` makes a plan without a panic.
//!
//! Four properties run here:
//!
//! | property | inputs |
//! | --- | --- |
//! | `arbitrary_text_never_panics` | any Unicode string, and strings over a TOML-ish alphabet |
//! | `arbitrary_bytes_never_panic` | any bytes, read as lossy UTF-8 |
//! | `structured_lessons_never_panic` | lesson files built field by field from valid and extreme values, then mutated (a line deleted, duplicated, swapped, truncated, values swapped) |
//! | `valid_lessons_load_and_plan` | the same generator, mostly valid; every lesson without problems is written to a temporary folder, loaded with `load_folder` and planned with random options and core counts |
//!
//! Case counts: each of the first three runs `PROPTEST_CASES` cases (default 1000), the fourth
//! (it touches the disk) a tenth of that (default 64). Every property prints how many inputs it
//! generated (see them with `--nocapture`). The documented long run, 124,000 inputs in all:
//!
//! ```text
//! PROPTEST_CASES=40000 cargo test --release --test lesson_fuzz -- --nocapture
//! ```
//!
//! Tests marked `#[ignore]` pin bugs found by these properties that are not fixed yet; run them
//! with `cargo test --test lesson_fuzz -- --ignored`.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

use proclab::engine::{self, RunOptions};
use proclab::lesson::load::{load_folder, parse_lesson};
use proclab::limits;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

// ---------------------------------------------------------------------------------------------
// Running properties with a known number of cases.

/// The number of cases: `PROPTEST_CASES` when set, else `default`.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|text| text.trim().parse().ok())
        .unwrap_or(default)
}

/// Runs `test` on `cases` inputs drawn from `strategy`; prints how many inputs were generated and
/// fails with proptest's (shrunk) counterexample on the first failure or panic.
fn check<S: Strategy>(
    name: &str,
    cases: u32,
    strategy: S,
    test: impl Fn(S::Value) -> Result<(), TestCaseError>,
) where
    S::Value: std::fmt::Debug,
{
    let config = Config {
        cases,
        // A failure prints its input; no regression file is written into the source tree.
        failure_persistence: None,
        max_shrink_iters: 4096,
        ..Config::default()
    };
    let generated = AtomicU64::new(0);
    let mut runner = TestRunner::new(config);
    let result = runner.run(&strategy, |value| {
        generated.fetch_add(1, Ordering::Relaxed);
        test(value)
    });
    eprintln!(
        "{name}: {} inputs generated ({cases} cases asked)",
        generated.load(Ordering::Relaxed)
    );
    if let Err(error) = result {
        panic!("{name}: {error}");
    }
}

/// Parses `source`; a panic is caught by the runner and reported as a failure with the input.
fn parse(source: &str) -> Result<(), TestCaseError> {
    match parse_lesson("fuzz/lesson.toml", source) {
        Ok((_, problems)) => {
            for problem in &problems {
                prop_assert!(
                    !problem.message.is_empty(),
                    "an empty message for {source:?}"
                );
                prop_assert!(
                    problem.line.is_some(),
                    "a problem without a place: {problem}"
                );
            }
        }
        Err(problem) => {
            prop_assert!(
                !problem.message.is_empty(),
                "an empty message for {source:?}"
            );
            prop_assert!(
                problem.line.is_some(),
                "a parse error without a place: {problem}"
            );
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// (a) Unstructured input.

#[test]
fn arbitrary_text_never_panics() {
    let toml_ish = proptest::collection::vec(
        prop_oneof![
            Just("[[stage]]\n"),
            Just("[[checkpoint]]\n"),
            Just("[[knob]]\n"),
            Just("kind = "),
            Just("tasks = ["),
            Just("{ fn = \"sleep\", secs = 1 }"),
            Just("format_version = 1\n"),
            Just("\"\"\""),
            Just("'''"),
            Just("\\u"),
            Just("\n"),
            Just("["),
            Just("]"),
            Just("{"),
            Just("}"),
            Just("="),
            Just(","),
            Just("."),
            Just("\""),
            Just("'"),
            Just("#"),
            Just(" "),
            Just("nan"),
            Just("-inf"),
            Just("1979-05-27T07:32:00Z"),
            Just("9223372036854775808"),
            Just("é"),
        ],
        0..80,
    )
    .prop_map(|parts| parts.concat());
    let strategy = prop_oneof![any::<String>(), "\\PC{0,300}", toml_ish];
    check(
        "arbitrary_text_never_panics",
        cases(1000),
        strategy,
        |text| parse(&text),
    );
}

#[test]
fn arbitrary_bytes_never_panic() {
    let strategy = proptest::collection::vec(any::<u8>(), 0..2000);
    check(
        "arbitrary_bytes_never_panic",
        cases(1000),
        strategy,
        |bytes| parse(&String::from_utf8_lossy(&bytes)),
    );
}

// ---------------------------------------------------------------------------------------------
// (b) Structured input: lesson files built from fields, then mutated.

/// A TOML basic string holding `text` exactly.
fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A float as TOML writes it.
fn float(x: f64) -> String {
    if x.is_nan() {
        "nan".into()
    } else if x.is_infinite() {
        if x > 0.0 { "inf".into() } else { "-inf".into() }
    } else {
        format!("{x:?}")
    }
}

/// Strings, from plain to hostile.
fn text() -> BoxedStrategy<String> {
    prop_oneof![
        6 => "[A-Za-z0-9 ]{0,20}",
        1 => Just(String::new()),
        1 => "\\PC{0,30}",
        1 => any::<String>(),
        1 => (0usize..3000).prop_map(|n| "x".repeat(n)),
        1 => Just("{label} {secs} {n} {pid} {result} {i}".to_string()),
        1 => Just("{".to_string()),
        1 => Just("{nope}".to_string()),
        1 => Just("two\nlines".to_string()),
        1 => Just("\u{1b}[31mred\u{1b}[0m \u{7} $(touch /tmp/x) `id` | ; &&".to_string()),
        1 => Just("🙂 é ß 中文 \u{202e}rtl".to_string()),
        1 => Just("cores".to_string()),
        1 => Just("cores+3".to_string()),
        1 => Just("cores+99999999999".to_string()),
        1 => Just("-1".to_string()),
        1 => Just("NaN".to_string()),
    ]
    .boxed()
}

/// Integers that stress every bound.
fn wild_int() -> BoxedStrategy<String> {
    prop_oneof![
        Just("0".to_string()),
        Just("-1".to_string()),
        Just("-0".to_string()),
        Just(i64::MAX.to_string()),
        Just(i64::MIN.to_string()),
        Just("9223372036854775808".to_string()),
        Just("-9223372036854775809".to_string()),
        Just(u32::MAX.to_string()),
        Just((u64::from(u32::MAX) + 1).to_string()),
        Just("1_000_000".to_string()),
        Just("0x7fffffff".to_string()),
        Just("0o777".to_string()),
        Just("0b1010".to_string()),
        Just("+5".to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
    ]
    .boxed()
}

/// Floats that stress every bound.
fn wild_float() -> BoxedStrategy<String> {
    prop_oneof![
        Just("nan".to_string()),
        Just("+nan".to_string()),
        Just("-nan".to_string()),
        Just("inf".to_string()),
        Just("-inf".to_string()),
        Just("-0.0".to_string()),
        Just("1e308".to_string()),
        Just("1e309".to_string()),
        Just("5e-324".to_string()),
        Just("-1e300".to_string()),
        Just("0.1".to_string()),
        Just("1.".to_string()),
        any::<f64>().prop_map(float),
    ]
    .boxed()
}

/// Any TOML value at all, nested arrays and tables included.
fn wild_value() -> BoxedStrategy<String> {
    let leaf = prop_oneof![
        wild_int(),
        wild_float(),
        text().prop_map(|t| quote(&t)),
        Just("true".to_string()),
        Just("false".to_string()),
        Just("1979-05-27T07:32:00Z".to_string()),
        Just("07:32:00".to_string()),
        Just("'literal \\ string'".to_string()),
        Just("\"\"\"\nmulti\nline\"\"\"".to_string()),
        Just("[]".to_string()),
        Just("{}".to_string()),
    ];
    let nested = leaf.prop_recursive(6, 64, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6)
                .prop_map(|items| format!("[{}]", items.join(", "))),
            proptest::collection::vec(("[a-z_]{1,8}", inner), 0..6).prop_map(|fields| {
                let fields: Vec<String> = fields
                    .into_iter()
                    .map(|(k, v)| format!("{k} = {v}"))
                    .collect();
                format!("{{ {} }}", fields.join(", "))
            }),
        ]
    });
    prop_oneof![
        8 => nested,
        1 => (1usize..200).prop_map(|depth| format!("{}1{}", "[".repeat(depth), "]".repeat(depth))),
        1 => (1usize..200).prop_map(|depth| format!("{}1{}", "{ a = ".repeat(depth), " }".repeat(depth))),
    ]
    .boxed()
}

/// A field's value: usually `valid`, one time in `1 + wild` ... something else entirely.
fn field(valid: BoxedStrategy<String>, wild: u32) -> BoxedStrategy<String> {
    if wild == 0 {
        return valid;
    }
    prop_oneof![wild => valid, 1 => wild_value()].boxed()
}

/// How many valid values per wild one: high for the planning property, lower for the parser.
#[derive(Debug, Clone, Copy)]
struct Wildness {
    /// Valid values per wild value, per field (0: never wild).
    valid_per_wild: u32,
    /// Most mutations applied to the finished text.
    max_mutations: usize,
}

fn int_in(range: std::ops::RangeInclusive<i64>, w: Wildness) -> BoxedStrategy<String> {
    field(range.prop_map(|n| n.to_string()).boxed(), w.valid_per_wild)
}

fn float_in(low: f64, high: f64, w: Wildness) -> BoxedStrategy<String> {
    let valid = prop_oneof![
        3 => (low..=high).prop_map(float),
        1 => Just(float(low)),
        1 => Just(float(high)),
        1 => (0i64..=high as i64).prop_map(|n| n.to_string()),
    ];
    field(valid.boxed(), w.valid_per_wild)
}

fn one_of(choices: &'static [&'static str], w: Wildness) -> BoxedStrategy<String> {
    let valid = proptest::sample::select(choices).prop_map(quote).boxed();
    field(valid, w.valid_per_wild)
}

fn string(w: Wildness) -> BoxedStrategy<String> {
    field(text().prop_map(|t| quote(&t)).boxed(), w.valid_per_wild)
}

/// `key = value` lines of one task (as an inline table) for the function `function`.
fn task(w: Wildness, label: Option<String>) -> BoxedStrategy<String> {
    let function = prop_oneof![
        8 => proptest::sample::select(&[
            "sleep", "spin", "square", "cube", "print", "count", "exit", "signal", "panic",
        ][..]).prop_map(str::to_string),
        1 => prop_oneof![
            Just("slep".to_string()),
            Just("sh -c 'touch /tmp/pwned'".to_string()),
            Just("/bin/rm".to_string()),
            Just("".to_string()),
            text(),
        ],
    ];
    let args = (
        float_in(0.0, 3.0, w),
        int_in(-1_000_000..=1_000_000, w),
        int_in(0..=2000, w),
        int_in(0..=255, w),
        one_of(
            &[
                "SIGKILL", "SIGTERM", "SIGSEGV", "SIGABRT", "SIGINT", "SIGSTOP",
            ],
            w,
        ),
        string(w),
        (any::<bool>(), any::<bool>(), any::<bool>()),
        (string(w), string(w)),
        proptest::option::weighted(0.05, ("[a-z]{1,8}", wild_value())),
    );
    (function, args)
        .prop_map(
            move |(
                function,
                (secs, n, times, code, signal, text, extra, (before, after), unknown),
            )| {
                let mut fields = Vec::new();
                if let Some(label) = &label {
                    fields.push(format!("label = {}", quote(label)));
                }
                fields.push(format!("fn = {}", quote(&function)));
                let (with_optional, with_before, with_after) = extra;
                match function.as_str() {
                    "sleep" | "spin" => fields.push(format!("secs = {secs}")),
                    "square" | "cube" => fields.push(format!("n = {n}")),
                    "count" => fields.push(format!("times = {times}")),
                    "exit" => fields.push(format!("code = {code}")),
                    "signal" => fields.push(format!("signal = {signal}")),
                    "print" => {
                        fields.push(format!("text = {text}"));
                        if with_optional {
                            fields.push(format!("times = {times}"));
                            fields.push(format!("secs = {secs}"));
                        }
                    }
                    _ => {
                        if with_optional {
                            fields.push(format!("secs = {secs}"));
                        }
                    }
                }
                if with_before {
                    fields.push(format!("before = {before}"));
                }
                if with_after {
                    fields.push(format!("after = {after}"));
                }
                if let Some((key, value)) = unknown {
                    fields.push(format!("{key} = {value}"));
                }
                format!("{{ {} }}", fields.join(", "))
            },
        )
        .boxed()
}

/// Task labels for a stage: distinct, some plain, some hostile.
fn labels(count: usize) -> BoxedStrategy<Vec<Option<String>>> {
    proptest::collection::vec(
        prop_oneof![
            3 => Just(0u8),
            1 => Just(1u8),
            1 => Just(2u8),
            1 => Just(3u8),
        ],
        count,
    )
    .prop_map(|kinds| {
        kinds
            .into_iter()
            .enumerate()
            .map(|(i, kind)| {
                let letter = char::from(b'A' + (i % 26) as u8);
                match kind {
                    0 => Some(format!("{letter}{}", i / 26)),
                    1 => None,
                    2 => Some(format!("{letter}é🙂{i}")),
                    _ => Some(format!("{letter}$(x){i}\u{1b}[1m")),
                }
            })
            .collect()
    })
    .boxed()
}

/// The lines of one `[[stage]]`.
fn stage(w: Wildness) -> BoxedStrategy<Vec<String>> {
    let kind = prop_oneof![
        12 => proptest::sample::select(&["processes", "pool", "threads"][..]).prop_map(quote),
        1 => wild_value(),
    ];
    let workers = prop_oneof![
        6 => (1i64..=8).prop_map(|n| n.to_string()),
        1 => Just("\"cores\"".to_string()),
        1 => Just("\"cores+1\"".to_string()),
        1 => Just("256".to_string()),
        1 => Just("\"cores+300\"".to_string()),
        1 => wild_value(),
    ];
    let source = 0u8..3; // tasks, each, items
    let tasks = (1usize..6).prop_flat_map(move |count| {
        labels(count).prop_flat_map(move |labels| {
            labels
                .into_iter()
                .map(|label| task(w, label))
                .collect::<Vec<_>>()
        })
    });
    let items = (
        prop_oneof![
            8 => (-50i64..50, 0i64..40).prop_map(|(from, len)| (from, from + len)),
            1 => Just((0, 999_999)),
            1 => Just((-1_000_000, 1_000_000)),
            1 => Just((5, 1)),
            1 => (any::<i64>(), any::<i64>()),
        ],
        one_of(&["square", "cube", "sleep"], w),
        proptest::option::of(string(w)),
    );
    let optional = (
        any::<u16>(),
        string(w),
        int_in(0..=20, w),
        one_of(&["map", "unordered"], w),
        one_of(&["all", "skip"], w),
        float_in(0.0, 2.0, w),
        string(w),
        one_of(&["line", "block"], w),
        one_of(&["own", "shared"], w),
    );
    (kind, workers, source, tasks, task(w, None), items, optional)
        .prop_map(|(kind, workers, source, tasks, each, items, optional)| {
            let (bits, name, chunksize, order, join, delay, says, buffering, counter) = optional;
            let on = |bit: u16| bits & (1 << bit) != 0;
            let mut lines = vec!["[[stage]]".to_string(), format!("kind = {kind}")];
            let is = |k: &str| kind == quote(k);
            if on(0) {
                lines.push(format!("name = {name}"));
            }
            // The workers line where the stage needs one, sometimes where it does not.
            let needs_workers = is("pool") || source == 1;
            if (needs_workers && !on(1)) || (!needs_workers && on(1) && on(2)) {
                lines.push(format!("workers = {workers}"));
            }
            if is("pool") && on(3) || on(4) && on(5) && on(6) {
                lines.push(format!("chunksize = {chunksize}"));
            }
            if is("pool") && on(7) {
                lines.push(format!("result_order = {order}"));
            }
            if is("processes") && on(8) || on(4) && on(5) && on(9) {
                lines.push(format!("join = {join}"));
                lines.push(format!("join_delay_s = {delay}"));
            }
            if on(10) {
                lines.push(format!("parent_says = {says}"));
            }
            if on(11) {
                lines.push(format!("buffering = {buffering}"));
            }
            if is("threads") && on(12) || on(4) && on(5) && on(13) {
                lines.push(format!("counter = {counter}"));
            }
            // Where the work comes from; now and then from two places.
            let source = if is("pool") && source == 1 { 0 } else { source };
            let source = if !is("pool") && source == 2 && !on(14) {
                0
            } else {
                source
            };
            let both = on(15) && on(4);
            if source == 0 || both {
                lines.push("tasks = [".to_string());
                for task in &tasks {
                    lines.push(format!("  {task},"));
                }
                lines.push("]".to_string());
            }
            if source == 1 || both && source != 1 {
                lines.push(format!("each = {each}"));
            }
            if source == 2 {
                let ((from, to), function, after) = &items;
                let mut item = format!("items = {{ fn = {function}, from = {from}, to = {to}");
                if let Some(after) = after {
                    let _ = write!(item, ", after = {after}");
                }
                item.push_str(" }");
                lines.push(item);
            }
            lines
        })
        .boxed()
}

/// The lines of one `[[checkpoint]]`, answering about tasks labelled `A0`, `B1`... or anything.
fn checkpoint(w: Wildness) -> BoxedStrategy<Vec<String>> {
    (
        "[a-z]{1,6}",
        proptest::sample::select(&["choice", "order", "number"][..]),
        proptest::collection::vec(text(), 0..4),
        prop_oneof![
            Just("A0 B0".to_string()),
            Just("B0 A0".to_string()),
            Just("42".to_string()),
            Just("about five".to_string()),
            text(),
        ],
        (any::<bool>(), any::<bool>(), any::<bool>()),
        float_in(0.0, 10.0, w),
        one_of(
            &[
                "completion_order",
                "last_finished",
                "total_seconds",
                "distinct_pids",
                "print_order",
                "slowdown_factor",
                "colour",
            ],
            w,
        ),
        proptest::collection::vec(text(), 0..3),
        string(w),
    )
        .prop_map(
            |(
                id,
                kind,
                choices,
                answer,
                (use_choice, with_answer, with_observe),
                tolerance,
                observe,
                hints,
                question,
            )| {
                let mut lines = vec![
                    "[[checkpoint]]".to_string(),
                    format!("id = {}", quote(&id)),
                    format!("question = {question}"),
                    format!("answer_kind = {}", quote(kind)),
                ];
                if kind == "choice" || use_choice && with_answer {
                    let list: Vec<String> = choices.iter().map(|c| quote(c)).collect();
                    lines.push(format!("choices = [{}]", list.join(", ")));
                }
                if with_answer || !with_observe {
                    let answer = match choices.first() {
                        Some(first) if kind == "choice" && use_choice => first.clone(),
                        _ => answer,
                    };
                    lines.push(format!("answer = {}", quote(&answer)));
                }
                if kind == "number" {
                    lines.push(format!("tolerance = {tolerance}"));
                }
                if with_observe {
                    lines.push(format!("observe = {observe}"));
                }
                if !hints.is_empty() {
                    let list: Vec<String> = hints.iter().map(|h| quote(h)).collect();
                    lines.push(format!("hints = [{}]", list.join(", ")));
                }
                lines.push("explanation = \"because\"".to_string());
                lines
            },
        )
        .boxed()
}

/// The lines of one `[[knob]]`.
fn knob(w: Wildness) -> BoxedStrategy<Vec<String>> {
    let name = prop_oneof![
        6 => proptest::sample::select(&["workers", "chunksize", "join_delay_s", "join", "secs"][..])
            .prop_map(str::to_string),
        2 => Just("task.A0.secs".to_string()),
        1 => Just("task.nobody.secs".to_string()),
        1 => text(),
    ];
    let bound = prop_oneof![
        6 => (0i64..=10).prop_map(|n| n.to_string()),
        1 => Just("-5".to_string()),
        1 => Just("1e300".to_string()),
        1 => Just("0.5".to_string()),
        1 => wild_float(),
    ];
    (
        name,
        prop_oneof![6 => Just(0i64), 1 => 0i64..10, 1 => Just(-1i64)],
        bound.clone(),
        bound,
        proptest::option::of(float_in(0.0, 2.0, w)),
        string(w),
    )
        .prop_map(|(name, stage, low, high, step, help)| {
            let mut lines = vec![
                "[[knob]]".to_string(),
                format!("name = {}", quote(&name)),
                format!("stage = {stage}"),
                format!("min = {low}"),
                format!("max = {high}"),
            ];
            if let Some(step) = step {
                lines.push(format!("step = {step}"));
            }
            lines.push(format!("help = {help}"));
            lines
        })
        .boxed()
}

/// A whole lesson file, as lines.
fn lesson_lines(w: Wildness) -> BoxedStrategy<Vec<String>> {
    let header = (
        prop_oneof![12 => Just("1".to_string()), 1 => wild_int(), 1 => wild_value()],
        prop_oneof![
            12 => "[a-z]{1,8}(-[a-z0-9]{1,6}){0,2}",
            1 => Just("Bad Id".to_string()),
            1 => (41usize..60).prop_map(|n| "a".repeat(n)),
            1 => text(),
        ],
        string(w),
        string(w),
        proptest::option::weighted(
            0.1,
            prop_oneof![
                Just("\"/etc/passwd\"".to_string()),
                Just("\"../narrative.md\"".to_string()),
                Just("\"..\"".to_string()),
                Just("\"\"".to_string()),
                Just("\"narrative.md\"".to_string()),
                wild_value(),
            ],
        ),
        proptest::option::weighted(
            0.1,
            prop_oneof![
                Just("\"/bin/sh\"".to_string()),
                Just("\"a\\\\b.py\"".to_string()),
                Just("\"program.py\"".to_string()),
                wild_value(),
            ],
        ),
        proptest::option::weighted(0.3, float_in(0.001, 3600.0, w)),
        proptest::option::weighted(0.2, string(w)),
    );
    (
        header,
        prop_oneof![20 => 1usize..4, 1 => Just(0usize), 1 => 8usize..11],
        0usize..3,
        0usize..3,
    )
        .prop_flat_map(move |(header, stages, checkpoints, knobs)| {
            (
                Just(header),
                proptest::collection::vec(stage(w), stages),
                proptest::collection::vec(checkpoint(w), checkpoints),
                proptest::collection::vec(knob(w), knobs),
            )
        })
        .prop_map(|(header, stages, checkpoints, knobs)| {
            let (version, id, title, summary, narrative, program, limit, notes) = header;
            let mut lines = vec![
                format!("format_version = {version}"),
                format!("id = {}", quote(&id)),
                format!("title = {title}"),
                format!("summary = {summary}"),
            ];
            if let Some(narrative) = narrative {
                lines.push(format!("narrative = {narrative}"));
            }
            if let Some(program) = program {
                lines.push(format!("program = {program}"));
            }
            if let Some(limit) = limit {
                lines.push(format!("time_limit_s = {limit}"));
            }
            if let Some(notes) = notes {
                lines.push(format!("instructor_notes = {notes}"));
            }
            for table in stages.into_iter().chain(checkpoints).chain(knobs) {
                lines.push(String::new());
                lines.extend(table);
            }
            lines
        })
        .boxed()
}

/// One edit to a lesson's lines.
#[derive(Debug, Clone)]
enum Mutation {
    Delete(usize),
    Duplicate(usize),
    Swap(usize, usize),
    SwapValues(usize, usize),
    Insert(usize, String),
    Truncate(usize),
    ReplaceChar(usize, char),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let at = any::<usize>();
    prop_oneof![
        at.prop_map(Mutation::Delete),
        at.prop_map(Mutation::Duplicate),
        (at, at).prop_map(|(a, b)| Mutation::Swap(a, b)),
        (at, at).prop_map(|(a, b)| Mutation::SwapValues(a, b)),
        (
            at,
            prop_oneof![
                Just("[[stage]]".to_string()),
                Just("[stage]".to_string()),
                Just("[[stage.tasks]]".to_string()),
                Just("[[checkpoint]]".to_string()),
                Just("stage = []".to_string()),
                Just("a.b.c = 1".to_string()),
                Just("\"\"\"".to_string()),
                wild_value().prop_map(|v| format!("kind = {v}")),
                wild_value().prop_map(|v| format!("workers = {v}")),
                wild_value().prop_map(|v| format!("x = {v}")),
            ]
        )
            .prop_map(|(a, line)| Mutation::Insert(a, line)),
        at.prop_map(Mutation::Truncate),
        (at, any::<char>()).prop_map(|(a, c)| Mutation::ReplaceChar(a, c)),
    ]
}

/// Applies `mutations` to `lines` and joins them into the file's text.
fn mutate(mut lines: Vec<String>, mutations: &[Mutation]) -> String {
    for m in mutations {
        let n = lines.len().max(1);
        match m {
            Mutation::Delete(a) if !lines.is_empty() => {
                lines.remove(a % n);
            }
            Mutation::Duplicate(a) if !lines.is_empty() => {
                let line = lines[a % n].clone();
                lines.insert(a % n, line);
            }
            Mutation::Swap(a, b) if !lines.is_empty() => lines.swap(a % n, b % n),
            Mutation::SwapValues(a, b) if !lines.is_empty() => {
                let (a, b) = (a % n, b % n);
                if let (Some((ka, va)), Some((kb, vb))) = (
                    lines[a].clone().split_once(" = "),
                    lines[b].clone().split_once(" = "),
                ) {
                    lines[a] = format!("{ka} = {vb}");
                    lines[b] = format!("{kb} = {va}");
                }
            }
            Mutation::Insert(a, line) => lines.insert(a % (lines.len() + 1), line.clone()),
            Mutation::Truncate(a) => {
                let mut text = lines.join("\n");
                let mut cut = a % (text.len() + 1);
                while !text.is_char_boundary(cut) {
                    cut -= 1;
                }
                text.truncate(cut);
                lines = text.split('\n').map(str::to_string).collect();
            }
            Mutation::ReplaceChar(a, c) => {
                let text = lines.join("\n");
                let count = text.chars().count();
                if count > 0 {
                    let at = a % count;
                    let text: String = text
                        .chars()
                        .enumerate()
                        .map(|(i, old)| if i == at { *c } else { old })
                        .collect();
                    lines = text.split('\n').map(str::to_string).collect();
                }
            }
            _ => {}
        }
    }
    let mut text = lines.join("\n");
    text.push('\n');
    text
}

/// A lesson file's text: generated fields, then up to `max_mutations` edits.
fn lesson_text(w: Wildness) -> BoxedStrategy<String> {
    let mutations = prop_oneof![
        1 => Just(Vec::new()),
        1 => proptest::collection::vec(mutation(), 0..=w.max_mutations),
    ];
    (lesson_lines(w), mutations)
        .prop_map(|(lines, mutations)| mutate(lines, &mutations))
        .boxed()
}

const PARSER_WILDNESS: Wildness = Wildness {
    valid_per_wild: 12,
    max_mutations: 4,
};

const PLANNER_WILDNESS: Wildness = Wildness {
    valid_per_wild: 60,
    max_mutations: 1,
};

#[test]
fn structured_lessons_never_panic() {
    let valid = AtomicU64::new(0);
    let total = AtomicU64::new(0);
    check(
        "structured_lessons_never_panic",
        cases(1000),
        lesson_text(PARSER_WILDNESS),
        |text| {
            total.fetch_add(1, Ordering::Relaxed);
            if matches!(parse_lesson("fuzz/lesson.toml", &text), Ok((_, ref p)) if p.is_empty()) {
                valid.fetch_add(1, Ordering::Relaxed);
            }
            parse(&text)
        },
    );
    eprintln!(
        "structured_lessons_never_panic: {} of {} inputs were valid lessons",
        valid.load(Ordering::Relaxed),
        total.load(Ordering::Relaxed)
    );
}

// ---------------------------------------------------------------------------------------------
// From a valid lesson file to a plan.

/// Options a learner can give on the command line (`--speed`, `--workers`), and a core count.
fn options() -> impl Strategy<Value = (RunOptions, u32)> {
    (
        prop_oneof![
            Just(1.0),
            Just(limits::MIN_SPEED),
            Just(limits::MAX_SPEED),
            limits::MIN_SPEED..=limits::MAX_SPEED,
        ],
        proptest::option::of(1u32..=limits::MAX_WORKERS),
        prop_oneof![4 => 1u32..=16, 1 => Just(1u32), 1 => 17u32..=1024],
    )
        .prop_map(|(speed, workers, cores)| {
            (
                RunOptions {
                    speed,
                    workers,
                    settings: Vec::new(),
                },
                cores,
            )
        })
}

/// Writes `text` as a lesson folder and loads it: `Some(lesson)` when `parse_lesson` found no
/// problem (then loading must succeed too), `None` when the text is not a valid lesson.
fn load_valid(text: &str) -> Result<Option<proclab::lesson::Lesson>, TestCaseError> {
    let Ok((parsed, problems)) = parse_lesson("lesson.toml", text) else {
        return Ok(None);
    };
    if !problems.is_empty() {
        return Ok(None);
    }
    let dir = tempfile::tempdir().expect("a temporary folder");
    std::fs::write(dir.path().join("lesson.toml"), text).expect("write lesson.toml");
    for name in [parsed.narrative.get_ref(), parsed.program.get_ref()] {
        std::fs::write(dir.path().join(name), "Some text.\n").expect("write a lesson file");
    }
    match load_folder(dir.path()) {
        Ok(lesson) => Ok(Some(lesson)),
        Err(problems) => Err(TestCaseError::fail(format!(
            "parse_lesson found no problem but load_folder found {problems:?} in {text}"
        ))),
    }
}

#[test]
fn valid_lessons_load_and_plan() {
    let planned = AtomicU64::new(0);
    check(
        "valid_lessons_load_and_plan",
        (cases(640) / 10).max(1),
        (lesson_text(PLANNER_WILDNESS), options()),
        |(text, (options, cores))| {
            let Some(lesson) = load_valid(&text)? else {
                return Ok(());
            };
            planned.fetch_add(1, Ordering::Relaxed);
            for options in [RunOptions::default(), options] {
                if let Ok(plan) = engine::plan(&lesson, &options, cores) {
                    for stage in &plan.stages {
                        prop_assert!(stage.workers <= limits::MAX_WORKERS, "{text}");
                        prop_assert!(stage.chunksize >= 1, "{text}");
                        prop_assert!(stage.tasks.len() as u64 <= limits::MAX_TASKS, "{text}");
                    }
                }
            }
            Ok(())
        },
    );
    eprintln!(
        "valid_lessons_load_and_plan: {} valid lessons loaded and planned",
        planned.load(Ordering::Relaxed)
    );
    assert!(
        planned.load(Ordering::Relaxed) > 0,
        "the generator made no valid lesson"
    );
}

/// Every knob at its smallest, largest and middle value, as `--set` gives them.
fn knob_settings(lesson: &proclab::lesson::Lesson) -> Vec<Vec<(String, f64)>> {
    let mut all = Vec::new();
    for knob in &lesson.knobs {
        for value in [knob.min, knob.max, knob.min / 2.0 + knob.max / 2.0] {
            if value.is_finite() {
                all.push(vec![(knob.name.clone(), value)]);
            }
        }
    }
    all
}

#[test]
#[ignore = "fails: knob ranges are not checked against the limits of the value they set (see plan_join_delay_knob_below_zero)"]
fn valid_lessons_plan_with_every_knob_value() {
    check(
        "valid_lessons_plan_with_every_knob_value",
        (cases(640) / 10).max(1),
        (lesson_text(PLANNER_WILDNESS), options()),
        |(text, (options, cores))| {
            let Some(lesson) = load_valid(&text)? else {
                return Ok(());
            };
            for settings in knob_settings(&lesson) {
                let options = RunOptions {
                    settings,
                    ..options.clone()
                };
                let _ = engine::plan(&lesson, &options, cores);
            }
            Ok(())
        },
    );
}

// ---------------------------------------------------------------------------------------------
// Fixed inputs: edge cases the generators reach only by luck, and bugs found by them.

const BASE: &str = "format_version = 1\nid = \"edge\"\ntitle = \"t\"\nsummary = \"s\"\n\n";

#[test]
fn fixed_edge_cases_never_panic() {
    let deep = 100_000;
    let sources = [
        String::new(),
        "\u{feff}".to_string(),
        "\0".to_string(),
        "\u{feff}format_version = 1".to_string(),
        format!("stage = {}{}", "[".repeat(deep), "]".repeat(deep)),
        format!("x = {}1{}", "{a=".repeat(deep), "}".repeat(deep)),
        format!("[{}]", vec!["a"; 10_000].join(".")),
        format!(
            "{BASE}[[stage]]\nkind = \"pool\"\nworkers = \"cores+4294967295\"\ntasks = [{{ fn = \"square\", n = 1 }}]\n"
        ),
        format!(
            "{BASE}[[stage]]\nkind = \"pool\"\nworkers = 2\nitems = {{ fn = \"square\", from = {}, to = {} }}\n",
            i64::MIN,
            i64::MAX
        ),
        format!(
            "{BASE}[[stage]]\nkind = \"pool\"\nworkers = 2\nitems = {{ fn = \"square\", from = {}, to = {} }}\n",
            i64::MAX,
            i64::MIN
        ),
        format!(
            "{BASE}[[stage]]\nkind = \"pool\"\nworkers = 2\ntasks = [{{ fn = \"square\", n = {} }}]\n",
            i64::MIN
        ),
        format!(
            "{BASE}[[stage]]\nkind = \"pool\"\nworkers = 2\ntasks = [{{ fn = \"sleep\", secs = nan }}, {{ fn = \"sleep\", secs = -inf }}]\n"
        ),
        format!(
            "{BASE}time_limit_s = nan\n[[stage]]\nkind = \"pool\"\ntasks = [{{ fn = \"panic\" }}]\n"
        ),
        format!(
            "{BASE}[[stage]]\nkind = \"processes\"\njoin_delay_s = nan\ntasks = [{{ fn = \"panic\" }}]\n"
        ),
        format!(
            "{BASE}[[stage]]\nkind = \"pool\"\ntasks = [{{ fn = \"exit\", code = {} }}]\n",
            i64::MIN
        ),
        format!("{BASE}[[stage]]\nkind = \"pool\"\ntasks = [{{ fn = \"count\", times = -1 }}]\n"),
        format!(
            "{BASE}[[stage]]\nkind = \"pool\"\ntasks = [{{ fn = \"print\", text = \"{{\", before = \"{{{{}}\", after = \"}}{{\" }}]\n"
        ),
        format!(
            "{BASE}[[stage]]\nkind = \"pool\"\ntasks = [{{ fn = \"panic\" }}]\n[[knob]]\nname = \"workers\"\nstage = -1\nmin = 1\nmax = 2\n"
        ),
        format!(
            "{BASE}[[stage]]\nkind = \"pool\"\ntasks = [{{ fn = \"panic\" }}]\n[[knob]]\nname = \"task..secs\"\nmin = nan\nmax = inf\nstep = -0.0\n"
        ),
        format!(
            "{BASE}[[stage]]\nkind = \"pool\"\ntasks = [{{ fn = \"panic\" }}]\n[[checkpoint]]\nid = \"q\"\nquestion = \"?\"\nanswer_kind = \"number\"\nanswer = \"nan\"\ntolerance = -inf\nexplanation = \"e\"\n"
        ),
        format!(
            "{BASE}{}",
            "[[stage]]\nkind = \"pool\"\ntasks = [{ fn = \"panic\" }]\n".repeat(10_000)
        ),
    ];
    for source in &sources {
        let outcome = std::panic::catch_unwind(|| parse_lesson("edge/lesson.toml", source));
        assert!(
            outcome.is_ok(),
            "parse_lesson panicked on {:?}",
            &source[..source.len().min(300)]
        );
    }
}

/// `validate_knob` accepts a `join_delay_s` knob whose range goes below 0 (or above
/// `MAX_JOIN_DELAY_SECS`), and `engine::plan` then panics in `Duration::from_secs_f64` when the
/// learner picks such a value (`proclab run knobby --set join_delay_s=-3` exits 101 with
/// "cannot convert float seconds to Duration: value is negative").
#[test]
#[ignore = "bug in src: knob ranges are not checked against the value's own limits; plan panics"]
fn plan_join_delay_knob_below_zero() {
    let text = format!(
        "{BASE}[[stage]]\nkind = \"processes\"\ntasks = [{{ label = \"A\", fn = \"sleep\", secs = 1 }}]\n\n[[knob]]\nname = \"join_delay_s\"\nmin = -5\nmax = 1e300\n"
    );
    let (_, problems) = parse_lesson("lesson.toml", &text).expect("parses");
    if !problems.is_empty() {
        return; // the validator now rejects the knob: fixed
    }
    let lesson = load_valid(&text).expect("loads").expect("valid");
    for value in [-3.0, 1e300] {
        let options = RunOptions {
            settings: vec![("join_delay_s".into(), value)],
            ..RunOptions::default()
        };
        let outcome = std::panic::catch_unwind(|| engine::plan(&lesson, &options, 2));
        assert!(outcome.is_ok(), "plan panicked for join_delay_s = {value}");
    }
}

/// The property harness itself: a failing property is reported, not swallowed.
#[test]
fn the_harness_reports_a_failure() {
    let outcome = std::panic::catch_unwind(|| {
        check("always_fails", 5, 0u8..10, |_| {
            Err(TestCaseError::fail("no"))
        });
    });
    assert!(outcome.is_err());
    // And a strategy's values can be drawn by hand (used when debugging a generator).
    let mut runner = TestRunner::deterministic();
    let tree = lesson_text(PLANNER_WILDNESS)
        .new_tree(&mut runner)
        .expect("a value");
    assert!(!tree.current().is_empty());
}
