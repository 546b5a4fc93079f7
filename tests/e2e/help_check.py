"""Every command's help ends with an example that runs, and the man page and the shell
completions say what `berth help` says.

    python3 tests/e2e/help_check.py <berth>

Each command's example is run in the order of the help listing, in one temporary folder
prepared with a store holding two apps and a lease, a berth export, a plan file with its stamps,
two bare template folders and a tree of one existing app; it must exit 0. Each command's section of the man page (`berth __generate man`) is the text of `berth COMMAND
--help`; the bash completion offers, after `berth COMMAND`, exactly the long options and
subcommands that help lists, and the fish completion names the same options. Prints one line
per problem and exits 1 when there is any.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

berth = sys.argv[1]


def run(*args):
    return subprocess.run([berth, *args], capture_output=True, text=True, check=True).stdout


def help_words(text):
    """The long options of a help text and its subcommands' names, as completion words."""
    words, section = set(), None
    for line in text.splitlines():
        if re.match(r"^\S.*:$", line):
            section = line[:-1]
            continue
        if not line.strip():
            section = None  # a blank line ends a section (the example follows one)
        if section == "Options":
            words |= set(re.findall(r"(?:^|,)(--[a-z][a-z-]*)", line.strip().split(" ")[0]))
        elif section == "Subcommands" and line.strip():
            words.add(line.split()[0])
    return words


def commands():
    """Every command path ("pool set"), from the top-level and each command's help."""
    found, todo = [], [""]
    while todo:
        path = todo.pop(0)
        text = run(*path.split(), "--help")
        section = None
        for line in text.splitlines():
            if re.match(r"^\S.*:$", line):
                section = line[:-1]
            elif not line.strip():
                section = None
            elif section == "Subcommands" and line.strip():
                sub = (path + " " + line.split()[0]).strip()
                found.append(sub)
                todo.append(sub)
    return found


def man_sections(man):
    sections = {}
    for m in re.finditer(r"^\.SS berth ([^\n]*)\n\.nf\n(.*?)^\.fi$", man, re.M | re.S):
        text = re.sub(r"^\\&", "", m.group(2), flags=re.M).replace("\\e", "\\")
        sections[m.group(1)] = text
    return sections


def bash_words(path):
    words = path.split() + [""]
    script = (f"source <({berth} __generate bash)\n"
              f"COMP_WORDS=(berth {' '.join(words)}); COMP_CWORD={len(words)}\n"
              "_berth; printf '%s\\n' \"${COMPREPLY[@]}\"")
    out = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def example_of(text):
    """The example line at the end of a help text, or None."""
    m = re.search(r"\nExample:\n  (berth [^\n]*)\n$", text)
    return m.group(1) if m else None


def prepare(folder):
    """The folder the examples run in, and the environment they run with."""
    bin_dir = os.path.join(folder, "bin")
    os.makedirs(bin_dir)
    os.symlink(os.path.abspath(berth), os.path.join(bin_dir, "berth"))
    env = dict(os.environ, BERTH_STORE=os.path.join(folder, "store"),
               PATH=bin_dir + os.pathsep + os.environ["PATH"])
    os.makedirs(os.path.join(folder, "old-apps", "claude", "app7"))
    with open(os.path.join(folder, "old-apps", "claude", "app7", ".env"), "w") as f:
        f.write("BACKEND_PORT=5100\n")
    for bare in ["my-template", "stack"]:
        os.makedirs(os.path.join(folder, bare))
        with open(os.path.join(folder, bare, "compose.yml"), "w") as f:
            f.write('services:\n  web:\n    ports: ["{{frontend_port}}:80"]\n')
    with open(os.path.join(folder, "apps.json"), "w") as f:
        f.write('[{"model": "gpt", "app": 1, "out": "apps/gpt/app1", "target": "gpt_app1"}]\n')
    for line in ["berth reserve claude 1", "berth reserve claude 2", "berth lease acquire pr-1",
                 "berth export -o backup.json", "berth plan apps.json --stamps stamps"]:
        subprocess.run(line, shell=True, cwd=folder, env=env, check=True, capture_output=True)
    return env


def check_examples(paths, problems):
    folder = tempfile.mkdtemp()
    try:
        env = prepare(folder)
        for path in paths:
            line = example_of(run(*path.split(), "--help"))
            if line is None:
                problems.append(f"berth {path} --help ends with no example")
                continue
            if not line.startswith(f"berth {path} ") and line != f"berth {path}" and \
                    " " in path:
                problems.append(f"the example of 'berth {path}' runs another command: {line}")
            out = subprocess.run(line, shell=True, cwd=folder, env=env, capture_output=True,
                                 text=True)
            if out.returncode != 0:
                problems.append(f"example '{line}' exits {out.returncode}: {out.stderr.strip()}")
    finally:
        shutil.rmtree(folder)


problems = []
paths = commands()
check_examples(paths, problems)
if len(paths) < 30:
    problems.append(f"only {len(paths)} commands found in the help texts")
man = run("__generate", "man")
sections = man_sections(man)
fish = run("__generate", "fish")
for path in [""] + paths:
    text = run(*path.split(), "--help")
    if path and sections.get(path) != text:
        problems.append(f"man page section 'berth {path}' differs from berth {path} --help")
    expected, offered = help_words(text), bash_words(path)
    if offered != expected:
        problems.append(f"bash after 'berth {path}': offers {sorted(offered ^ expected)} "
                        "differently from its help")
    for word in expected:
        if word.startswith("--") and f" -l {word[2:]}\n" not in fish:
            problems.append(f"fish: no {word} for 'berth {path}'")
if "__generate" in man or "__generate" in " ".join(bash_words("")):
    problems.append("the hidden __generate command is offered")
if not run("__generate", "zsh").startswith("#compdef berth\n"):
    problems.append("the zsh completion does not start with #compdef berth")
for p in problems:
    print(p)
print(f"{len(paths)} commands checked, {len(problems)} problem(s)")
sys.exit(1 if problems else 0)
