//! The threads build's pool: rayon threads, each a Web Worker (`thread-loader.js`) running
//! this same wasm on the model worker's shared memory. Computations run on the pool once
//! every thread has said it is ready; before that, and in the one-thread builds, on the
//! model worker alone. The numbers are the same either way (see core's `parallel`).

/// The name the pool's Web Workers get, so the worker's entry point knows not to start a
/// second message loop in them.
pub const THREAD_NAME: &str = "tokenscope-thread";

/// Runs `work` on the pool when it is ready, on this thread otherwise; the model worker
/// waits for the answer. `work` must not touch JavaScript objects: on the pool it runs in
/// another Web Worker, with its own clock.
pub fn run<R: Send>(work: impl FnOnce() -> R + Send) -> R {
    #[cfg(all(target_arch = "wasm32", feature = "threads"))]
    {
        pool::run(work)
    }
    #[cfg(not(all(target_arch = "wasm32", feature = "threads")))]
    {
        work()
    }
}

/// How many threads a computation gets now: the pool's size once it is ready, else 1.
pub fn count() -> usize {
    #[cfg(all(target_arch = "wasm32", feature = "threads"))]
    {
        pool::ready_size().unwrap_or(1)
    }
    #[cfg(not(all(target_arch = "wasm32", feature = "threads")))]
    {
        1
    }
}

/// The build's kernel as the page names it: core's kernel, with "-threads" in the threads
/// build.
pub fn kernel_name() -> String {
    let kernel = tokenscope_core::gemm::Kernel::current().name();
    if cfg!(feature = "threads") {
        format!("{kernel}-threads")
    } else {
        kernel.to_string()
    }
}

#[cfg(all(target_arch = "wasm32", feature = "threads"))]
pub use pool::{start, thread_run};

#[cfg(all(target_arch = "wasm32", feature = "threads"))]
mod pool {
    use std::cell::{Cell, RefCell};
    use std::rc::Rc;

    use wasm_bindgen::prelude::*;
    use wasm_bindgen::JsCast;
    use web_sys::{MessageEvent, Worker, WorkerOptions};

    /// At most this many threads: past it, products wait on memory, not arithmetic.
    const MAX_THREADS: usize = 8;

    /// The glue script of this build, which each thread loads.
    const GLUE: &str = if cfg!(feature = "relaxed-simd") {
        "tokenscope-worker-threads-relaxed"
    } else {
        "tokenscope-worker-threads"
    };

    /// A rayon job handed to a new thread.
    type Work = Box<dyn FnOnce() + Send>;
    /// What a thread's messages (ready, or failed) go to.
    type Handler = Closure<dyn FnMut(MessageEvent)>;
    /// Called once, when every thread is ready or one has failed.
    type Settle = Rc<RefCell<Option<Box<dyn FnOnce()>>>>;

    struct Pool {
        rayon: rayon::ThreadPool,
        size: usize,
        /// Threads that have loaded the wasm and entered rayon's loop.
        ready: Rc<Cell<usize>>,
        /// A thread could not start: the pool is never used.
        failed: Rc<Cell<bool>>,
        /// Kept alive with the pool: the Web Workers and their message handlers.
        _workers: Vec<(Worker, Handler)>,
    }

    impl Pool {
        /// Every thread has entered rayon's loop and none failed.
        fn is_ready(&self) -> bool {
            self.ready.get() == self.size && !self.failed.get()
        }
    }

    thread_local! {
        static POOL: RefCell<Option<Pool>> = const { RefCell::new(None) };
    }

    pub(super) fn run<R: Send>(work: impl FnOnce() -> R + Send) -> R {
        POOL.with(|pool| match &*pool.borrow() {
            Some(pool) if pool.is_ready() => pool
                .rayon
                .install(|| tokenscope_core::parallel::with_threads_awake(work)),
            _ => work(),
        })
    }

    pub(super) fn ready_size() -> Option<usize> {
        POOL.with(|pool| {
            pool.borrow()
                .as_ref()
                .filter(|pool| pool.is_ready())
                .map(|pool| pool.size)
        })
    }

