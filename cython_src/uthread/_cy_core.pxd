# cython_src/uthread/_cy_core.pxd: C-level interface of the scheduler core,
# cimported by the primitives so they park and unpark without Python calls.

from cpython.ref cimport PyObject

cdef extern from "_ut_hooks.h":
    ctypedef struct ut_counter:
        long long ticks
        long long limit
        const void *last_frame
        int last_lasti
        void *owner
        int urgent
    ctypedef struct ut_saved_trace:
        pass


cdef class ParkingLot
cdef class Scheduler


cdef class Microthread:
    # --- identity ---
    cdef readonly Scheduler scheduler
    cdef object _name                  # None until asked for: "Microthread-<seq>"
    cdef readonly unsigned long long seq   # spawn order within its scheduler
    cdef object __weakref__
    # --- what it runs ---
    cdef object _fn, _args, _kwargs, _context
    # None until first run, and again once done (the greenlet is recycled).
    cdef object _greenlet
    # --- state ---
    # Invariants:
    #   _state == RUNNABLE  <=> linked into its scheduler's run queue (_rq_next)
    #                            or a stale entry there after an early kill
    #   _state == BLOCKED   <=> parked; _lot is the ParkingLot holding it or None
    #                            (sleep, join of a pool call); _why says on what
    #   _state == RUNNING   <=> it is its scheduler's current microthread
    #   _state == DONE      <=> _outcome and _value are final
    cdef int _state
    cdef int _outcome
    cdef object _value                 # return value or exception once done
    cdef bint _retrieved               # result()/join()/step() has seen it
    cdef object _pending               # exception to raise inside at next resume
    cdef object _armed_code            # 3.12+: code object whose next instruction raises it
    cdef bint _kill_next               # 3.10/3.11: raise _pending at the next tick
    cdef object _why
    cdef ParkingLot _lot
    cdef Microthread _rq_next          # run queue link (owned)
    cdef Microthread _lot_next         # parking lot links (next owned, prev too)
    cdef Microthread _lot_prev
    cdef Microthread _all_next         # scheduler's list of live microthreads
    cdef Microthread _all_prev
    cdef int _wake                     # how the last park ended
    cdef object _wake_value
    cdef object _park_data             # what a parked microthread offers (a channel send)
    cdef unsigned long long _park_token   # bumps on every park and wake
    # --- ticks ---
    cdef long long _ticks              # ticks consumed in total
    cdef long long _slices             # times it was given the CPU
    cdef long long _slice_end          # absolute tick count ending this slice
    cdef long long _slice_left         # >= 0: a run budget cut this slice short
    cdef long long _quantum            # <= 0: the scheduler's
    cdef unsigned long long _epoch     # the scheduler's run epoch it last ran in
    cdef const void *_last_frame       # 3.10/3.11 back-edge detector, saved while off the CPU
    cdef int _last_lasti
    cdef int _atomic                   # depth of atomic sections
    cdef bint _preempt_pending         # a slice ended inside an atomic section
    cdef ParkingLot _joiners
    cdef object _random                # per-microthread generator (lazy)
    cdef unsigned long long _seed64    # its seed: from its parent's, never the interleaving
    cdef unsigned long long _nchildren # microthreads it has spawned
    cdef bint _detached                # made by uthread.thread(): stepped, not run

    cdef object _get_result(self)


cdef class ParkingLot:
    # FIFO of parked microthreads: the one blocking primitive.  Invariant:
    # a microthread is in at most one lot, linked by _lot_prev/_lot_next, and
    # then its _lot is this lot and its state is BLOCKED.
    cdef Microthread _head, _tail
    cdef Py_ssize_t _n
    cdef object park(self, object why, double timeout)
    cdef Microthread unpark(self, object value)
    cdef Py_ssize_t unpark_all(self, object value)
    cdef void _append(self, Microthread mt)
    cdef void _remove(self, Microthread mt)


