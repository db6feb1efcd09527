# uthread/_patch.py: uthread.patch()/unpatch(): inside microthreads, route time.sleep and
# blocking socket calls through uthread.sleep and the thread pool; elsewhere, unchanged.
import socket
import threading
import time

from uthread import _cy_core

__all__ = ["patch", "unpatch", "patched"]

# Blocking methods of socket.socket, run in the scheduler's thread pool when
# called from a microthread on a blocking socket (timeout None or > 0).
SOCKET_METHODS = (
    "accept", "connect", "connect_ex",
    "recv", "recv_into", "recvfrom", "recvfrom_into", "recvmsg", "recvmsg_into",
    "send", "sendall", "sendto", "sendmsg", "sendfile",
)
# Module-level blocking lookups (DNS), likewise.
SOCKET_FUNCTIONS = ("getaddrinfo", "gethostbyname", "gethostbyname_ex", "gethostbyaddr",
                    "create_connection")

_lock = threading.Lock()
_saved = {}          # (owner, name) -> original; non-empty <=> patched


def _make_sleep(orig_sleep):
    def sleep(seconds):
        if _cy_core.current() is not None:
            return _cy_core.sleep(seconds)
        return orig_sleep(seconds)
    sleep.__doc__ = orig_sleep.__doc__
    sleep.__uthread_original__ = orig_sleep
    return sleep


def _make_method(name, orig):
    call = _cy_core._call_in_thread_kw

    def method(self, *args, **kwargs):
        if _cy_core.current() is None or self.gettimeout() == 0.0:
            return orig(self, *args, **kwargs)       # host code, or a non-blocking socket
        return call(orig, (self,) + args, kwargs)
    method.__name__ = name
    method.__qualname__ = f"socket.{name}"
    method.__doc__ = getattr(orig, "__doc__", None)
    method.__uthread_original__ = orig
    return method


def _make_function(name, orig):
    call = _cy_core._call_in_thread_kw

    def function(*args, **kwargs):
        if _cy_core.current() is None:
            return orig(*args, **kwargs)
        return call(orig, args, kwargs)
    function.__name__ = name
    function.__doc__ = getattr(orig, "__doc__", None)
    function.__uthread_original__ = orig
    return function


def patch():
    """Make blocking calls cooperative inside microthreads (explicit opt-in).

    Inside microthreads, ``time.sleep`` becomes :func:`uthread.sleep`, and the
    blocking methods of ``socket.socket`` (accept, connect, recv*, send*,
    sendall, sendfile) and the DNS functions (getaddrinfo, gethostbyname*,
    create_connection) run through :func:`uthread.call_in_thread`, so only
    the calling microthread waits.  Outside microthreads, in other OS
    threads, and on non-blocking sockets they behave as before.  Idempotent;
    undone by :func:`uthread.unpatch`.
    """
    with _lock:
        if _saved:
            return
        _saved[(time, "sleep")] = time.sleep
        time.sleep = _make_sleep(time.sleep)
        for name in SOCKET_METHODS:
            orig = getattr(socket.socket, name, None)
            if orig is not None:
                _saved[(socket.socket, name)] = orig
                setattr(socket.socket, name, _make_method(name, orig))
        for name in SOCKET_FUNCTIONS:
            orig = getattr(socket, name, None)
            if orig is not None:
                _saved[(socket, name)] = orig
                setattr(socket, name, _make_function(name, orig))


def unpatch():
    """Undo :func:`uthread.patch`.  Does nothing if not patched."""
    with _lock:
        for (owner, name), orig in _saved.items():
            setattr(owner, name, orig)
        _saved.clear()


def patched():
    """True between :func:`uthread.patch` and :func:`uthread.unpatch`."""
    return bool(_saved)
