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
        return rayon::join(left, right);
    }
    (left(), right())
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
