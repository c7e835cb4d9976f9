//! Why a graph is not a valid workflow: every problem, with its state and JSON path.

use std::fmt;

/// One thing wrong with a workflow definition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The state concerned, if any.
    pub state: Option<String>,
    /// Where in the definition, as a JSON path (`$.states[2].next`).
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.state {
            Some(state) => write!(f, "state {state:?} at {}: {}", self.path, self.message),
            None => write!(f, "at {}: {}", self.path, self.message),
        }
    }
}

/// A workflow definition that cannot run, with every problem found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuildError {
    /// Each problem, in definition order.
    pub problems: Vec<Problem>,
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid workflow ({} problem", self.problems.len())?;
        if self.problems.len() != 1 {
            f.write_str("s")?;
        }
        f.write_str(")")?;
        for p in &self.problems {
            write!(f, "\n  - {p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for BuildError {}
