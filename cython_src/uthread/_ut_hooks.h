/* cython_src/uthread/_ut_hooks.h: the C tick hooks and the one greenlet switch.
 * Included only by _cy_core.pyx; everything here is static to that module. */
#ifndef UT_HOOKS_H
#define UT_HOOKS_H

#include <Python.h>
#include <frameobject.h>
#include <time.h>
#include "greenlet/greenlet.h"

#if PY_VERSION_HEX < 0x030A0000 || PY_VERSION_HEX >= 0x030E0000
#  error "uthread supports CPython 3.10 to 3.13"
#endif

#if PY_VERSION_HEX >= 0x030C0000
#  define UT_USE_MONITORING 1
#else
#  define UT_USE_MONITORING 0
#endif

/* The tick counter of one scheduler.  The hook adds one per tick and calls
 * the slow path when ticks reaches limit.  Invariant: while a microthread of
 * this scheduler runs, ut_active points here (on that OS thread only) and
 * limit <= the end of the current slice, of the run's tick budget, and (when
 * a time limit is set) ticks + 1. */
typedef struct ut_counter {
    long long ticks;
    long long limit;
    /* 3.10/3.11 only: the frame and instruction offset of the last line
     * event, to tell a backward jump (a loop back-edge) from a new line. */
    const void *last_frame;
    int last_lasti;
    void *owner;  /* the Scheduler object this counter is embedded in */
    int urgent;   /* 3.10/3.11: call the slow path at the next line or call
                     event, tick or not (a kill waiting to land) */
} ut_counter;

/* Set by _cy_core at import: the scheduler's slow path (returns 0 or -1). */
static int (*ut_slow_path)(ut_counter *) = NULL;

/* The counter of the scheduler whose microthread runs on this OS thread,
 * or NULL (host code, or no scheduler).  sys.monitoring callbacks fire in
 * every thread; this is how they tell ours from the others. */
#if defined(__GNUC__) && defined(__ELF__)
/* initial-exec: a plain %fs-relative load instead of a __tls_get_addr call
 * on every tick; one pointer of static TLS is always available. */
static __thread ut_counter *ut_active __attribute__((tls_model("initial-exec"))) = NULL;
#else
static __thread ut_counter *ut_active = NULL;
#endif

static inline ut_counter *ut_get_active(void) { return ut_active; }
static inline void ut_set_active(ut_counter *c) { ut_active = c; }

static inline int ut_count(ut_counter *c) {
    if (++c->ticks < c->limit) return 0;
    return ut_slow_path(c);
}

/* ---- monotonic clock, seconds as a double ---- */
static inline double ut_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- 3.12+: sys.monitoring callbacks ----
 * PY_START and JUMP count ticks.  The slow path learns which event fired
 * and on which code object: an exception may be raised from a PY_START
 * callback (the caller sees the call raise), but one raised from a JUMP
 * callback skips the handlers of the jumping frame, so there it is armed
 * for the next INSTRUCTION event of that code object instead. */
enum { UT_EV_NONE = 0, UT_EV_START = 1, UT_EV_JUMP = 2 };
static __thread int ut_event_kind = UT_EV_NONE;
static __thread PyObject *ut_event_code = NULL;   /* borrowed, valid in the callback */
static int (*ut_instr_slow_path)(ut_counter *, PyObject *) = NULL;

