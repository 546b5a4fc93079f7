"""Render N apps with cookiecutter in one Python process; print the seconds per app.

    python3 bench/cookiecutter_batch.py COOKIECUTTER_TEMPLATE OUT_DIR N
"""
import sys
import time

from cookiecutter.main import cookiecutter

template, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
start = time.perf_counter()
for i in range(1, n + 1):
    cookiecutter(template, no_input=True, output_dir=out, extra_context={
        "model": "bench/model", "model_json": '"bench/model"', "app_num": str(i),
        "project_name": "bench-model-app%d" % i, "project_name_json": '"bench-model-app%d"' % i,
        "backend_port": str(20000 + 2 * i), "frontend_port": str(30000 + 2 * i),
        "app_title_json": '"Generated App"'})
print("%.6f" % ((time.perf_counter() - start) / n))
