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
    /// A pool or executor API was called.
    Call {
        /// The call's id, unique in the run.
        call: String,
        /// Items, when known.
        #[serde(default)]
        n: Option<u64>,
    },
    /// A worker began one item of a call.
    TaskStarted {
        /// The call.
        call: String,
        /// 0-based item index within the call.
        index: u64,
        /// Short text for the item.
        #[serde(default)]
        label: String,
    },
    /// A worker finished one item.
    TaskFinished {
        /// The call.
        call: String,
        /// 0-based item index within the call.
        index: u64,
        /// `repr` of the result.
        #[serde(default)]
        result: Option<String>,
        /// `ExcType: message` if the function raised.
        #[serde(default)]
        error: Option<String>,
    },
    /// Bytes the process wrote to fd 1 or 2.
    Output {
        /// Which stream.
        stream: Stream,
        /// The bytes, decoded.
        text: String,
    },
}

impl Message {
    /// Parses one line; `None` if it is not a message of the protocol.
    pub fn parse(line: &str) -> Option<Message> {
        let message: Message = serde_json::from_str(line).ok()?;
        message.t.is_finite().then_some(message)
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
        let started = Message::parse(
            r#"{"k":"task_started","pid":6,"t":2.0,"call":"5.1","index":3,"label":"A"}"#,
        )
        .unwrap();
        assert!(matches!(started.kind, Kind::TaskStarted { index: 3, .. }));
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
    }
}
