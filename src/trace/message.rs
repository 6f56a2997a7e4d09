//! The messages instrumented Python processes send (one JSON object a line; see the trace
//! wire protocol in `python/_proclab_trace.py`).

use serde::Deserialize;

use crate::event::Stream;

/// One message, with the fields every message has.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Message {
    /// The sender's PID.
    pub pid: u32,
    /// The sender's `time.monotonic()`: `CLOCK_MONOTONIC`, in seconds.
    pub t: f64,
    /// What it says.
    #[serde(flatten)]
    pub kind: Kind,
}

/// What a message says.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "k", rename_all = "snake_case")]
pub enum Kind {
    /// First message of a connection.
    Hello {
        /// The sender's parent.
        ppid: u32,
        /// `multiprocessing.current_process().name`.
        #[serde(default)]
        name: String,
    },
    /// A parent started a `multiprocessing` process.
    ProcessStarted {
        /// Its PID.
        child: u32,
    },
    /// A parent learned a child's exit code.
    ProcessExited {
        /// The child's PID.
        child: u32,
        /// multiprocessing's exitcode: `>= 0` an exit status, `< 0` minus a signal number.
        code: i32,
    },
    /// A multiprocessing child is about to exit with this code.
    Exiting {
        /// Its exit code.
        code: i32,
    },
    /// A pool or executor API was called (what the program asked for; its items are numbered
    /// by [`Kind::Queued`]).
    Call {
        /// The call's id, unique in the run.
        call: String,
        /// Which API (`Pool.map`, `Executor.submit`…).
        #[serde(default)]
        api: String,
        /// Items, when known.
        #[serde(default)]
        n: Option<u64>,
        /// The chunksize in force, when the API has one.
        #[serde(default)]
        chunksize: Option<u64>,
        /// The pool's or executor's worker count.
        #[serde(default)]
        workers: Option<u32>,
    },
    /// The caller is about to queue items `first .. first + count` of a call, in this order
    /// relative to every other call's items.
    Queued {
        /// The call.
        call: String,
        /// 0-based index of the first item within the call.
        first: u64,
        /// How many items.
        count: u64,
        /// How many of them (the first ones) their worker will report; the rest run without
        /// detail (past the task limit).
        followed: u64,
    },
    /// A worker's report on consecutive items of a call: see [`Items`].
    Items(Items),
    /// Bytes the process wrote to fd 1 or 2.
    Output {
        /// Which stream.
        stream: Stream,
        /// The bytes, decoded.
        text: String,
    },
}

/// A worker's report on items `first`, `first + 1`, … of one call: each item in `labels`
/// finished (the first `results.len()` returned, the next raised `error`, if any), except a last
/// one past those, which started at the last time and still runs.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Items {
    /// The call.
    pub call: String,
    /// Index of the first item within the call.
    pub first: u64,
    /// One label per item.
    pub labels: Vec<String>,
    /// `repr` of each returned item's result (`None`: its repr failed).
    pub results: Vec<Option<String>>,
    /// `ExcType: message` of the item after the returned ones, which raised.
    #[serde(default)]
    pub error: Option<String>,
    /// `CLOCK_MONOTONIC` ns: the start of the first item, then the end of each finished one.
    pub times: Vec<u64>,
    /// CPU ns the worker's thread used from the first time to the last.
    #[serde(default)]
    pub cpu: Option<u64>,
}

impl Items {
    /// How many of the items finished.
    pub fn finished(&self) -> usize {
        self.results.len() + usize::from(self.error.is_some())
    }

    /// Whether the counts agree: a time per finished item plus one, a label per finished item
    /// and at most one running, times never going back.
    fn is_consistent(&self) -> bool {
        let finished = self.finished();
        let running = self.labels.len().checked_sub(finished);
        self.times.len() == finished + 1
            && matches!(running, Some(0 | 1))
            && self.times.windows(2).all(|pair| pair[0] <= pair[1])
    }
}

