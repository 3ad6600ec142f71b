"""The documentation site builds with no warning, its internal links resolve,
and its pages load in headless Chromium with no JavaScript error and no
broken image.

The site is built once per session into a temporary folder with the README's
command (``python -m sphinx -W --keep-going -b html docs <out>``). Chromium is
driven through the DevTools protocol over a pipe (``--remote-debugging-pipe``:
NUL-terminated JSON on file descriptors 3 and 4), so the test needs no
WebDriver and no extra package. Requests to other hosts fail at once: the
site works offline, MathJax included, and its formulas must be typeset.
"""

from __future__ import annotations

import fcntl
import functools
import http.server
import json
import os
import re
import select
import shutil
import subprocess
import sys
import threading
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
BUILD_TIMEOUT = 1800


def _missing_docs_tools() -> str | None:
    import importlib

    for module in ("sphinx", "myst_nb", "numpydoc", "sphinx_gallery", "furo",
                   "nbclient", "ipykernel", "sphinx-mathjax-offline"):
        try:
            importlib.import_module(module)
        except ImportError:
            return f"{module} is not installed (pip install -e '.[docs]')"
    return None


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The site, built into a temporary folder; the build must print no
    warning (``-W`` makes one fail it)."""
    reason = _missing_docs_tools()
    if reason:
        pytest.skip(reason)
    out = tmp_path_factory.mktemp("site")
    env = dict(os.environ, MPLBACKEND="Agg",
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT),
                                                        os.environ.get("PYTHONPATH")])))
    proc = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-b", "html",
         "-d", str(out / "doctrees"), str(DOCS), str(out / "html")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=BUILD_TIMEOUT)
    log = f"{proc.stdout[-3000:]}\n{proc.stderr[-6000:]}"
    assert proc.returncode == 0, f"sphinx failed:\n{log}"
    # (the kernel's own log line about TCP is not a Sphinx warning)
    assert "WARNING" not in proc.stderr.replace("[IPKernelApp] WARNING", ""), log
    return out / "html"


# -- internal links --------------------------------------------------------------

class _Links(HTMLParser):
    """Every href/src of a page, and the ids it defines."""

    def __init__(self):
        super().__init__()
        self.targets: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name == "id" and value:
                self.ids.add(value)
            if value and ((name == "href" and tag in ("a", "link"))
                          or (name == "src" and tag in ("img", "script"))):
                self.targets.append(value)


@functools.cache
def _parse(path: Path) -> _Links:
    parser = _Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


@pytest.mark.slow
def test_site_has_every_section(site):
    for page in ["index.html", "getting-started.html", "api.html", "gallery.html",
                 "auto_examples/index.html", "auto_examples/01_tangent_slope.html",
                 "notebooks/index.html", "notebooks/calculus-and-taylor.html",
                 "notebooks/optimization.html", "notebooks/backprop-and-gradcheck.html",
                 "notebooks/derivative-tables.html", "reference/core.html",
                 "reference/nn.html"]:
        assert (site / page).is_file(), f"{page} was not built"
    core = (site / "reference/core.html").read_text(encoding="utf-8")
    for name in ("calckit.grad", "calckit.gradcheck", "calckit.minimize"):
        assert f'id="{name}"' in core, f"the API reference lacks {name}"
    examples = sorted((ROOT / "examples").glob("[0-9][0-9]_*.py"))
    for script in examples:
        page = site / "auto_examples" / f"{script.stem}.html"
        assert page.is_file(), f"the gallery lacks {script.name}"
    # the gallery shows the figures the examples saved
    figures = list((site / "_images").glob("sphx_glr_*_001.png"))
    assert len(figures) >= 10, f"only {len(figures)} gallery figures"


def _documented_ids(site: Path) -> set[str]:
    ids: set[str] = set()
    for page in (site / "reference").glob("*.html"):
        ids |= {i for i in _parse(page).ids if i.startswith("calckit")}
    return ids


def _public_objects():
    """(documented names, object) of every public function and class: the
    top-level names of ``calckit.__all__`` and the ``__all__`` of each public
    submodule (constants and type aliases are left to the prose)."""
    import importlib
    import inspect
    import types

    import calckit

    def api(obj) -> bool:
        return ((inspect.isfunction(obj) or inspect.isclass(obj))
                and not isinstance(obj, types.GenericAlias))

    for name in calckit.__all__:
        if name.startswith("__"):
            continue
        if name in calckit._SUBMODULES:
            module = importlib.import_module(f"calckit.{name}")
            for member in getattr(module, "__all__", []):
                obj = getattr(module, member)
                if api(obj):
                    names = {f"calckit.{name}.{member}"}
                    if getattr(calckit, member, None) is obj:  # re-exported at top
                        names.add(f"calckit.{member}")
                    yield names, obj
        elif api(getattr(calckit, name)):
            yield {f"calckit.{name}", f"calckit.errors.{name}"}, getattr(calckit, name)


@pytest.mark.slow
def test_reference_documents_every_public_function_and_class(site):
    """Like optax's coverage check: a public name missing from
    docs/reference/ fails the test (add it to the page of its module)."""
    ids = _documented_ids(site)
    missing = sorted(min(names) for names, _ in _public_objects() if not names & ids)
    assert not missing, f"not in the API reference: {missing}"
    assert len(ids) > 100


@pytest.mark.slow
def test_internal_links_resolve(site):
    """Every relative href/src of every page names a file of the site, and a
    #fragment into a page names an id of that page."""
    broken = []
    for page in sorted(site.rglob("*.html")):
        for target in _parse(page).targets:
            parts = urlsplit(target)
            if parts.scheme or parts.netloc or target.startswith(("mailto:", "#")):
                continue
            path = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            if not path.exists():
                broken.append(f"{page.relative_to(site)} -> {target}")
            elif parts.fragment and path.suffix == ".html":
                if unquote(parts.fragment) not in _parse(path).ids:
                    broken.append(f"{page.relative_to(site)} -> {target} (no such id)")
    assert not broken, "broken internal links:\n" + "\n".join(broken[:40])