cdef class Scheduler:
    cdef ut_counter counter
    cdef ut_saved_trace _saved_trace
    cdef readonly long long quantum
    cdef readonly object seed
    cdef unsigned long _tid
    cdef unsigned long long _seed64
    cdef unsigned long long _nroot     # microthreads spawned from host code
    cdef object _root_random
    # --- run queue (intrusive singly linked list, FIFO) ---
    cdef Microthread _rq_head, _rq_tail
    cdef Py_ssize_t _rq_len
    # --- live microthreads (intrusive doubly linked, spawn order) ---
    cdef Microthread _all_head, _all_tail
    cdef readonly Py_ssize_t alive_count
    cdef unsigned long long _spawned
    # --- the running state ---
    # Invariant: _current is the microthread now on the CPU (or None while
    # the host runs); _host is the greenlet that called run() (None outside).
    cdef Microthread _current
    cdef object _host
    cdef bint _running
    cdef bint _closed
    cdef long long _slice_start        # ticks when _current got the CPU
    cdef long long _run_end            # tick budget end of this run()
    cdef double _deadline              # time budget end, if _deadline_on
    cdef bint _deadline_on
    cdef Microthread _until            # join() from the host: stop when done
    cdef bint _stop
    cdef object _fatal                 # KeyboardInterrupt/SystemExit to re-raise
    # --- sleepers: heap of (deadline, token, seq, microthread) ---
    cdef list _sleepers
    # --- greenlets whose microthread finished, ready for reuse ---
    cdef list _idle
    cdef object _worker_main_bound
    # --- thread pool (blocking calls) ---
    cdef object _pool
    cdef readonly int pool_size
    cdef Py_ssize_t _pool_pending
    cdef object _completions           # deque of (microthread, token, ok, value)
    cdef object _wakeup                # threading.Event set by pool threads
    cdef object _unretrieved           # WeakSet of failed, unretrieved microthreads
    cdef object __weakref__
    # --- statistics ---
    cdef readonly long long switches
    cdef readonly long long preemptions
    # --- the last run(): per-frame statistics ---
    cdef unsigned long long _epoch     # bumps per run(); a microthread counts once per epoch
    cdef long long _ran                # distinct microthreads given the CPU in this run
    cdef readonly object last_run

    cdef void _check_thread(self) except *
    cdef Microthread _spawn(self, object fn, tuple args, dict kwargs)
    cdef void _rq_push(self, Microthread mt)
    cdef void _rq_push_front(self, Microthread mt)
    cdef Microthread _rq_pop(self)
    cdef void _unpark(self, Microthread mt, object value)
    cdef object _park(self, Microthread mt, ParkingLot lot, object why, double timeout)
    cdef int _switch_away(self, Microthread cur, int in_hook) except -1
    cdef Microthread _pick_next(self)
    cdef Microthread _via_host_if_new(self, Microthread nxt)
    cdef object _enter(self, Microthread nxt)
    cdef void _leave(self, Microthread cur)
    cdef void _update_limit(self)
    cdef void _kill_after_return(self, Microthread mt) except *
    cdef int _on_tick(self) except -1
    cdef int _pending_from_hook(self, Microthread cur, int kind, PyObject *code) except -1
    cdef void _wake_due(self, double now)
    cdef void _add_sleeper(self, Microthread mt, double deadline)
    cdef void _process_completions(self)
    cdef object _ensure_pool(self)
    cdef object _call_in_thread(self, Microthread mt, object fn, tuple args, dict kwargs, double timeout)
    cdef void _finish(self, Microthread mt)
    cdef void _timeout_wake(self, Microthread mt)
    cdef object _run(self, object ticks, object seconds, Microthread until, double until_deadline)
    cdef object _idle_wait(self, double until)
    cdef void _retire_idle(self, Py_ssize_t n) except *


cdef Microthread current_microthread()
cdef object yield_now()
