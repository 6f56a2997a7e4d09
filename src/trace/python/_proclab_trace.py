"""proclab's instrumentation of a traced Python program (loaded by proclab's sitecustomize).

Every Python process of the traced program (the main one, forked children, spawned children, the
fork server and its children, pool and executor workers) opens its own connection to the Unix
socket named by PROCLAB_TRACE_SOCKET and sends UTF-8 JSON objects there, one a line. Every
message has "k" (its kind), "pid" (the sender) and "t" (time.monotonic(): CLOCK_MONOTONIC).

Kinds and their fields:
  hello            ppid, name, python, executable (first message of every connection)
  process_started  child, name, role ("process" | "pool" | "executor"), sent by the parent
  process_exited   child, code (multiprocessing's exitcode), sent by the parent, once
  exiting          code, sent by a multiprocessing child at the end of its _bootstrap
  call             call, api, n, chunksize, workers: a pool or executor call, sent by the caller
                   (n: its items if known; its items are numbered by `queued`)
  queued           call, first, count, followed: items first … first+count-1 of the call take
                   the next task numbers: all of a call of known size when it is made, those
                   of a call of unknown size as they are queued (sent by the caller); the
                   first `followed` of them will be reported, the rest run without detail
  items            call, first, labels, results, error, times, cpu: items first, first+1, …
                   of the call, sent by the worker running them (see _send_items)
  output           stream ("stdout" | "stderr"), text, sent when bytes reach fd 1 or 2

PROCLAB_TRACE_SPEED=X divides every time.sleep duration by X. PROCLAB_TRACE_MAX_TASKS=N: items a
process queues past its first N run without detail (proclab follows no more). With
PROCLAB_TRACE_EXIT_WITH_PROCLAB=1 the process is killed (SIGKILL) when proclab closes its end of
the connection: the kernel does that itself (O_ASYNC with F_SETSIG=SIGKILL on the socket), so
no watcher thread runs in the program (a thread would make os.fork() warn on Python 3.12+); a
thread watches only where the kernel refuses that.

Nothing here may raise into the program or block it for long: a process that cannot report
stops reporting and runs as it would without proclab.
"""

import _socket
import _thread
import codecs
import fcntl
import io
import itertools
import os
import sys
import time

_monotonic = time.monotonic
_real_sleep = time.sleep

try:
    from _json import encode_basestring_ascii as _json_str
except ImportError:  # a CPython built without the accelerator
    from json.encoder import py_encode_basestring_ascii as _json_str


SOCKET_PATH = os.environ.get("PROCLAB_TRACE_SOCKET") or None
EXIT_WITH_PROCLAB = os.environ.get("PROCLAB_TRACE_EXIT_WITH_PROCLAB") == "1"

LABEL_CHARS = 24
RESULT_CHARS = 80
ERROR_CHARS = 200
# Longest a send may wait for room in the socket while proclab reads none of what is there
# (a proclab that is only slow, or starved of CPU on a busy machine, is waited for), before
# this process gives up reporting.
SEND_PATIENCE_S = 5.0
# Longest connecting to proclab may take.
CONNECT_PATIENCE_S = 1.0
# Room kept free in the socket's send buffer: a send never has to wait inside the kernel.
SEND_MARGIN = 16384
CHUNK = 16384
# What one send may cost in the kernel's accounting (sk_buff truesize): at most about twice its
# bytes (allocations round up to a power of two) plus the sk_buff itself.
SKB_OVERHEAD = 1024
PENDING_LIMIT = 10000

_F_SETSIG = 10  # fcntl.h on Linux; the fcntl module may not name it
_TIOCOUTQ = 0x5411  # bytes queued in a socket's send buffer (SIOCOUTQ), generic Linux value
_SIGKILL = 9
_SHORT_OF_MEMORY = (105, 12)  # ENOBUFS, ENOMEM (Linux; the errno module costs an import)


# ---------------------------------------------------------------------------------------------
# The connection: one per process, opened again in a forked child.


class _Conn:
    """This process's connection to proclab, or the reason it has none."""

    __slots__ = (
        "sock",
        "fd",
        "ident",
        "pid",
        "sndbuf",
        "room",
        "alive",
        "pending",
        "busy",
        "deferred",
    )

    def __init__(self):
        self.sock = None
        self.fd = -1
        self.ident = None
        self.pid = os.getpid()
        self.sndbuf = 212992
        self.room = 0  # bytes that can surely be sent without measuring the queue again
        self.alive = False
        self.pending = None  # a list while hello waits for the process's name
        self.busy = False
        self.deferred = []


_conn = _Conn()
_lock = _thread.RLock()
_local = _thread._local()
_call_numbers = itertools.count(1)


def _connect(conn):
    """Opens the connection; on any failure the process just does not report."""
    if SOCKET_PATH is None:
        return
    sock = None
    try:
        sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
        sock.settimeout(CONNECT_PATIENCE_S)
        sock.connect(SOCKET_PATH)
        sock.setblocking(False)
        fd = sock.fileno()
        st = os.fstat(fd)
        conn.sndbuf = sock.getsockopt(_socket.SOL_SOCKET, _socket.SO_SNDBUF)
        conn.sock, conn.fd, conn.ident = sock, fd, (st.st_dev, st.st_ino)
        conn.alive = True
        if EXIT_WITH_PROCLAB:
            try:
                _kill_me_on_eof(fd)
            except Exception:  # no signal-driven I/O here: a thread watches instead
                _thread.start_new_thread(_watch_for_eof, (conn,))
    except Exception:
        if sock is not None:
            try:
                sock.close()
            except Exception:
                pass


def _kill_me_on_eof(fd):
    """Asks the kernel to SIGKILL this process when the socket turns readable (proclab never
    writes, so that is proclab closing its end, or dying)."""
    fcntl.fcntl(fd, fcntl.F_SETOWN, os.getpid())
    fcntl.fcntl(fd, getattr(fcntl, "F_SETSIG", _F_SETSIG), _SIGKILL)
    fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_ASYNC)


