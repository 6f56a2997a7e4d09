"""The parent starts a worker process; the worker starts a helper program and waits for it.

Each process waits for the children it started before it ends, so nobody is orphaned and
every process is reaped by its own parent.
"""
import os
import subprocess
import sys
from multiprocessing import Process

# The helper is a small Python program of its own: it works for half a second, then reports.
HELPER = "import time; time.sleep(0.5); print('helper done', flush=True)"


def worker():
    helper = subprocess.Popen([sys.executable, "-c", HELPER])
    print(f"worker {os.getpid()} started helper {helper.pid}", flush=True)
    helper.wait()  # reaps the helper: its exit status comes to us, its parent
    print(f"the helper exited with code {helper.returncode}", flush=True)
    print("worker done", flush=True)


if __name__ == "__main__":
    child = Process(target=worker)
    child.start()
    child.join()
    print(f"the worker exited with code {child.exitcode}")
    print("main done")
