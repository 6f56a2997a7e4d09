"""A zombie (a child that exited and is not joined yet) and an orphan (a process whose parent
exited first), watched through /proc.

Run it with:  python3 program.py   (Linux)
"""
import ctypes
import os
import time
import multiprocessing

# Python 3.14 made "forkserver" the default start method on Linux. Its fork server collects
# each child's exit status itself, so no zombie would ever show up under this script. "fork"
# makes the children this script's own, as in the lesson's live run.
mp = multiprocessing.get_context("fork")

PR_SET_CHILD_SUBREAPER = 36  # from <linux/prctl.h>


def state_of(pid):
    """(state letter, parent PID) from /proc/<pid>/stat, or None if no such process."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields_after_name = f.read().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return fields_after_name[0], int(fields_after_name[1])


def name_of(pid):
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return "?"


def short_job():
    print(f"  child {os.getpid()}: done, exiting", flush=True)


def start_grandchild(conn):
    """Runs in a child: start a grandchild that lives 1 s, tell the parent its PID, exit."""
    ready_r, ready_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the grandchild
        print(f"  grandchild {os.getpid()}: my parent is {os.getppid()}", flush=True)
        os.write(ready_w, b"!")  # let the child exit only after this line
        time.sleep(1.0)
        os._exit(0)  # skip Python's clean-up: this process is not a multiprocessing child
    os.read(ready_r, 1)
    conn.send(pid)
    conn.close()
    print(f"  child {os.getpid()}: started grandchild {pid}, now exiting", flush=True)


def watch_orphan(subreaper):
    reader, writer = mp.Pipe(duplex=False)
    child = mp.Process(target=start_grandchild, args=(writer,))
    child.start()
    grandchild = reader.recv()
    child.join()
    time.sleep(0.2)  # give the kernel a moment to re-parent the orphan
    found = state_of(grandchild)
    if found:
        state, ppid = found
        who = "this script" if ppid == os.getpid() else name_of(ppid)
        print(f"  the child {child.pid} is gone; grandchild {grandchild} is an orphan, "
              f"state {state}, new parent PID {ppid} ({who})")
    if subreaper:
        _, status = os.waitpid(grandchild, 0)  # it is our child now: we must reap it
        print(f"  this script reaped the orphan: exit code {os.waitstatus_to_exitcode(status)}")
    else:
        deadline = time.monotonic() + 5
        while state_of(grandchild) and time.monotonic() < deadline:
            time.sleep(0.05)
        left = state_of(grandchild)
        print("  its new parent reaped it when it exited" if left is None
              else f"  still there, state {left[0]}: its new parent has not reaped it")


if __name__ == "__main__":
    print(f"this script: pid {os.getpid()}\n")

    print("Part 1: a zombie")
    child = mp.Process(target=short_job)
    child.start()
    time.sleep(0.5)  # the child exits at once; we wait before joining it
    state, ppid = state_of(child.pid)
    print(f"  before join: child {child.pid} has state {state} (Z = zombie), parent {ppid}")
    child.join()  # collects the exit status; the kernel frees the entry
    print(f"  after join: exit code {child.exitcode}; /proc/{child.pid} "
          f"{'still exists' if state_of(child.pid) else 'is gone'}\n")

    print("Part 2: an orphan")
    watch_orphan(subreaper=False)

    print("\nPart 3: the same, after this script marks itself a child subreaper, as proclab does")
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        print("  prctl(PR_SET_CHILD_SUBREAPER) failed:", os.strerror(ctypes.get_errno()))
    else:
        watch_orphan(subreaper=True)
