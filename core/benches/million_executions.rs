//! One million concurrent Job Poller executions (5 checks each) on the virtual clock.
//!
//! Prints state transitions per second and heap bytes per in-flight execution, for direct
//! checks and for checks batched through a `PollGroup`, on one thread; then the direct
//! variant with one `Engine` shared by the workers of a multi-threaded tokio runtime (1 and 2
//! workers; 64 tasks, each starting its share of the runs on its worker with its own copy of
//! the input, time moved on by `VirtualClock::track`), and beside it the ceiling of 2 workers
//! on the machine: two threads that share nothing, each running half.
//!
//! ```text
//! cargo bench -p pollflow --bench million_executions            # 1,000,000 executions
//! cargo bench -p pollflow --bench million_executions -- 10000   # fewer
//! ```

// The only unsafe code in the workspace: a counting global allocator to measure heap use.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::future::{ready, Future};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::stream::{FuturesUnordered, StreamExt};
use pollflow::workflow::Choice;
use pollflow::{
    async_trait, CheckError, Engine, EventKind, JobStatus, PollGroup, Poller, Run, TaskError,
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

/// A simulated batch service: a job succeeds on its fifth check, one wait (60 s) apart. It
/// keeps no state per job (the handle is the submit time, compared with the clock's), so runs
/// on different threads share nothing through it.
struct Service {
    clock: VirtualClock,
}

const CHECKS_PER_JOB: u64 = 5;
const WAIT_SECS: u64 = 60;
/// Timed passes per variant; the median is reported.
const PASSES: usize = 3;
/// Rounds of the thread comparison: each round times every variant once, in turn.
const ROUNDS: usize = 5;

impl Service {
    fn new(clock: &VirtualClock) -> Self {
        Self {
            clock: clock.clone(),
        }
    }

    fn look(&self, handle: &Value) -> Result<JobStatus, CheckError> {
        let submitted = handle.as_u64().unwrap_or_default();
        let now = pollflow::Clock::now(&self.clock).as_secs();
        Ok(if now - submitted >= CHECKS_PER_JOB * WAIT_SECS {
            JobStatus::succeeded(Value::Null)
        } else {
            JobStatus::pending("RUNNING")
        })
    }
}

#[async_trait]
impl Poller for Service {
    async fn submit(&self, _input: &Value) -> Result<Value, TaskError> {
        Ok(json!(pollflow::Clock::now(&self.clock).as_secs()))
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
    /// Process CPU time (user + system) during the pass: how many cores it actually had.
    cpu_seconds: f64,
    /// Peak heap growth during the run; only measured on a counting pass.
    peak_bytes: usize,
    virtual_secs: u64,
}

fn workflow() -> Workflow {
    Workflow::builder("Job Poller")
        .submit("Submit Job")
        .wait(
            "Wait X Seconds",
            WaitPolicy::fixed(Duration::from_secs(WAIT_SECS)),
        )
        .check("Get Job Status")
        .branch("Job Complete?", Choice::new())
        .build()
        .expect("valid workflow")
}

fn input() -> Arc<Value> {
    Arc::new(json!({
        "jobName": "my-job",
        "jobDefinition": "SampleJobDefinition-343f54b445d5312",
        "jobQueue": "SampleJobQueue-4d9d696031e1449",
        "wait_time": 60
    }))
}

/// CPU time of this process so far (Linux: `/proc/self/stat`, in clock ticks of 10 ms; 0
/// elsewhere).
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the command name (which ends with the last ')'): utime and stime are the
    // 12th and 13th.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

/// A run's `StateEntered` events: Step Functions' state transitions.
fn transitions(run: Run) -> impl Future<Output = u64> {
    run.fold(0u64, |n, event| {
        ready(n + u64::from(matches!(event.kind, EventKind::StateEntered { .. })))
    })
}

fn run(executions: usize, batched: bool, count_memory: bool) -> Measured {
    let workflow = workflow();
    let clock = VirtualClock::new();
    let service = Service::new(&clock);
    let engine = if batched {
        Engine::new(workflow, PollGroup::new(service, 100), clock.clone())
    } else {
        Engine::new(workflow, service, clock.clone())
    };
    let input = input();

    LIVE.store(0, Ordering::Relaxed);
    PEAK.store(0, Ordering::Relaxed);
    COUNTING.store(count_memory, Ordering::Relaxed);
    let cpu = cpu_seconds();
    let started = Instant::now();
    let runs: FuturesUnordered<_> = (0..executions)
        .map(|_| transitions(engine.start_shared(input.clone())))
        .collect();
    let transitions: u64 = clock.block_on(runs.fold(0, |sum, n| ready(sum + n)));
    let seconds = started.elapsed().as_secs_f64();
    let cpu_seconds = cpu_seconds() - cpu;
    COUNTING.store(false, Ordering::Relaxed);
    Measured {
        transitions,
        seconds,
        cpu_seconds,
        peak_bytes: PEAK.load(Ordering::Relaxed),
        virtual_secs: pollflow::Clock::now(&clock).as_secs(),
    }
}

/// Tasks the runs are spread over on the multi-threaded runtime (each a `FuturesUnordered`).
const TASKS: usize = 64;

/// The direct variant on a multi-threaded tokio runtime: one engine shared by `workers`
/// threads, the runs in [`TASKS`] spawned tasks; virtual time moves when all of them wait.
fn run_threads(executions: usize, workers: usize) -> Measured {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .build()
        .expect("a tokio runtime");
    let clock = VirtualClock::new();
    let engine = Engine::new(workflow(), Service::new(&clock), clock.clone());
    let input = input();
    let cpu = cpu_seconds();
    let started = Instant::now();
    let transitions: u64 = runtime.block_on(async {
        // Tracked before any is spawned: time stays put until every task waits.
        let tasks: Vec<_> = (0..TASKS)
            .map(|task| {
                let share = executions / TASKS + usize::from(task < executions % TASKS);
                let engine = engine.clone();
                // Each task its own copy of the input, as requests to a service bring their
                // own: runs on two cores sharing one `Arc` pass its count back and forth at
                // every event.
                let input = Arc::new(Value::clone(&input));
                // Started on the worker that polls the task first, as a handler would.
                clock.track(async move {
                    let runs: FuturesUnordered<_> = (0..share)
                        .map(|_| transitions(engine.start_shared(input.clone())))
                        .collect();
                    runs.fold(0u64, |sum, n| ready(sum + n)).await
                })
            })
            .collect();
        let handles: Vec<_> = tasks.into_iter().map(tokio::spawn).collect();
        let mut sum = 0;
        for handle in handles {
            sum += handle.await.expect("no task panics");
        }
        sum
    });
    let seconds = started.elapsed().as_secs_f64();
    Measured {
        transitions,
        seconds,
        cpu_seconds: cpu_seconds() - cpu,
        peak_bytes: 0,
        virtual_secs: pollflow::Clock::now(&clock).as_secs(),
    }
}

/// The ceiling of the 2-worker variant on this machine: two threads that share nothing, each
/// with its own engine, clock and service running half the executions as [`run`] does.
fn run_apart(executions: usize) -> Measured {
    let cpu = cpu_seconds();
    let started = Instant::now();
    let halves: Vec<Measured> = std::thread::scope(|scope| {
        let threads: Vec<_> = [executions / 2, executions - executions / 2]
            .map(|share| scope.spawn(move || run(share, false, false)))
            .into_iter()
            .collect();
        threads
            .into_iter()
            .map(|thread| thread.join().expect("no thread panics"))
            .collect()
    });
    Measured {
        transitions: halves.iter().map(|half| half.transitions).sum(),
        seconds: started.elapsed().as_secs_f64(),
        cpu_seconds: cpu_seconds() - cpu,
        peak_bytes: 0,
        virtual_secs: halves
            .iter()
            .map(|half| half.virtual_secs)
            .max()
            .unwrap_or(0),
    }
}

/// How the direct variant's runs are spread over threads.
enum Variant {
    /// All on this thread ([`run`]).
    OneThread,
    /// One engine shared by the workers of a multi-threaded runtime ([`run_threads`]).
    Workers(usize),
    /// Two threads sharing nothing ([`run_apart`]).
    Apart,
}

fn median(mut timed: Vec<Measured>) -> (Measured, String) {
    timed.sort_by(|a, b| a.seconds.total_cmp(&b.seconds));
    let passes = timed
        .iter()
        .map(|m| format!("{:.2} s", m.seconds))
        .collect::<Vec<_>>()
        .join(", ");
    (timed.swap_remove(timed.len() / 2), passes)
}

fn main() {
    let executions: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.replace('_', "").parse().ok())
        .unwrap_or(1_000_000);
    println!("Job Poller, {executions} concurrent executions, {CHECKS_PER_JOB} checks each, virtual clock, one thread");
    println!("(transitions/s: median of {PASSES} timed passes; heap: a separate counting pass)");
    for (label, batched) in [("direct checks", false), ("PollGroup(100)", true)] {
        let (median, passes) = median(
            (0..PASSES)
                .map(|_| run(executions, batched, false))
                .collect(),
        );
        let counted = run(executions, batched, true);
        assert_eq!(median.transitions, counted.transitions);
        println!(
            "{label:>15}: {} transitions in {:.2} s = {:.0} transitions/s (passes: {passes}); peak heap {:.0} bytes per in-flight execution; {} virtual s",
            median.transitions,
            median.seconds,
            median.transitions as f64 / median.seconds,
            counted.peak_bytes as f64 / executions as f64,
            median.virtual_secs,
        );
    }
    println!("Direct checks, one engine: on this thread, then shared by the workers of a multi-threaded tokio runtime ({TASKS} tasks); {ROUNDS} rounds, variants alternating.");
    println!("'2 apart' is the ceiling for 2 workers here: two threads sharing nothing, each with its own engine and half the runs.");
    // Alternating rounds, so that a noisy moment hits every variant; a variant's speed-up is
    // the median over rounds of its pass against the one-thread pass of the same round, which
    // a host whose speed drifts between rounds disturbs less than a ratio of medians.
    let variants: [(&str, Variant); 4] = [
        ("one thread", Variant::OneThread),
        ("1 worker", Variant::Workers(1)),
        ("2 workers", Variant::Workers(2)),
        ("2 apart", Variant::Apart),
    ];
    let mut timed: [Vec<Measured>; 4] = Default::default();
    for _ in 0..ROUNDS {
        for ((_, variant), timed) in variants.iter().zip(&mut timed) {
            timed.push(match variant {
                Variant::OneThread => run(executions, false, false),
                Variant::Workers(workers) => run_threads(executions, *workers),
                Variant::Apart => run_apart(executions),
            });
        }
    }
    let single: Vec<f64> = timed[0].iter().map(|m| m.seconds).collect();
    for ((label, _), timed) in variants.iter().zip(timed) {
        let mut speedups: Vec<f64> = single
            .iter()
            .zip(&timed)
            .map(|(single, m)| single / m.seconds)
            .collect();
        speedups.sort_by(f64::total_cmp);
        let per_round = speedups
            .iter()
            .map(|x| format!("{x:.2}"))
            .collect::<Vec<_>>()
            .join(", ");
        let speedup = speedups[speedups.len() / 2];
        assert!(timed
            .iter()
            .all(|m| m.transitions == 17 * executions as u64));
        let (median, passes) = median(timed);
        println!(
            "{label:>15}: {} transitions in {:.2} s = {:.0} transitions/s (passes: {passes}); {speedup:.2}x one thread (rounds, sorted: {per_round}); {:.2} cores busy, {:.0} transitions per CPU-second; {} virtual s",
            median.transitions,
            median.seconds,
            median.transitions as f64 / median.seconds,
            median.cpu_seconds / median.seconds,
            median.transitions as f64 / median.cpu_seconds,
            median.virtual_secs,
        );
    }
}
