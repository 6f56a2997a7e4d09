"""Four processes, four prints; then what buffering does to the output of two more.

Run it with:  python3 program.py
and then:     python3 program.py | cat
"""
import time
from multiprocessing import Process


def show(number):
    """Runs in a child process: print one number."""
    print(number)


def three_lines(name):
    """Runs in a child process: three lines, 0.2 s apart, with no flush=True."""
    for i in range(3):
        print(f"{name}{i}")
        time.sleep(0.2)


if __name__ == "__main__":
    # Part 1: start four processes in this order, then wait for all of them.
    children = [Process(target=show, args=(n,)) for n in (3, 2, 1, 7)]
    for child in children:
        child.start()
    for child in children:
        child.join()
    # Always the last line of part 1: the joins above return only once every child has exited.
    print("parent: all four children finished")

    # Part 2: two children that each print three lines, 0.2 s apart.
    # To a terminal, Python's output is line-buffered: each line is written as it is printed,
    # so you see A0 B0 A1 B1 A2 B2 (A and B may swap within a pair).
    # Into a pipe (python3 program.py | cat) it is block-buffered: each child's lines wait in
    # its buffer until the child exits, so they come out grouped: A0 A1 A2 B0 B1 B2 (or B first).
    # Adding flush=True to the print in three_lines makes the pipe case interleave too.
    children = [Process(target=three_lines, args=(name,)) for name in ("A", "B")]
    for child in children:
        child.start()
    for child in children:
        child.join()
    print("parent: A and B finished")