# -- headless Chromium -------------------------------------------------------------

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                  "--remote-debugging-pipe",
                  # other hosts fail at once instead of waiting for DNS
                  "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]

# After load: wait for MathJax, count the formulas it left as raw TeX (null
# when the page has no MathJax).
RAW_MATH_JS = """
(async () => {
  if (!window.MathJax || !MathJax.startup) { return null; }
  await MathJax.startup.promise;
  return Array.from(document.querySelectorAll(".math"))
              .filter(el => !el.querySelector("mjx-container")).length;
})()
"""

# After load: make lazy images load, wait for every image, list the broken ones.
BROKEN_IMAGES_JS = """
(async () => {
  const images = Array.from(document.images);
  for (const img of images) { img.loading = "eager"; }
  await Promise.all(images.map(img => img.complete ? null : new Promise(done => {
    img.addEventListener("load", done); img.addEventListener("error", done);
    setTimeout(done, 10000);
  })));
  return images.filter(img => !(img.complete && img.naturalWidth > 0))
               .map(img => img.getAttribute("src"));
})()
"""


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


class Chromium:
    """A headless Chromium spoken to over the DevTools protocol on a pipe."""

    def __init__(self, exe: str, profile: Path):
        to_browser_r, to_browser_w = os.pipe()
        from_browser_r, from_browser_w = os.pipe()
        # the browser reads commands on fd 3 and writes replies on fd 4
        high_r = fcntl.fcntl(to_browser_r, fcntl.F_DUPFD, 10)
        high_w = fcntl.fcntl(from_browser_w, fcntl.F_DUPFD, 10)
        for fd in (to_browser_r, from_browser_w):
            os.close(fd)
        # a small Python trampoline moves them to 3 and 4, then execs it
        trampoline = ("import os, sys; os.dup2(int(sys.argv[1]), 3); "
                      "os.dup2(int(sys.argv[2]), 4); "
                      "os.execv(sys.argv[3], sys.argv[3:])")
        argv = [sys.executable, "-c", trampoline, str(high_r), str(high_w), exe,
                *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "about:blank"]
        # its log goes to a file (a pipe nobody reads could fill and block it)
        self.log = open(profile / "chromium.log", "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(argv, pass_fds=(high_r, high_w),
                                     stdin=subprocess.DEVNULL,
                                     stdout=self.log, stderr=self.log)
        os.close(high_r)
        os.close(high_w)
        self._out = to_browser_w
        self._in = from_browser_r
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict] = []

    def close(self) -> None:
        try:
            self.send("Browser.close", timeout=10)
        except (OSError, TimeoutError, RuntimeError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        os.close(self._out)
        os.close(self._in)

    def _receive(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no answer from chromium")
            ready, _, _ = select.select([self._in], [], [], left)
            if ready:
                chunk = os.read(self._in, 1 << 16)
                if not chunk:
                    raise RuntimeError("chromium closed its DevTools pipe")
                self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def send(self, method: str, params: dict | None = None, *,
             session: str | None = None, timeout: float = 60) -> dict:
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._out, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._receive(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            if "method" in reply:
                self.events.append(reply)

    def wait_for(self, method: str, timeout: float = 60) -> dict:
        deadline = time.monotonic() + timeout
        for i, event in enumerate(self.events):
            if event["method"] == method:
                return self.events.pop(i)
        while True:
            event = self._receive(deadline)
            if event.get("method") == method:
                return event
            if "method" in event:
                self.events.append(event)

    def drain(self, seconds: float) -> None:
        """Collect the events of the next ``seconds``."""
        deadline = time.monotonic() + seconds
        try:
            while True:
                event = self._receive(deadline)
                if "method" in event:
                    self.events.append(event)
        except TimeoutError:
            pass


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def served(site):
    """The built site on http://127.0.0.1:<port>/."""
    handler = functools.partial(_Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    exe = _chromium()
    if exe is None:
        pytest.skip("chromium is not installed (apt-get install chromium)")
    chromium = Chromium(exe, tmp_path_factory.mktemp("chromium-profile"))
    try:
        target = chromium.send("Target.createTarget", {"url": "about:blank"})
        session = chromium.send("Target.attachToTarget",
                                {"targetId": target["targetId"], "flatten": True})
        sid = session["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            chromium.send(f"{domain}.enable", session=sid)
        yield chromium, sid
    finally:
        chromium.close()


def _problems(events: list[dict], origin: str) -> list[str]:
    """JavaScript errors, console errors and failed requests to the site."""
    found = []
    requests = {}
    for event in events:
        method, params = event["method"], event.get("params", {})
        if method == "Network.requestWillBeSent":
            requests[params["requestId"]] = params["request"]["url"]
        elif method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            text = (details.get("exception", {}).get("description")
                    or details.get("text"))
            found.append(f"JavaScript error: {text} ({details.get('url', '')}:"
                         f"{details.get('lineNumber', '?')})")
        elif (method == "Runtime.consoleAPICalled"
              and params["type"] in ("error", "assert")):
            args = " ".join(str(a.get("value", a.get("description", "")))
                            for a in params.get("args", []))
            found.append(f"console.{params['type']}: {args}")
        elif method == "Log.entryAdded":
            entry = params["entry"]
            url = entry.get("url", "")
            if entry["level"] == "error" and (not url or url.startswith(origin)):
                found.append(f"{entry['source']} error: {entry['text']} {url}")
        elif method == "Network.responseReceived":
            response = params["response"]
            if response["url"].startswith(origin) and response["status"] >= 400:
                found.append(f"HTTP {response['status']}: {response['url']}")
        elif method == "Network.loadingFailed":
            url = requests.get(params["requestId"], "")
            if url.startswith(origin) and not params.get("canceled"):
                found.append(f"failed to load {url}: {params.get('errorText')}")
    return found


def _pages(site: Path) -> list[str]:
    pages = ["index.html", "gallery.html", "auto_examples/index.html",
             "notebooks/index.html", "reference/core.html"]
    pages += sorted(f"auto_examples/{p.name}"
                    for p in (site / "auto_examples").glob("[0-9][0-9]_*.html"))
    pages += sorted(f"notebooks/{p.name}" for p in (site / "notebooks").glob("*.html")
                    if p.name != "index.html")
    return pages


@pytest.mark.slow
def test_pages_load_without_errors_or_broken_images(site, served, browser):
    chromium, sid = browser
    failures = {}
    images_seen = pages_with_math = 0
    for page in _pages(site):
        chromium.events.clear()
        chromium.send("Page.navigate", {"url": served + page}, session=sid)
        chromium.wait_for("Page.loadEventFired", timeout=60)
        result = chromium.send("Runtime.evaluate",
                               {"expression": BROKEN_IMAGES_JS, "awaitPromise": True,
                                "returnByValue": True}, session=sid)
        assert "exceptionDetails" not in result, result
        count = chromium.send("Runtime.evaluate",
                              {"expression": "document.images.length",
                               "returnByValue": True}, session=sid)
        images_seen += count["result"]["value"]
        raw = chromium.send("Runtime.evaluate",
                            {"expression": RAW_MATH_JS, "awaitPromise": True,
                             "returnByValue": True}, session=sid)
        raw_count = raw["result"].get("value")
        pages_with_math += raw_count is not None
        chromium.drain(0.3)  # late errors (scripts run after load)
        problems = _problems(chromium.events, served)
        problems += [f"broken image: {src}" for src in result["result"]["value"]]
        if raw_count:
            problems.append(f"{raw_count} formulas left as raw TeX by MathJax")
        if problems:
            failures[page] = problems
    assert not failures, json.dumps(failures, indent=1)
    assert images_seen >= 40, f"only {images_seen} images on the checked pages"
    assert pages_with_math >= 3, "MathJax ran on fewer than 3 pages"


@pytest.mark.slow
def test_the_check_catches_a_javascript_error_and_a_broken_image(site, served, browser,
                                                                 tmp_path):
    """The browser check is not blind: a page with a throwing script and an
    image that does not exist is reported."""
    chromium, sid = browser
    bad = site / "_bad_page_for_the_test.html"
    bad.write_text("<html><body><img src='no-such-image.png'>"
                   "<script>undefined_function_of_calckit();</script></body></html>")
    try:
        chromium.events.clear()
        chromium.send("Page.navigate", {"url": served + bad.name}, session=sid)
        chromium.wait_for("Page.loadEventFired", timeout=60)
        result = chromium.send("Runtime.evaluate",
                               {"expression": BROKEN_IMAGES_JS, "awaitPromise": True,
                                "returnByValue": True}, session=sid)
        chromium.drain(0.3)
        problems = _problems(chromium.events, served)
    finally:
        bad.unlink()
    assert result["result"]["value"] == ["no-such-image.png"]
    assert any("undefined_function_of_calckit" in p for p in problems), problems
    assert any("no-such-image.png" in p for p in problems), problems


def test_gallery_examples_match_the_scripts():
    """Every numbered example is picked up by sphinx-gallery's pattern and gets
    a title from its docstring (checked without building)."""
    sys.path.insert(0, str(DOCS / "_ext"))
    try:
        gallery = pytest.importorskip("calckit_gallery")
    finally:
        sys.path.pop(0)
    pattern = r"/\d\d_[^/]*\.py$"
    assert pattern in (DOCS / "conf.py").read_text(encoding="utf-8")
    for script in sorted((ROOT / "examples").glob("[0-9][0-9]_*.py")):
        assert re.search(pattern, script.as_posix())
    head = gallery.rst_docstring("f(x) = x**2 at `a`.\n\nSeed: sigmoid_derivative(x).")
    title, underline, _, body = head.splitlines()[:4]
    assert title == r"f(x) = x² at \`a\`." and underline == "=" * len(title)
    assert body == "Seed: ``sigmoid_derivative(x)``."