def _watch_for_eof(conn):
    """Kills this process when proclab closes the connection (only where _kill_me_on_eof
    failed: a thread is visible to the program, the kernel's signal is not)."""
    import select

    try:
        poller = select.poll()
        poller.register(conn.fd, select.POLLIN | select.POLLHUP)
        while conn.sock is not None and conn.pid == os.getpid():
            if not poller.poll(1000):
                continue
            if not _still_ours(conn):
                return
            try:
                data = conn.sock.recv(1, _socket.MSG_PEEK | _socket.MSG_DONTWAIT)
            except BlockingIOError:
                continue
            if not data:
                os.kill(os.getpid(), _SIGKILL)
            conn.sock.recv(65536, _socket.MSG_DONTWAIT)  # proclab never writes; drop it
    except Exception:
        pass


def _drop(conn, proclab_gone=False):
    """Stops reporting from this process. If proclab is gone and asked for it, the process
    dies; if proclab is only slow, the socket stays open so that its end still kills us."""
    conn.alive = False
    conn.pending = None
    if proclab_gone and EXIT_WITH_PROCLAB:
        os.kill(os.getpid(), _SIGKILL)
    sock = conn.sock
    if sock is None:
        return
    try:
        if not _still_ours(conn):
            conn.sock = None
            sock.detach()  # the fd number now belongs to the program: leave it alone
        elif proclab_gone or not EXIT_WITH_PROCLAB:
            conn.sock = None
            sock.close()
    except Exception:
        pass


def _still_ours(conn):
    """Whether our fd still is our socket (a program may close fds it did not open)."""
    try:
        st = os.fstat(conn.fd)
    except OSError:
        return False
    return (st.st_dev, st.st_ino) == conn.ident


def _queued_bytes(fd):
    raw = fcntl.ioctl(fd, _TIOCOUTQ, b"\0\0\0\0")
    return int.from_bytes(raw, sys.byteorder)


def _write_line(conn, data):
    """Writes one line without ever waiting inside the kernel: the send buffer must have room
    first (a send that had to wait would arm the socket's write-space signal). The queue is
    measured (ioctl) only when what was sent since the last measure might have filled it."""
    if not _still_ours(conn):
        _drop(conn)
        return
    sock = conn.sock
    view = memoryview(data)
    deadline = None
    queued = None
    while view:
        piece = view[:CHUNK]
        cost = 2 * len(piece) + SKB_OVERHEAD
        if conn.room < cost:
            before, queued = queued, _queued_bytes(conn.fd)
            conn.room = conn.sndbuf - SEND_MARGIN - queued
            if conn.room < cost:
                reading = before is not None and queued < before  # proclab reads: wait on
                deadline = _waited(conn, deadline, reading)
                if deadline is None:
                    return
                continue
        try:
            sent = sock.send(piece, _socket.MSG_NOSIGNAL)
        except BlockingIOError:
            sent = 0
            conn.room = 0
        except (BrokenPipeError, ConnectionResetError):
            _drop(conn, proclab_gone=True)
            return
        except OSError as error:  # the kernel short of memory for a moment: wait, then again
            if error.errno not in _SHORT_OF_MEMORY:
                raise
            deadline = _waited(conn, deadline, False)
            if deadline is None:
                return
            continue
        conn.room -= cost
        view = view[sent:]


def _waited(conn, deadline, progress):
    """Waits a moment before a send is tried again. Returns the deadline to go on with (a new
    one at the first wait, or when `progress` says proclab read since the last), or None once
    it passed: the process then stops reporting."""
    if deadline is None or progress:
        deadline = _monotonic() + SEND_PATIENCE_S
    elif _monotonic() > deadline:
        _drop(conn)
        return None
    _real_sleep(0.001)
    return deadline


def _encode(value):
    kind = type(value)
    if kind is str:
        return _json_str(value)
    if kind is _Json:
        return value
    if kind is int:
        return str(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, float):
        return repr(value) if value == value and abs(value) != float("inf") else "null"
    return _json_str(str(value))


def _line(pid, kind, fields):
    parts = ['{"k":"%s","pid":%d,"t":%r' % (kind, pid, _monotonic())]
    for key, value in fields:
        parts.append(',"%s":%s' % (key, _encode(value)))
    parts.append("}\n")
    return "".join(parts).encode("utf-8")


def send(kind, *fields):
    """Sends one message of `kind` with `fields` ((name, value) pairs); never raises."""
    _report(_line, kind, fields)


def _report(line_of, *args):
    """Sends the line `line_of(pid, *args)` makes for this process; never raises (a process
    that cannot report stops reporting)."""
    try:
        pid = _reporting_pid()
        if pid is not None:
            _send_line(line_of(pid, *args))
    except Exception:
        try:
            _drop(_conn)
        except Exception:
            pass


def _reporting_pid():
    """This process's PID, or None if it does not report. A child forked without the at-fork
    hooks (a C extension's fork) opens its own connection first."""
    pid = os.getpid()
    if _conn.pid != pid:
        _after_fork_in_child()
    return pid if _conn.alive else None


def _send_line(data):
    """Sends one encoded message line (under the lock: lines never interleave)."""
    conn = _conn
    with _lock:
        if conn.pending is not None:
            if len(conn.pending) < PENDING_LIMIT:
                conn.pending.append(data)
            return
        if conn.busy:  # re-entered (a signal handler printed during a send): send after
            conn.deferred.append(data)
            return
        conn.busy = True
        try:
            _write_line(conn, data)
            while conn.deferred and conn.alive:
                _write_line(conn, conn.deferred.pop(0))
        finally:
            conn.busy = False
            conn.deferred = []


