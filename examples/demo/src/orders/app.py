"""The orders API (example code; readiness-gates never imports or runs it)."""

from flask import Flask, jsonify

app = Flask(__name__)


@app.get("/healthz")
def healthz():
    return jsonify(status="ok")
