//! `proclab completions` and `proclab man`: scripts and pages that name every subcommand.

mod common;

use common::*;

/// Every subcommand users can type, read from the CLI definition itself.
fn subcommands() -> Vec<String> {
    use clap::CommandFactory;
    proclab::cli::Cli::command()
        .get_subcommands()
        .filter(|command| !command.is_hide_set())
        .map(|command| command.get_name().to_string())
        .collect()
}

#[test]
fn completions_name_the_subcommands_in_every_shell() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let output = proclab(&["completions", shell]);
        assert!(output.status.success(), "{shell}");
        let script = String::from_utf8(output.stdout).unwrap();
        for name in ["run", "check", "export", "new"] {
            assert!(script.contains(name), "{shell} script lacks {name}");
        }
    }
    let bash = String::from_utf8(proclab(&["completions", "bash"]).stdout).unwrap();
    assert!(bash.contains("complete -F _proclab"), "{bash}");
    assert!(bash.contains("--svg") && bash.contains("--lessons"));
    let bad = proclab(&["completions", "tcsh"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("possible values"));
}

#[test]
fn the_man_page_has_a_title_and_every_subcommand() {
    let output = proclab(&["man"]);
    assert!(output.status.success());
    let page = String::from_utf8(output.stdout).unwrap();
    assert!(page.contains(".TH proclab 1"), "{page}");
    for name in subcommands() {
        assert!(
            page.contains(&format!("proclab\\-{name}(1)")),
            "man lacks {name}"
        );
    }
}

#[test]
fn man_dir_writes_one_page_per_subcommand() {
    let dir = tempfile::tempdir().unwrap();
    let pages = dir.path().join("man1");
    let output = proclab(&["man", "--dir", pages.to_str().unwrap()]);
    assert!(output.status.success(), "{output:?}");
    let mut names: Vec<String> = std::fs::read_dir(&pages)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    let mut expected: Vec<String> = subcommands()
        .iter()
        .map(|name| format!("proclab-{name}.1"))
        .chain(["proclab.1".to_string()])
        .collect();
    expected.sort();
    assert_eq!(names, expected);
    let export = std::fs::read_to_string(pages.join("proclab-export.1")).unwrap();
    assert!(
        export.contains(".TH proclab-export 1") && export.contains("\\-\\-svg"),
        "{export}"
    );
}