def _process_name():
    mp = sys.modules.get("multiprocessing.process")
    if mp is not None:
        try:
            return mp.current_process().name
        except Exception:
            pass
    return "MainProcess"


def send_hello(name=None):
    """Sends hello, then anything that waited for it (under the lock: nothing comes between)."""
    conn = _conn
    with _lock:
        pending, conn.pending = conn.pending, None
        send(
            "hello",
            ("ppid", os.getppid()),
            ("name", _process_name() if name is None else name),
            ("python", "%d.%d.%d" % tuple(sys.version_info[:3])),
            ("executable", sys.executable),
        )
        try:
            for data in pending or ():
                if not conn.alive:
                    break
                _write_line(conn, data)
        except Exception:
            _drop(conn)


def _wait_for_name():
    """Holds messages back until hello can say the process's name (set by _bootstrap)."""
    _conn.pending = []


def _start_connection(wait_for_name=False, name=None):
    _connect(_conn)
    if wait_for_name:
        _wait_for_name()
    else:
        send_hello(name)


def _after_fork_in_child():
    """A forked child reports on a connection of its own, never on its parent's."""
    global _conn, _lock
    try:
        old = _conn
        _lock = _thread.RLock()
        _conn = _Conn()
        if old.sock is not None:
            try:
                if _still_ours(old):
                    old.sock.close()
                else:
                    old.sock.detach()
            except Exception:
                pass
        starting = getattr(_local, "starting", None)
        _local.starting = None
        if starting is not None:  # forked by Process.start(): the child's name is known
            _start_connection(name=starting.name)
        else:  # the fork server's children get their name from _bootstrap
            _start_connection(wait_for_name=_in_fork_server)
    except Exception:
        pass


_in_fork_server = False


# ---------------------------------------------------------------------------------------------
# Output: the std streams keep their buffering; their lowest layer reports what reaches the fd.


class _ReportingFileIO(io.FileIO):
    """fd 1 or 2: every write is reported with the bytes that reached the fd. Named like the
    class it stands for, so a program that prints its streams' types prints the same."""

    # Reached through the class: at interpreter shutdown module globals may already be gone
    # while objects' __del__ methods still print.
    _fileio_write = io.FileIO.write

    def write(self, b):
        n = self._fileio_write(b)
        if n:
            try:
                data = bytes(memoryview(b).cast("B")[:n])
                text = self._proclab_decoder.decode(data)
                if text:
                    self._proclab_send("output", ("stream", self._proclab_stream), ("text", text))
            except Exception:
                pass
        return n


_ReportingFileIO.__name__ = _ReportingFileIO.__qualname__ = "FileIO"
_ReportingFileIO._proclab_send = staticmethod(send)

_original_streams = []


def _replace_stream(attr, fd, stream):
    """sys.<attr> again, over a reporting raw layer, with the same buffering and encoding."""
    orig = getattr(sys, attr, None)
    if type(orig) is not io.TextIOWrapper:
        return
    buf = orig.buffer
    if type(buf) is io.BufferedWriter:
        raw = buf.raw
    elif type(buf) is io.FileIO:
        raw, buf = buf, None
    else:
        return
    if type(raw) is not io.FileIO or raw.fileno() != fd or orig.closed:
        return
    orig.flush()
    new_raw = _ReportingFileIO(fd, "w", closefd=False)
    new_raw.name = raw.name
    new_raw._proclab_stream = stream
    new_raw._proclab_decoder = codecs.getincrementaldecoder("utf-8")("replace")
    layer = new_raw
    if buf is not None:
        size = buf.__sizeof__() - object.__sizeof__(buf)  # the buffer's own bytes
        if size <= 0:
            size = getattr(raw, "_blksize", io.DEFAULT_BUFFER_SIZE)
        layer = io.BufferedWriter(new_raw, size)
    new = io.TextIOWrapper(
        layer,
        encoding=orig.encoding,
        errors=orig.errors,
        newline="\n",
        line_buffering=orig.line_buffering,
        write_through=orig.write_through,
    )
    new.mode = orig.mode
    _original_streams.append(orig)
    setattr(sys, attr, new)
    if getattr(sys, "__%s__" % attr, None) is orig:
        setattr(sys, "__%s__" % attr, new)


# ---------------------------------------------------------------------------------------------
# time.sleep at --speed.


def _speed():
    try:
        speed = float(os.environ.get("PROCLAB_TRACE_SPEED", ""))
    except ValueError:
        return None
    if speed > 0 and speed != 1 and speed != float("inf"):
        return speed
    return None


def _scale_sleep(speed):
    real = time.sleep

    def sleep(secs):
        try:
            scaled = secs / speed
        except TypeError:
            return real(secs)  # the same error as without proclab
        return real(scaled)

    sleep.__doc__ = real.__doc__
    sleep.__wrapped__ = real
    time.sleep = sleep


# ---------------------------------------------------------------------------------------------
# Tasks. The caller numbers items as they are queued (`queued`, one message per chunk); the worker
# runs a whole chunk in one loop and reports the items' times together (`items`).

# How often a worker running many items reports them; also how soon a long item's start shows.
REPORT_EVERY_NS = 20_000_000
# Most items one `items` message holds (a label is at most 24 characters and a result 80, so
# even fully escaped this stays well under proclab's 256 KiB message limit).
ITEMS_PER_MESSAGE = 256

# Items past this many (counted in the process that queues them) run without detail: proclab
# follows no more tasks than that.
try:
    MAX_TASKS = int(os.environ.get("PROCLAB_TRACE_MAX_TASKS", ""))
except ValueError:
    MAX_TASKS = None

_thread_time_ns = time.thread_time_ns
_monotonic_ns = time.monotonic_ns
_queued_here = 0  # items this process queued, followed or not


class _Json(str):
    """Text that already is JSON (a list): sent as it is."""

    __slots__ = ()


