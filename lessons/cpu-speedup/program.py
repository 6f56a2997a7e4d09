"""A fixed amount of CPU work split over 1, 2, ... up to twice as many processes as cores.

Run it with:  python3 program.py
or, to start the processes another way:  python3 program.py spawn   (or fork, forkserver)

Before each parallel part, the parent does a serial part alone (think of reading the input),
so the measured speedup can be set beside Amdahl's law.
"""
import multiprocessing
import os
import sys
import time
from multiprocessing import Process

PARALLEL_SECONDS = 1.0   # about this much CPU work is split among the processes
SERIAL_SECONDS = 0.125   # about this much the parent does alone first: 1/9 of the total


def crunch(steps):
    """Pure Python arithmetic: the kind of work the GIL keeps on one core per process."""
    total = 0
    for i in range(steps):
        total += i * i % 7
    return total


def steps_per_second():
    """How many steps of crunch this machine does in one second, measured on one core."""
    steps = 100_000
    while True:
        start = time.perf_counter()
        crunch(steps)
        elapsed = time.perf_counter() - start
        if elapsed > 0.1:
            return steps / elapsed
        steps *= 2


def run(processes, serial_steps, parallel_steps):
    """The serial part in this process, then the parallel part split over `processes` children.

    Returns the wall time of the whole thing, process starts and joins included.
    """
    start = time.perf_counter()
    crunch(serial_steps)
    share = parallel_steps // processes
    children = [Process(target=crunch, args=(share,)) for _ in range(processes)]
    for child in children:
        child.start()
    for child in children:
        child.join()
    return time.perf_counter() - start


def worker_counts(cores):
    """1 to 2 x cores, or a sample of that range on a machine with many cores."""
    if cores <= 6:
        return list(range(1, 2 * cores + 1))
    return sorted({1, 2, 3, 4, cores // 2, cores, cores + 1, cores + cores // 2, 2 * cores})


if __name__ == "__main__":
    if len(sys.argv) > 1:
        multiprocessing.set_start_method(sys.argv[1])
    cores = len(os.sched_getaffinity(0))  # the cores this program may use
    rate = steps_per_second()
    serial_steps = int(rate * SERIAL_SECONDS)
    parallel_steps = int(rate * PARALLEL_SECONDS)
    serial_fraction = serial_steps / (serial_steps + parallel_steps)
    print(f"cores available: {cores}; start method: {multiprocessing.get_start_method()}")
    print(f"work: {SERIAL_SECONDS} s serial + {PARALLEL_SECONDS} s parallel "
          f"(serial fraction s = {serial_fraction:.2f})")
    print()
    print("  N   wall s   speedup   ideal   Amdahl")

    baseline = None
    for n in worker_counts(cores):
        wall = run(n, serial_steps, parallel_steps)
        if baseline is None:
            baseline = wall
        usable = min(n, cores)  # more processes than cores add no more cores
        amdahl = 1 / (serial_fraction + (1 - serial_fraction) / usable)
        print(f"{n:3}   {wall:6.3f}   {baseline / wall:7.2f}   {usable:5}   {amdahl:6.2f}",
              flush=True)

    print()
    if serial_fraction > 0:
        print(f"Amdahl's limit with s = {serial_fraction:.2f}: at most {1 / serial_fraction:.1f}x, "
              "however many cores")
    else:
        print("Amdahl's limit with s = 0: none, the speedup could grow with every core")
