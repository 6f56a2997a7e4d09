"""Square 1 to 5 in a pool and show which worker PID squared which number.

Pool() starts one worker per CPU this program may use. close() says no more work is coming,
and join() waits until every worker has finished and exited by itself.
"""
import os
from multiprocessing import Pool


def square(n):
    print(f"square({n}) ran in worker {os.getpid()}", flush=True)
    return n * n


if __name__ == "__main__":
    with Pool() as pool:
        print(pool.map(square, [1, 2, 3, 4, 5]))
        pool.close()
        pool.join()
