"""The same counting work done by 4 threads and by 4 processes.

Run it with:  python3 program.py
"""
import os
import statistics
import threading
import time
from multiprocessing import Process

WORKERS = 4
TIMES = 1000

counter = 0                # a global variable, in this process's memory
lock = threading.Lock()    # threads must take turns to change it safely


def add_in_thread(times):
    """Runs in a thread: every thread changes the one shared counter."""
    global counter
    for _ in range(times):
        with lock:  # counter += 1 is read, add, write: without the lock, updates can be lost
            counter += 1
    print(f"  thread tid {threading.get_native_id()} in pid {os.getpid()}: "
          f"shared counter is now {counter}", flush=True)


def add_in_process(times):
    """Runs in a child process: it changes its own copy of the counter."""
    global counter
    for _ in range(times):
        counter += 1
    print(f"  process pid {os.getpid()}: my counter is {counter}", flush=True)


def do_nothing():
    pass


def microseconds_to_create(make, rounds=21):
    """Time to create, start and join one thread or process that does nothing.

    The median of several rounds, so one slow round (another program busy) does not skew it.
    """
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        worker = make(target=do_nothing)
        worker.start()
        worker.join()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e6


if __name__ == "__main__":
    print(f"{WORKERS} threads, each adds {TIMES}:")
    threads = [threading.Thread(target=add_in_thread, args=(TIMES,)) for _ in range(WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(f"parent (pid {os.getpid()}): counter = {counter}")  # 4000: one counter, shared

    counter = 0
    print(f"\n{WORKERS} processes, each adds {TIMES}:")
    processes = [Process(target=add_in_process, args=(TIMES,)) for _ in range(WORKERS)]
    for p in processes:
        p.start()
    for p in processes:
        p.join()
    print(f"parent (pid {os.getpid()}): counter = {counter}")  # still 0: each child had a copy

    print("\ncost to create, start and join one that does nothing, in microseconds:")
    print(f"  thread:  {microseconds_to_create(threading.Thread):8.0f}")
    print(f"  process: {microseconds_to_create(Process):8.0f}")
