"""What a browser test does besides the browser: call the API as a device or a colleague would."""

import json
import urllib.request


def api_json(method: str, base_url: str, token: str, path: str, body: dict) -> dict:
    request = urllib.request.Request(
        f"{base_url}{path}",
        data=json.dumps(body).encode(),
        method=method,
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def api_post(base_url: str, token: str, path: str, body: dict) -> dict:
    return api_json("POST", base_url, token, path, body)


def api_patch(base_url: str, token: str, path: str, body: dict) -> dict:
    return api_json("PATCH", base_url, token, path, body)
