"""Smoke test of a scoring service: two sample rows in, two predictions out.

    python -m ml_service.smoke_test --url http://127.0.0.1:5001/score [--key TOKEN]
    python -m ml_service.smoke_test --target TARGET

Sends {"data": [[1..10], [10..1]]} with a W3C traceparent header (and a bearer token: an Entra ID
token from DefaultAzureCredential for a deployment target), retries while the service is starting,
and fails unless the answer holds exactly two numbers. The token is never printed. A target that is
reachable only inside its virtual network is smoke-tested from inside it.
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
import time
import urllib.error
import urllib.request
import uuid
from typing import Any

SAMPLE = {"data": [list(range(1, 11)), list(range(10, 0, -1))]}
RETRYABLE_STATUS = {404, 408, 429, 500, 502, 503, 504}


class SmokeTestFailed(Exception):
    """The service answered wrongly or not at all."""


def new_traceparent() -> str:
    """A W3C trace context header: version, trace id, parent id, flags (sampled)."""
    return f"00-{secrets.token_hex(16)}-{secrets.token_hex(8)}-01"


def check_result(payload: Any, expected: int) -> list[float]:
    """The predictions of an answer {"result": [...]}, or SmokeTestFailed."""
    if isinstance(payload, str):  # some services return the JSON document as a JSON string
        payload = json.loads(payload)
    result = payload.get("result") if isinstance(payload, dict) else None
    if not isinstance(result, list) or len(result) != expected:
        raise SmokeTestFailed(f'expected a JSON object with "result": a list of {expected} numbers, got {payload!r}')
    if not all(isinstance(value, (int, float)) and not isinstance(value, bool) for value in result):
        raise SmokeTestFailed(f"the predictions are not all numbers: {result!r}")
    return result


def smoke_test(
    url: str,
    key: str | None = None,
    *,
    retries: int = 10,
    delay: float = 3.0,
    timeout: float = 30.0,
    traceparent: str | None = None,
) -> list[float]:
    """POST the sample to `url` and return the predictions; SmokeTestFailed on a wrong answer."""
    headers = {
        "Content-Type": "application/json",
        "traceparent": traceparent or new_traceparent(),
        "x-ms-client-request-id": str(uuid.uuid4()),
    }
    if key:
        headers["Authorization"] = f"Bearer {key}"
    body = json.dumps(SAMPLE).encode()
    last_error = ""
    for attempt in range(1, retries + 1):
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return check_result(json.loads(response.read()), len(SAMPLE["data"]))
        except urllib.error.HTTPError as error:
            detail = error.read().decode(errors="replace")[:500]
            if error.code not in RETRYABLE_STATUS:
                raise SmokeTestFailed(f"{url} answered {error.code}: {detail}") from None
            last_error = f"HTTP {error.code}: {detail}"
        except (urllib.error.URLError, OSError) as error:
            last_error = str(getattr(error, "reason", error))
        except json.JSONDecodeError as error:
            raise SmokeTestFailed(f"{url} did not answer JSON: {error}") from None
        if attempt < retries:
            time.sleep(delay)
    raise SmokeTestFailed(f"no good answer from {url} after {retries} attempts: {last_error}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--url", help="scoring URI, e.g. http://127.0.0.1:5001/score")
    where.add_argument("--target", help="a deployment target of this repo; its URI and key come from Azure")
    parser.add_argument("--key", default=None, help="token sent as a bearer token (default: the target's)")
    parser.add_argument("--retries", type=int, default=10)
    parser.add_argument("--delay", type=float, default=3.0, help="seconds between attempts")
    args = parser.parse_args(argv)
    if args.target:
        # Imported here: resolving a target needs azure-ai-ml and credentials, a local URL does not.
        from ml_service.deploy.endpoints import network_smoke_test, resolve_target

        inside = network_smoke_test(args.target)
        if inside is not None:
            problem = inside()
            if problem:
                print(f"Smoke test failed: {problem}", file=sys.stderr)
            return 1 if problem else 0
        service = resolve_target(args.target)
        args.url, args.key = service.url, args.key or service.key
    traceparent = new_traceparent()
    try:
        result = smoke_test(args.url, args.key, retries=args.retries, delay=args.delay, traceparent=traceparent)
    except SmokeTestFailed as error:
        print(f"Smoke test failed: {error}", file=sys.stderr)
        return 1
    print(f"Smoke test passed: {args.url} returned {result} (traceparent {traceparent})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