def _json_list(texts):
    """A JSON array of strings (None: null)."""
    if None in texts:
        return _Json("[%s]" % ",".join("null" if t is None else _json_str(t) for t in texts))
    return _Json("[%s]" % ",".join(map(_json_str, texts)))


def _json_plain(texts):
    """A JSON array of strings that need no escapes (str or repr of ints, floats, None)."""
    return _Json('["%s"]' % '","'.join(texts) if texts else "[]")


def _cut_all(texts, chars):
    if texts and max(map(len, texts)) > chars:
        return [text[:chars] for text in texts]
    return texts


def label_of(item):
    """Short text for an item: the first element of a tuple/list if a str or int, else str."""
    try:
        if isinstance(item, (tuple, list)) and item and isinstance(item[0], (str, int)):
            text = str(item[0])
        else:
            text = _text_start(str, item, LABEL_CHARS)
    except Exception:
        text = "?"
    return text[:LABEL_CHARS]


def _labels(items):
    """JSON array of label_of of each item; ints and strs (the common tiny items) in one pass."""
    try:
        kinds = set(map(type, items))
        if kinds <= {int}:
            return _json_plain(_cut_all(list(map(str, items)), LABEL_CHARS))
        if kinds <= {str}:
            return _json_list(_cut_all(list(items), LABEL_CHARS))
    except Exception:  # an int too long to show, say
        pass
    return _json_list(list(map(label_of, items)))


def _calls_label(func, args, kwargs):
    """The label of an apply/submit: its arguments; for a callable that holds a batch of calls
    (joblib's BatchedCalls, maybe wrapped), the first argument of each call in the batch."""
    if args or kwargs:
        return label_of(args if args else tuple(kwargs.values()))
    for _ in range(3):
        batch = getattr(func, "items", None)
        if isinstance(batch, list):
            try:
                firsts = [call[1][0] if call[1] else "()" for call in batch]
                return ",".join(map(label_of, firsts))[:LABEL_CHARS]
            except Exception:
                break
        func = getattr(func, "func", None)
        if func is None:
            break
    return "()"


def _one_result(value):
    """The JSON array of _describe_result of `value`."""
    text = _describe_result(value)
    return "[null]" if text is None else "[%s]" % _json_str(text)


def _describe_error(exc):
    try:
        return ("%s: %s" % (type(exc).__name__, exc))[:ERROR_CHARS]
    except Exception:
        return type(exc).__name__[:ERROR_CHARS]


def _describe_result(value):
    try:
        return _text_start(repr, value, RESULT_CHARS)
    except Exception:
        return None


# Types whose repr never needs a JSON escape.
_PLAIN_RESULTS = {int, float, bool, type(None)}


def _describe_results(values):
    """JSON array of _describe_result of each value; plain values (the common tiny results)
    in one pass."""
    try:
        kinds = set(map(type, values))
        if kinds <= _PLAIN_RESULTS:
            return _json_plain(_cut_all(list(map(repr, values)), RESULT_CHARS))
        if kinds <= {str}:
            return _json_list(_cut_all(list(map(repr, values)), RESULT_CHARS))
    except Exception:  # an int too long to show, say
        pass
    return _json_list(list(map(_describe_result, values)))


def _text_start(show, value, chars):
    """show(value)[:chars], without showing all of a long list, tuple, set or dict (every
    element takes at least 3 characters, so `chars` elements give the same start)."""
    kind = type(value)
    if kind in (list, tuple, set, dict) and len(value) > chars:
        if kind is dict:
            head = ", ".join("%r: %r" % pair for pair in itertools.islice(value.items(), chars))
            return ("{" + head)[:chars]
        if kind is set:
            return ("{" + ", ".join(map(repr, itertools.islice(value, chars))))[:chars]
        return show(value[:chars])[:chars]
    return show(value)[:chars]


def _send_items(call, first, labels, results, error, times, cpu):
    """Reports items first, first+1, … of `call`: `labels` (a JSON array) of each; `results`
    (a JSON array of reprs) of those that returned; `error` of the one after them that raised;
    `times` (CLOCK_MONOTONIC ns) the start of the first and the end of each finished one; a label
    past the finished ones is an item that started at times[-1] and runs on. `cpu`: this
    thread's CPU ns over those times, if any finished."""
    send(
        "items",
        ("call", call),
        ("first", first),
        ("labels", labels),
        ("results", results),
        ("error", error),
        ("times", _Json(repr(times))),
        ("cpu", cpu),
    )


def _send_item(call, first, label, results, error, times, cpu):
    """_send_items for one item (a one-item chunk, an apply or a submit: the most frequent
    message when chunks are small), formatted in one step: `label` and `error` are texts (or
    None), `results` a JSON array (_one_result, or "[]")."""
    _report(_item_line, call, first, label, results, error, times, cpu)


def _item_line(pid, call, first, label, results, error, times, cpu):
    return (
        _ITEM_LINE
        % (
            pid,
            _monotonic(),
            call,
            first,
            _json_str(label),
            results,
            "null" if error is None else _json_str(error),
            ",".join(map(str, times)),
            "null" if cpu is None else cpu,
        )
    ).encode("utf-8")


# An `items` message of one item, as _line would write it (a call's id needs no escape).
_ITEM_LINE = (
    '{"k":"items","pid":%d,"t":%r,"call":"%s","first":%d,"labels":[%s],"results":%s,'
    '"error":%s,"times":[%s],"cpu":%s}\n'
)


# Items that take under QUICK_NS each are quick. After quick items the next one's start is not
# reported on its own (it would show for less than a frame, and a report costs a worker more
# than a tiny item): its report, when it ends, says when it started. So a worker running many
# quick items sends one report a chunk. A long item after quick ones shows when it ends; after a
# long one, the next start shows at once.
QUICK_NS = 2_000_000
# Whether the items this process ran last were quick.
_ran_quick = False


