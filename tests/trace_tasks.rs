//! `proclab trace` on Python pools and executors, against ground truth: every item returns the
//! PID of the process that ran it, and the events must agree with what the program received
//! (task numbers, PIDs, results, completion order), for every pool and executor API, several
//! calls in flight at once, on every start method.

mod common;

use std::collections::HashMap;
use std::process::Command;

use common::of_kind;
use common::tracing::{have_python, pythons, trace_json};
use serde_json::Value;

/// The PID a task's result names: `1234`, or `[item, 1234]`.
fn pid_in(result: &str) -> u64 {
    let last = result
        .trim_end_matches(']')
        .rsplit([' ', '['])
        .next()
        .unwrap();
    last.parse()
        .unwrap_or_else(|_| panic!("a PID in the result {result:?}"))
}

/// The JSON object the traced program printed last.
fn printed_json(events: &[Value]) -> Value {
    let line = of_kind(events, "output")
        .into_iter()
        .filter_map(|e| e["text"].as_str())
        .rfind(|text| text.starts_with('{'))
        .expect("the program printed its results");
    serde_json::from_str(line).unwrap()
}

fn pids(list: &Value) -> Vec<u64> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|pid| pid.as_u64().unwrap())
        .collect()
}

#[test]
fn every_task_is_numbered_in_call_order_and_names_the_process_that_ran_it() {
    if !have_python("every_task_is_numbered_in_call_order_and_names_the_process_that_ran_it") {
        return;
    }
    // Every CPython 3.9+ here, side by side (each one's start methods one after the other).
    let runs: Vec<_> = pythons()
        .into_iter()
        .map(|(version, python)| {
            std::thread::spawn(move || {
                for method in ["fork", "forkserver", "spawn"] {
                    who_ran_it(&version, python.to_str().unwrap(), method);
                }
            })
        })
        .collect();
    for run in runs {
        run.join().unwrap();
    }
}

/// Traces who_ran_it.py with `python` and `method`, and checks every task against what the
/// program received.
fn who_ran_it(version: &str, python: &str, method: &str) {
    let method_name = format!("{version} {method}");
    let method = method_name.as_str();
    {
        let program = "tests/fixtures/trace/who_ran_it.py";
        let start_method = method.rsplit(' ').next().unwrap();
        let events = trace_json(&["--", python, program, start_method], None, 0);
        let got = printed_json(&events);
        // Task numbers follow the program's calls: the pool's calls, then its generator's
        // items (queued after all of those had finished), then the executor's, then its
        // generator's.
        let flat = |calls: &Value| -> Vec<u64> {
            calls.as_array().unwrap().iter().flat_map(pids).collect()
        };
        let pool = flat(&got["pool"]);
        let executor = flat(&got["executor"]);
        let pool_generator = pids(&got["pool_generator"]);
        let executor_generator = pids(&got["executor_generator"]);
        let mut by_task: HashMap<u64, (u64, String)> = HashMap::new();
        for event in of_kind(&events, "task_finished") {
            let task = event["task"].as_u64().unwrap();
            let pid = event["pid"].as_u64().unwrap();
            let result = event["result"].as_str().unwrap().to_string();
            assert_eq!(pid_in(&result), pid, "{method}: task {task} names its PID");
            assert!(
                by_task.insert(task, (pid, result)).is_none(),
                "{method}: once"
            );
        }
        let total = pool.len() + pool_generator.len() + executor.len() + executor_generator.len();
        assert_eq!(by_task.len(), total, "{method}: every item is a task");
        let pid_of = |task: usize| by_task[&(task as u64)].0;
        let mut at = 0;
        let mut take = |n: usize| {
            let range = at..at + n;
            at += n;
            range.map(pid_of).collect::<Vec<u64>>()
        };
        assert_eq!(take(pool.len()), pool, "{method}: the pool's tasks");
        let mut generator = take(pool_generator.len());
        generator.sort();
        assert_eq!(generator, pool_generator, "{method}: the pool's generator");
        assert_eq!(take(executor.len()), executor, "{method}: the executor's");
        let mut generator = take(executor_generator.len());
        generator.sort();
        assert_eq!(generator, executor_generator, "{method}: its generator");

        // The run's summary says the same: each task's result, and the order they finished in.
        let finished = &of_kind(&events, "run_finished")[0];
        let results = finished["results"].as_array().unwrap();
        for (task, result) in results.iter().enumerate() {
            assert_eq!(result.as_str(), Some(by_task[&(task as u64)].1.as_str()));
        }
        // Workers report in batches: the order is that of the times the tasks finished.
        let mut by_end: Vec<(f64, u64)> = of_kind(&events, "task_finished")
            .iter()
            .map(|e| (e["t_ms"].as_f64().unwrap(), e["task"].as_u64().unwrap()))
            .collect();
        by_end.sort_by(|a, b| a.0.total_cmp(&b.0));
        let in_time: Vec<u64> = by_end.into_iter().map(|(_, task)| task).collect();
        let completion: Vec<u64> = finished["completion_order"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_u64().unwrap())
            .collect();
        assert_eq!(completion, in_time, "{method}: completion order");
        // A worker runs one task at a time: its tasks finish in the order they started.
        let mut last_end: HashMap<u64, f64> = HashMap::new();
        for event in of_kind(&events, "task_finished") {
            let pid = event["pid"].as_u64().unwrap();
            let end = event["t_ms"].as_f64().unwrap();
            let before = last_end.insert(pid, end).unwrap_or(0.0);
            assert!(before <= end, "{method}: {event} after {before} ms");
        }
    }
}

