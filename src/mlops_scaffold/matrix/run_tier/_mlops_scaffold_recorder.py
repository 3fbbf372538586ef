"""Records which project files a Python process reads or lists: the run tier keys its runs by them.

Installed into the shared project venvs beside a .pth file, so every Python process started there,
subprocesses included, loads it. It does nothing unless MLOPS_SCAFFOLD_RECORD (the log file) and
MLOPS_SCAFFOLD_RECORD_ROOT (the project) are set. Standard library only: it runs before site-packages
are usable and must not import the code it watches.
"""

import os
import sys

_LOG = os.environ.get("MLOPS_SCAFFOLD_RECORD")
_ROOT = os.environ.get("MLOPS_SCAFFOLD_RECORD_ROOT")


def _install(log: str, root: str) -> None:
    root = os.path.realpath(root)
    prefix = root + os.sep
    fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    seen: set[str] = set()
    busy = [False]

    def note(kind: str, path: object) -> None:
        if isinstance(path, int) or path is None:
            return
        text = os.fsdecode(path)  # type: ignore[arg-type]
        if "\n" in text or len(text) > 1024:
            return
        full = os.path.realpath(os.path.join(os.getcwd(), text))
        if full == root:
            relative = "."
        elif full.startswith(prefix):
            relative = full[len(prefix) :]
        else:
            return
        line = f"{kind} {relative}\n"
        if line not in seen:
            seen.add(line)
            # One write per line: appends from concurrent processes stay whole, and a process killed
            # by a signal (the scoring server) has logged everything it read.
            os.write(fd, line.encode())

    def hook(event: str, args: tuple) -> None:
        if busy[0] or event not in ("open", "os.listdir", "os.scandir", "subprocess.Popen"):
            return
        busy[0] = True
        try:
            if event == "open":
                # rmtree opens by names relative to a folder's descriptor, not to the working
                # directory, and deleting is not reading.
                if not sys._getframe(1).f_code.co_name.lstrip("_").startswith("rmtree"):
                    note("R", args[0])
            elif event == "subprocess.Popen":
                # A program that is not Python is not recorded: the project files on its command line
                # (Rscript's script and data) stand for what it reads.
                for argument in args[1] or ():
                    if isinstance(argument, (str, bytes, os.PathLike)) and os.path.exists(argument):
                        note("R", argument)
            elif not sys._getframe(1).f_code.co_filename.startswith("<frozen importlib"):
                # Listings by code (pkgutil, glob, rglob) are keyed. The import system's own listing of
                # every sys.path folder is not: what an import finds, it opens, and that is keyed.
                note("L", args[0] if args[0] is not None else ".")
        except Exception:  # a recorder must never break the process it watches
            pass
        finally:
            busy[0] = False

    sys.addaudithook(hook)


if _LOG and _ROOT:
    _install(_LOG, _ROOT)