def _note_pace(began, end, count):
    """Remembers whether the `count` items that ran from `began` to `end` were quick."""
    global _ran_quick
    _ran_quick = count > 0 and end - began < QUICK_NS * count


# How a work's function takes an item.
_ONE = 0  # func(item)                         map, imap
_STAR = 1  # func(*item)                       starmap
_ZIP = 2  # func(*item), item a tuple of one element per iterable   Executor.map
_ARGS = 3  # func(*args, **kwargs) of one apply/submit


class _TracedFunc:
    """The function of one pool or executor call, in the caller: hands out the call's items as
    _Work for the workers. A call of known size numbers all its items when it is made (so tasks
    follow the order of the program's calls); one of unknown size (a generator) numbers them
    as they are queued."""

    __slots__ = ("func", "call", "mode", "n", "followed", "queued")

    def __init__(self, func, call, mode, n):
        self.func = func
        self.call = call
        self.mode = mode
        self.n = n
        self.queued = 0
        self.followed = None if n is None else _number(call, 0, n)

    def work(self, count):
        """The next `count` items of the call, about to be queued."""
        with _lock:
            first = self.queued
            self.queued += count
        if self.n is None:
            followed = _number(self.call, first, count)
        else:
            followed = max(0, min(count, self.followed - first))
        return _Work(self.func, self.call, self.mode, first, followed)

    def paired(self, iterable):
        """(work, item) for each item of `iterable`, numbered as they are taken (imap with
        chunksize 1 queues them one by one, as its task handler reaches them)."""
        for item in iterable:
            yield self.work(1), item

    def __reduce__(self):
        return (_TracedFunc, (self.func, self.call, self.mode, self.n))

    def __call__(self, *args, **kwargs):  # only where a worker's pool was not patched
        return self.func(*args, **kwargs)


def _number(call, first, count):
    """Numbers items first … first+count-1 of `call` (a `queued` message); returns how many
    of them (the first ones) are followed: those within this process's first MAX_TASKS."""
    global _queued_here
    with _lock:
        before = _queued_here
        _queued_here += count
    followed = count if MAX_TASKS is None else max(0, min(count, MAX_TASKS - before))
    send("queued", ("call", call), ("first", first), ("count", count), ("followed", followed))
    return followed


def _run_paired(pair):
    """What imap with chunksize 1 runs for each (work, item)."""
    work, item = pair
    return work.run_one(item)


class _Work:
    """Items first … first+n-1 of a call, as a worker receives them; the first `followed` of
    them are reported. Runs them as the pool or executor would (same results, same exceptions,
    same order)."""

    __slots__ = ("func", "call", "mode", "first", "followed")

    def __init__(self, func, call, mode, first, followed):
        self.func = func
        self.call = call
        self.mode = mode
        self.first = first
        self.followed = followed

    def __reduce__(self):
        return (_Work, (self.func, self.call, self.mode, self.first, self.followed))

    def __call__(self, *args, **kwargs):
        """One apply/submit (or, where the worker's pool was not patched, one item as is)."""
        if self.mode != _ARGS or not self.followed:
            return self.func(*args, **kwargs)
        label = _calls_label(self.func, args, kwargs)
        return self._run_single(label, self.func, args, kwargs)

    def run_one(self, item):
        """One item of imap with chunksize 1."""
        if not self.followed:
            return self.func(item)
        return self._run_single(label_of(item), self.func, (item,), {})

    def _run_single(self, label, func, args, kwargs):
        call, first = self.call, self.first
        start = _monotonic_ns()
        cpu = _thread_time_ns()
        if not _ran_quick:
            _send_item(call, first, label, "[]", None, (start,), None)
        try:
            result = func(*args, **kwargs)
        except BaseException as exc:
            end = _monotonic_ns()
            cpu = _thread_time_ns() - cpu
            _note_pace(start, end, 1)
            _send_item(call, first, label, "[]", _describe_error(exc), (start, end), cpu)
            raise
        end = _monotonic_ns()
        cpu = _thread_time_ns() - cpu
        _note_pace(start, end, 1)
        _send_item(call, first, label, _one_result(result), None, (start, end), cpu)
        return result

    def run_chunk(self, items):
        """The list mapstar, starmapstar or _process_chunk would return for `items`."""
        func = self.func
        star = self.mode != _ONE
        if not isinstance(items, (tuple, list)):
            items = tuple(items)
        followed = min(self.followed, len(items))
        if followed == 1 == len(items):  # chunksize 1: a chunk's report is one item's
            item = items[0]
            args = item if star else (item,)
            if self.mode == _ZIP and len(item) == 1:
                item = item[0]
            return [self._run_single(label_of(item), func, args, {})]
        results = []
        if followed:
            head = items if followed == len(items) else items[:followed]
            _ChunkReport(self, head).run(func, star, results)
        if followed < len(items):
            rest = items[followed:]
            results.extend(itertools.starmap(func, rest) if star else map(func, rest))
        return results


