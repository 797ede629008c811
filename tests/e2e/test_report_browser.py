"""Open the report in headless Chromium: it renders, every image loads, the
console shows no error and nothing is fetched from outside the file.

The report is built from the small fixture fits of tests/unit/_report_fixture.py
(synthetic data, fake posteriors, synthetic claims and out-of-sample tables). Chromium is driven over the DevTools
protocol with a minimal websocket client (standard library only). Skipped
when Debian's ``chromium`` is not installed (CI installs it in .ci/run).
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))

CHROMIUM = next((p for p in (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")) if p), None)
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (CI installs Debian's chromium)")

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--hide-scrollbars",
    "--window-size=1280,2000",
]


class WebSocket:
    """Just enough RFC 6455 for the DevTools protocol: masked text frames out,
    unmasked (possibly fragmented) frames in, pings answered."""

    def __init__(self, url: str, timeout: float = 30):
        assert url.startswith("ws://"), url
        hostport, _, path = url[5:].partition("/")
        host, _, port = hostport.partition(":")
        self.sock = socket.create_connection((host, int(port)), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            (
                f"GET /{path} HTTP/1.1\r\nHost: {hostport}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(1)
            if not chunk:
                raise ConnectionError("websocket handshake: connection closed")
            head += chunk
        assert b" 101 " in head.split(b"\r\n")[0], head

    def _read(self, n: int) -> bytes:
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise ConnectionError("websocket closed")
            buf += chunk
        return buf

    def send(self, text: str) -> None:
        data = text.encode()
        head = bytes([0x81])
        n = len(data)
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 1 << 16:
            head += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            head += bytes([0x80 | 127]) + struct.pack(">Q", n)
        mask = os.urandom(4)
        self.sock.sendall(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def recv(self) -> str:
        parts = []
        while True:
            b1, b2 = self._read(2)
            op, n = b1 & 0x0F, b2 & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._read(8))[0]
            mask = self._read(4) if b2 & 0x80 else None
            data = self._read(n)
            if mask:
                data = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
            if op == 0x8:
                raise ConnectionError("websocket closed by the browser")
            if op == 0x9:  # ping
                self.sock.sendall(bytes([0x8A, 0x80 | len(data)]) + b"\0\0\0\0" + data)
                continue
            if op in (0x1, 0x2, 0x0):
                parts.append(data)
                if b1 & 0x80:
                    return b"".join(parts).decode()

    def close(self):
        self.sock.close()


class DevTools:
    def __init__(self, ws: WebSocket):
        self.ws, self.next_id, self.events = ws, 0, []

    def call(self, method: str, params: dict | None = None, timeout: float = 60) -> dict:
        self.next_id += 1
        mid = self.next_id
        self.ws.send(json.dumps({"id": mid, "method": method, "params": params or {}}))
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == mid:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self.events.append(msg)
        raise TimeoutError(method)

    def wait_event(self, method: str, timeout: float = 60) -> dict:
        for e in self.events:
            if e.get("method") == method:
                return e
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            msg = json.loads(self.ws.recv())
            self.events.append(msg)
            if msg.get("method") == method:
                return msg
        raise TimeoutError(method)


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    from _report_fixture import shared_project

    return shared_project(tmp_path_factory)


@pytest.fixture(scope="module")
def browser_run(project, tmp_path_factory):
    """Load index.html once; collect console, exceptions, requests and image state."""
    profile = tmp_path_factory.mktemp("chromium-profile")
    proc = subprocess.Popen(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "--remote-debugging-port=0", "about:blank"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        port_file = profile / "DevToolsActivePort"
        end = time.monotonic() + 60
        while not (port_file.exists() and port_file.read_text().count("\n") >= 1):
            if time.monotonic() > end or proc.poll() is not None:
                pytest.fail("chromium did not open its DevTools port")
            time.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        targets = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10).read())
        page = next(t for t in targets if t.get("type") == "page")
        ws = WebSocket(page["webSocketDebuggerUrl"])
        dt = DevTools(ws)
        for domain in ("Page", "Runtime", "Log", "Network"):
            dt.call(f"{domain}.enable")
        url = project["html"].resolve().as_uri()
        dt.call("Page.navigate", {"url": url})
        dt.wait_event("Page.loadEventFired", timeout=120)
        js = """(async () => {
            const imgs = [...document.images];
            await Promise.all(imgs.map(i => i.decode().catch(() => null)));
            return JSON.stringify({
              title: document.title, n_images: imgs.length, h2: document.querySelectorAll('h2').length,
              broken: imgs.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.alt),
              text: document.body.innerText.length,
              first_h2: document.querySelector('h2').textContent,
              sections: [...document.querySelectorAll('section')].map(s => s.id),
              findings: document.querySelectorAll('#findings p.finding').length,
              toc_targets_missing: [...document.querySelectorAll('nav.toc a')]
                .filter(a => !document.getElementById(a.getAttribute('href').slice(1))).map(a => a.textContent),
              verdict_rows: document.querySelectorAll('table.verdicts tbody tr.claim').length,
              secondary_rows: document.querySelectorAll('table.verdicts tbody tr.secondary').length,
              strips: document.querySelectorAll('table.strip').length});
        })()"""
        res = dt.call("Runtime.evaluate", {"expression": js, "awaitPromise": True, "returnByValue": True})
        state = json.loads(res["result"]["value"])
        shot = dt.call("Page.captureScreenshot", {"format": "png"})
        out = tmp_path_factory.mktemp("shots") / "report.png"
        out.write_bytes(base64.b64decode(shot["data"]))
        time.sleep(0.5)
        try:  # drain late console messages
            ws.sock.settimeout(0.5)
            while True:
                dt.events.append(json.loads(ws.recv()))
        except (TimeoutError, ConnectionError):
            pass
        ws.close()
        return {"state": state, "events": dt.events, "screenshot": out, "url": url}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


SECTIONS = [
    "findings",
    "verdicts",
    "balancing",
    "different",
    "surface",
    "cases",
    "oos",
    "models",
    "diagnostics",
    "tables",
    "appendix",
    "provenance",
]


def test_report_renders(browser_run, project):
    s = browser_run["state"]
    assert s["title"].startswith("alliance-models")
    assert s["h2"] >= 8, s
    assert s["text"] > 2000
    # findings first (one paragraph per claim), then the verdict table (one row per claim, the seeds'
    # own coding as labelled secondary rows) and a robustness strip per directional claim
    assert s["first_h2"] == "Findings" and s["sections"] == SECTIONS, s["sections"]
    assert s["findings"] == 5 and s["verdict_rows"] == 5 and s["secondary_rows"] == 2 and s["strips"] == 3
    assert s["toc_targets_missing"] == []
    from PIL import Image

    with Image.open(browser_run["screenshot"]) as im:
        assert im.size[0] >= 1000 and im.size[1] >= 500


def test_every_image_loads(browser_run, project):
    s = browser_run["state"]
    html_imgs = project["html"].read_text().count("<img ")
    assert s["n_images"] == html_imgs > 50
    assert s["broken"] == [], s["broken"]


def test_console_shows_no_error(browser_run):
    errors = []
    for e in browser_run["events"]:
        m, p = e.get("method"), e.get("params", {})
        if m == "Runtime.exceptionThrown":
            errors.append(p.get("exceptionDetails", {}).get("text"))
        elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            errors.append(p.get("args"))
        elif m == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
            errors.append(p["entry"].get("text"))
    assert errors == []


def test_nothing_fetched_from_outside(browser_run):
    urls = [
        e["params"]["request"]["url"] for e in browser_run["events"] if e.get("method") == "Network.requestWillBeSent"
    ]
    outside = [u for u in urls if not u.startswith(("file:", "data:"))]
    assert urls and outside == []