static inline PyObject *ut_monitor_tick(PyObject *const *args, Py_ssize_t nargs, int kind) {
    ut_counter *c = ut_active;
    if (__builtin_expect(c != NULL, 1) &&
        __builtin_expect(++c->ticks >= c->limit, 0)) {
        ut_event_kind = kind;
        ut_event_code = nargs > 0 ? args[0] : NULL;
        int r = ut_slow_path(c);
        ut_event_kind = UT_EV_NONE;
        ut_event_code = NULL;
        if (r < 0) return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *ut_monitor_start(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    return ut_monitor_tick(args, nargs, UT_EV_START);
}

static PyObject *ut_monitor_jump(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    return ut_monitor_tick(args, nargs, UT_EV_JUMP);
}

static PyObject *ut_monitor_instruction(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    ut_counter *c = ut_active;
    if (c != NULL && nargs > 0 && ut_instr_slow_path(c, args[0]) < 0) return NULL;
    Py_RETURN_NONE;
}

static PyMethodDef ut_monitor_defs[3] = {
    {"_uthread_start", (PyCFunction)(void (*)(void))ut_monitor_start, METH_FASTCALL,
     "uthread's tick counter (sys.monitoring PY_START)."},
    {"_uthread_jump", (PyCFunction)(void (*)(void))ut_monitor_jump, METH_FASTCALL,
     "uthread's tick counter (sys.monitoring JUMP)."},
    {"_uthread_instruction", (PyCFunction)(void (*)(void))ut_monitor_instruction, METH_FASTCALL,
     "uthread's delivery of a kill armed at a JUMP (sys.monitoring INSTRUCTION)."},
};

static PyObject *ut_monitor_callback(int which) {
    return PyCFunction_New(&ut_monitor_defs[which], NULL);
}

static inline int ut_get_event_kind(void) { return ut_event_kind; }
static inline PyObject *ut_get_event_code(void) { return ut_event_code; }

/* ---- 3.10/3.11: a C trace function (PyEval_SetTrace) ---- */
static inline int ut_lasti(PyFrameObject *f) {
#if PY_VERSION_HEX >= 0x030B0000
    return PyFrame_GetLasti(f);
#else
    return f->f_lasti;
#endif
}

/* A tick is a call event (function entry or generator resumption) or a line
 * event whose instruction offset is not after the previous line event's in
 * the same frame (a backward jump).  A return event hands the detector back
 * to the calling frame, so a loop whose body calls a function still counts
 * its back-edge. */
static int ut_trace(PyObject *obj, PyFrameObject *frame, int what,
                    PyObject *arg) {
    ut_counter *c = ut_active;
    int lasti;
    if (c == NULL) return 0;
    if (c->urgent && (what == PyTrace_LINE || what == PyTrace_CALL))
        return ut_slow_path(c);
    switch (what) {
    case PyTrace_CALL:
        c->last_frame = frame;
        c->last_lasti = ut_lasti(frame);
        break;
    case PyTrace_LINE:
        lasti = ut_lasti(frame);
        if ((const void *)frame == c->last_frame && lasti <= c->last_lasti) {
            c->last_lasti = lasti;
            break;
        }
        c->last_frame = frame;
        c->last_lasti = lasti;
        return 0;
    case PyTrace_RETURN: {
#if PY_VERSION_HEX >= 0x030B0000
        PyFrameObject *back = PyFrame_GetBack(frame);
        c->last_frame = back;
        c->last_lasti = back ? ut_lasti(back) : -1;
        Py_XDECREF(back);
#else
        PyFrameObject *back = frame->f_back;
        c->last_frame = back;
        c->last_lasti = back ? back->f_lasti : -1;
#endif
        return 0;
    }
    default:
        return 0;
    }
    return ut_count(c);
}

/* Install the trace function on this OS thread, remembering what was there. */
typedef struct ut_saved_trace {
    Py_tracefunc func;
    PyObject *obj;  /* strong reference while saved */
    int installed;
} ut_saved_trace;

static inline void ut_trace_install(ut_saved_trace *saved) {
#if !UT_USE_MONITORING
    PyThreadState *ts = PyThreadState_Get();
    saved->func = ts->c_tracefunc;
    saved->obj = ts->c_traceobj;
    Py_XINCREF(saved->obj);
    saved->installed = 1;
    PyEval_SetTrace(ut_trace, NULL);
#else
    (void)saved;
#endif
}

static inline void ut_trace_restore(ut_saved_trace *saved) {
#if !UT_USE_MONITORING
    if (!saved->installed) return;
    PyEval_SetTrace(saved->func, saved->obj);
    Py_XDECREF(saved->obj);
    saved->obj = NULL;
    saved->func = NULL;
    saved->installed = 0;
#else
    (void)saved;
#endif
}

/* ---- the one switch ----
 * Every change of microthread, preemptive or cooperative, goes through here.
 * greenlet does not keep tstate->tracing per greenlet (nor, on 3.10/3.11,
 * cframe->use_tracing), and a tick hook runs with tracing raised and
 * use_tracing lowered: so the target starts with CPython's normal values
 * and this side gets its own back when it is resumed.  in_hook: the caller
 * is the tick hook, whose values CPython itself restores on return.
 * exc_type: NULL to switch, or an exception type to throw into target. */
#if !UT_USE_MONITORING
#  if PY_VERSION_HEX >= 0x030B0000
#    define UT_TRACING_ON 255
typedef uint8_t ut_use_t;
#  else
#    define UT_TRACING_ON 1
typedef int ut_use_t;
#  endif
static inline ut_use_t ut_normal_use_tracing(PyThreadState *ts) {
    return (ts->c_tracefunc || ts->c_profilefunc) ? UT_TRACING_ON : 0;
}
#endif

static inline PyObject *ut_switch_ex(PyObject *target, PyObject *exc_type,
                                     int in_hook) {
    PyThreadState *ts = PyThreadState_Get();
    int saved_tracing = ts->tracing;
    PyObject *r;
#if !UT_USE_MONITORING
    ut_use_t saved_use = ts->cframe->use_tracing;
    ts->cframe->use_tracing = ut_normal_use_tracing(ts);
#endif
    ts->tracing = 0;
    if (exc_type == NULL)
        r = PyGreenlet_Switch((PyGreenlet *)target, NULL, NULL);
    else
        r = PyGreenlet_Throw((PyGreenlet *)target, exc_type, NULL, NULL);
    ts = PyThreadState_Get();
    ts->tracing = saved_tracing;
#if !UT_USE_MONITORING
    ts->cframe->use_tracing = in_hook ? saved_use : ut_normal_use_tracing(ts);
#else
    (void)in_hook;
#endif
    return r;
}

static inline PyObject *ut_switch(PyObject *target, int in_hook) {
    return ut_switch_ex(target, NULL, in_hook);
}

static inline PyObject *ut_throw(PyObject *target, PyObject *exc_type) {
    return ut_switch_ex(target, exc_type, 0);
}

/* Before a greenlet ends and control passes to its parent: give the parent
 * CPython's normal tracing values (nothing is restored on this side). */
static inline void ut_prepare_exit(void) {
    PyThreadState *ts = PyThreadState_Get();
    ts->tracing = 0;
#if !UT_USE_MONITORING
    ts->cframe->use_tracing = ut_normal_use_tracing(ts);
#endif
}

static inline PyObject *ut_getcurrent(void) {
    return (PyObject *)PyGreenlet_GetCurrent();
}

static inline PyObject *ut_greenlet_new(PyObject *run, PyObject *parent) {
    return (PyObject *)PyGreenlet_New(run, (PyGreenlet *)parent);
}

static inline int ut_set_parent(PyObject *g, PyObject *parent) {
    return PyGreenlet_SetParent((PyGreenlet *)g, (PyGreenlet *)parent);
}

static inline PyObject *ut_greenlet_exit_type(void) {
    return PyExc_GreenletExit;
}

/* The calling thread's current contextvars context if it holds any variable,
 * else NULL: a microthread spawned from an empty context gets a fresh empty
 * one when it starts, with no allocation (hence no GC pressure) at spawn. */
static inline PyObject *ut_nonempty_context_copy(void) {
    PyThreadState *ts = PyThreadState_Get();
    if (ts->context == NULL) return NULL;
    Py_ssize_t n = PyObject_Length(ts->context);
    if (n <= 0) { PyErr_Clear(); return NULL; }
    return PyContext_CopyCurrent();
}

static inline int ut_greenlet_import(void) {
    PyGreenlet_Import();
    return _PyGreenlet_API == NULL ? -1 : 0;
}

static inline unsigned long ut_thread_ident(void) {
    return PyThread_get_thread_ident();
}

#endif /* UT_HOOKS_H */
