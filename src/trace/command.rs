//! What the typed command is: whether it is CPython (and lets the instrumentation load), and
//! how to show it on one line.

use std::ffi::OsString;

/// What the command is, for the instrumentation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PythonMode {
    /// Not a Python interpreter: process-level detail.
    NotPython,
    /// Python, instrumented through `PYTHONPATH`.
    Instrumented,
    /// Python started with a flag that keeps `sitecustomize` from loading (the flag).
    Blocked(String),
}

/// Whether the command (as typed, possibly through `env`) is CPython, and whether its flags let
/// the instrumentation load.
pub fn python_mode(args: &[OsString]) -> PythonMode {
    let Some(name) = args
        .first()
        .and_then(|a| std::path::Path::new(a).file_name())
        .and_then(|n| n.to_str())
    else {
        return PythonMode::NotPython;
    };
    let version = name.strip_prefix("python3").or(name.strip_prefix("python"));
    let is_python = match version {
        Some("") => true,
        Some(rest) => rest
            .strip_prefix('.')
            .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit())),
        None => false,
    };
    if name == "env" {
        // `env [-i] [NAME=VALUE]… python3 …`: the program is the first other word.
        let program = args
            .iter()
            .skip(1)
            .position(|a| {
                let a = a.to_string_lossy();
                !a.starts_with('-') && !a.contains('=')
            })
            .map(|at| at + 1);
        return program.map_or(PythonMode::NotPython, |at| python_mode(&args[at..]));
    }
    if !is_python || name.starts_with("python2") {
        return PythonMode::NotPython;
    }
    let mut rest = args.iter().skip(1);
    while let Some(arg) = rest.next().and_then(|a| a.to_str()) {
        if arg == "-" || arg == "--" || !arg.starts_with('-') || arg.starts_with("--") {
            if arg.starts_with("--") && arg != "--" {
                continue;
            }
            break;
        }
        for (at, flag) in arg.char_indices().skip(1) {
            match flag {
                'I' | 'S' | 'E' => return PythonMode::Blocked(format!("-{flag}")),
                'c' | 'm' => return PythonMode::Instrumented,
                'W' | 'X' => {
                    if at + 1 == arg.len() {
                        rest.next();
                    }
                    break;
                }
                _ => {}
            }
        }
    }
    PythonMode::Instrumented
}

/// `text` cut to at most `max` characters (an ellipsis marks a cut).
pub fn cut(text: &str, max: usize) -> String {
    cut_owned(text.to_string(), max)
}

/// [`cut`] of a `String` that is kept as it is (no copy) when short enough.
pub fn cut_owned(mut text: String, max: usize) -> String {
    if text.len() > max
        && let Some((at, _)) = text.char_indices().nth(max)
    {
        text.truncate(at);
        text.push('…');
    }
    text
}

/// The command as a shell would show it, cut to a reasonable length.
pub fn command_line(command: &[OsString]) -> String {
    let words: Vec<String> = command
        .iter()
        .map(|word| {
            let word = word.to_string_lossy();
            let plain = !word.is_empty()
                && word
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c));
            if plain {
                word.into_owned()
            } else if word.chars().any(char::is_control) {
                // ANSI-C quoting keeps the line on one line.
                let escaped: String = word
                    .chars()
                    .map(|c| match c {
                        '\n' => "\\n".to_string(),
                        '\t' => "\\t".to_string(),
                        '\\' => "\\\\".to_string(),
                        '\'' => "\\'".to_string(),
                        c if c.is_control() => format!("\\x{:02x}", c as u32),
                        c => c.to_string(),
                    })
                    .collect();
                format!("$'{escaped}'")
            } else {
                format!("'{}'", word.replace('\'', r"'\''"))
            }
        })
        .collect();
    cut(&words.join(" "), 200)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(args: &[&str]) -> PythonMode {
        let args: Vec<OsString> = args.iter().map(OsString::from).collect();
        python_mode(&args)
    }

    #[test]
    fn recognizes_python_and_the_flags_that_block_instrumentation() {
        assert_eq!(mode(&["python3", "p.py"]), PythonMode::Instrumented);
        assert_eq!(
            mode(&["/usr/bin/python3.12", "-u", "p.py"]),
            PythonMode::Instrumented
        );
        assert_eq!(mode(&["python", "-c", "x"]), PythonMode::Instrumented);
        assert_eq!(
            mode(&["python3", "-uI", "p.py"]),
            PythonMode::Blocked("-I".into())
        );
        assert_eq!(
            mode(&["python3", "-X", "dev", "-S", "p.py"]),
            PythonMode::Blocked("-S".into())
        );
        assert_eq!(mode(&["python3", "p.py", "-I"]), PythonMode::Instrumented);
        assert_eq!(mode(&["python3", "-c", "-I"]), PythonMode::Instrumented);
        assert_eq!(mode(&["python2", "p.py"]), PythonMode::NotPython);
        assert_eq!(mode(&["pythonista"]), PythonMode::NotPython);
        assert_eq!(mode(&["sh", "-c", "python3"]), PythonMode::NotPython);
        assert_eq!(
            mode(&["env", "A=1", "python3", "p.py"]),
            PythonMode::Instrumented
        );
        assert_eq!(
            mode(&["/usr/bin/env", "-i", "python3", "-I"]),
            PythonMode::Blocked("-I".into())
        );
        assert_eq!(mode(&["env", "A=1"]), PythonMode::NotPython);
    }

    #[test]
    fn quotes_the_command_line_like_a_shell() {
        let command: Vec<OsString> = ["sh", "-c", "sleep 1 & wait", "it's"]
            .iter()
            .map(OsString::from)
            .collect();
        assert_eq!(
            command_line(&command),
            r#"sh -c 'sleep 1 & wait' 'it'\''s'"#
        );
        let lines: Vec<OsString> = ["python3", "-c", "import os\nprint('x')"]
            .iter()
            .map(OsString::from)
            .collect();
        assert_eq!(
            command_line(&lines),
            r#"python3 -c $'import os\nprint(\'x\')'"#
        );
    }
}
