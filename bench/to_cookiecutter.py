"""Turn a berth template folder into a cookiecutter template with the same content.

    python3 bench/to_cookiecutter.py TEMPLATE_DIR OUT_DIR

berth placeholders {{key}} / {{key|default}} become {{ cookiecutter.key }}; every other run of
text that Jinja would read ({{ }}, {% %}, {# #}) is wrapped in {% raw %}. The app folder is
{{ cookiecutter.project_name }}, and .env is a copy of .env.example (berth makes it itself).
"""
import json
import os
import re
import sys

PLACEHOLDER = re.compile(r"(?<!\\)\{\{ *([A-Za-z_][A-Za-z0-9_]*) *(?:\|([^}\n]*))?\}\}")
JINJA = re.compile(r"\{\{|\{%|\{#|\}\}|%\}|#\}")


def convert(text, keys):
    out, pos = [], 0
    for m in PLACEHOLDER.finditer(text):
        out.append(literal(text[pos:m.start()]))
        keys.setdefault(m.group(1), (m.group(2) or "").strip())
        out.append("{{ cookiecutter.%s }}" % m.group(1))
        pos = m.end()
    out.append(literal(text[pos:]))
    return "".join(out)


def literal(segment):
    return "{% raw %}" + segment + "{% endraw %}" if JINJA.search(segment) else segment


def main(src, dst):
    manifest = json.load(open(os.path.join(src, "template.json")))
    keys = {}
    root = os.path.join(dst, "{{ cookiecutter.project_name }}")
    files_dir = os.path.join(src, "files")
    for folder, _, names in os.walk(files_dir):
        for name in names:
            rel = os.path.relpath(os.path.join(folder, name), files_dir)
            text = open(os.path.join(folder, name), encoding="utf-8").read()
            targets = [rel] + ([".env"] if rel == ".env.example" else [])
            for target in targets:
                path = os.path.join(root, convert(target, keys))
                os.makedirs(os.path.dirname(path), exist_ok=True)
                open(path, "w", encoding="utf-8").write(convert(text, keys))
    context = {k: v for k, v in sorted(keys.items())}
    for name, var in manifest.get("variables", {}).items():
        context[name] = var["default"]
    context.setdefault("project_name", "app")
    json.dump(context, open(os.path.join(dst, "cookiecutter.json"), "w"), indent=2)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
