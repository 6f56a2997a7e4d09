//! How much memory a run record holds per task: a run of 1,000,000 tasks (five stages of the
//! most items a stage may hold) must cost at most 32 bytes a task (issue 12). The bytes are
//! counted by an allocator that tracks, per thread, what is allocated and not yet freed, so
//! tests running beside this one do not count.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use proclab::event::{Event, RunResult, RunSource, StageKind};
use proclab::limits;
use proclab::protocol::report::TaskValue;
use proclab::record::RunRecord;
use serde_json::Value;

/// The system allocator, counting this thread's live bytes.
struct Counting;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
}

// SAFETY: every call is passed on to the system allocator unchanged; the counter is a plain
// thread-local cell that never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.with(|live| live.set(live.get() + layout.size() as isize));
        // SAFETY: the caller's layout is passed on as it is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.with(|live| live.set(live.get() - layout.size() as isize));
        // SAFETY: `ptr` came from `alloc` above with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn live_bytes() -> isize {
    LIVE.with(Cell::get)
}

const STAGES: usize = 5;
const TASKS: usize = 1_000_000;

/// Pushes a whole run into `record`: five pool stages of two workers, every task started and
/// finished (labels and results as a `square` stage makes them), then `run_finished` with
/// every result.
fn push_a_million_task_run(record: &mut RunRecord) {
    let per_stage = TASKS / STAGES;
    assert_eq!(per_stage as u64, limits::MAX_TASKS);
    record.push(Event::RunStarted {
        t_ms: 0.0,
        lesson: "big".into(),
        source: RunSource::Lesson,
        parent_pid: 1,
        cores: 2,
        workers: 2,
        speed: 1.0,
        stages: STAGES,
        version: "0.1.0".into(),
    });
    let mut t_ms = 0.0;
    for stage in 0..STAGES {
        record.push(Event::StageStarted {
            t_ms,
            stage,
            name: format!("stage {stage}"),
            kind: StageKind::Pool,
            workers: 2,
            chunksize: Some(1),
            tasks: per_stage,
            sweep_workers: None,
            sweep_part: None,
        });
        for worker in [2 * stage, 2 * stage + 1] {
            record.push(Event::Spawned {
                t_ms,
                worker,
                pid: 100 + worker as u32,
                ppid: 1,
                stage,
                tid: None,
                spawn_us: 500.0,
                pinned: None,
                adopted: false,
            });
        }
        for item in 0..per_stage {
            let task = stage * per_stage + item;
            let (worker, n) = (2 * stage + item % 2, item as u64 + 1);
            let pid = 100 + worker as u32;
            record.push(Event::TaskStarted {
                t_ms,
                task,
                label: n.to_string(),
                worker,
                pid,
                cpu: Some(0),
            });
            t_ms += 0.001;
            record.push(Event::TaskFinished {
                t_ms,
                task,
                label: n.to_string(),
                worker,
                pid,
                cpu: Some(1),
                result: Value::from(n * n),
                cpu_ms: 0.0005,
            });
        }
        record.push(Event::StageFinished {
            t_ms,
            stage,
            wall_ms: 1.0,
        });
    }
    record.push(Event::RunFinished {
        t_ms,
        completion_order: (0..TASKS).collect(),
        results: (0..TASKS as u64)
            .map(|n| RunResult::Task(TaskValue::Int(n as i64)))
            .collect(),
        result_order: (0..TASKS).collect(),
        lost: vec![],
        stopped: false,
    });
}

#[test]
fn a_run_of_a_million_tasks_costs_at_most_32_bytes_a_task() {
    let before = live_bytes();
    let mut record = RunRecord::without_events();
    push_a_million_task_run(&mut record);
    let held = live_bytes() - before + std::mem::size_of_val(&record) as isize;
    assert_eq!(record.tasks.len(), TASKS);
    let last = record.tasks.get(TASKS - 1).unwrap();
    assert_eq!(&*last.label(), (TASKS / STAGES).to_string());
    assert!(last.end_ms.unwrap() > last.start_ms.unwrap());
    assert_eq!(record.results_total, TASKS);
    let bytes = held as f64 / TASKS as f64;
    assert!(bytes <= 32.0, "{TASKS} tasks hold {bytes:.1} bytes a task");
    eprintln!("a run record holds {bytes:.1} bytes a task");
}

#[test]
fn a_record_that_keeps_events_holds_at_most_their_budget_more() {
    let before = live_bytes();
    let mut record = RunRecord::new();
    push_a_million_task_run(&mut record);
    let held = live_bytes() - before + std::mem::size_of_val(&record) as isize;
    let kept = record.events.len() as u64;
    assert_eq!(kept + record.events_dropped, record.events_total);
    assert!(kept > 100_000, "only {kept} events kept");
    let over_budget = held - limits::MAX_KEPT_EVENT_BYTES as isize;
    let bytes = over_budget as f64 / TASKS as f64;
    assert!(
        bytes <= 32.0,
        "{TASKS} tasks hold {bytes:.1} bytes a task besides the events"
    );
    eprintln!(
        "a record keeping {kept} events holds {:.1} MB",
        held as f64 / 1e6
    );
}