class _ChunkReport:
    """Runs a chunk's items and reports them in a few `items` messages: when it starts (unless
    the items before were quick), then every REPORT_EVERY_NS or ITEMS_PER_MESSAGE items (with
    the start of the item then beginning), and when it ends. Items run in runs that double in length while they are quick,
    so the loop over them only calls the function, keeps its result and reads the clock."""

    __slots__ = ("work", "items", "reported", "cpu")

    def __init__(self, work, items):
        self.work = work
        self.items = items
        self.reported = 0  # items before this one were reported finished
        self.cpu = _thread_time_ns()

    def run(self, func, star, results):
        keep = results.append
        clock = _monotonic_ns
        items = self.items
        size, at, count = 1, 0, len(items)
        began = clock()
        times = [began] if _ran_quick else self.flush(results, [began], running=True)
        try:
            while at < count:
                part = items[at : at + size]
                part_began = times[-1]
                note = times.append
                if star:
                    for item in part:
                        keep(func(*item))
                        note(clock())
                else:
                    for item in part:
                        keep(func(item))
                        note(clock())
                at += len(part)
                now = times[-1]
                quick = now - part_began < REPORT_EVERY_NS // 4
                size = min(size * 2, ITEMS_PER_MESSAGE) if quick else 1
                if now - times[0] >= REPORT_EVERY_NS or len(times) > ITEMS_PER_MESSAGE:
                    times = self.flush(results, times, running=True)
        except BaseException as exc:
            times.append(clock())
            _note_pace(began, times[-1], len(results) + 1)
            self.flush(results, times, error=_describe_error(exc))
            raise
        _note_pace(began, times[-1], count)
        self.flush(results, times)

    def flush(self, results, times, running=False, error=None):
        """Reports the items finished since the last report (`times`: the start of the first,
        the end of each), then, with `error`, the one after them, which raised it, or, if
        `running`, the start of the next one; returns the times list to go on with."""
        now = times[-1]
        try:
            first, done = self.reported, len(results)
            running = running and done < len(self.items)
            stop = done + 1 if (running or error is not None) else done
            if stop > first:
                cpu = None
                if done > first or error is not None:
                    mark = _thread_time_ns()
                    cpu, self.cpu = mark - self.cpu, mark
                labels = self._labels(first, stop)
                texts = _describe_results(results[first:done])
                _send_items(self.work.call, self.work.first + first, labels, texts, error, times,
                            cpu)
            self.reported = done
        except Exception:
            pass
        return [now]

    def _labels(self, start, stop):
        items = self.items[start:stop]
        if self.work.mode == _ZIP and all(len(item) == 1 for item in items):
            items = [item[0] for item in items]
        return _labels(items)


_OURS = (_TracedFunc, _Work)


def _new_call(api, n, chunksize, workers):
    """Announces a call (what the program asked for); its items are numbered as queued."""
    call = "%d.%d" % (os.getpid(), next(_call_numbers))
    send(
        "call",
        ("call", call),
        ("api", api),
        ("n", n),
        ("chunksize", chunksize),
        ("workers", workers),
    )
    return call


def _length(iterable):
    try:
        return len(iterable)
    except Exception:
        return None


def _pool_size(pool):
    size = getattr(pool, "_processes", None)
    return size if isinstance(size, int) else None


def _check_running(pool):
    """Raises what Pool raises for a closed pool, before anything is announced."""
    check = getattr(pool, "_check_running", None)
    if check is not None:
        check()


def _chunk_runner(module, name):
    """Replaces module.<name> (mapstar, starmapstar, _process_chunk: what a worker runs for a
    chunk) with one that runs a _Work's chunk with its report, and anything else as before.
    Pickled by name, so workers unpickle their own (patched) copy. Returns it."""
    orig = getattr(module, name, None)
    if orig is None or getattr(orig, "__wrapped__", None) is not None:
        return orig
    if name == "_process_chunk":

        def runner(fn, chunk):
            if type(fn) is _Work:
                return fn.run_chunk(chunk)
            return orig(fn, chunk)

    else:

        def runner(args):
            if type(args[0]) is _Work:
                return args[0].run_chunk(args[1])
            return orig(args)

    _copy_names(runner, orig)
    setattr(module, name, runner)
    return runner


def _patch_pool(module):
    Pool = getattr(module, "Pool", None)
    if Pool is None:
        return
    thread_pool = getattr(module, "ThreadPool", ())
    _chunk_runner(module, "mapstar")
    _chunk_runner(module, "starmapstar")

    def passes_through(pool, func):
        """A ThreadPool's tasks run in this process's threads: not what trace shows."""
        return not _conn.alive or isinstance(pool, thread_pool) or type(func) in _OURS

    get_tasks = Pool.__dict__.get("_get_tasks")
    if isinstance(get_tasks, staticmethod):
        chunks_of = get_tasks.__func__

        def _get_tasks(func, it, size):
            if type(func) is not _TracedFunc:
                yield from chunks_of(func, it, size)
                return
            for _, chunk in chunks_of(func, it, size):
                yield func.work(len(chunk)), chunk

        _copy_names(_get_tasks, chunks_of)
        Pool._get_tasks = staticmethod(_get_tasks)

    def mapping(name, mode):
        orig = Pool.__dict__.get(name)
        if orig is None:
            return
        api = "Pool." + name

        def patched(self, func, iterable, chunksize=None, *rest, **kwargs):
            if passes_through(self, func):
                return orig(self, func, iterable, chunksize, *rest, **kwargs)
            if not hasattr(iterable, "__len__"):
                iterable = list(iterable)  # what Pool does itself (its errors are the program's)
            try:
                _check_running(self)
                n = len(iterable)
                size = chunksize if chunksize is not None else _default_chunksize(self, n)
                traced = _TracedFunc(func, _new_call(api, n, size, _pool_size(self)), mode, n)
            except Exception:
                return orig(self, func, iterable, chunksize, *rest, **kwargs)
            return orig(self, traced, iterable, chunksize, *rest, **kwargs)

        _copy_names(patched, orig)
        setattr(Pool, name, patched)

    mapping("map", _ONE)
    mapping("map_async", _ONE)
    mapping("starmap", _STAR)
    mapping("starmap_async", _STAR)

    def lazy_mapping(name):
        orig = Pool.__dict__.get(name)
        if orig is None:
            return
        api = "Pool." + name

        def patched(self, func, iterable, chunksize=1, *rest, **kwargs):
            if passes_through(self, func):
                return orig(self, func, iterable, chunksize, *rest, **kwargs)
            try:
                _check_running(self)
                if not chunksize >= 1:
                    raise ValueError(chunksize)  # Pool raises its own error for it
                n = _length(iterable)
                call = _new_call(api, n, chunksize, _pool_size(self))
                traced = _TracedFunc(func, call, _ONE, n)
            except Exception:
                return orig(self, func, iterable, chunksize, *rest, **kwargs)
            if chunksize == 1:  # one item per task, as Pool decides
                return orig(self, _run_paired, traced.paired(iterable), chunksize, *rest, **kwargs)
            return orig(self, traced, iterable, chunksize, *rest, **kwargs)

        _copy_names(patched, orig)
        setattr(Pool, name, patched)

    lazy_mapping("imap")
    lazy_mapping("imap_unordered")

    def applying(name):
        orig = Pool.__dict__.get(name)
        if orig is None:
            return
        api = "Pool." + name

        # The same defaults as Pool's own apply/apply_async; kwds is passed on, never changed.
        def patched(self, func, args=(), kwds={}, *rest, **kwargs):  # noqa: B006
            if passes_through(self, func):
                return orig(self, func, args, kwds, *rest, **kwargs)
            try:
                _check_running(self)
                call = _new_call(api, 1, None, _pool_size(self))
                work = _TracedFunc(func, call, _ARGS, 1).work(1)
            except Exception:
                return orig(self, func, args, kwds, *rest, **kwargs)
            return orig(self, work, args, kwds, *rest, **kwargs)

        _copy_names(patched, orig)
        setattr(Pool, name, patched)

    applying("apply")  # its apply_async passes our _Work through
    applying("apply_async")


