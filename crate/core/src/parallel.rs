//! Splitting the forward pass's large loops across threads: in the worker's threads build
//! (`threads` feature, a rayon pool of Web Workers), and only while running inside a pool;
//! one thread otherwise. Every split writes disjoint outputs and leaves each sum's order
//! alone, so the numbers are the same, bit for bit, on any count of threads.

/// Products smaller than this many multiply-adds stay on one thread: waking another
/// thread costs tens of microseconds in a browser, about 100 000 multiply-adds.
pub const MIN_SPLIT_WORK: usize = 1 << 17;

/// Runs `left` and `right`, at the same time when this thread belongs to a pool.
pub fn join<A, B>(left: impl FnOnce() -> A + Send, right: impl FnOnce() -> B + Send) -> (A, B)
where
    A: Send,
    B: Send,
{
    #[cfg(feature = "threads")]
    if rayon::current_thread_index().is_some() {
        return rayon::join(|| awake::working(left), || awake::working(right));
    }
    (left(), right())
}

/// Runs `work` with the pool's other threads looking for its parts the whole time, when
/// this thread belongs to a pool; plainly otherwise. Same numbers either way: only who
/// computes each part changes, never how.
pub fn with_threads_awake<R: Send>(work: impl FnOnce() -> R + Send) -> R {
    #[cfg(feature = "threads")]
    if rayon::current_thread_index().is_some() {
        return awake::keep_awake(work);
    }
    work()
}

/// Keeping a pool's threads awake during one computation. In wasm a thread with nothing
/// to do sleeps within microseconds (rayon's yields do nothing there) and takes tens of
/// microseconds to wake: longer than a 10-token product's half, which the caller then does
/// alone. So each thread runs a broadcast job that steals work until the computation ends.
///
/// That job must never run above unfinished work on a thread's stack: a thread waiting in
/// a `join` runs whatever job it finds, and a spinner found there would wait for the end of
/// a computation that waits for the work beneath it (a deadlock, seen in 3 of 5 fresh
/// browser workers). Every part this module hands to rayon counts itself in a per-thread
/// depth, and a spinner that finds the depth above zero returns at once.
#[cfg(feature = "threads")]
mod awake {
    use std::cell::Cell;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    thread_local! {
        /// How many parts of a computation this thread is inside.
        static DEPTH: Cell<u32> = const { Cell::new(0) };
    }

    /// Lowers the depth when a part ends, however it ends.
    struct Leave;

    impl Drop for Leave {
        fn drop(&mut self) {
            DEPTH.with(|depth| depth.set(depth.get() - 1));
        }
    }

    /// Runs one part of a computation, counted in this thread's depth.
    pub(super) fn working<R>(part: impl FnOnce() -> R) -> R {
        DEPTH.with(|depth| depth.set(depth.get() + 1));
        let _leave = Leave;
        part()
    }

    /// Sets the computation's end flag when dropped, however it ends.
    struct Finished(Arc<AtomicBool>);

    impl Drop for Finished {
        fn drop(&mut self) {
            self.0.store(true, Ordering::Release);
        }
    }

    pub(super) fn keep_awake<R>(work: impl FnOnce() -> R) -> R {
        let done = Arc::new(AtomicBool::new(false));
        let flag = done.clone();
        rayon::spawn_broadcast(move |_| {
            if DEPTH.with(Cell::get) > 0 {
                return;
            }
            while !flag.load(Ordering::Acquire) {
                if rayon::yield_now() != Some(rayon::Yield::Executed) {
                    std::hint::spin_loop();
                }
            }
        });
        let _finished = Finished(done);
        working(work)
    }
}

/// How many threads can take part in work started on this thread: the pool's size inside a
/// pool, 1 outside one (a page that is not cross-origin isolated, the CLI, the tests).
pub fn threads() -> usize {
    #[cfg(feature = "threads")]
    if rayon::current_thread_index().is_some() {
        return rayon::current_num_threads();
    }
    1
}