/// An `items` message (the instrumentation sends its kind first), read straight into its
/// fields: the tagged form buffers a whole message before reading it, which costs more than
/// everything else proclab does with a report of many items.
#[derive(Deserialize)]
struct ItemsMessage {
    pid: u32,
    t: f64,
    call: String,
    first: u64,
    labels: Vec<String>,
    results: Vec<Option<String>>,
    #[serde(default)]
    error: Option<String>,
    times: Vec<u64>,
    #[serde(default)]
    cpu: Option<u64>,
}

impl From<ItemsMessage> for Message {
    fn from(m: ItemsMessage) -> Message {
        let items = Items {
            call: m.call,
            first: m.first,
            labels: m.labels,
            results: m.results,
            error: m.error,
            times: m.times,
            cpu: m.cpu,
        };
        Message {
            pid: m.pid,
            t: m.t,
            kind: Kind::Items(items),
        }
    }
}

impl Message {
    /// Parses one line; `None` if it is not a message of the protocol.
    pub fn parse(line: &str) -> Option<Message> {
        let message = match line.starts_with(r#"{"k":"items","#) {
            true => serde_json::from_str::<ItemsMessage>(line).ok()?.into(),
            false => serde_json::from_str::<Message>(line).ok()?,
        };
        let consistent = match &message.kind {
            Kind::Items(items) => items.is_consistent(),
            _ => true,
        };
        (message.t.is_finite() && consistent).then_some(message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_protocols_kinds_and_ignores_extra_fields() {
        let hello = Message::parse(
            r#"{"k":"hello","pid":5,"t":1.5,"ppid":4,"name":"MainProcess","python":"3.11.7","executable":"/x"}"#,
        )
        .unwrap();
        assert_eq!(hello.pid, 5);
        assert_eq!(
            hello.kind,
            Kind::Hello {
                ppid: 4,
                name: "MainProcess".into()
            }
        );
        let items = Message::parse(
            r#"{"k":"items","pid":6,"t":2.0,"call":"5.1","first":3,"labels":["A","B"],"results":["1"],"error":null,"times":[10,20],"cpu":5}"#,
        )
        .unwrap();
        let Kind::Items(items) = items.kind else {
            panic!("an items message")
        };
        assert_eq!(
            (items.first, items.finished(), items.times.len()),
            (3, 1, 2)
        );
        let queued = Message::parse(
            r#"{"k":"queued","pid":6,"t":2.0,"call":"5.1","first":0,"count":4,"followed":3}"#,
        )
        .unwrap();
        assert!(matches!(queued.kind, Kind::Queued { count: 4, .. }));
        let output =
            Message::parse(r#"{"k":"output","pid":6,"t":2.0,"stream":"stderr","text":"a\nb"}"#)
                .unwrap();
        assert!(matches!(
            output.kind,
            Kind::Output {
                stream: Stream::Stderr,
                ..
            }
        ));
    }

    #[test]
    fn rejects_malformed_lines() {
        assert_eq!(Message::parse("not json"), None);
        assert_eq!(Message::parse(r#"{"k":"nope","pid":1,"t":0}"#), None);
        assert_eq!(Message::parse(r#"{"k":"exiting","pid":1,"t":0}"#), None);
        assert_eq!(
            Message::parse(r#"{"k":"hello","pid":-1,"t":0,"ppid":1}"#),
            None
        );
        // Items whose counts disagree: a time missing, two running, times going back.
        for bad in [
            r#""labels":["A"],"results":["1"],"times":[10]"#,
            r#""labels":["A","B","C"],"results":["1"],"times":[10,20]"#,
            r#""labels":["A"],"results":["1"],"times":[20,10]"#,
        ] {
            let line = format!(r#"{{"k":"items","pid":1,"t":0,"call":"c","first":0,{bad}}}"#);
            assert_eq!(Message::parse(&line), None, "{bad}");
        }
    }
}
