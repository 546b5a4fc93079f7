"""Runs the documentation's examples: every runnable block of README.md and docs/*.md.

    python3 doc_test.py BERTH_BUILD_DIR REPO [FILE.md ...]

What a document marks runnable (the format is in docs/ARCHITECTURE.md, "Examples that run"):

- a ```console block: lines starting with `$ ` are commands (a line ending in `\\` goes on
  with the next); the lines after a command, up to the next one, are its output. A command
  shown with output must print exactly that (standard output and error together, trailing
  spaces ignored), where a line `...` stands for any lines and `[...]` for any text in a line.
  A command whose output shows `berth: error:` must fail; any other must succeed.
- a block whose info string has `file=PATH` (```cmake file=CMakeLists.txt): written to PATH,
  relative to the shell's folder at that point, before the commands after it run.
- ```console skip=REASON: not run (a Docker engine, a cluster); listed with its reason.

Each document runs in one bash shell, in order, in a fresh folder that is its $HOME, with a
fresh store (the default, `~/.local/state/berth`), berth installed into a fresh prefix on
PATH (and on CMAKE_PREFIX_PATH, so `find_package(Berth)` finds it), and BERTH_NOW fixed at
2027-01-15T08:00:00Z. In outputs the home folder is shown as `~` and the prefix as `/usr`.
BERTH_DOC_SHOW=1 prints what every command printed, for writing a document.
At the end, every command of docs/cli.md must have run at least once.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

EOF_MARK = "__BERTH_DOC_EOF__"
FENCE = re.compile(r"^( *)```(\S*)(.*)$")  # indented too: a block inside a list item


def parse(path):
    """The steps of one document: ("file", path, text), ("cmd", text, expected lines or None,
    line number) and ("skip", reason, line number)."""
    steps, lines, i = [], open(path, encoding="utf-8").read().split("\n"), 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m or not m.group(2):
            i += 1
            continue
        indent, lang, info, start = len(m.group(1)), m.group(2), m.group(3).strip(), i + 1
        i += 1
        body = []
        while i < len(lines) and lines[i].strip() != "```":
            body.append(lines[i][indent:] if lines[i][:indent].isspace() else lines[i])
            i += 1
        i += 1
        attrs = dict(a.split("=", 1) for a in info.split() if "=" in a)
        if "file" in attrs:
            steps.append(("file", attrs["file"], "\n".join(body) + "\n"))
        elif lang == "console" and "skip" in info:
            steps.append(("skip", info.split("skip=", 1)[-1], start))
        elif lang == "console":
            steps.extend(commands(body, start))
    return steps


def commands(body, start):
    out, j = [], 0
    while j < len(body):
        if not body[j].startswith("$ "):
            j += 1
            continue
        line_no, cmd = start + j + 1, body[j][2:]
        while cmd.endswith("\\") and j + 1 < len(body):
            j += 1
            cmd = cmd + "\n" + body[j]
        j += 1
        expected = []
        while j < len(body) and not body[j].startswith("$ "):
            expected.append(body[j])
            j += 1
        while expected and not expected[-1].strip():
            expected.pop()
        out.append(("cmd", cmd, expected or None, line_no))
    return out


def script(steps, outdir):
    parts = ['cd "$HOME"']
    for n, step in enumerate(steps):
        if step[0] == "file":
            parts.append(f"mkdir -p \"$(dirname '{step[1]}')\"\ncat >'{step[1]}' <<'{EOF_MARK}'\n"
                         f"{step[2]}{EOF_MARK}")
        elif step[0] == "cmd":
            parts.append(f"__cmd=$(cat <<'{EOF_MARK}'\n{step[1]}\n{EOF_MARK}\n)\n"
                         f"{{ eval \"$__cmd\"; }} >'{outdir}/{n}.out' 2>&1 </dev/null\n"
                         f"echo $? >'{outdir}/{n}.rc'")
    return "\n".join(parts) + "\n"


def pattern(expected):
    regex = ""
    for line in expected:
        if line.strip() == "...":
            regex += r"(?:[^\n]*\n)*?"
        else:
            regex += ".*".join(re.escape(p) for p in line.rstrip().split("[...]")) + r"\n"
    return re.compile(regex)


def check(step, n, outdir, subst):
    _, cmd, expected, line_no = step
    try:
        rc = int(open(f"{outdir}/{n}.rc").read())
        text = open(f"{outdir}/{n}.out", encoding="utf-8", errors="replace").read()
    except FileNotFoundError:
        return f"line {line_no}: `{cmd}` did not run (an earlier command ended the shell)"
    for real, shown in subst:
        text = text.replace(real, shown)
    text = "\n".join(l.rstrip() for l in text.split("\n")).rstrip("\n") + "\n"
    if os.environ.get("BERTH_DOC_SHOW"):  # for writing a document: what each command printed
        print(f"$ {cmd}\n{text}", end="")
    fails = any(l.startswith(("berth: error:", '{"error":')) for l in expected or [])
    if fails != (rc != 0):
        return f"line {line_no}: `{cmd}` exited {rc}\n{text}"
    if expected is not None and not pattern(expected).fullmatch(text):
        shown = "\n".join(expected)
        return f"line {line_no}: `{cmd}` printed\n{text}--- the document shows\n{shown}"
    return None


def run_doc(doc, repo, root, prefix, env_base):
    name = os.path.relpath(doc, repo)
    steps = parse(doc)
    home = os.path.join(root, name.replace("/", "_"), "home")
    outdir = os.path.join(root, name.replace("/", "_"), "out")
    os.makedirs(home)
    os.makedirs(outdir)
    env = dict(env_base, HOME=home)
    subprocess.run(["bash", "-c", script(steps, outdir)], env=env, cwd=home, timeout=900,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    subst = [(prefix, "/usr"), (home, "~")]
    failures = [f for n, s in enumerate(steps) if s[0] == "cmd"
                for f in [check(s, n, outdir, subst)] if f]
    ran = [s[1] for s in steps if s[0] == "cmd"]
    skipped = [(s[2], s[1]) for s in steps if s[0] == "skip"]
    checked = sum(1 for s in steps if s[0] == "cmd" and s[2] is not None)
    print(f"{name}: {len(ran)} command(s) run, {checked} with output checked, "
          f"{len(failures)} failed, {len(skipped)} block(s) skipped")
    for line_no, reason in skipped:
        print(f"  skipped line {line_no}: {reason}")
    for f in failures:
        print("  FAIL " + f.replace("\n", "\n    "))
    return failures, ran


COMMAND = re.compile(r"\bberth((?:\s+(?:--store|--namespace)\s+\S+|\s+-\S+)*)\s+([a-z][a-z-]*)")


def cli_commands(repo):
    text = open(os.path.join(repo, "docs/cli.md"), encoding="utf-8").read()
    return sorted(set(re.findall(r"^## `berth ([a-z][a-z-]*)", text, re.M)))


def coverage(repo, ran):
    used = {m.group(2) for cmd in ran for m in COMMAND.finditer(cmd)}
    if any(cmd.lstrip().startswith("cmake ") for cmd in ran):
        used |= {"plan", "build-app"}  # what a CMake configure and build run
    missing = [c for c in cli_commands(repo) if c not in used]
    print(f"docs/cli.md commands run: {len(cli_commands(repo)) - len(missing)} of "
          f"{len(cli_commands(repo))}" + (f"; never run: {', '.join(missing)}" if missing else ""))
    return missing


def main():
    build, repo = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    docs = [os.path.join(repo, d) for d in sys.argv[3:]] or [os.path.join(repo, "README.md")] + \
        sorted(os.path.join(repo, "docs", f) for f in os.listdir(os.path.join(repo, "docs"))
               if f.endswith(".md"))
    root = tempfile.mkdtemp(prefix="berth-docs.")
    try:
        prefix = os.path.join(root, "prefix")
        subprocess.run(["cmake", "--install", build, "--prefix", prefix], check=True,
                       stdout=subprocess.DEVNULL)
        env = {"PATH": f"{prefix}/bin:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", "LANG": "C.UTF-8",
               "CMAKE_PREFIX_PATH": prefix, "BERTH_NOW": "1800000000",
               "BERTH_HOST_STORE": os.path.join(root, "no-host-store"),
               "CMAKE_BUILD_PARALLEL_LEVEL": "2", "USER": "docs"}
        failures, ran = [], []
        for doc in docs:
            f, r = run_doc(doc, repo, root, prefix, env)
            failures += f
            ran += r
        missing = coverage(repo, ran) if len(sys.argv) == 3 else []
        return 1 if failures or missing else 0
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
