import base64
import json
import unittest

from handler import handle


class HandleTest(unittest.TestCase):
    def check(self, event, status, payload):
        resp = handle(event, None)
        self.assertEqual(resp["statusCode"], status)
        self.assertEqual(json.loads(resp["body"]), payload)

    def test_direct_event(self):
        self.check({"text": "one two  three"}, 200, {"words": 3, "characters": 14})

    def test_function_url_event(self):
        self.check({"body": json.dumps({"text": "héllo wörld"})}, 200, {"words": 2, "characters": 11})

    def test_base64_body(self):
        body = base64.b64encode(json.dumps({"text": "a b"}).encode()).decode()
        self.check({"body": body, "isBase64Encoded": True}, 200, {"words": 2, "characters": 3})

    def test_bad_bodies(self):
        self.check({"body": "not json"}, 400, {"error": "body must be a JSON object with a text field"})
        self.check({"body": "[1]"}, 400, {"error": "body must be a JSON object with a text field"})
        self.check({"text": 5}, 400, {"error": "text must be a string"})


if __name__ == "__main__":
    unittest.main()
