"""The one harness every exercise check uses.

- ``call_learner_code`` runs the learner's function in a worker thread with a copy of the
  caller's context (so the current span is the same), a timeout for hangs, and its prints
  swallowed (the check cell shows the verdict only). An exception or a hang becomes a
  ``NotYet`` hint in one line, never a traceback wall.
- ``Recording`` is the in-memory provider the checks read spans from, as ``SpanRecord``s.
- ``evaluate`` runs a check and returns an ``Outcome`` (tests read it); ``run_check``
  prints it (notebooks show it). Both refuse a verdict when the learner's code replaced
  part of the check, the kit or the SDK (a monkeypatch is not an answer).
"""

from __future__ import annotations

import _thread
import contextvars
import dataclasses
import functools
import gc
import io
import os
import sys
import sysconfig
import threading
import traceback
import types
from dataclasses import dataclass

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from ..spans import SpanRecord, records

#: Seconds one call of the learner's function may take before it counts as a hang.
TIMEOUT_S = 10.0


class NotYet(Exception):
    """Raised inside a check to stop at the first problem, with the hint to show."""


@dataclass(frozen=True)
class Outcome:
    passed: bool
    message: str


# ---------------------------------------------------------------------------- learner code


#: Code of the check functions a learner's code is handed to call (a callback, a queue).
LEARNER_API: set = set()
_CHECKS_DIR = os.path.dirname(os.path.abspath(__file__))
#: Ways to read another thread's frames or any object in memory: the check's answers.
_PRYING = {sys._current_frames, gc.get_objects, gc.get_referrers, gc.get_referents}
#: The same, as the audit events they raise however they are called (from another thread,
#: through functools.partial or a method-wrapper: C-to-C calls a profile function misses).
_PRYING_EVENTS = {"sys._current_frames", "sys._current_exceptions", "gc.get_objects",
                  "gc.get_referrers", "gc.get_referents"}  # fmt: skip
#: Thread id -> the _Watch of a learner call running there.
_watched: dict = {}


def learner_api(function):
    """Mark a check function (or a method) that the learner's code may call."""
    LEARNER_API.add(function.__code__)
    return function


class _PerThreadStream(io.TextIOBase):
    """sys.stdout while a check runs: the worker thread's writes are swallowed, the rest
    go where they went before."""

    def __init__(self, original, quiet: set[int]) -> None:
        self._original, self._quiet = original, quiet

    @learner_api
    def writable(self) -> bool:
        return True

    @learner_api
    def write(self, text: str) -> int:
        if threading.get_ident() in self._quiet:
            return len(text)
        return self._original.write(text)

    @learner_api
    def flush(self) -> None:
        if threading.get_ident() not in self._quiet:
            self._original.flush()


_quiet_threads: set[int] = set()
_stream_lock = threading.Lock()
_streams_installed = 0


def _quiet_streams(install: bool) -> None:
    global _streams_installed
    with _stream_lock:
        if install:
            if _streams_installed == 0:
                sys.stdout = _PerThreadStream(sys.stdout, _quiet_threads)
                sys.stderr = _PerThreadStream(sys.stderr, _quiet_threads)
            _streams_installed += 1
        else:
            _streams_installed -= 1
            if _streams_installed == 0:
                for name in ("stdout", "stderr"):
                    stream = getattr(sys, name)
                    if isinstance(stream, _PerThreadStream):
                        setattr(sys, name, stream._original)


class _Watch:
    """A profile function on the learner's thread: it notes calls into the check's own
    code and into what pries at other threads' frames."""

    def __init__(self) -> None:
        self.seen: str | None = None
        self.active = True  # off once the call is over (threads it started may live on)

    def __call__(self, frame, event, arg) -> None:
        if self.seen or not self.active:
            return
        if event == "c_call" and any(arg is prying for prying in _PRYING):
            self.seen = f"read the check's memory ({arg.__name__})"
        elif (
            event == "c_call"
            and arg is _thread.start_new_thread
            and frame.f_code.co_filename != threading.__file__
        ):  # threading.Thread carries the watch over (threading.setprofile); this would not
            self.seen = "started a thread the check cannot follow (_thread.start_new_thread)"
        elif event == "call":
            code = frame.f_code
            if code.co_filename.startswith(_CHECKS_DIR) and code not in LEARNER_API:
                caller = frame.f_back
                if caller is not None and not caller.f_code.co_filename.startswith(_CHECKS_DIR):
                    self.seen = f"called the check's own {code.co_name}()"


