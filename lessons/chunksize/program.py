"""square over 100,000 numbers: a pool at three chunksizes, against a plain loop.

Run it with:  python3 program.py
or, to start the workers another way:  python3 program.py spawn   (or fork, forkserver)
"""
import math
import multiprocessing
import sys
import time
from multiprocessing import Pool

ITEMS = range(1, 100_001)
WORKERS = 2


def square(n):
    """Far less work than it takes to send n to another process and the result back."""
    return n * n


def default_chunksize(items, workers):
    """What Pool.map picks when you give no chunksize: len / (4 * workers), rounded up."""
    chunksize, extra = divmod(items, workers * 4)
    return chunksize + 1 if extra else chunksize


if __name__ == "__main__":
    if len(sys.argv) > 1:
        multiprocessing.set_start_method(sys.argv[1])
    count = len(ITEMS)
    print(f"start method: {multiprocessing.get_start_method()}")

    # No pool: one process, one loop, no messages at all.
    start = time.perf_counter()
    expected = [square(n) for n in ITEMS]
    plain = time.perf_counter() - start
    print(f"no pool, a plain loop:   {plain * 1000:8.1f} ms")

    start = time.perf_counter()
    with Pool(processes=WORKERS) as pool:
        started = time.perf_counter() - start
        print(f"starting a pool of {WORKERS}:    {started * 1000:8.1f} ms (paid once)")
        print()
        print(f"pool of {WORKERS}, map over {count:,} items:")
        print("  chunksize          chunks sent   results back    map took")
        for chunksize in (1, None, 50_000):
            size = chunksize or default_chunksize(count, WORKERS)
            chunks = math.ceil(count / size)
            start = time.perf_counter()
            results = pool.map(square, ITEMS, chunksize=chunksize)
            took = time.perf_counter() - start
            assert results == expected
            name = f"{size} (default)" if chunksize is None else f"{size}"
            print(f"  {name:<16}{chunks:>13,}{chunks:>15,}  {took * 1000:9.1f} ms", flush=True)

    print()
    print("Every chunk is pickled, written into a pipe, read and unpickled by a worker, and its")
    print("results travel back the same way. With chunksize 1 that happens 100,000 times, for")
    print("a multiplication that takes well under a microsecond.")
