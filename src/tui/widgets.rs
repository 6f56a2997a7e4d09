//! Pure rendering: one widget per panel, each drawn from a borrowed part of the model into a
//! buffer, and the pure layout functions that say where each panel goes (the update logic
//! hit-tests mouse clicks against the same ones).

pub mod answer_dialog;
pub mod big_pids;
pub mod big_text;
pub mod cores;
pub mod distribution;
pub mod header;
pub mod help;
pub mod highlight;
pub mod key_bar;
pub mod knob_panel;
pub mod layout;
pub mod lesson_list;
pub mod markdown;
pub mod narrative;
pub mod notes_panel;
pub mod notes_window;
pub mod order;
pub mod output;
pub mod problems;
pub mod processes;
pub mod program;
pub mod projector;
pub mod run_panel;
pub mod speedup;
pub mod timeline;
pub mod too_small;
