"""Checks the accessibility tests run in the browser: axe-core and page reflow.

axe-core is vendored beside this module for the tests alone; it is never served.
"""

from pathlib import Path

AXE_SOURCE = Path(__file__).with_name("vendor") / "axe.min.js"
# WCAG 2.0 and 2.1, levels A and AA: what EN 301 549 asks of public bodies' web pages.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def axe_violations(page):
    """Run axe-core on the page as it is now; answer its violations, any impact."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol: the page's strict CSP forbids a script tag.
        page.evaluate(AXE_SOURCE.read_text(encoding="utf-8") + "\n;true")
    return page.evaluate(
        """async (tags) => {
            const result = await window.axe.run(document, {
                runOnly: {type: "tag", values: tags},
                resultTypes: ["violations"],
            });
            return result.violations.map((v) => ({
                id: v.id,
                impact: v.impact,
                help: v.help,
                nodes: v.nodes.map((n) => ({target: n.target.join(" "), summary: n.failureSummary})),
            }));
        }""",
        WCAG_TAGS,
    )


def describe_violations(where, violations):
    lines = []
    for violation in violations:
        lines.append(f"{where}: {violation['id']} ({violation['impact']}) {violation['help']}")
        for node in violation["nodes"][:6]:
            lines.append(f"    {node['target']}: {node['summary'].splitlines()[-1].strip()}")
    return lines


def horizontal_overflow(page):
    """What sticks out of the viewport sideways: the page's own overflow in CSS pixels, and
    the outermost elements that reach past the right edge outside a visible scroll box
    (clipped by a card, or widening the page)."""
    return page.evaluate(
        """() => {
            const width = document.documentElement.clientWidth;
            const scrolls = (el) => ["auto", "scroll"].includes(getComputedStyle(el).overflowX);
            const culprits = [];
            for (const el of document.body.querySelectorAll("*")) {
                const box = el.getBoundingClientRect();
                if (box.width === 0 || box.right <= width + 1) continue;
                let ancestor = el.parentElement, inScrollBox = false, parentSticksOut = false;
                if (ancestor && ancestor.getBoundingClientRect().right > width + 1) {
                    parentSticksOut = true;
                }
                for (; ancestor && ancestor !== document.body; ancestor = ancestor.parentElement) {
                    if (scrolls(ancestor)) { inScrollBox = true; break; }
                }
                if (inScrollBox || parentSticksOut || getComputedStyle(el).position === "fixed") continue;
                if (el.closest(".visually-hidden, .skip-link")) continue;
                const name = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
                    [...el.classList].map((c) => "." + c).join("");
                culprits.push(`${name} reaches ${Math.round(box.right)}px`);
            }
            return {
                overflow: document.documentElement.scrollWidth - width,
                culprits: culprits.slice(0, 8),
            };
        }"""
    )
