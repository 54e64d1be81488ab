"""Counts the words and characters of a text sent through a Function URL or
API Gateway (payload format 2.0), or directly as {"text": "..."}."""

import base64
import json


def handle(event, context):
    body = event.get("body")
    if body is None:
        text = event.get("text", "")
    else:
        if event.get("isBase64Encoded"):
            body = base64.b64decode(body).decode("utf-8")
        try:
            text = json.loads(body).get("text", "") if body else ""
        except (ValueError, AttributeError):
            return _response(400, {"error": "body must be a JSON object with a text field"})
    if not isinstance(text, str):
        return _response(400, {"error": "text must be a string"})
    return _response(200, {"words": len(text.split()), "characters": len(text)})


def _response(status, payload):
    return {"statusCode": status, "headers": {"Content-Type": "application/json"},
            "body": json.dumps(payload)}
