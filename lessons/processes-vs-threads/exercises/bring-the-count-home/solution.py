"""Four processes each add 1 to a counter 1000 times; the parent prints the total.

Each child counts in its own variable and sends its count to the parent on a Queue; the
parent adds up what it receives.
"""
import os
from multiprocessing import Process, Queue

WORKERS = 4
TIMES = 1000


def add(times, counts):
    counter = 0  # this child's own counter: no other process can see it
    for _ in range(times):
        counter += 1
    print(f"child {os.getpid()} added {times}", flush=True)
    counts.put(counter)  # send the number home


if __name__ == "__main__":
    counts = Queue()
    children = [Process(target=add, args=(TIMES, counts)) for _ in range(WORKERS)]
    for child in children:
        child.start()
    total = sum(counts.get() for _ in children)  # one message from each child
    for child in children:
        child.join()
    print(f"total {total}")
