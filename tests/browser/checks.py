"""What every screen a journey reaches must pass, and the page wrapper that checks it.

- axe-core (npm `axe-core`, read from node_modules) is injected with `page.evaluate`, which is
  not subject to the page's Content-Security-Policy: the app keeps its strict CSP in the tests
  (no `bypass_csp`), so a CSP violation by the app itself still shows as a console error.
  Violations of impact "serious" or "critical" fail the test, and so do two moderate rules that
  every page once broke and now passes: "region" (content outside landmarks) and
  "landmark-unique" (two landmarks of one name); the others are counted.
- With JavaScript disabled, `evaluate` still runs but timers never fire, so `axe.run()` would
  wait forever: setTimeout is replaced by a resolved promise's callback before axe is loaded
  (axe keeps its own reference), and frames are not visited (docs/DESIGN.md "Front end").
  `queueMicrotask` callbacks do not run either with JavaScript off; promise callbacks do.
- Our own checks: exactly one h1, a skip link to an element that exists, a label for every
  input, every error-summary link pointing at an element on the page, and every field shown
  in error linked from the summary.
"""

from __future__ import annotations

import functools
import io
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urldefrag

from playwright.sync_api import ConsoleMessage, Page, Response

ROOT = Path(__file__).resolve().parents[2]
AXE_SOURCE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "docs" / "screenshots"
FAILING_IMPACTS = ("critical", "serious")
FAILING_RULES = ("region", "landmark-unique")  # moderate, but fixed everywhere (issue 21)
# A step that waits longer than this has failed; pytest-timeout is the backstop for a hang.
ACTION_TIMEOUT_MS = 15_000
EXPECTED_STATUS_LOG = "Failed to load resource: the server responded with a status of 422"

NO_TIMERS_SHIM = """() => {
  window.setTimeout = (callback, delay, ...args) => {
    Promise.resolve().then(() => callback(...args));
    return 0;
  };
  window.clearTimeout = () => {};
}"""

RUN_AXE = """async (javascript) => {
  // Without JavaScript, preloading the style sheets for the CSSOM rules would time out at once
  // under the timer shim (and log a warning): skip it there.
  const options = { iframes: false, resultTypes: ["violations"], preload: javascript };
  const results = await axe.run(document, options);
  const rules = results.passes.length + results.violations.length
    + results.incomplete.length + results.inapplicable.length;
  return {
    rules,
    violations: results.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help,
      targets: v.nodes.slice(0, 5).map((node) => node.target.join(" ")),
    })),
  };
}"""

PAGE_CHECKS = """() => {
  const short = (element) => element.outerHTML.slice(0, 160);
  const skip = document.querySelector('a.govuk-skip-link[href^="#"]');
  const unlabelled = [];
  for (const element of document.querySelectorAll("input, select, textarea")) {
    const type = (element.getAttribute("type") || "").toLowerCase();
    if (["hidden", "submit", "button", "reset", "image"].includes(type)) continue;
    const label = element.id && document.querySelector(`label[for="${CSS.escape(element.id)}"]`);
    if (!label && !element.closest("label") && !element.getAttribute("aria-label")
        && !element.getAttribute("aria-labelledby")) unlabelled.push(short(element));
  }
  const linked = new Set();
  const brokenSummaryLinks = [];
  for (const link of document.querySelectorAll(".govuk-error-summary a")) {
    const href = link.getAttribute("href") || "";
    if (href.startsWith("#") && document.getElementById(href.slice(1))) linked.add(href.slice(1));
    else brokenSummaryLinks.push(`${href} (${link.textContent.trim()})`);
  }
  const errorsWithoutSummaryLink = [];
  for (const group of document.querySelectorAll(".govuk-form-group--error")) {
    const ids = [...group.querySelectorAll("input, select, textarea")]
      .filter((element) => element.type !== "hidden").map((element) => element.id);
    if (!ids.some((id) => linked.has(id))) errorsWithoutSummaryLink.push(ids.join(", "));
  }
  return {
    h1: document.querySelectorAll("h1").length,
    skipLink: Boolean(skip),
    skipTarget: Boolean(skip && document.getElementById(skip.getAttribute("href").slice(1))),
    unlabelled,
    brokenSummaryLinks,
    errorsWithoutSummaryLink,
  };
}"""


@functools.cache
def _axe_source() -> str:
    if not AXE_SOURCE.exists():
        raise FileNotFoundError(
            f"{AXE_SOURCE.relative_to(ROOT)} is missing: `make install-test` installs the npm "
            "packages, axe-core among them (a devDependency in package.json)"
        )
    return AXE_SOURCE.read_text(encoding="utf-8")


