//! A real HTTP service on pollflow: axum on tokio's multi-threaded runtime, one `Engine` in
//! the router's state, runs spawned with `tokio::spawn`, the embedded local Batch behind it.
//! See `jobs.rs` for the API.
//!
//! ```text
//! cargo run -p pollflow-batch --example http_service            # listens on 127.0.0.1:3000
//! cargo run -p pollflow-batch --example http_service -- 8080    # another port
//!
//! curl -si localhost:3000/jobs -H 'content-type: application/json' \
//!      -d '{"jobName": "report", "jobQueue": "SampleJobQueue-4d9d696031e1449",
//!           "jobDefinition": "SampleJobDefinition-343f54b445d5312"}'   # 202, Location: /jobs/1
//! curl -si localhost:3000/jobs/1                # 202 + Retry-After while it runs, then 200
//! curl -si -X DELETE localhost:3000/jobs/1      # aborts it: the job is terminated
//! ```

mod jobs;

use std::time::Duration;

use pollflow_batch::samples::sample_config;
use pollflow_batch::LocalBatch;

#[tokio::main]
async fn main() {
    let port = match std::env::args().nth(1).map(|p| p.parse::<u16>()) {
        None => 3000,
        Some(Ok(port)) => port,
        Some(Err(_)) => {
            eprintln!("usage: http_service [PORT]");
            std::process::exit(2);
        }
    };
    // The Step Functions samples' queues and job definitions (a job prints a line a second
    // for 3 seconds, or `parameters.seconds`).
    let batch = LocalBatch::from_config(sample_config());
    let app = jobs::router(batch, Duration::from_secs(1));
    let listener = match tokio::net::TcpListener::bind(("127.0.0.1", port)).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("error: cannot listen on 127.0.0.1:{port}: {e}");
            std::process::exit(1);
        }
    };
    eprintln!("listening on http://127.0.0.1:{port} (POST /jobs, GET and DELETE /jobs/{{id}})");
    if let Err(e) = axum::serve(listener, app).await {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
