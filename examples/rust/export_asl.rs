//! Exports builder workflows as Amazon States Language, for AWS Step Functions.
//!
//! `cargo run --example export_asl -- DIR` writes one `<name>.asl.json` per workflow into DIR
//! (the test script checks them with the npm `asl-validator`); without DIR it prints the first.

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use pollflow::asl::{to_asl, ExportOptions, JobTasks};
use pollflow::workflow::{Arm, Choice};
use pollflow::{WaitPolicy, Workflow};

/// Exports builder workflows as Amazon States Language, for AWS Step Functions.
#[derive(Debug, Parser)]
#[command(name = "export_asl", version)]
struct Args {
    /// Write one `<name>.asl.json` per workflow into DIR (default: print the first one)
    dir: Option<PathBuf>,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let topic = "arn:aws:sns:us-east-1:123456789012:jobs";
    let functions = ExportOptions {
        jobs: JobTasks::Functions {
            submit: "arn:aws:lambda:us-east-1:123456789012:function:SubmitJob".into(),
            check: "arn:aws:lambda:us-east-1:123456789012:function:CheckJob".into(),
        },
        topic_arn: topic.into(),
    };
    let batch_sync = pollflow_batch::batch_sync_export(topic);
    let workflows = [
        Workflow::builder("job-poller")
            .submit("Submit Job")
            .wait("Wait X Seconds", WaitPolicy::fixed(Duration::from_secs(60)))
            .check("Get Job Status")
            .branch("Job Complete?", Choice::new())
            .build()?,
        Workflow::builder("manage-batch-job")
            .submit("Submit Batch Job")
            .wait("Wait", WaitPolicy::fixed(Duration::from_secs(30)))
            .check("Get Job Status")
            .branch(
                "Job Complete?",
                Choice::new()
                    .on_succeeded(
                        Arm::notify("Notify Success", "Batch job succeeded").then_succeed("Done"),
                    )
                    .on_failed(
                        Arm::notify("Notify Failure", "Batch job failed")
                            .then_fail("Job Failed", "States.TaskFailed"),
                    ),
            )
            .build()?,
        Workflow::builder("with-catch")
            .submit("Submit")
            .wait("Wait", WaitPolicy::fixed(Duration::from_secs(5)))
            .check("Check")
            .branch(
                "Done?",
                Choice::new().on_error(
                    Arm::notify("Notify Error", "could not submit or check")
                        .then_fail("Gave Up", "Job.Error"),
                ),
            )
            .build()?,
    ];
    // Each with Lambda functions, and again with Step Functions' Batch `.sync` integration.
    let exports = workflows.iter().flat_map(|workflow| {
        [
            (workflow, &functions, ""),
            (workflow, &batch_sync, "-batch-sync"),
        ]
    });
    for (workflow, options, suffix) in exports {
        let asl = serde_json::to_string_pretty(&to_asl(workflow.graph(), options)?)?;
        match &args.dir {
            Some(dir) => std::fs::write(
                dir.join(format!("{}{suffix}.asl.json", workflow.graph().name)),
                asl,
            )?,
            None => {
                println!("{asl}");
                return Ok(());
            }
        }
    }
    Ok(())
}
