//! A worker that floods its output: proclab stays bounded in memory and still counts every
//! line. (Its own file: the memory figure is this test process's children's peak.)

mod common;

use common::*;

#[test]
fn a_hundred_megabytes_of_output_keeps_memory_bounded() {
    let output = proclab(&["--lessons", "tests/lessons", "run", "flood"]);
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout);
    // 1,000,000 lines of 100 bytes, plus the 10 MB line without a newline.
    assert!(
        text.contains("(1000001 lines in all; the first 995001 are not kept"),
        "{}",
        &text[..text.len().min(3000)]
    );
    assert!(
        text.contains("printed lines longer than 4096 bytes; 9995904 bytes past that were cut")
    );
    // Peak resident memory of proclab (and its workers), in KiB.
    let usage =
        nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_CHILDREN).unwrap();
    let peak_mib = usage.max_rss() / 1024;
    assert!(
        peak_mib < 100,
        "proclab peaked at {peak_mib} MiB while 110 MB went through it"
    );
    println!("peak memory while flooding 110 MB: {peak_mib} MiB");
}
