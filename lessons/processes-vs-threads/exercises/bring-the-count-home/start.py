"""Four processes each add 1 to a counter 1000 times; the parent prints the total.

It prints "total 0". Make it print "total 4000", with the counting still done in the four
child processes.
"""
import os
from multiprocessing import Process

WORKERS = 4
TIMES = 1000

counter = 0


def add(times):
    global counter
    for _ in range(times):
        counter += 1
    print(f"child {os.getpid()} added {times}", flush=True)


if __name__ == "__main__":
    children = [Process(target=add, args=(TIMES,)) for _ in range(WORKERS)]
    for child in children:
        child.start()
    for child in children:
        child.join()
    print(f"total {counter}")
