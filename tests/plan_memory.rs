//! How much memory a plan holds per task: a stage of 1,000,000 items must cost at most 32 bytes
//! a task (issue 12), whatever the stage's kind. The bytes are counted by an allocator that
//! tracks, per thread, what is allocated and not yet freed, so tests running beside this one
//! do not count. `cargo test --test plan_memory -- --nocapture` prints the figures.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::path::Path;

use proclab::engine::plan::{NumberFn, StageTasks};
use proclab::engine::{self, RunOptions};
use proclab::lesson::load::load_folder;

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

/// Tasks measured: five stages of the most items a stage may hold.
const ITEMS: usize = 1_000_000;
const STAGES: usize = 5;

fn write_lesson(dir: &Path, stages: &str) {
    let toml = format!(
        "format_version = 1\nid = \"big\"\ntitle = \"Big\"\nsummary = \"Big.\"\n\n{stages}"
    );
    std::fs::write(dir.join("lesson.toml"), toml).unwrap();
    std::fs::write(dir.join("narrative.md"), "# Big\n").unwrap();
    std::fs::write(dir.join("program.py"), "print(1)\n").unwrap();
}

/// Bytes held per task by the plan of a lesson of five stages of `kind`, each with the most
/// items a stage may hold.
fn plan_bytes_per_task(kind: &str) -> f64 {
    let per_stage = ITEMS / STAGES;
    assert_eq!(per_stage as u64, proclab::limits::MAX_TASKS);
    let stage = format!(
        "[[stage]]\nkind = \"{kind}\"\nitems = {{ fn = \"square\", from = 1, to = {per_stage}, after = \"{{n}} -> {{result}}\" }}\n\n"
    );
    let dir = tempfile::tempdir().unwrap();
    write_lesson(dir.path(), &stage.repeat(STAGES));
    let lesson = load_folder(dir.path()).expect("the lesson is valid");
    let before = live_bytes();
    let plan = engine::plan(&lesson, &RunOptions::default(), 2).unwrap();
    let held = live_bytes() - before;
    assert_eq!(plan.task_count(), ITEMS);
    let last = plan.task(ITEMS - 1).unwrap();
    assert_eq!(last.label, per_stage.to_string());
    assert_eq!(last.after.unwrap(), format!("{per_stage} -> {{result}}"));
    held as f64 / ITEMS as f64
}

#[test]
fn a_plan_of_a_million_items_costs_at_most_32_bytes_a_task() {
    for kind in ["pool", "serial"] {
        let bytes = plan_bytes_per_task(kind);
        println!(
            "{STAGES} {kind} stages of {} items: {bytes:.4} bytes a task",
            ITEMS / STAGES
        );
        assert!(
            bytes <= 32.0,
            "{STAGES} {kind} stages, {ITEMS} items in all, hold {bytes:.1} bytes a task"
        );
    }
}

#[test]
fn a_stage_of_a_million_items_costs_at_most_32_bytes_a_task() {
    let before = live_bytes();
    let tasks = StageTasks::numbers(0, NumberFn::Cube, 1, ITEMS as i64, Some("{n}".into()));
    let held = live_bytes() - before + std::mem::size_of_val(&tasks) as isize;
    assert_eq!(tasks.len(), ITEMS);
    let bytes = held as f64 / ITEMS as f64;
    println!("one stage of {ITEMS} items: {bytes:.4} bytes a task");
    assert!(bytes <= 32.0, "{bytes:.1} bytes a task");
}
