"""A minimal AWS Lambda runtime for Python, standard library only.

Lambda starts the image's ENTRYPOINT; this loop asks the Runtime API for the
next event, calls the handler named on the command line ("module.function",
or $_HANDLER) and posts its result or its error back. See
https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html
"""

import importlib
import json
import os
import sys
import traceback
import urllib.request

API_VERSION = "2018-06-01"


class Context:
    """The handler's context: the fields Lambda sends as headers."""

    def __init__(self, headers):
        self.aws_request_id = headers.get("Lambda-Runtime-Aws-Request-Id", "")
        self.invoked_function_arn = headers.get("Lambda-Runtime-Invoked-Function-Arn", "")
        self.deadline_ms = int(headers.get("Lambda-Runtime-Deadline-Ms", "0"))
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")


def load_handler(name):
    """Return the function that name ("module.function") points at."""
    module, _, func = name.rpartition(".")
    if not module:
        raise ValueError(f"handler {name!r} must be module.function")
    return getattr(importlib.import_module(module), func)


def _post(url, payload, headers=None):
    req = urllib.request.Request(url, data=json.dumps(payload).encode(), method="POST",
                                 headers={"Content-Type": "application/json", **(headers or {})})
    with urllib.request.urlopen(req) as resp:
        resp.read()


def run_once(api, handler):
    """Handle one invocation: fetch the next event, call handler, report back."""
    base = f"http://{api}/{API_VERSION}/runtime/invocation"
    with urllib.request.urlopen(f"{base}/next") as resp:
        headers = dict(resp.headers)
        event = json.loads(resp.read() or b"null")
    ctx = Context(headers)
    try:
        result = handler(event, ctx)
    except Exception as exc:  # the error goes back to Lambda, not up
        _post(f"{base}/{ctx.aws_request_id}/error",
              {"errorMessage": str(exc), "errorType": type(exc).__name__,
               "stackTrace": traceback.format_exception(exc)},
              {"Lambda-Runtime-Function-Error-Type": "Unhandled"})
        return
    _post(f"{base}/{ctx.aws_request_id}/response", result)


def main(argv):
    api = os.environ["AWS_LAMBDA_RUNTIME_API"]
    handler = load_handler(argv[1] if len(argv) > 1 else os.environ["_HANDLER"])
    while True:
        run_once(api, handler)


if __name__ == "__main__":
    main(sys.argv)
