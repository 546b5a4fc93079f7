"""The CI jobs of docs/ci.md: checked, or printed as the shell script a runner would run.

    python3 ci_check.py DOC VERSION          check both jobs (exit 1 with a line per problem)
    python3 ci_check.py DOC --script KIND    print KIND's (github or gitlab) steps as one script

Checked: both are valid YAML, run on debian:12, pin BERTH_VERSION to VERSION, and run the same
shell steps in the same order, the last two a configure with -DBERTH_LOCKED=ON and a build.
A printed script sets the job's variables unless the environment has them (a test points
BERTH_REPOSITORY at a local repository), then runs each step, stopping at the first failure.
"""
import re
import shlex
import sys

import yaml


def blocks(doc):
    """The yaml blocks of the document, parsed, by kind: github (has jobs) or gitlab."""
    found = {}
    for text in re.findall(r"^```yaml\n(.*?)^```$", open(doc, encoding="utf-8").read(),
                           re.M | re.S):
        data = yaml.safe_load(text)
        found["github" if "jobs" in data else "gitlab"] = data
    return found


def job_of(kind, data):
    """(image, variables, shell steps) of the job."""
    if kind == "github":
        job = next(iter(data["jobs"].values()))
        steps = [s["run"] for s in job["steps"] if "run" in s]
        lines = []
        for step in steps:  # a step's lines, with `\` continuations joined, as commands
            lines += [l.strip() for l in step.replace("\\\n", " ").splitlines() if l.strip()]
        return job.get("container"), job.get("env", {}), lines
    job = next(iter(data.values()))
    return job.get("image"), job.get("variables", {}), job["before_script"] + job["script"]


def squeeze(command):
    return " ".join(command.split())


def problems_of(doc, version):
    jobs = blocks(doc)
    problems = [f"no {k} job" for k in ("github", "gitlab") if k not in jobs]
    if problems:
        return problems
    (gh_image, gh_vars, gh_steps), (gl_image, gl_vars, gl_steps) = (
        job_of("github", jobs["github"]), job_of("gitlab", jobs["gitlab"]))
    for kind, image, variables in (("github", gh_image, gh_vars), ("gitlab", gl_image, gl_vars)):
        if image != "debian:12":
            problems.append(f"{kind}: runs on {image}, not debian:12")
        if str(variables.get("BERTH_VERSION")) != version:
            problems.append(f"{kind}: pins berth {variables.get('BERTH_VERSION')}, not {version}")
    if [squeeze(s) for s in gh_steps] != [squeeze(s) for s in gl_steps]:
        problems.append(f"the jobs' steps differ:\n  github: {gh_steps}\n  gitlab: {gl_steps}")
    if len(gh_steps) < 2 or "-DBERTH_LOCKED=ON" not in gh_steps[-2] or \
            not gh_steps[-1].startswith("cmake --build"):
        problems.append(f"the jobs do not end with a locked configure and a build: {gh_steps}")
    return problems


def script(doc, kind):
    _, variables, steps = job_of(kind, blocks(doc)[kind])
    lines = ["set -eo pipefail"]
    for name, value in variables.items():
        lines.append(f'[ -n "${{{name}:-}}" ] || {name}={shlex.quote(str(value))}; export {name}')
    return "\n".join(lines + steps) + "\n"


if sys.argv[2] == "--script":
    sys.stdout.write(script(sys.argv[1], sys.argv[3]))
    sys.exit(0)
found = problems_of(sys.argv[1], sys.argv[2])
for p in found:
    print(p)
print(f"docs/ci.md: {len(found)} problem(s)")
sys.exit(1 if found else 0)
