"""One more CPU-busy process than there are cores: how long does each one take?

Run it with:  python3 program.py
"""
import os
import time
from multiprocessing import Pool

CPU_SECONDS = 2.0  # how much CPU time each worker burns


def current_core():
    """The core this process is running on right now, as the kernel reports it (Linux)."""
    with open("/proc/self/stat") as f:
        fields_after_name = f.read().rsplit(")", 1)[1].split()
    return int(fields_after_name[36])  # field 39 of /proc/<pid>/stat: the last CPU used


def burn(cpu_seconds):
    """Runs in a worker: keep one core busy with Python arithmetic for cpu_seconds of CPU time."""
    wall_start = time.perf_counter()
    cpu_start = time.process_time()  # CPU time used by this process only
    cores = [current_core()]
    while time.process_time() - cpu_start < cpu_seconds:
        total = 0
        for i in range(20_000):
            total += i
        core = current_core()
        if core != cores[-1]:  # the scheduler moved us to another core: a migration
            cores.append(core)
    wall = time.perf_counter() - wall_start
    return os.getpid(), wall, time.process_time() - cpu_start, cores


if __name__ == "__main__":
    cores = len(os.sched_getaffinity(0))  # cores this process may run on
    workers = cores + 1
    print(f"cores available: {cores}; starting {workers} workers, "
          f"each needs {CPU_SECONDS:.0f} s of CPU time")

    with Pool(processes=workers) as pool:
        reports = pool.map(burn, [CPU_SECONDS] * workers)

    for pid, wall, cpu, seen in reports:
        print(f"  pid {pid}: {wall:.2f} s wall for {cpu:.2f} s CPU = {wall / cpu:.2f}x, "
              f"{len(seen) - 1} core changes seen, cores {sorted(set(seen))}")
    print(f"alone, each would take about 1.00x; sharing {cores} cores between {workers} "
          f"workers, expect about {workers / cores:.2f}x on average")
