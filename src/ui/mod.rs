//! Rendering: ratatui widgets for every panel.
