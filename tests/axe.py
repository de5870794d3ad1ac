"""axe-core, injected into a page, to find WCAG 2.1 AA violations."""
from pathlib import Path

AXE = Path(__file__).resolve().parents[1] / ".cache" / "axe-core-4.14.1" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def run_axe(page, label=None):
    """Fail when axe-core finds a violation in the page as it is now."""
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.evaluate(AXE.read_text())  # add_script_tag is blocked by our CSP; evaluate is not
    result = page.evaluate("async t => await axe.run(document, {runOnly: {type: 'tag', values: t}})", AXE_TAGS)
    problems = [
        f"{v['id']} ({v['impact']}): {v['help']} — " + "; ".join(n["target"][0] for n in v["nodes"][:5])
        for v in result["violations"]
    ]
    assert not problems, f"axe violations on {label or page.url}:\n" + "\n".join(problems)
