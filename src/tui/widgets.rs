//! Pure rendering: one widget per panel, each drawn from a borrowed part of the model into a
//! buffer, and the pure layout functions that say where each panel goes (the update logic
//! hit-tests mouse clicks against the same ones).

pub(crate) mod answer_dialog;
pub(crate) mod big_pids;
pub(crate) mod big_text;
pub mod cores;
pub mod distribution;
pub(crate) mod exercise_list;
pub(crate) mod exercise_page;
pub(crate) mod header;
pub(crate) mod help;
pub(crate) mod highlight;
pub(crate) mod key_bar;
pub(crate) mod knob_panel;
pub mod layout;
pub(crate) mod lesson_list;
pub(crate) mod markdown;
pub(crate) mod narrative;
pub(crate) mod notes_panel;
pub(crate) mod notes_window;
pub mod order;
pub mod output;
pub(crate) mod problems;
pub mod processes;
pub(crate) mod program;
pub(crate) mod projector;
pub(crate) mod run_panel;
pub(crate) mod scrollbar;
pub(crate) mod speedup;
pub mod stages;
pub(crate) mod text;
pub mod timeline;
pub(crate) mod too_small;
