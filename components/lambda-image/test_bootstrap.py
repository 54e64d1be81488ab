"""Runs the runtime loop against a fake Lambda Runtime API on 127.0.0.1."""

import json
import threading
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import bootstrap


class FakeRuntimeAPI(BaseHTTPRequestHandler):
    event = {}
    posts = []

    def do_GET(self):
        assert self.path == "/2018-06-01/runtime/invocation/next", self.path
        body = json.dumps(self.event).encode()
        self.send_response(200)
        self.send_header("Lambda-Runtime-Aws-Request-Id", "req-1")
        self.send_header("Lambda-Runtime-Deadline-Ms", "1795388400000")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        data = self.rfile.read(int(self.headers["Content-Length"]))
        self.posts.append((self.path, self.headers.get("Lambda-Runtime-Function-Error-Type"), json.loads(data)))
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


class RunOnceTest(unittest.TestCase):
    def setUp(self):
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), FakeRuntimeAPI)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.addCleanup(self.server.server_close)
        self.addCleanup(self.server.shutdown)
        self.api = "127.0.0.1:%d" % self.server.server_address[1]
        FakeRuntimeAPI.posts = []

    def test_response(self):
        FakeRuntimeAPI.event = {"text": "a b c"}
        seen = []
        bootstrap.run_once(self.api, lambda event, ctx: seen.append(ctx) or bootstrap.load_handler("handler.handle")(event, ctx))
        path, err_type, body = FakeRuntimeAPI.posts[0]
        self.assertEqual(path, "/2018-06-01/runtime/invocation/req-1/response")
        self.assertIsNone(err_type)
        self.assertEqual(json.loads(body["body"]), {"words": 3, "characters": 5})
        self.assertEqual((seen[0].aws_request_id, seen[0].deadline_ms), ("req-1", 1795388400000))

    def test_error(self):
        FakeRuntimeAPI.event = {}

        def boom(event, ctx):
            raise KeyError("missing")

        bootstrap.run_once(self.api, boom)
        path, err_type, body = FakeRuntimeAPI.posts[0]
        self.assertEqual(path, "/2018-06-01/runtime/invocation/req-1/error")
        self.assertEqual(err_type, "Unhandled")
        self.assertEqual((body["errorType"], body["errorMessage"]), ("KeyError", "'missing'"))

    def test_load_handler(self):
        self.assertIs(bootstrap.load_handler("handler.handle"), __import__("handler").handle)
        with self.assertRaises(ValueError):
            bootstrap.load_handler("handle")


if __name__ == "__main__":
    unittest.main()
