//! Colours and emphasis. Named ANSI colours by default so 16-colour terminals look right;
//! `#rrggbb` works where the user asks for it; with `NO_COLOR` every style is colourless and
//! meaning is carried by marks (▲ ▼ ●) and bold instead.

use ratatui::style::{Color, Modifier, Style};

use crate::config::UiConfig;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Theme {
    /// False under `NO_COLOR`.
    pub color: bool,
    pub up_color: Color,
    pub down_color: Color,
    pub palette: Palette,
}

/// The colours that are not the candles' (`[ui] theme`): all named ANSI colours, so both
/// palettes look right on 16-colour terminals.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Palette {
    pub accent: Color,
    pub dim: Color,
    pub primary: Color,
    pub secondary: Color,
    pub band: Color,
    pub good: Color,
    pub warning: Color,
    pub critical: Color,
    /// Text on the highlighted last-price label.
    pub on_label: Color,
}

impl Palette {
    /// For dark backgrounds (the default).
    pub const DARK: Palette = Palette {
        accent: Color::Cyan,
        dim: Color::DarkGray,
        primary: Color::Yellow,
        secondary: Color::Magenta,
        band: Color::Blue,
        good: Color::Green,
        warning: Color::Yellow,
        critical: Color::Red,
        on_label: Color::Black,
    };
    /// For light backgrounds: no yellow or cyan text, which white backgrounds wash out.
    pub const LIGHT: Palette = Palette {
        accent: Color::Blue,
        dim: Color::Gray,
        primary: Color::Magenta,
        secondary: Color::Blue,
        band: Color::DarkGray,
        good: Color::Green,
        warning: Color::Magenta,
        critical: Color::Red,
        on_label: Color::White,
    };

    pub fn by_name(name: &str) -> Option<Palette> {
        match name {
            "dark" => Some(Palette::DARK),
            "light" => Some(Palette::LIGHT),
            _ => None,
        }
    }
}

/// A bad colour in the config; `key` is `ui.up_color` or `ui.down_color`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{key}: {value:?} is not a colour (use a name like \"green\" or \"#rrggbb\"; themes: \"dark\", \"light\")"
)]
pub struct ThemeError {
    pub key: &'static str,
    pub value: String,
}

/// How fresh a piece of data is against its thresholds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Good,
    Warning,
    Critical,
}

impl Default for Theme {
    fn default() -> Self {
        Theme::new(Color::Green, Color::Red, true)
    }
}

impl Theme {
    pub fn new(up_color: Color, down_color: Color, color: bool) -> Theme {
        Theme {
            color,
            up_color,
            down_color,
            palette: Palette::DARK,
        }
    }

    pub fn from_config(ui: &UiConfig, no_color: bool) -> Result<Theme, ThemeError> {
        let parse = |key: &'static str, value: &str| {
            value.parse::<Color>().map_err(|_| ThemeError {
                key,
                value: value.to_string(),
            })
        };
        let palette = Palette::by_name(&ui.theme).ok_or_else(|| ThemeError {
            key: "ui.theme",
            value: ui.theme.clone(),
        })?;
        Ok(Theme {
            palette,
            ..Theme::new(
                parse("ui.up_color", &ui.up_color)?,
                parse("ui.down_color", &ui.down_color)?,
                !no_color,
            )
        })
    }

    /// Whether colours are drawn (false under `NO_COLOR`).
    pub fn has_color(&self) -> bool {
        self.color
    }

    /// `NO_COLOR` set to anything non-empty (no-color.org).
    pub fn no_color_from_env() -> bool {
        std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
    }

    fn fg(&self, c: Color) -> Style {
        if self.color {
            Style::new().fg(c)
        } else {
            Style::new()
        }
    }

    /// Rising (up) or falling candles, volume and changes. Without colour, rising is bold.
    pub fn direction(&self, up: bool) -> Style {
        match (self.color, up) {
            (true, true) => Style::new().fg(self.up_color),
            (true, false) => Style::new().fg(self.down_color),
            (false, true) => Style::new().add_modifier(Modifier::BOLD),
            (false, false) => Style::new(),
        }
    }

    pub fn text(&self) -> Style {
        Style::new()
    }

    pub fn dim(&self) -> Style {
        if self.color {
            Style::new().fg(self.palette.dim)
        } else {
            Style::new().add_modifier(Modifier::DIM)
        }
    }

    pub fn title(&self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }

    pub fn accent(&self) -> Style {
        self.fg(self.palette.accent)
    }

    pub fn border(&self, focused: bool) -> Style {
        match (focused, self.color) {
            (true, true) => Style::new().fg(self.palette.accent),
            (true, false) => Style::new().add_modifier(Modifier::BOLD),
            (false, _) => self.dim(),
        }
    }

    pub fn selected(&self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }

    pub fn level(&self, l: Level) -> Style {
        match l {
            Level::Good => self.fg(self.palette.good),
            Level::Warning => self.fg(self.palette.warning).add_modifier(Modifier::BOLD),
            Level::Critical => self.fg(self.palette.critical).add_modifier(Modifier::BOLD),
        }
    }

    pub fn log_level(&self, l: tracing::Level) -> Style {
        match l {
            tracing::Level::ERROR => self.level(Level::Critical),
            tracing::Level::WARN => self.level(Level::Warning),
            tracing::Level::INFO => self.fg(self.palette.accent),
            _ => self.dim(),
        }
    }

    /// Sentiment of a headline: green positive, red negative, plain neutral.
    pub fn sentiment(&self, label: crate::news::sentiment::Label) -> Style {
        use crate::news::sentiment::Label;
        match label {
            Label::Positive => self.direction(true),
            Label::Negative => self.direction(false),
            Label::Neutral => self.text(),
        }
    }

    pub fn series(&self, which: SeriesColor) -> Style {
        match which {
            SeriesColor::Primary => self.fg(self.palette.primary),
            SeriesColor::Secondary => self.fg(self.palette.secondary),
            SeriesColor::Band => self.fg(self.palette.band),
            SeriesColor::Guide => self.dim(),
        }
    }

    /// The highlighted last-price label on the axis.
    pub fn last_price(&self, up: bool) -> Style {
        if self.color {
            Style::new().fg(self.palette.on_label).bg(if up {
                self.up_color
            } else {
                self.down_color
            })
        } else {
            Style::new().add_modifier(Modifier::REVERSED)
        }
    }
}

/// Line colours of indicator panes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeriesColor {
    Primary,
    Secondary,
    Band,
    Guide,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_and_hex_and_names_the_bad_key() {
        let mut ui = UiConfig {
            up_color: "#00ff00".into(),
            down_color: "lightred".into(),
            ..Default::default()
        };
        let t = Theme::from_config(&ui, false).unwrap();
        assert_eq!(t.up_color, Color::Rgb(0, 255, 0));
        assert_eq!(t.down_color, Color::LightRed);
        ui.down_color = "blurple".into();
        let e = Theme::from_config(&ui, false).unwrap_err();
        assert!(
            e.to_string().starts_with("ui.down_color: \"blurple\""),
            "{e}"
        );
    }

    #[test]
    fn no_color_styles_have_no_colours() {
        let t = Theme::new(Color::Green, Color::Red, false);
        for s in [
            t.direction(true),
            t.direction(false),
            t.dim(),
            t.accent(),
            t.border(true),
            t.level(Level::Critical),
            t.last_price(true),
            t.series(SeriesColor::Band),
        ] {
            assert_eq!((s.fg, s.bg), (None, None), "{s:?}");
        }
    }
}
