//! One million concurrent Job Poller executions (5 checks each) on the virtual clock.
//!
//! Prints state transitions per second and heap bytes per in-flight execution, for direct
//! checks and for checks batched through a `PollGroup`.
//!
//! ```text
//! cargo bench -p pollflow --bench million_executions            # 1,000,000 executions
//! cargo bench -p pollflow --bench million_executions -- 10000   # fewer
//! ```

// The only unsafe code in the workspace: a counting global allocator to measure heap use.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::RefCell;
use std::future::ready;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::stream::{FuturesUnordered, StreamExt};
use pollflow::{
    async_trait, Branch, CheckError, Engine, EventKind, JobStatus, PollGroup, Poller, TaskError,
    VirtualClock, WaitPolicy, Workflow,
};
use serde_json::{json, Value};

/// Counts live heap bytes and their peak while `COUNTING` is on (the timed pass runs with it
/// off, so counting does not slow what is timed).
struct Counting;

static COUNTING: AtomicBool = AtomicBool::new(false);
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if COUNTING.load(Ordering::Relaxed) {
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        }
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// A simulated batch service: job `i` succeeds on its fifth check.
#[derive(Default)]
struct Service {
    checks: RefCell<Vec<u8>>,
}

const CHECKS_PER_JOB: u8 = 5;
/// Timed passes per variant; the median is reported.
const PASSES: usize = 3;

impl Service {
    fn look(&self, handle: &Value) -> Result<JobStatus, CheckError> {
        let id = handle.as_u64().unwrap_or_default() as usize;
        let mut checks = self.checks.borrow_mut();
        checks[id] += 1;
        Ok(if checks[id] >= CHECKS_PER_JOB {
            JobStatus::succeeded(Value::Null)
        } else {
            JobStatus::pending("RUNNING")
        })
    }
}

#[async_trait(?Send)]
impl Poller for Service {
    async fn submit(&self, _input: &Value) -> Result<Value, TaskError> {
        let mut checks = self.checks.borrow_mut();
        checks.push(0);
        Ok(json!(checks.len() - 1))
    }
    async fn check(&self, handle: &Value) -> Result<JobStatus, CheckError> {
        self.look(handle)
    }
    async fn check_many(&self, handles: &[Value]) -> Vec<Result<JobStatus, CheckError>> {
        handles.iter().map(|h| self.look(h)).collect()
    }
}

struct Measured {
    transitions: u64,
    seconds: f64,
    /// Peak heap growth during the run; only measured on a counting pass.
    peak_bytes: usize,
    virtual_secs: u64,
}

fn run(executions: usize, batched: bool, count_memory: bool) -> Measured {
    let workflow = Workflow::builder("Job Poller")
        .submit("Submit Job")
        .wait("Wait X Seconds", WaitPolicy::fixed(Duration::from_secs(60)))
        .check("Get Job Status")
        .branch("Job Complete?", Branch::new())
        .build()
        .expect("valid workflow");
    let clock = VirtualClock::new();
    let service = Service {
        checks: RefCell::new(Vec::with_capacity(executions)),
    };
    let engine = if batched {
        Engine::new(workflow, PollGroup::new(service, 100), clock.clone())
    } else {
        Engine::new(workflow, service, clock.clone())
    };
    let input = Arc::new(json!({
        "jobName": "my-job",
        "jobDefinition": "SampleJobDefinition-343f54b445d5312",
        "jobQueue": "SampleJobQueue-4d9d696031e1449",
        "wait_time": 60
    }));

    LIVE.store(0, Ordering::Relaxed);
    PEAK.store(0, Ordering::Relaxed);
    COUNTING.store(count_memory, Ordering::Relaxed);
    let started = Instant::now();
    let runs: FuturesUnordered<_> = (0..executions)
        .map(|_| {
            engine.start_shared(input.clone()).fold(0u64, |n, event| {
                ready(n + u64::from(matches!(event.kind, EventKind::StateEntered { .. })))
            })
        })
        .collect();
    let transitions: u64 = clock.block_on(runs.fold(0, |sum, n| ready(sum + n)));
    let seconds = started.elapsed().as_secs_f64();
    COUNTING.store(false, Ordering::Relaxed);
    Measured {
        transitions,
        seconds,
        peak_bytes: PEAK.load(Ordering::Relaxed),
        virtual_secs: pollflow::Clock::now(&clock).as_secs(),
    }
}

fn main() {
    let executions: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.replace('_', "").parse().ok())
        .unwrap_or(1_000_000);
    println!("Job Poller, {executions} concurrent executions, {CHECKS_PER_JOB} checks each, virtual clock, one thread");
    println!("(transitions/s: median of {PASSES} timed passes; heap: a separate counting pass)");
    for (label, batched) in [("direct checks", false), ("PollGroup(100)", true)] {
        let mut timed: Vec<Measured> = (0..PASSES)
            .map(|_| run(executions, batched, false))
            .collect();
        timed.sort_by(|a, b| a.seconds.total_cmp(&b.seconds));
        let median = &timed[PASSES / 2];
        let counted = run(executions, batched, true);
        assert_eq!(median.transitions, counted.transitions);
        println!(
            "{label:>15}: {} transitions in {:.2} s = {:.0} transitions/s (passes: {}); peak heap {:.0} bytes per in-flight execution; {} virtual s",
            median.transitions,
            median.seconds,
            median.transitions as f64 / median.seconds,
            timed.iter().map(|m| format!("{:.2} s", m.seconds)).collect::<Vec<_>>().join(", "),
            counted.peak_bytes as f64 / executions as f64,
            median.virtual_secs,
        );
    }
}
