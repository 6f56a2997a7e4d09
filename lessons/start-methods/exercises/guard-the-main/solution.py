"""Two children greet, the parent waits for them and reports their exit codes.

Only definitions sit at the top level; everything the program does is under the guard, so a
child that imports this file (spawn, forkserver) finds the function and starts nothing.
"""
import multiprocessing
import os
import time


def load_settings():
    print("loading settings", flush=True)
    time.sleep(0.2)  # stands in for reading a big file
    return {"greeting": "hello"}


def greet(name, settings):
    print(f"{settings['greeting']} from {name} (pid {os.getpid()})", flush=True)


if __name__ == "__main__":
    settings = load_settings()
    children = [
        multiprocessing.Process(target=greet, args=(f"child {n}", settings)) for n in (1, 2)
    ]
    for child in children:
        child.start()
    for child in children:
        child.join()
    print("exit codes:", [child.exitcode for child in children])
