//! The Amazon States Language front end, above the graph: load a Step Functions definition
//! into a [`StateMachine`](crate::graph::StateMachine) ([`from_asl`], [`Workflow::from_asl`](crate::Workflow::from_asl)) and
//! export a graph as ASL ([`to_asl`]). The expression language the graph's states use
//! (paths, templates, intrinsic functions) is [`crate::expr`].

mod export;
mod load;
mod workflow;

pub use export::{to_asl, ExportOptions, JobTasks};
pub use load::from_asl;
