"""How child processes end, what exit code the parent sees, and what a pool does when a
worker dies.

Run it with:  python3 program.py
(The tracebacks you see are the children's; the program itself ends normally, exit code 0.)
"""
import os
import signal
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import Pool, Process, TimeoutError


def ok():
    print("ok: returning normally", flush=True)


def exit_3():
    print("exit3: calling sys.exit(3)", flush=True)
    sys.exit(3)


def raise_error():
    print("raise: raising ValueError, which nothing catches", flush=True)
    raise ValueError("something went wrong in the child")


def kill_myself():
    print("kill: sending myself SIGKILL", flush=True)
    os.kill(os.getpid(), signal.SIGKILL)


def job(label):
    """A pool task: B kills the worker that runs it; the others take 0.2 s."""
    if label == "B":
        os.kill(os.getpid(), signal.SIGKILL)
    time.sleep(0.2)
    return label


def describe(code):
    """What an exitcode means, in words."""
    if code == 0:
        return "ended normally"
    if code < 0:
        name = signal.Signals(-code).name
        return f"killed by signal {-code} ({name}); a shell would show {128 - code}"
    return "ended with an error code"


if __name__ == "__main__":
    print("Part 1: four children end four ways\n", flush=True)
    children = [Process(target=f, name=f.__name__) for f in (ok, exit_3, raise_error, kill_myself)]
    for child in children:
        child.start()
        child.join()  # one at a time, so the tracebacks do not mix
    print()
    for child in children:
        print(f"  {child.name:12} exitcode {child.exitcode:3}: {describe(child.exitcode)}")
    print("  (sys.exit(n) gives n; an exception that nothing catches gives 1, after its traceback)")

    print("\nPart 2: Pool.map over A B C D, and B's worker is killed", flush=True)
    with Pool(processes=2) as pool:
        # pool._pool is a private list of the worker processes, read here only to show PIDs.
        before = sorted(p.pid for p in pool._pool)
        pending = pool.map_async(job, "ABCD")
        try:
            print("  results:", pending.get(timeout=3))
        except TimeoutError:
            # pool.map(job, "ABCD") would wait here forever.
            after = sorted(p.pid for p in pool._pool)
            print("  no results after 3 s: B's result will never come (map would hang)")
            print(f"  worker pids before {before}, now {after}: the pool replaced the dead one")
    # Leaving the with block terminated the pool and its workers.

    print("\nPart 3: the same with concurrent.futures.ProcessPoolExecutor", flush=True)
    with ProcessPoolExecutor(max_workers=2) as executor:
        futures = {}
        message = None
        for label in "ABCD":
            try:
                futures[label] = executor.submit(job, label)
            except BrokenProcessPool as error:
                # B's worker can die before the last jobs are even submitted.
                message = error
                print(f"  {label}: submit raised BrokenProcessPool")
        for label, future in futures.items():
            try:
                print(f"  {label}: {future.result()}")
            except BrokenProcessPool as error:
                message = error
                print(f"  {label}: raised BrokenProcessPool")
        if message:
            print(f"  ({message})")
        try:
            executor.submit(job, "E")
        except BrokenProcessPool:
            print("  and the executor takes no more work: submit raises BrokenProcessPool too")
