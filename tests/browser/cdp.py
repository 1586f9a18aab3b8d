"""Drives headless Chromium through the DevTools protocol over --remote-debugging-pipe
(fd 3: commands in, fd 4: answers and events out, each a JSON text ended by NUL):
no websocket, no npm package, only Python's standard library.

    with Chromium() as browser:
        page = browser.open("http://127.0.0.1:8080/")
        page.wait_for("document.body.dataset.updates >= 1", timeout=5)
        page.evaluate("document.title")
        png = page.screenshot()
"""
import base64
import fcntl
import json
import os
import queue
import shutil
import subprocess
import tempfile
import threading
import time


class ChromiumUnavailable(Exception):
    """Chromium is not installed or does not start here: the caller skips."""


def find_chromium():
    for name in (os.environ.get("NETLAB_CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


class Page:
    def __init__(self, browser, session):
        self.browser = browser
        self.session = session

    def send(self, method, **params):
        return self.browser.send(method, session=self.session, **params)

    def evaluate(self, expression):
        """The value of a JavaScript expression in the page (promises awaited)."""
        r = self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in r:
            raise RuntimeError("page: %s: %s" % (expression, r["exceptionDetails"].get("text")))
        return r["result"].get("value")

    def wait_for(self, expression, timeout, interval=0.05):
        """Polls `expression` until it is truthy; returns the seconds it took, or raises TimeoutError."""
        start = time.monotonic()
        while True:
            try:
                if self.evaluate(expression):
                    return time.monotonic() - start
            except RuntimeError:
                pass  # the page is still loading
            if time.monotonic() - start > timeout:
                raise TimeoutError("not within %.1f s: %s" % (timeout, expression))
            time.sleep(interval)

    def screenshot(self, full_page=True):
        """PNG bytes of the page (the whole page's height when full_page)."""
        if full_page:
            height = int(self.evaluate("Math.ceil(document.documentElement.scrollHeight)") or 0)
            width = int(self.evaluate("Math.ceil(document.documentElement.scrollWidth)") or 0)
            self.send("Emulation.setDeviceMetricsOverride", width=max(width, self.browser.width),
                      height=max(height, 200), deviceScaleFactor=1, mobile=False)
        r = self.send("Page.captureScreenshot", format="png")
        return base64.b64decode(r["data"])


class Chromium:
    def __init__(self, width=1280, height=800, binary=None):
        self.width, self.height = width, height
        binary = binary or find_chromium()
        if not binary:
            raise ChromiumUnavailable("chromium is not installed (scripts/install-deps.sh --test installs it)")
        self.profile = tempfile.mkdtemp(prefix="netlab-chromium-")
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()

        def wire():  # in the child: the pipe ends become fds 3 and 4, as the protocol wants
            # Out of the way first: an end may already be fd 3 or 4, and dup2 onto
            # itself would keep its close-on-exec flag.
            high_r = fcntl.fcntl(to_browser_r, fcntl.F_DUPFD, 10)
            high_w = fcntl.fcntl(from_browser_w, fcntl.F_DUPFD, 10)
            os.dup2(high_r, 3)
            os.dup2(high_w, 4)

        args = [binary, "--headless", "--remote-debugging-pipe", "--no-first-run", "--no-default-browser-check",
                "--disable-gpu", "--disable-extensions", "--disable-background-networking", "--disable-sync",
                "--disable-dev-shm-usage", "--user-data-dir=" + self.profile,
                "--window-size=%d,%d" % (width, height), "about:blank"]
        if os.geteuid() == 0:
            args.insert(1, "--no-sandbox")  # Chromium's own sandbox refuses to run as root
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(args, preexec_fn=wire, close_fds=False, stdin=subprocess.DEVNULL,
                                     stdout=self.log, stderr=self.log)
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._next_id = 0
        self._waiting = {}
        self._lock = threading.Lock()
        self.events = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        try:
            self.send("Browser.getVersion", timeout=30)
        except Exception as e:
            self.close()
            raise ChromiumUnavailable("chromium does not answer: %s; its output: %s" % (e, self.output()[-2000:]))

    def output(self):
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def _read(self):
        buf = b""
        while True:
            try:
                chunk = os.read(self._from_browser, 65536)
            except OSError:
                chunk = b""
            if not chunk:
                break
            buf += chunk
            while b"\0" in buf:
                raw, buf = buf.split(b"\0", 1)
                msg = json.loads(raw)
                if "id" in msg:
                    with self._lock:
                        slot = self._waiting.pop(msg["id"], None)
                    if slot:
                        slot.put(msg)
                else:
                    self.events.put(msg)
        with self._lock:
            for slot in self._waiting.values():
                slot.put({"error": {"message": "chromium closed the pipe"}})
            self._waiting.clear()

    def send(self, method, session=None, timeout=15, **params):
        with self._lock:
            self._next_id += 1
            ident = self._next_id
            slot = queue.Queue()
            self._waiting[ident] = slot
        msg = {"id": ident, "method": method, "params": params}
        if session:
            msg["sessionId"] = session
        os.write(self._to_browser, json.dumps(msg).encode() + b"\0")
        try:
            answer = slot.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError("chromium: no answer to %s in %d s" % (method, timeout))
        if "error" in answer:
            raise RuntimeError("chromium: %s: %s" % (method, answer["error"].get("message")))
        return answer.get("result", {})

    def open(self, url):
        """A new tab at `url`, attached: its Page."""
        target = self.send("Target.createTarget", url="about:blank")["targetId"]
        session = self.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        page = Page(self, session)
        page.send("Page.enable")
        page.send("Runtime.enable")
        page.send("Emulation.setDeviceMetricsOverride", width=self.width, height=self.height,
                  deviceScaleFactor=1, mobile=False)
        page.send("Page.navigate", url=url)
        return page

    def close(self):
        if self.proc.poll() is None:
            try:
                msg = {"id": 0, "method": "Browser.close", "params": {}}
                os.write(self._to_browser, json.dumps(msg).encode() + b"\0")
                self.proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        for fd in (self._to_browser, self._from_browser):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