@dataclass
class AxeTally:
    """Every axe run of the session, for the closing summary and the report."""

    pages: int = 0
    rules: int = 0
    by_impact: Counter = field(default_factory=Counter)
    by_rule: Counter = field(default_factory=Counter)

    def add(self, rules: int, violations: list[dict]) -> None:
        self.pages += 1
        self.rules += rules
        self.by_impact.update(v["impact"] or "unknown" for v in violations)
        self.by_rule.update(f"{v['id']} ({v['impact']})" for v in violations)

    def summary(self) -> str:
        impacts = ("critical", "serious", "moderate", "minor")
        counts = ", ".join(f"{impact} {self.by_impact.get(impact, 0)}" for impact in impacts)
        rules = ", ".join(f"{rule} × {n}" for rule, n in sorted(self.by_rule.items()))
        return (
            f"axe-core: {self.pages} screens checked, {self.rules} rule checks; "
            f"violations by impact: {counts}" + (f"; by rule: {rules}" if rules else "")
        )


AXE_TALLY = AxeTally()


class Visitor:
    """One person's browser tab. `check()` runs every screen check; the tests call it on every
    screen they reach, and `assert_clean()` fails if a page was reached and never checked, or
    if the browser logged an error (a CSP violation, a script error, a failed component)."""

    def __init__(self, page: Page, *, javascript: bool, screenshots: bool = False) -> None:
        self.page = page
        self.javascript = javascript
        self.screenshots = screenshots
        self.problems: list[str] = []
        self.unchecked: str | None = None
        self.screens: list[str] = []
        page.set_default_timeout(ACTION_TIMEOUT_MS)
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        page.on("framenavigated", self._navigated)
        page.on("response", self._response)
        self._last_document = ""

    def _console(self, message: ConsoleMessage) -> None:
        # A form sent back with its errors is a designed 422 page; Chromium logs every
        # 4xx document as "Failed to load resource". Anything else logged is a problem.
        if message.text.startswith(EXPECTED_STATUS_LOG):
            return
        if message.type in ("error", "warning") or "Error" in message.text:
            self.problems.append(f"console {message.type}: {message.text[:300]}")

    def _response(self, response: Response) -> None:
        if response.status >= 500:
            self.problems.append(f"{response.status} from {response.url}")

    def _navigated(self, frame) -> None:
        if frame != self.page.main_frame:
            return
        document, _ = urldefrag(frame.url)
        if document != self._last_document:
            # Raising here would be lost inside Playwright's event dispatch: keep it instead.
            if self.unchecked is not None:
                self.problems.append(f"{self.unchecked} was left unchecked for {frame.url}")
            self.unchecked = frame.url
        self._last_document = document

    def goto(self, path: str) -> None:
        self.page.goto(path)
        self.check()

    def check(self) -> None:
        """Check the screen as it is now (after a navigation or an htmx swap)."""
        page = self.page
        page.wait_for_load_state("load")  # a click that navigates returns once it commits
        where = page.url
        found = page.evaluate(PAGE_CHECKS)
        assert found["h1"] == 1, f"{where}: {found['h1']} h1 elements, not one"
        assert found["skipLink"] and found["skipTarget"], f"{where}: no working skip link"
        assert not found["unlabelled"], f"{where}: inputs without a label: {found['unlabelled']}"
        assert not found["brokenSummaryLinks"], (
            f"{where}: error summary links to nothing: {found['brokenSummaryLinks']}"
        )
        assert not found["errorsWithoutSummaryLink"], (
            f"{where}: fields in error not linked from an error summary: "
            f"{found['errorsWithoutSummaryLink']}"
        )
        self._run_axe(where)
        self.screens.append(where)
        self.unchecked = None

    def _run_axe(self, where: str) -> None:
        page = self.page
        if not page.evaluate("() => typeof window.axe === 'object'"):
            if not self.javascript:
                page.evaluate(NO_TIMERS_SHIM)
            page.evaluate(_axe_source() + "\n;undefined")
        result = page.evaluate(RUN_AXE, self.javascript)
        AXE_TALLY.add(result["rules"], result["violations"])
        failing = [
            v
            for v in result["violations"]
            if v["impact"] in FAILING_IMPACTS or v["id"] in FAILING_RULES
        ]
        assert not failing, f"{where}: axe found problems that fail a page: {failing}"

    def screenshot(self, name: str, of: str | None = None) -> None:
        """Save this screen, or only the element `of` selects, as docs/screenshots/<name>.png
        when pytest runs with --screenshots: reduced to a palette, so the committed files stay
        small."""
        if not self.screenshots:
            return
        from PIL import Image

        shooter = self.page.locator(of).first if of else self.page
        png = shooter.screenshot(animations="disabled", caret="hide")
        image = Image.open(io.BytesIO(png)).convert("RGB").quantize(colors=64)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        image.save(SCREENSHOTS / f"{name}.png", optimize=True)

    def assert_clean(self) -> None:
        assert self.unchecked is None, f"{self.unchecked} was reached and never checked"
        assert not self.problems, f"the browser reported: {self.problems}"

    def close(self) -> None:
        self.page.context.close()
