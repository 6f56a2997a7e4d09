"""Two children greet, the parent waits for them and reports their exit codes.

This works with the `fork` start method and breaks with `spawn` and `forkserver`.
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


settings = load_settings()
children = [
    multiprocessing.Process(target=greet, args=(f"child {n}", settings)) for n in (1, 2)
]
for child in children:
    child.start()
for child in children:
    child.join()
print("exit codes:", [child.exitcode for child in children])
