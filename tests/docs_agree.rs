//! The README and `config.example.toml` say what the program does: every key action and every
//! command-line flag they name exists, and every one the program has is named there.

use std::collections::BTreeSet;

use clap::CommandFactory;
use cryptoviz::app::keymap::ACTIONS;
use cryptoviz::cli::Cli;

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap()
}

fn actions() -> BTreeSet<String> {
    ACTIONS.iter().map(|a| a.name.to_string()).collect()
}

/// Words of `[a-z0-9_]` in `text`.
fn words(text: &str) -> BTreeSet<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

#[test]
fn config_example_lists_every_key_action_and_no_other() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config.example.toml"))
        .unwrap();
    let start = text.find("Actions:").expect("the actions list");
    let end = start + text[start..].find('.').expect("ends with a full stop");
    let listed = words(&text[start + "Actions:".len()..end]);
    let comment_words: BTreeSet<String> = listed
        .iter()
        .filter(|w| w.contains('_') || actions().contains(*w))
        .cloned()
        .collect();
    assert_eq!(comment_words, actions());
}

#[test]
fn readme_key_table_names_every_key_action_and_no_other() {
    let text = readme();
    let table = text
        .split("| keys | action | config name |\n")
        .nth(1)
        .and_then(|t| t.split("\n\n").next())
        .expect("the keys table");
    let names: BTreeSet<String> = table
        .lines()
        .filter(|l| l.starts_with("| "))
        .filter_map(|l| l.trim_end_matches('|').rsplit('|').next())
        .flat_map(|cell| {
            cell.split('`')
                .skip(1)
                .step_by(2)
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(names, actions());
}

/// The flags of each line of the README's command-line block, by command (`""` is the
/// dashboard, `GLOBAL` the global ones).
fn readme_flags() -> Vec<(String, BTreeSet<String>)> {
    let text = readme();
    let block = text
        .split("## Command line\n\n```\n")
        .nth(1)
        .and_then(|t| t.split("```").next())
        .expect("the command-line block");
    let mut out: Vec<(String, BTreeSet<String>)> = Vec::new();
    for line in block.lines() {
        let (cmd, rest) = if let Some(rest) = line.strip_prefix("GLOBAL:") {
            ("GLOBAL".to_string(), rest)
        } else if let Some(rest) = line.strip_prefix("cryptoviz [GLOBAL] ") {
            let first = rest.split_whitespace().next().unwrap_or("");
            if first.starts_with('[') {
                (String::new(), rest)
            } else {
                (first.to_string(), rest)
            }
        } else {
            let Some(last) = out.pop() else { continue };
            let cmd = last.0.clone();
            out.push(last);
            (cmd, line)
        };
        let flags = rest
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            .filter(|w| w.starts_with("--") && w.len() > 2)
            .map(str::to_string);
        match out.iter_mut().find(|(c, _)| *c == cmd) {
            Some((_, set)) => set.extend(flags),
            None => out.push((cmd, flags.collect())),
        }
    }
    out
}

/// Every long flag of a command and of its subcommands (the command is not built, so the
/// top level's globals are not among them yet).
fn own_flags(cmd: &clap::Command) -> BTreeSet<String> {
    let mut flags: BTreeSet<String> = cmd
        .get_arguments()
        .filter_map(|a| a.get_long().map(|l| format!("--{l}")))
        .collect();
    for sub in cmd.get_subcommands() {
        flags.extend(own_flags(sub));
    }
    flags
}

#[test]
fn readme_command_line_names_every_flag_and_no_other() {
    let cli = Cli::command();
    let documented = readme_flags();
    let get = |name: &str| -> BTreeSet<String> {
        documented
            .iter()
            .find(|(c, _)| c == name)
            .map(|(_, f)| f.clone())
            .unwrap_or_else(|| panic!("no README line for {name:?}"))
    };
    let globals: BTreeSet<String> = cli
        .get_arguments()
        .filter(|a| a.is_global_set() && a.get_long() != Some("demo"))
        .filter_map(|a| a.get_long().map(|l| format!("--{l}")))
        .chain(["--help".to_string(), "--version".to_string()])
        .collect();
    assert_eq!(get("GLOBAL"), globals, "GLOBAL");
    let dashboard: BTreeSet<String> = cli
        .get_arguments()
        .filter(|a| !a.is_global_set() || a.get_long() == Some("demo"))
        .filter_map(|a| a.get_long().map(|l| format!("--{l}")))
        .collect();
    assert_eq!(get(""), dashboard, "the dashboard");
    for sub in cli.get_subcommands() {
        let name = sub.get_name();
        assert_eq!(get(name), own_flags(sub), "{name}");
    }
    assert_eq!(
        documented.len(),
        2 + cli.get_subcommands().count(),
        "{documented:?}"
    );
}

/// `--help` has words for every flag of every command.
#[test]
fn every_flag_has_help() {
    fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
        for a in cmd.get_arguments() {
            if a.get_help().is_none() && a.get_id() != "help" && a.get_id() != "version" {
                missing.push(format!("{path} {}", a.get_id()));
            }
        }
        for sub in cmd.get_subcommands() {
            walk(sub, &format!("{path} {}", sub.get_name()), missing);
        }
    }
    let mut missing = Vec::new();
    walk(&Cli::command(), "cryptoviz", &mut missing);
    assert!(missing.is_empty(), "no help for {missing:?}");
}
