"""Median CPU time (user + system) of a command run many times, in milliseconds.

    python3 bench/cpu_median.py RUNS [--setup SHELL-COMMAND] COMMAND [ARG...]

--setup runs before each run (through sh) and is not counted: a fresh build folder, say.

Each run is one process; its CPU time is read from getrusage(RUSAGE_CHILDREN), so a loaded
machine slows the wall clock but not the figure.
"""
import resource
import statistics
import subprocess
import sys

runs, command = int(sys.argv[1]), sys.argv[2:]
setup = None
if command[:1] == ["--setup"]:
    setup, command = command[1], command[2:]
samples = []
for _ in range(runs):
    if setup is not None:
        subprocess.run(setup, shell=True, stdout=subprocess.DEVNULL, check=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    samples.append((after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000)
print(f"{statistics.median(samples):.2f}")
