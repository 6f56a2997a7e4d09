"""Busy workers pinned to one core, spread one per core, and left to the scheduler.

Run it with:  python3 program.py
"""
import os
import time
from multiprocessing import Process, Queue

CPU_SECONDS = 0.5  # CPU time each worker burns


def current_core():
    """The core this process is running on right now, as the kernel reports it (Linux)."""
    with open("/proc/self/stat") as f:
        fields_after_name = f.read().rsplit(")", 1)[1].split()
    return int(fields_after_name[36])  # field 39 of /proc/<pid>/stat: the last CPU used


def burn(cpu_seconds, allowed, results):
    """Runs in a worker: restrict itself to `allowed` cores (None: leave it to the scheduler),
    then burn cpu_seconds of CPU time, noting every core change it sees."""
    if allowed is not None:
        os.sched_setaffinity(0, allowed)  # 0 means this process
    wall_start = time.perf_counter()
    cpu_start = time.process_time()
    seen = [current_core()]
    while time.process_time() - cpu_start < cpu_seconds:
        total = 0
        for i in range(20_000):
            total += i
        core = current_core()
        if core != seen[-1]:
            seen.append(core)
    results.put((os.getpid(), time.perf_counter() - wall_start, seen))


def experiment(title, masks):
    """One worker per entry of `masks`, all at once; print what each one saw."""
    results = Queue()
    workers = [Process(target=burn, args=(CPU_SECONDS, mask, results)) for mask in masks]
    start = time.perf_counter()
    for w in workers:
        w.start()
    reports = [results.get() for _ in workers]  # read the queue before joining
    for w in workers:
        w.join()
    took = time.perf_counter() - start
    moves = sum(len(seen) - 1 for _, _, seen in reports)
    print(f"{title}: {took:.2f} s in all, {moves} core changes")
    for pid, wall, seen in sorted(reports):
        print(f"  pid {pid}: {wall:.2f} s wall for {CPU_SECONDS} s CPU, cores {seen}")
    print(flush=True)


if __name__ == "__main__":
    cores = sorted(os.sched_getaffinity(0))  # the cores this program may use
    n = min(len(cores), 8)                   # keep the run short on a big machine
    print(f"cores this program may use: {cores}; {n} worker{'s' if n > 1 else ''}, "
          f"{CPU_SECONDS} s of CPU each\n")

    experiment(f"all {n} pinned to core {cores[0]}", [{cores[0]}] * n)
    experiment(f"{n} spread, one per core", [{cores[i % len(cores)]} for i in range(n)])
    experiment(f"{n} not pinned", [None] * n)
    experiment(f"{2 * n} not pinned, two per core", [None] * (2 * n))