def _default_chunksize(pool, n):
    """The chunksize Pool.map picks when given none."""
    try:
        chunksize, extra = divmod(n, len(pool._pool) * 4)
        if extra:
            chunksize += 1
        return 0 if n == 0 else chunksize
    except Exception:
        return None


def _patch_executor(module):
    """concurrent.futures' ProcessPoolExecutor, or loky's (joblib's default backend): submit,
    map, and the function that runs a chunk of a map in the worker."""
    Executor = getattr(module, "ProcessPoolExecutor", None)
    if Executor is None:
        return
    from functools import partial  # the executor's module imported it already

    runner = _chunk_runner(module, "_process_chunk")
    orig_submit = Executor.__dict__.get("submit")
    orig_map = Executor.__dict__.get("map")

    def workers_of(executor):
        size = getattr(executor, "_max_workers", None)
        return size if isinstance(size, int) else None

    def a_chunk_of_ours(fn, args):
        """partial(_process_chunk, traced): one chunk of our map (submitted by its map)."""
        return (
            runner is not None
            and type(fn) is partial
            and fn.func is runner
            and len(fn.args) == 1
            and type(fn.args[0]) is _TracedFunc
            and len(args) == 1
        )

    if orig_submit is not None:

        def submit(self, fn, /, *args, **kwargs):
            if a_chunk_of_ours(fn, args):
                try:
                    work = fn.args[0].work(len(args[0]))
                except Exception:
                    return orig_submit(self, fn, *args, **kwargs)
                return orig_submit(self, partial(runner, work), *args, **kwargs)
            shut = getattr(self, "_shutdown_thread", False) or getattr(self, "_broken", False)
            if not _conn.alive or type(fn) in _OURS or shut:
                return orig_submit(self, fn, *args, **kwargs)
            try:
                call = _new_call("Executor.submit", 1, None, workers_of(self))
                work = _TracedFunc(fn, call, _ARGS, 1).work(1)
            except Exception:
                return orig_submit(self, fn, *args, **kwargs)
            return orig_submit(self, work, *args, **kwargs)

        _copy_names(submit, orig_submit)
        Executor.submit = submit

    if orig_map is not None and runner is not None:

        def map(self, fn, *iterables, **kwargs):
            chunksize = kwargs.get("chunksize", 1)
            if not _conn.alive or not iterables or type(fn) in _OURS:
                return orig_map(self, fn, *iterables, **kwargs)
            try:
                if not chunksize >= 1:
                    raise ValueError(chunksize)  # the executor raises its own error for it
                lengths = [_length(it) for it in iterables]
                n = None if None in lengths else min(lengths)
                call = _new_call("Executor.map", n, chunksize, workers_of(self))
                traced = _TracedFunc(fn, call, _ZIP, n)
            except Exception:
                return orig_map(self, fn, *iterables, **kwargs)
            return orig_map(self, traced, *iterables, **kwargs)

        _copy_names(map, orig_map)
        Executor.map = map


def _copy_names(wrapper, orig):
    for attr in ("__name__", "__qualname__", "__doc__", "__module__"):
        try:
            setattr(wrapper, attr, getattr(orig, attr))
        except Exception:
            pass
    wrapper.__wrapped__ = orig


# ---------------------------------------------------------------------------------------------
# Processes: who started whom, and how each one ended.


_EXECUTOR_MODULES = (
    "concurrent.futures.process",
    "joblib.externals.loky.process_executor",
    "loky.process_executor",
)


def _role(process):
    target = getattr(process, "_target", None)
    module = getattr(target, "__module__", None)
    name = getattr(target, "__name__", None)
    if module == "multiprocessing.pool" and name == "worker":
        return "pool"
    if module in _EXECUTOR_MODULES and name == "_process_worker":
        return "executor"
    return "process"


