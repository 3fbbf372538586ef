"""The smoke-test client against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from ml_service import smoke_test


class Handler(BaseHTTPRequestHandler):
    answer: tuple[int, object] = (200, {"result": [1.0, 2.0]})
    seen: list[dict] = []

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        headers = {key.lower(): value for key, value in self.headers.items()}
        Handler.seen.append({"headers": headers, "body": json.loads(self.rfile.read(length))})
        status, body = Handler.answer
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(json.dumps(body).encode())

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    Handler.seen = []
    httpd = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/score"
    httpd.shutdown()


def test_sends_the_sample_with_traceparent_and_key(server: str) -> None:
    Handler.answer = (200, {"result": [1.0, 2.0]})
    assert smoke_test.smoke_test(server, "secret", retries=1) == [1.0, 2.0]
    request = Handler.seen[0]
    assert request["body"] == {"data": [list(range(1, 11)), list(range(10, 0, -1))]}
    assert re.fullmatch(r"00-[0-9a-f]{32}-[0-9a-f]{16}-01", request["headers"]["traceparent"])
    assert request["headers"]["authorization"] == "Bearer secret"


def test_accepts_an_answer_wrapped_in_a_json_string(server: str) -> None:
    Handler.answer = (200, json.dumps({"result": [1, 2]}))
    assert smoke_test.smoke_test(server, retries=1) == [1, 2]


@pytest.mark.parametrize("answer", [{"result": [1.0]}, {"predictions": [1, 2]}, {"result": ["a", "b"]}])
def test_fails_on_a_wrong_answer(server: str, answer: object) -> None:
    Handler.answer = (200, answer)
    with pytest.raises(smoke_test.SmokeTestFailed):
        smoke_test.smoke_test(server, retries=1)


def test_fails_at_once_on_a_client_error(server: str, capsys) -> None:
    Handler.answer = (400, {"error": "bad"})
    assert smoke_test.main(["--url", server, "--retries", "5", "--delay", "0"]) == 1
    assert len(Handler.seen) == 1
    assert "answered 400" in capsys.readouterr().err


def test_retries_then_gives_up_when_nothing_listens() -> None:
    with pytest.raises(smoke_test.SmokeTestFailed, match="after 2 attempts"):
        smoke_test.smoke_test("http://127.0.0.1:9/score", retries=2, delay=0)
