"""Median CPU time (user + system) of a command run many times, in milliseconds.

    python3 bench/cpu_median.py RUNS [--setup SHELL-COMMAND] COMMAND [ARG...]
        [--vs [--setup SHELL-COMMAND] COMMAND [ARG...]]...

--setup runs before each run (through sh) and is not counted: a fresh build folder, say.
With --vs, the commands run in turn (the first, the second, ..., RUNS times over), so that
each meets the same machine, and their medians are printed on one line, in order.

Each run is one process; its CPU time is read from getrusage(RUSAGE_CHILDREN), so a loaded
machine slows the wall clock but not the figure.
"""
import resource
import statistics
import subprocess
import sys


def groups(args):
    """The commands, each as (setup or None, argv)."""
    out, current = [], []
    for arg in args + ["--vs"]:
        if arg != "--vs":
            current.append(arg)
            continue
        setup = None
        if current[:1] == ["--setup"]:
            setup, current = current[1], current[2:]
        out.append((setup, current))
        current = []
    return out


def cpu_ms(setup, command):
    if setup is not None:
        subprocess.run(setup, shell=True, stdout=subprocess.DEVNULL, check=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000


runs, commands = int(sys.argv[1]), groups(sys.argv[2:])
samples = [[] for _ in commands]
for _ in range(runs):
    for i, (setup, command) in enumerate(commands):
        samples[i].append(cpu_ms(setup, command))
print(" ".join(f"{statistics.median(s):.2f}" for s in samples))