def _patch_process(module):
    BaseProcess = getattr(module, "BaseProcess", None)
    if BaseProcess is None:
        return
    orig_start = BaseProcess.__dict__.get("start")
    orig_bootstrap = BaseProcess.__dict__.get("_bootstrap")

    if orig_start is not None:

        def start(self):
            role = _role(self)  # start() forgets the target
            _local.starting = self
            try:
                result = orig_start(self)
            finally:
                _local.starting = None
            try:
                send("process_started", ("child", self.pid), ("name", self.name), ("role", role))
            except Exception:
                pass
            return result

        _copy_names(start, orig_start)
        BaseProcess.start = start

    if orig_bootstrap is not None:

        def _bootstrap(self, *args, **kwargs):
            try:
                if _conn.pending is not None:
                    send_hello(self.name)
            except Exception:
                pass
            code = orig_bootstrap(self, *args, **kwargs)
            try:
                send("exiting", ("code", code if isinstance(code, int) else None))
            except Exception:
                pass
            return code

        _copy_names(_bootstrap, orig_bootstrap)
        BaseProcess._bootstrap = _bootstrap


def _patch_popen(module):
    Popen = getattr(module, "Popen", None)
    orig_poll = None if Popen is None else Popen.__dict__.get("poll")
    if orig_poll is None:
        return

    def poll(self, *args, **kwargs):
        code = orig_poll(self, *args, **kwargs)
        if code is not None:
            try:
                if not self.__dict__.get("_proclab_exit_sent"):
                    self.__dict__["_proclab_exit_sent"] = True
                    send("process_exited", ("child", self.pid), ("code", code))
            except Exception:
                pass
        return code

    _copy_names(poll, orig_poll)
    Popen.poll = poll


def _patch_fork_server(module):
    orig_main = getattr(module, "main", None)
    if orig_main is None:
        return

    def main(*args, **kwargs):
        global _in_fork_server
        _in_fork_server = True
        return orig_main(*args, **kwargs)

    _copy_names(main, orig_main)
    module.main = main


def _patch_context(module):
    """Makes PROCLAB_TRACE_START_METHOD multiprocessing's default start method, as a newer
    Python changes its default: the program may still choose its own with set_start_method."""
    method = os.environ.get("PROCLAB_TRACE_START_METHOD")
    contexts = getattr(module, "_concrete_contexts", {})
    default = getattr(module, "_default_context", None)
    if method in contexts and default is not None and hasattr(default, "_default_context"):
        default._default_context = contexts[method]


_PATCHERS = {
    "multiprocessing.context": _patch_context,
    "multiprocessing.process": _patch_process,
    "multiprocessing.pool": _patch_pool,
    "multiprocessing.popen_fork": _patch_popen,
    "multiprocessing.popen_forkserver": _patch_popen,
    "multiprocessing.forkserver": _patch_fork_server,
    "concurrent.futures.process": _patch_executor,
    "joblib.externals.loky.process_executor": _patch_executor,
    "loky.process_executor": _patch_executor,
}


def _patch(name, module):
    try:
        _PATCHERS[name](module)
    except Exception:
        pass


class _PatchingLoader:
    """Runs the real loader, then patches the module it made."""

    def __init__(self, loader, name):
        self._loader = loader
        self._name = name

    def create_module(self, spec):
        create = getattr(self._loader, "create_module", None)
        return None if create is None else create(spec)

    def exec_module(self, module):
        self._loader.exec_module(module)
        _patch(self._name, module)

    def __getattr__(self, attr):
        return getattr(self._loader, attr)


class _PatchingFinder:
    """Patches multiprocessing's modules when the program imports them (importing them up
    front would make every start slower)."""

    @staticmethod
    def find_spec(name, path=None, target=None):
        if name not in _PATCHERS:
            return None
        try:
            for finder in sys.meta_path:
                if isinstance(finder, _PatchingFinder):
                    continue
                find = getattr(finder, "find_spec", None)
                if find is None:
                    continue
                spec = find(name, path, target)
                if spec is not None:
                    if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                        spec.loader = _PatchingLoader(spec.loader, name)
                    return spec
        except Exception:
            pass  # the import system asks the other finders itself, as without proclab
        return None


# ---------------------------------------------------------------------------------------------


def install():
    """Connects, says hello, and instruments this process. Called once, by sitecustomize."""
    try:
        _install()
    except Exception:
        pass


def _install():
    speed = _speed()
    if speed is not None:
        _scale_sleep(speed)
    if SOCKET_PATH is None:
        return
    spawned_child = "--multiprocessing-fork" in getattr(sys, "argv", ())
    _start_connection(wait_for_name=spawned_child)
    os.register_at_fork(after_in_child=_after_fork_in_child)
    for attr, fd in (("stdout", 1), ("stderr", 2)):
        try:
            _replace_stream(attr, fd, attr)
        except Exception:
            pass
    for name in _PATCHERS:
        module = sys.modules.get(name)
        if module is not None:
            _patch(name, module)
    sys.meta_path.insert(0, _PatchingFinder())
    if spawned_child:
        import atexit

        atexit.register(_hello_if_still_waiting)


def _hello_if_still_waiting():
    if _conn.pending is not None and _conn.pid == os.getpid():
        send_hello()


def run_users_sitecustomize(ours):
    """Imports the next sitecustomize on sys.path after ours (file `ours`) as `sitecustomize`,
    so the program's own start-up customization still runs."""
    try:
        spec = _users_sitecustomize(ours)
        if spec is None or spec.loader is None:
            return
        module = sys.modules["_frozen_importlib"].module_from_spec(spec)
    except Exception:
        return
    previous = sys.modules.get("sitecustomize")
    sys.modules["sitecustomize"] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        if previous is not None:
            sys.modules["sitecustomize"] = previous
        raise


def _users_sitecustomize(ours):
    """The spec of the first sitecustomize on sys.path outside our folder, or None."""
    finder = next(f for f in sys.meta_path if getattr(f, "__name__", "") == "PathFinder")
    here = os.path.realpath(os.path.dirname(os.path.abspath(ours)))
    others = []
    for entry in sys.path:
        try:
            folder = os.path.realpath(os.path.abspath(entry or os.curdir))
        except Exception:
            continue
        if folder != here:
            others.append(entry)
    return finder.find_spec("sitecustomize", others)
