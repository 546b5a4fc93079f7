"""The man page and the shell completions say what `berth help` says, for every command.

    python3 tests/e2e/docgen_check.py <berth>

Each command's section of the man page (`berth __generate man`) is the text of `berth COMMAND
--help`; the bash completion offers, after `berth COMMAND`, exactly the long options and
subcommands that help lists, and the fish completion names the same options. Prints one line
per problem and exits 1 when there is any.
"""
import re
import subprocess
import sys

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


problems = []
paths = commands()
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
