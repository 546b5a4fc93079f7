"""A to-do API, as a model wrote it. The scaffold's PORT environment variable picks the port."""
import os

from flask import Flask, jsonify, request

app = Flask(__name__)
TODOS = [{"id": 1, "title": "Try berth", "done": False}]


@app.get("/health")
def health():
    return jsonify(status="ok")


@app.get("/api/todos")
def list_todos():
    return jsonify(TODOS)


@app.post("/api/todos")
def add_todo():
    todo = {"id": len(TODOS) + 1, "title": request.get_json()["title"], "done": False}
    TODOS.append(todo)
    return jsonify(todo), 201


if __name__ == "__main__":
    app.run(host=os.environ.get("HOST", "0.0.0.0"), port=int(os.environ["PORT"]))