def _audit(event: str, args: tuple) -> None:
    """An audit hook (it cannot be removed): prying while a learner call runs, from any
    thread and however it is called, or a watch switched off."""
    if not _watched:
        return
    if event in _PRYING_EVENTS:
        if sys._getframe(1).f_code.co_filename == __file__:
            return  # the harness looking for learner code in other threads
        for watch in list(_watched.values()):
            watch.seen = watch.seen or f"read the check's memory ({event.split('.')[-1]})"
    elif event == "sys.setprofile":  # threading starts a thread with its watch: fine
        caller = sys._getframe(1).f_code.co_filename
        if caller not in (threading.__file__, __file__):
            for watch in list(_watched.values()):
                watch.seen = watch.seen or "switched off the check's watch (sys.setprofile)"


if not getattr(sys, "_coursekit_audit", False):  # once per process, even if reloaded
    sys.addaudithook(_audit)
    sys._coursekit_audit = True


#: Idents of learner calls that never returned (a hang): already a hint; not looked at again.
_abandoned: set[int] = set()
#: Idents of threads inside evaluate(): a check runs there (one at a time).
_evaluating: set[int] = set()


def _code_trusted(code) -> bool:
    return _trusted_file(code.co_filename) and _genuine(code)


def _busy_learner_thread() -> str | None:
    """The name of another thread running the learner's code right now, outside any check:
    a thread the learner started could wait for the check and change what it is about to
    read (its lab, its data) while no learner call is watched. The thread that runs the
    check (a notebook's main thread) is looked at above the check only; any other thread,
    at its whole stack."""
    me = threading.get_ident()
    names = {thread.ident: thread.name for thread in threading.enumerate()}
    for ident, frame in sys._current_frames().items():
        if ident == me or ident in _abandoned:
            continue
        while frame is not None:
            filename = frame.f_code.co_filename
            if ident in _evaluating and (
                filename == __file__ or filename.startswith(_CHECKS_DIR + os.sep)
            ):
                break  # the check: what called it (the notebook's cell) is not beside it
            if not _code_trusted(frame.f_code):
                return names.get(ident, str(ident))
            frame = frame.f_back
    return None


def _refuse_busy_threads() -> None:
    name = _busy_learner_thread()
    if name:
        raise NotYet(
            f"a thread of your own ({name}) is running your code beside the check: the check "
            "grades what your function returns, not what runs next to it. Stop that thread "
            "(or restart the kernel) and run the check again."
        )


def _where(error: BaseException, function) -> str:
    """' (line N: code)' of the deepest frame in the learner's own code, if any."""
    frames = traceback.extract_tb(error.__traceback__)
    code = getattr(function, "__code__", None)
    own = [f for f in frames if code is not None and f.filename == code.co_filename]
    frame = (own or frames or [None])[-1]
    if frame is None:
        return ""
    return f" (line {frame.lineno}: {(frame.line or '').strip()})"


def call_learner_code(function, *args, name: str | None = None, timeout: float | None = None,
                      context: contextvars.Context | None = None, expect=(),
                      quiet: bool = True):  # fmt: skip
    """Call the learner's ``function(*args)`` safely and return what it returned.

    It runs in a worker thread, in ``context`` (a copy of the caller's by default, so the
    current span is the caller's): pass your own ``contextvars.copy_context()`` to read
    afterwards what the learner left attached. Raises NotYet on an exception or a hang;
    an exception of a type in ``expect`` (one the task asks for) is returned instead.
    With ``quiet=False`` (a demo, not a check) what the function prints is shown.
    """
    name = name or getattr(function, "__name__", "your function")
    timeout = TIMEOUT_S if timeout is None else timeout
    context = context if context is not None else contextvars.copy_context()
    outcome: dict = {}

    watch = _Watch()

    def work() -> None:
        if quiet:
            _quiet_threads.add(threading.get_ident())
        sys.setprofile(watch)
        threading.setprofile(watch)  # threads the learner starts are watched too
        _watched[threading.get_ident()] = watch
        try:
            outcome["value"] = context.run(function, *args)
        except BaseException as error:  # SystemExit too: the check still answers
            outcome["error"] = error
        finally:
            _watched.pop(threading.get_ident(), None)
            watch.active = False
            if sys.getprofile() is not watch:
                watch.seen = watch.seen or "switched off the check's watch (sys.setprofile)"
            threading.setprofile(None)
            sys.setprofile(None)
            _quiet_threads.discard(threading.get_ident())

    _quiet_streams(True)
    try:
        worker = threading.Thread(target=work, name=f"learner-{name}", daemon=True)
        worker.start()
        worker.join(timeout)
    finally:
        _quiet_streams(False)
    if worker.is_alive():
        _abandoned.add(worker.ident)
        raise NotYet(
            f"{name} did not return within {timeout:g} s: look for a loop that never ends, "
            "or a queue.get() or lock that waits forever."
        )
    _refuse_busy_threads()
    if watch.seen:
        raise NotYet(
            f"{name} {watch.seen}: the check grades what your code works out from what it "
            "is given, not what the check knows."
        )
    if "error" in outcome:
        error = outcome["error"]
        if isinstance(error, NotYet):  # the check's own objects refused what it was given
            raise NotYet(str(error)) from None
        if expect and isinstance(error, expect):
            return error
        raise NotYet(
            f"{name} raised {type(error).__name__}: {error}{_where(error, function)}"
        ) from None
    return outcome.get("value")


