"""Backend of {{project_name}}: model {{model_json}}, app {{app_num}}."""
import os

from flask import Flask, jsonify

APP_TITLE = {{app_title_json}}
MODEL = {{model_json}}
PROJECT_NAME = {{project_name_json}}
PORT = int(os.environ.get("PORT", "{{backend_port}}"))

app = Flask(__name__)


@app.get("/health")
def health():
    """Liveness for docker-compose and for humans: always JSON."""
    return jsonify(status="ok", project=PROJECT_NAME, port=PORT)


@app.get("/api/message")
def message():
    return jsonify(title=APP_TITLE, model=MODEL, app={{app_num}}, project=PROJECT_NAME)


if __name__ == "__main__":
    # By hand on this host: loopback only (the container runs gunicorn, see the Dockerfile).
    app.run(host=os.environ.get("HOST", "127.0.0.1"), port=PORT)
