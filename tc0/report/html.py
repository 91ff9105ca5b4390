"""The ``tc0 report`` as one self-contained HTML page: per model family, the
tables of ``model_markdown.markdown`` and matplotlib plots embedded as PNG
data URIs."""

from __future__ import annotations

import base64
import html
import io

import markdown as md

from tc0.report.model_markdown import markdown

_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1200px; margin: 2em auto; color: #222; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.85em; }
th, td { border: 1px solid #ccc; padding: 3px 7px; text-align: left; }
th { background: #f0f0f0; }
td.bad { background: #fdd; font-weight: bold; } td.good { background: #dfd; }
img { max-width: 100%; border: 1px solid #eee; margin: 0.5em 0; }
.verdict { font-size: 1.1em; padding: 0.5em; background: #eef; }
"""


def _figure_uri(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def plots(report: dict) -> dict[str, str]:
    """Title -> PNG data URI: size and depth against n (log-log), measured
    depth against the lemma bounds, and size against p. (matplotlib is imported
    here, after choosing its non-interactive backend, and only for the page.)"""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullLocator

    out = {}
    fig, (ax_size, ax_depth) = plt.subplots(1, 2, figsize=(12, 4.8))
    for name, sweep in report["modules"].items():
        pts = sweep["points"]
        if not pts:
            continue
        ns = [pt["n"] for pt in pts]
        exponent = sweep["size_exponent"]
        ax_size.loglog(ns, [pt["size"] for pt in pts], "o-", label=name if exponent is None else f"{name} (n^{exponent:.2f})")
        ax_depth.semilogx(ns, [pt["depth"] for pt in pts], "o-", label=name)
    ax_size.set(xlabel="n (image side)", ylabel="gates", title="Size against n (log-log)")
    ax_depth.set(xlabel="n (image side)", ylabel="depth", title="Depth against n")
    ax_depth.set_yscale("log")
    all_n = sorted({pt["n"] for sweep in report["modules"].values() for pt in sweep["points"]})
    for ax in (ax_size, ax_depth):
        ax.set_xticks(all_n, [str(n) for n in all_n])
        ax.xaxis.set_minor_locator(NullLocator())
        ax.grid(True, which="both", alpha=0.3)
    fig.legend(*ax_size.get_legend_handles_labels(), loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=4, fontsize=8)
    out["Size and depth against n"] = _figure_uri(fig)
    plt.close(fig)

    main = [r for r in report["rows"] if report["plan"].get("diagonal") or r["p"] == report["plan"]["main_p"]]
    top = {}
    for r in main:
        if r["module"] not in top or r["n"] > top[r["module"]]["n"]:
            top[r["module"]] = r
    if top:
        fig, ax = plt.subplots(figsize=(12, 4.2))
        names = list(top)
        xs = range(len(names))
        ax.bar([x - 0.27 for x in xs], [top[m]["depth"] for m in names], 0.27, label="measured depth")
        ax.bar(xs, [top[m]["paper_bound"] or 0 for m in names], 0.27, label="paper's formula (none: 0)")
        ax.bar([x + 0.27 for x in xs], [top[m]["bound"] for m in names], 0.27, label="corrected formula")
        ax.set_xticks(list(xs), [f"{m}\nn={top[m]['n']}" for m in names], fontsize=8)
        ax.set(ylabel="depth", title=f"Measured depth against the lemma bounds (p = {report['plan']['main_p']})")
        ax.set_yscale("log")
        ax.legend(fontsize=8)
        out["Depth against the lemma bounds"] = _figure_uri(fig)
        plt.close(fig)

    fig, ax = plt.subplots(figsize=(7, 4.2))
    for name, pts in report["p_sweep"].items():
        built = sorted((pt for pt in pts if pt["size"] is not None), key=lambda pt: pt["p"])
        if built:
            ax.semilogy([pt["p"] for pt in built], [pt["size"] for pt in built], "o-", label=name)
    ax.set(xlabel="p (significand bits)", ylabel="gates", title="Size against p (n fixed per module)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    out["Size against p"] = _figure_uri(fig)
    plt.close(fig)

    if report.get("fast"):
        fig, ax = plt.subplots(figsize=(8, 4.5))
        for comp in report["fast"]:
            rows = [r for r in comp["points"] if "skipped" not in r]
            ns = [r["n"] for r in rows]
            for name, style in ((comp["exact"], "o-"), (comp["fast"], "s--")):
                exponent = comp["size_exponent_estimated"].get(name)
                label = name if exponent is None else f"{name} (n^{exponent:.2f})"
                ax.loglog(ns, [r[f"{name}_estimate"] for r in rows], style, label=label)
        all_fast_n = sorted({r["n"] for comp in report["fast"] for r in comp["points"]})
        ax.set_xticks(all_fast_n, [str(n) for n in all_fast_n])
        ax.xaxis.set_minor_locator(NullLocator())
        ax.set(xlabel="n (image side)", ylabel="estimated gates (upper bound)",
               title="Exact against fast (AAttC): estimated circuit size")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        out["Exact against fast attention"] = _figure_uri(fig)
        plt.close(fig)
    return out


def _markdown_to_html(text: str) -> str:
    """The Markdown report as HTML (python-markdown, tables), verdict cells coloured."""
    body = md.markdown(text, extensions=["tables"])
    body = body.replace("<td>OK</td>", '<td class="good">OK</td>').replace("<td>OVER</td>", '<td class="bad">OVER</td>')
    return body.replace("<p><strong>", '<p class="verdict"><strong>', 1)


def render(reports: list[dict]) -> str:
    """The whole page: one section per report (a model family), each its
    title and verdict, its plots, then its tables."""
    sections = []
    for report in reports:
        figures = "\n".join(f'<h2>{html.escape(title)}</h2>\n<img alt="{html.escape(title)}" src="{uri}">'
                            for title, uri in plots(report).items())
        head, sep, rest = _markdown_to_html(markdown(report)).partition("<h2>")
        sections.append(f"<section>\n{head}\n{figures}\n{sep}{rest}\n</section>")
    return (f"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>tc0 report</title>"
            f"<style>{_STYLE}</style></head><body>\n" + "\n".join(sections) + "\n</body></html>\n")