def plain(value):
    """``value`` with instances of subclasses of str, int, float, list, tuple and dict made
    the builtins themselves (numpy's str_ and float64 are such subclasses): what the check
    compares is then the data, not a class that may answer == as it likes. Other objects
    are returned as they are, for the check to refuse by type."""
    if isinstance(value, bool) or value is None:
        return value
    for kind, convert in ((str, str.__str__), (int, int.__int__), (float, float.__float__)):
        if isinstance(value, kind):
            return convert(value)
    if isinstance(value, list | tuple):
        items = [plain(item) for item in (list.__iter__ if isinstance(value, list)
                                          else tuple.__iter__)(value)]  # fmt: skip
        return items if isinstance(value, list) else tuple(items)
    if isinstance(value, dict):
        return {plain(key): plain(item) for key, item in dict.items(value)}
    return value


def require_function(value, name: str, signature: str) -> None:
    if not callable(value):
        raise NotYet(f"{name} is not a function: define it with def {name}({signature}): ...")


# ---------------------------------------------------------------------------- spans


class Recording:
    """A provider with an in-memory exporter, shut down on exit; its spans as records."""

    def __init__(self, service: str = "checkout", scope: str = "exercise") -> None:
        self.exporter = InMemorySpanExporter()
        self.provider = TracerProvider(resource=Resource.create({"service.name": service}))
        self.provider.add_span_processor(SimpleSpanProcessor(self.exporter))
        self.tracer = self.provider.get_tracer(scope)

    def records(self) -> list[SpanRecord]:
        """The spans as plain data: the SDK keeps a str subclass set as an attribute value
        or a name as it is, one whose == says yes to anything (an exporter would send its
        text)."""
        return [
            dataclasses.replace(
                record,
                **{
                    field.name: plain(getattr(record, field.name))
                    for field in dataclasses.fields(record)
                },
            )  # fmt: skip
            for record in records(self.exporter.get_finished_spans())
        ]

    def __enter__(self) -> Recording:
        return self

    def __exit__(self, *exc_info) -> None:
        self.provider.shutdown()


# ---------------------------------------------------------------------------- tampering

#: Modules whose functions must all be their own: a check trusts them to tell the truth.
_GUARDED = ("coursekit", "services", "opentelemetry")
#: ... and the standard library the harness itself relies on (a fake sys.setprofile would
#: switch the watch off, a fake os.path.realpath would make any file the kit's).
_GUARDED_STDLIB = {"builtins", "textwrap", "json", "random", "math", "contextvars",
                   "threading", "traceback", "io", "queue", "inspect", "linecache", "sys",
                   "os", "posixpath", "gc", "functools", "types", "_thread", "sysconfig",
                   "dataclasses", "collections", "operator", "itertools"}  # fmt: skip
_KIT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # coursekit/
# Where trusted code lives, as imported and with links resolved; worked out once, here,
# so the check never asks os.path (which learner code could replace) again.
_TRUSTED_DIRS = tuple(
    {
        form + os.sep
        for path in (_KIT, os.path.join(os.path.dirname(_KIT), "services"),
                     *(sysconfig.get_paths()[key] for key in ("stdlib", "purelib", "platlib")))
        for form in (os.path.abspath(path), os.path.realpath(path))
    }
)  # fmt: skip


def _trusted(function) -> bool:
    code = getattr(function, "__code__", None)
    return code is None or (_trusted_file(code.co_filename) and _genuine(code))


@functools.lru_cache(maxsize=1024)
def _compiled(filename: str) -> dict | None:
    """(name, first line) -> the code objects compiled from the file on disk."""
    try:
        with open(filename, "rb") as file:
            top = compile(file.read(), filename, "exec", dont_inherit=True)
    except (OSError, SyntaxError, ValueError):
        return None
    codes: dict = {}
    stack = [top]
    while stack:
        code = stack.pop()
        codes.setdefault((code.co_name, code.co_firstlineno), []).append(code)
        stack.extend(const for const in code.co_consts if isinstance(const, types.CodeType))
    return codes


