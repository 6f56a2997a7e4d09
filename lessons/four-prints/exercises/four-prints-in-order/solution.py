"""Four children print 3, 2, 1 and 7, in that order every run, while all four work at once.

Each child gets the event of the child before it (the first gets none) and an event of its own.
It does its work, waits until the child before it has printed, prints, then sets its own event,
which lets the next child print.
"""
import time
from multiprocessing import Event, Process

WORK_SECONDS = {3: 0.45, 2: 0.30, 1: 0.15, 7: 0.60}


def show(number, previous_printed, i_printed):
    """Runs in a child process: work, wait for the previous child's print, then print."""
    time.sleep(WORK_SECONDS[number])
    if previous_printed is not None:
        previous_printed.wait()
    print(number, flush=True)
    i_printed.set()


if __name__ == "__main__":
    children = []
    previous = None
    for n in (3, 2, 1, 7):
        printed = Event()
        children.append(Process(target=show, args=(n, previous, printed)))
        previous = printed
    for child in children:
        child.start()
    for child in children:
        child.join()
    print("parent: all four children finished")
