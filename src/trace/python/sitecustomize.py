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
try:
    if _proclab_trace is not None:
        _proclab_trace.install()
except Exception:
    pass


def _run_users_sitecustomize():
    """Imports the next sitecustomize on sys.path (not ours) as `sitecustomize`."""
    import os
    import sys
    from importlib.machinery import PathFinder

    here = os.path.realpath(os.path.dirname(os.path.abspath(__file__)))
    others = []
    for entry in sys.path:
        try:
            folder = os.path.realpath(os.path.abspath(entry or os.curdir))
        except Exception:
            continue
        if folder != here:
            others.append(entry)
    spec = PathFinder.find_spec("sitecustomize", others)
    if spec is None or spec.loader is None:
        return
    from importlib.util import module_from_spec

    module = module_from_spec(spec)
    ours = sys.modules.get("sitecustomize")
    sys.modules["sitecustomize"] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        if ours is not None:
            sys.modules["sitecustomize"] = ours
        raise


_run_users_sitecustomize()
del _run_users_sitecustomize