@functools.lru_cache(maxsize=8192)
def _genuine(code: types.CodeType) -> bool:
    """Code that names a trusted file is that file's own: the same bytecode as compiled
    from it (compile() takes any file name, so a name alone proves nothing)."""
    if code.co_filename.startswith("<frozen "):
        return True
    codes = _compiled(code.co_filename)
    return codes is not None and code in codes.get((code.co_name, code.co_firstlineno), ())


@functools.lru_cache(maxsize=4096)
def _trusted_file(name: str) -> bool:
    if name.startswith("<frozen "):  # the standard library's frozen modules
        return True
    # plain string work: a "/../" could climb out of a trusted folder
    return name.startswith(_TRUSTED_DIRS) and "/../" not in name and "/./" not in name


def _method_trusted(cls: type, method, name: str = "") -> bool:
    method = getattr(method, "__func__", method)
    if isinstance(method, functools.partial):
        return _callable_trusted(method)
    if not isinstance(method, types.FunctionType) or _trusted(method):
        return True
    # dataclasses, namedtuples and attrs generate methods ("<string>", "<attrs generated
    # repr ...>"): trusted in the class of a trusted module, under the names they generate
    # (any function can be compiled as "<string>": a samples() or decide() so named is not)
    module_file = getattr(sys.modules.get(cls.__module__), "__file__", None)
    return (
        method.__code__.co_filename.startswith(("<string>", "<attrs generated "))
        and {name or method.__name__, method.__code__.co_name} <= _GENERATED | {"<lambda>"}
        and (name or method.__name__) != "<lambda>"
        and bool(module_file)
        and (_trusted_file(module_file))
    )


#: The methods dataclasses, namedtuples and attrs write for a class.
_GENERATED = {"__init__", "__repr__", "__eq__", "__ne__", "__lt__", "__le__", "__gt__",
              "__ge__", "__hash__", "__setattr__", "__delattr__", "__getstate__",
              "__setstate__", "__new__", "__reduce__"}  # fmt: skip


def _untrusted_method(cls: type) -> str | None:
    for name, method in list(vars(cls).items()):
        if not _method_trusted(cls, method, name):
            return name
    return None


def _callable_trusted(value) -> bool:
    """A function, or a callable object (a partial, an instance) around one, from trusted
    code. Read statically: attributes of arbitrary objects may run code (proxies)."""
    if isinstance(value, types.FunctionType | types.MethodType):
        return _trusted(getattr(value, "__func__", value))
    if isinstance(value, type | types.ModuleType | types.BuiltinFunctionType):
        return True
    if isinstance(value, functools.partial):
        return _callable_trusted(value.func)
    return _untrusted_method(type(value)) is None


def _replaced() -> str | None:
    """The first function the learner's code put in place of the kit's, the SDK's or the
    standard library's own (in the modules a check relies on)."""
    seen: set[int] = set()
    for module_name, module in list(sys.modules.items()):
        if module is None or not (
            module_name.startswith(_GUARDED) or module_name in _GUARDED_STDLIB
        ):
            continue
        for attribute, value in list(vars(module).items()):
            if callable(value) and not isinstance(value, type) and not _callable_trusted(value):
                return f"{module_name}.{attribute}"
            if isinstance(value, type) and id(value) not in seen:
                seen.add(id(value))
                method_name = _untrusted_method(value)
                if method_name:
                    return f"{module_name}.{value.__name__}.{method_name}"
    return None


def _tamper_hint() -> str | None:
    replaced = _replaced()
    if replaced:
        return (
            f"{replaced} is not the course's own any more: your code replaced it. The check "
            "grades what your function does; restart the kernel and leave the kit alone."
        )
    return None


# ---------------------------------------------------------------------------- verdicts


def evaluate(check, *args) -> Outcome:
    """Run ``check(*args)``, which returns the passed message or raises NotYet."""
    hint = _tamper_hint()
    if hint:
        return Outcome(False, hint)
    me = threading.get_ident()
    if _evaluating - {me}:
        return Outcome(False, "another check is running in another thread: run one at a time.")
    nested = me in _evaluating
    _evaluating.add(me)
    try:
        return _evaluate(check, *args)
    finally:
        if not nested:
            _evaluating.discard(me)


def _evaluate(check, *args) -> Outcome:
    try:
        _refuse_busy_threads()
        message = check(*args)
    except NotYet as problem:
        return Outcome(False, _tamper_hint() or str(problem))
    except Exception as error:  # what the learner's code made broke the check: one line
        return Outcome(
            False,
            _tamper_hint()
            or f"the check could not read what your code made ({type(error).__name__}: {error}).",
        )
    hint = _tamper_hint() or _busy_hint()
    if hint:
        return Outcome(False, hint)
    return Outcome(True, message)


def _busy_hint() -> str | None:
    try:
        _refuse_busy_threads()
    except NotYet as problem:
        return str(problem)
    return None
