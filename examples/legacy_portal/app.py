"""
The legacy portal's HTTP API (Starlette), over its own JSON data file.

``GET /api/v1/files/{file_no}``            one file: status code, kind, titles
``GET /api/v1/files/{file_no}/history``    its status history, oldest first
``POST /api/v1/files/{file_no}/withdraw``  withdraw it (status ``WDR``)
``POST /_control``                          set the failure mode
``GET /health``                             liveness
"""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
import json
import pathlib
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

DATA = pathlib.Path(__file__).with_name("data.json")
MODES = ("normal", "slow", "garbage", "down")


def create_app(data: pathlib.Path = DATA, *, mode: str = "normal", delay: float = 2.0) -> Starlette:
    """Build the portal over a copy of *data* (changes stay in memory)."""
    files: dict[str, Any] = copy.deepcopy(json.loads(data.read_text()))["files"]
    state: dict[str, Any] = {"mode": mode, "delay": delay}

    async def misbehave() -> Response | None:
        if state["mode"] == "slow":
            await asyncio.sleep(state["delay"])
        if state["mode"] == "garbage":
            return HTMLResponse("<html><body>Erreur / Error 0x1F</body></html>")
        if state["mode"] == "down":
            return JSONResponse({"error": "maintenance"}, status_code=503)
        return None

    def find(request: Request) -> dict[str, Any] | None:
        result: dict[str, Any] | None = files.get(request.path_params["file_no"])
        return result

    async def get_file(request: Request) -> Response:
        if (bad := await misbehave()) is not None:
            return bad
        record = find(request)
        if record is None:
            return JSONResponse({"error": "no such file"}, status_code=404)
        fields = ("file_no", "kind", "status", "opened", "title_en", "title_fr")
        return JSONResponse({k: record[k] for k in fields})

    async def get_history(request: Request) -> Response:
        if (bad := await misbehave()) is not None:
            return bad
        record = find(request)
        if record is None:
            return JSONResponse({"error": "no such file"}, status_code=404)
        return JSONResponse({"file_no": record["file_no"], "events": record["history"]})

    async def withdraw(request: Request) -> Response:
        if (bad := await misbehave()) is not None:
            return bad
        record = find(request)
        if record is None:
            return JSONResponse({"error": "no such file"}, status_code=404)
        if record["status"] in ("WDR", "CLS", "DEC-A", "DEC-R"):
            return JSONResponse({"error": "not open"}, status_code=409)
        at = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        record["status"] = "WDR"
        record["history"].append({"seq": len(record["history"]) + 1, "code": "WDR", "at": at})
        return JSONResponse({"file_no": record["file_no"], "status": "WDR"})

    async def control(request: Request) -> Response:
        body = await request.json()
        if body.get("mode") not in MODES:
            return JSONResponse({"error": "unknown mode"}, status_code=400)
        state["mode"] = body["mode"]
        state["delay"] = float(body.get("delay", state["delay"]))
        return JSONResponse(state)

    async def health(request: Request) -> Response:
        return JSONResponse({"ok": True, "mode": state["mode"]})

    return Starlette(
        routes=[
            Route("/api/v1/files/{file_no}", get_file),
            Route("/api/v1/files/{file_no}/history", get_history),
            Route("/api/v1/files/{file_no}/withdraw", withdraw, methods=["POST"]),
            Route("/_control", control, methods=["POST"]),
            Route("/health", health),
        ]
    )
