//! `--input JSON | --input-file PATH`: an execution's input (`pollflow run`, `pollflow start`).

use std::io::Read;
use std::path::PathBuf;

use clap::Args;
use serde_json::Value;

/// Where an execution's input comes from.
#[derive(Debug, Args)]
pub(crate) struct InputArgs {
    /// The execution's input, as JSON text; `-` reads it from standard input.
    #[arg(long, value_name = "JSON", group = "input_source")]
    input: Option<String>,

    /// The execution's input, from a JSON file; `-` is standard input.
    #[arg(long, value_name = "PATH", group = "input_source")]
    input_file: Option<PathBuf>,
}

impl InputArgs {
    /// The execution's input: `{}` unless `--input` or `--input-file` gives one.
    pub(crate) fn value(&self) -> Result<Value, String> {
        let (flag, text) = match (&self.input, &self.input_file) {
            (Some(text), _) if text == "-" => ("--input", stdin()?),
            (Some(text), _) => ("--input", text.clone()),
            (None, Some(path)) if path.as_os_str() == "-" => ("--input-file", stdin()?),
            (None, Some(path)) => (
                "--input-file",
                std::fs::read_to_string(path)
                    .map_err(|e| format!("cannot read {}: {e}", path.display()))?,
            ),
            (None, None) => return Ok(Value::Object(Default::default())),
        };
        serde_json::from_str(&text).map_err(|e| format!("{flag}: not JSON: {e}"))
    }
}

fn stdin() -> Result<String, String> {
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .map_err(|e| format!("cannot read standard input: {e}"))?;
    Ok(text)
}