    /// Starts one thread per core (at most [`MAX_THREADS`]) and calls `on_settled` once every
    /// thread is ready or one has failed; at once where the page is not cross-origin isolated
    /// or has one core, leaving the worker on one thread.
    pub fn start(on_settled: impl FnOnce() + 'static) {
        let Some(scope) = super::super::wasm::scope() else {
            on_settled();
            return;
        };
        let isolated = js_sys::Reflect::get(&scope, &JsValue::from_str("crossOriginIsolated"))
            .is_ok_and(|v| v.as_bool() == Some(true));
        let cores = scope.navigator().hardware_concurrency() as usize;
        let size = cores.min(MAX_THREADS);
        if !isolated || size < 2 {
            on_settled();
            return;
        }
        let ready = Rc::new(Cell::new(0));
        let failed = Rc::new(Cell::new(false));
        let settled: Settle = Rc::new(RefCell::new(Some(Box::new(on_settled))));
        let workers = RefCell::new(Vec::new());
        let built = rayon::ThreadPoolBuilder::new()
            .num_threads(size)
            .spawn_handler(|thread| {
                let work: Work = Box::new(move || thread.run());
                let handler = {
                    let (ready, failed, settled) = (ready.clone(), failed.clone(), settled.clone());
                    Handler::new(move |event: MessageEvent| {
                        let ok = js_sys::Reflect::get(&event.data(), &JsValue::from_str("ready"))
                            .is_ok_and(|v| v.is_truthy());
                        if ok {
                            ready.set(ready.get() + 1);
                        } else {
                            failed.set(true);
                        }
                        if failed.get() || ready.get() == size {
                            if let Some(settle) = settled.borrow_mut().take() {
                                settle();
                            }
                        }
                    })
                };
                let worker = spawn(work, &handler).map_err(std::io::Error::other)?;
                workers.borrow_mut().push((worker, handler));
                Ok(())
            })
            .build();
        match built {
            Ok(rayon) => POOL.with(|pool| {
                *pool.borrow_mut() = Some(Pool {
                    rayon,
                    size,
                    ready,
                    failed,
                    _workers: workers.into_inner(),
                })
            }),
            Err(_) => {
                if let Some(settle) = settled.borrow_mut().take() {
                    settle();
                }
            }
        }
    }

    /// Starts a Web Worker that loads this build on the same module and memory and runs
    /// `work` (rayon's loop for one thread).
    fn spawn(work: Work, on_message: &Handler) -> Result<Worker, String> {
        let options = WorkerOptions::new();
        options.set_name(super::THREAD_NAME);
        let worker = Worker::new_with_options("./thread-loader.js", &options)
            .map_err(|e| format!("{e:?}"))?;
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        let message = js_sys::Object::new();
        let pointer = Box::into_raw(Box::new(work));
        let fields = [
            ("glue", JsValue::from_str(GLUE)),
            ("module", wasm_bindgen::module()),
            ("memory", wasm_bindgen::memory()),
            ("work", JsValue::from(pointer as u32)),
        ];
        for (key, value) in fields {
            let _ = js_sys::Reflect::set(&message, &JsValue::from_str(key), &value);
        }
        if let Err(e) = worker.post_message(&message) {
            // SAFETY: the pointer was made just above and never reached the thread.
            #[allow(unsafe_code)]
            drop(unsafe { Box::from_raw(pointer) });
            worker.terminate();
            return Err(format!("{e:?}"));
        }
        Ok(worker)
    }

    /// Called by `thread-loader.js` in a new thread, with the pointer [`spawn`] posted: runs
    /// that thread's share of the pool until the page closes.
    #[wasm_bindgen(js_name = tokenscopeThreadRun)]
    pub fn thread_run(work: u32) {
        // SAFETY: `work` is the pointer `spawn` leaked for exactly this thread, and each
        // thread calls this once.
        #[allow(unsafe_code)]
        let work = unsafe { Box::from_raw(work as *mut Work) };
        (*work)();
    }
}
