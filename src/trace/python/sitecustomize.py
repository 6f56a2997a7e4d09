"""proclab trace: instruments this Python process (see _proclab_trace.py beside this file), then
runs the program's own sitecustomize, if one is further on sys.path, so nothing changes for it."""

import sys

# Our module is compiled once into proclab's private folder and loaded from there by every later
# process, even under PYTHONDONTWRITEBYTECODE: compiling it at each start would cost milliseconds.
_dont_write = sys.dont_write_bytecode
sys.dont_write_bytecode = False
try:
    import _proclab_trace
except Exception:  # instrumentation must never stop the program
    _proclab_trace = None
finally:
    sys.dont_write_bytecode = _dont_write
    del _dont_write
if _proclab_trace is not None:
    _proclab_trace.install()  # never raises
    _proclab_trace.run_users_sitecustomize(__file__)  # raises what theirs raises, as site shows