/// How many parts to cut `units` of work into, `work` multiply-adds in all: about two per
/// thread (so a thread that finishes early can take another), never smaller than
/// [`MIN_SPLIT_WORK`], and never more parts than units.
pub fn parts(units: usize, work: usize) -> usize {
    let threads = threads();
    if threads <= 1 {
        return 1;
    }
    (2 * threads)
        .min(work / MIN_SPLIT_WORK)
        .clamp(1, units.max(1))
}

/// Runs `each(range, part)` over `0..units` cut into `parts` consecutive ranges, where
/// `split(part, at)` cuts the output `part` covering a range into the pieces before and from
/// `at` units into it. The halves run through [`join`].
pub fn split_ranges<P: Send>(
    units: std::ops::Range<usize>,
    parts: usize,
    part: P,
    split: &(impl Fn(P, usize) -> (P, P) + Sync),
    each: &(impl Fn(std::ops::Range<usize>, P) + Sync),
) {
    if parts <= 1 || units.len() <= 1 {
        each(units, part);
        return;
    }
    let left_parts = parts / 2;
    let middle = units.start + units.len() * left_parts / parts;
    let (left, right) = split(part, middle - units.start);
    join(
        || split_ranges(units.start..middle, left_parts, left, split, each),
        || split_ranges(middle..units.end, parts - left_parts, right, split, each),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_cover_every_unit_once_in_order() {
        for units in [1usize, 2, 7, 64] {
            for parts in 1..=9 {
                let seen = std::sync::Mutex::new(Vec::new());
                split_ranges(0..units, parts, (), &|(), _| ((), ()), &|range, ()| {
                    seen.lock().expect("not poisoned").push(range)
                });
                let mut seen = seen.into_inner().expect("not poisoned");
                seen.sort_by_key(|r| r.start);
                let flat: Vec<usize> = seen.iter().flat_map(|r| r.clone()).collect();
                assert_eq!(flat, (0..units).collect::<Vec<_>>(), "{units} in {parts}");
                assert!(seen.len() <= parts.max(1), "{units} in {parts}: {seen:?}");
            }
        }
    }

    #[test]
    fn outside_a_pool_there_is_one_thread_and_one_part() {
        assert_eq!(threads(), 1);
        assert_eq!(parts(100, usize::MAX), 1);
    }

    /// A computation of many small nested parts, its answer known.
    #[cfg(feature = "threads")]
    fn nested_sum(units: usize) -> usize {
        let total = std::sync::atomic::AtomicUsize::new(0);
        split_ranges(0..units, 8, (), &|(), _| ((), ()), &|range, ()| {
            let (a, b) = join(|| range.clone().sum::<usize>(), || range.len());
            total.fetch_add(a + b, std::sync::atomic::Ordering::Relaxed);
        });
        total.into_inner()
    }

    #[cfg(feature = "threads")]
    #[test]
    fn keeping_threads_awake_never_deadlocks_and_changes_no_answer() {
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(3)
                .build()
                .expect("a native pool");
            for round in 0..3000 {
                let units = 1 + round % 97;
                let got = pool.install(|| with_threads_awake(|| nested_sum(units)));
                let want = units * (units - 1) / 2 + units;
                if got != want {
                    sender
                        .send(Err(format!("{units} units: {got} ≠ {want}")))
                        .ok();
                    return;
                }
            }
            sender.send(Ok(())).ok();
        });
        let outcome = receiver
            .recv_timeout(std::time::Duration::from_secs(120))
            .expect("3000 computations within 2 minutes: the keep-awake jobs deadlocked");
        assert_eq!(outcome, Ok(()));
    }

    #[cfg(feature = "threads")]
    #[test]
    fn inside_a_pool_work_is_cut_by_its_size() {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(3)
            .build()
            .expect("a native pool");
        pool.install(|| {
            assert_eq!(threads(), 3);
            assert_eq!(parts(100, MIN_SPLIT_WORK - 1), 1);
            assert_eq!(parts(100, 2 * MIN_SPLIT_WORK), 2);
            assert_eq!(parts(100, usize::MAX), 6);
            assert_eq!(parts(4, usize::MAX), 4);
        });
    }
}