/// A `pool_call` event's API, items, chunksize and workers.
type Call = (String, Option<u64>, Option<u64>, Option<u64>);

#[test]
fn a_traced_call_keeps_its_chunksize_and_worker_count() {
    if !have_python("a_traced_call_keeps_its_chunksize_and_worker_count") {
        return;
    }
    let program = "tests/fixtures/trace/who_ran_it.py";
    let events = trace_json(&["--", "python3", program, "fork"], None, 0);
    let calls: Vec<Call> = of_kind(&events, "pool_call")
        .iter()
        .map(|e| {
            (
                e["api"].as_str().unwrap().to_string(),
                e["tasks"].as_u64(),
                e["chunksize"].as_u64(),
                e["workers"].as_u64(),
            )
        })
        .collect();
    let call =
        |api: &str, tasks, chunksize, workers| (api.to_string(), tasks, chunksize, Some(workers));
    let mut want = vec![call("Pool.apply_async", Some(1), None, 3); 5];
    want.push(call("Pool.map_async", Some(9), Some(2), 3));
    want.extend(vec![call("Pool.apply_async", Some(1), None, 3); 3]);
    want.extend([
        call("Pool.imap", Some(6), Some(1), 3),
        call("Pool.imap", Some(7), Some(3), 3),
        call("Pool.imap_unordered", Some(4), Some(1), 3),
        call("Pool.starmap_async", Some(3), Some(1), 3),
        call("Pool.map", Some(4), Some(1), 3),
        call("Pool.starmap", Some(2), Some(1), 3),
        call("Pool.apply", Some(1), None, 3),
        call("Pool.imap", None, Some(1), 3),
    ]);
    want.extend(vec![call("Executor.submit", Some(1), None, 2); 3]);
    want.extend([
        call("Executor.map", Some(5), Some(2), 2),
        call("Executor.map", Some(3), Some(1), 2),
        call("Executor.map", None, Some(1), 2),
    ]);
    assert_eq!(calls, want);
}

#[test]
fn many_tiny_tasks_are_followed_to_the_limit_and_the_rest_counted() {
    if !have_python("many_tiny_tasks_are_followed_to_the_limit_and_the_rest_counted") {
        return;
    }
    let program = "from multiprocessing import Pool\n\
                   def same(n):\n    return n\n\
                   if __name__ == '__main__':\n\
                   \x20   with Pool(2) as pool:\n\
                   \x20       print(sum(pool.map(same, range(250000))))\n";
    let events = trace_json(&["--", "python3", "-c", program], None, 0);
    let limit = proclab::limits::MAX_TASKS as usize;
    assert_eq!(of_kind(&events, "task_started").len(), limit);
    assert_eq!(of_kind(&events, "task_finished").len(), limit);
    let finished = &of_kind(&events, "run_finished")[0];
    assert_eq!(finished["results"].as_array().unwrap().len(), limit);
    assert_eq!(finished["results"][199_999].as_str(), Some("199999"));
    let notices: Vec<&str> = of_kind(&events, "notice")
        .iter()
        .filter_map(|e| e["text"].as_str())
        .collect();
    assert!(
        notices.contains(&"50000 tasks past the first 200000 were not followed"),
        "{notices:?}"
    );
    let sum = (0..250_000u64).sum::<u64>().to_string();
    let printed = of_kind(&events, "output")
        .iter()
        .any(|e| e["text"].as_str() == Some(sum.as_str()));
    assert!(printed, "the program's own result is unchanged");
}

/// Whether python3 can import joblib (installed by `.ci/run`); prints why a test is skipped.
fn have_joblib(test: &str) -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import joblib"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("note: {test} skipped: joblib is not installed for python3");
    }
    ok
}

#[test]
fn joblib_tasks_show_with_either_backend_labelled_by_their_items() {
    if !have_python("joblib") || !have_joblib("joblib_tasks_show_with_either_backend") {
        return;
    }
    let program = "import os, sys\n\
                   from joblib import Parallel, delayed\n\
                   def whose(n):\n    return os.getpid()\n\
                   if __name__ == '__main__':\n\
                   \x20   print(Parallel(n_jobs=2, backend=sys.argv[1])(delayed(whose)(n) for n in range(12)))\n";
    for backend in ["loky", "multiprocessing"] {
        let events = trace_json(&["--", "python3", "-c", program, backend], None, 0);
        let finished = of_kind(&events, "task_finished");
        assert!(!finished.is_empty(), "{backend}: tasks are traced");
        let mut items = 0;
        for event in finished {
            let label = event["label"].as_str().unwrap();
            // A batch of calls is labelled by its items' arguments: "0" or "4,5".
            let numbers: Vec<u64> = label.split(',').map(|n| n.parse().unwrap()).collect();
            items += numbers.len();
            let result = event["result"].as_str().unwrap();
            assert!(
                result.contains(&event["pid"].as_u64().unwrap().to_string()),
                "{backend}: {event}"
            );
        }
        assert_eq!(items, 12, "{backend}: every call is in one batch's label");
    }
}
