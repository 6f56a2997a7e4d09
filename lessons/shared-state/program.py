"""Four processes count to 200,000 each: in their own variables, in one shared counter
without a lock, with a lock, and the usual way, by sending their results back.

Run it with:  python3 program.py
"""
import time
from multiprocessing import Pool, Process, Queue, Value

WORKERS = 4
TIMES = 200_000

counter = 0  # a plain global: every process has its own


def add_to_global(times):
    global counter
    for _ in range(times):
        counter += 1


def add_unlocked(shared, times):
    for _ in range(times):
        shared.value += 1  # read, add, write: three steps, and another process can cut in


def add_locked(shared, times):
    for _ in range(times):
        with shared.get_lock():  # only one process at a time between read and write
            shared.value += 1


def count_and_send(times, results):
    mine = 0
    for _ in range(times):
        mine += 1
    results.put(mine)  # one message at the end


def count_and_return(times):
    mine = 0
    for _ in range(times):
        mine += 1
    return mine


def run(target, *args):
    """Start WORKERS processes on target(*args, TIMES...), join them, return seconds taken."""
    start = time.perf_counter()
    workers = [Process(target=target, args=args) for _ in range(WORKERS)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return time.perf_counter() - start


if __name__ == "__main__":
    expected = WORKERS * TIMES
    print(f"{WORKERS} processes, each adds 1 to a counter {TIMES:,} times: "
          f"the right total is {expected:,}\n")

    took = run(add_to_global, TIMES)
    print(f"a plain global variable:       parent sees {counter:>9,}   ({took:.2f} s)")

    # lock=False: a bare int in shared memory, nothing protects it.
    shared = Value("i", 0, lock=False)
    took = run(add_unlocked, shared, TIMES)
    print(f"shared memory, no lock:        parent sees {shared.value:>9,}   ({took:.2f} s), "
          f"{expected - shared.value:,} updates lost")

    # The default Value has a lock, but `+=` takes it twice: once to read, once to write.
    shared = Value("i", 0)
    took = run(add_unlocked, shared, TIMES)
    print(f"Value's own lock, bare +=:     parent sees {shared.value:>9,}   ({took:.2f} s), "
          f"{expected - shared.value:,} updates lost")

    shared = Value("i", 0)
    took = run(add_locked, shared, TIMES)
    print(f"with get_lock() around +=:     parent sees {shared.value:>9,}   ({took:.2f} s)")

    # The usual way: share nothing, send each result back once.
    results = Queue()
    start = time.perf_counter()
    workers = [Process(target=count_and_send, args=(TIMES, results)) for _ in range(WORKERS)]
    for w in workers:
        w.start()
    total = sum(results.get() for _ in workers)  # read the queue before joining
    for w in workers:
        w.join()
    took = time.perf_counter() - start
    print(f"each sends its count (Queue):  parent sees {total:>9,}   ({took:.2f} s)")

    start = time.perf_counter()
    with Pool(processes=WORKERS) as pool:
        total = sum(pool.map(count_and_return, [TIMES] * WORKERS))
    took = time.perf_counter() - start
    print(f"each returns its count (Pool): parent sees {total:>9,}   ({took:.2f} s)")
