"""The baseline of the live-page measurements: a bare Flask app with one route, served by exactly the same
gunicorn settings as the portal (`gunicorn --config gunicorn.conf.py bench.hello_app:app`). Every figure in
docs/performance.md is a ratio to what this app does in the same run on the same machine."""
from flask import Flask

app = Flask(__name__)


@app.route("/hello")
def hello():
    """The cheapest answer Flask and gunicorn can give."""
    return "hello"
