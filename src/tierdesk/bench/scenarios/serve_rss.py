"""Peak memory of the serving processes while the scenarios above ran."""

from __future__ import annotations

from tierdesk.bench.scenarios.base import Context, Result

NAME = "serve_rss"
TITLE = "Peak RSS of the serve tree"
TARGET = "< 300 MB per process, < 600 MB for the whole tree"


def run(ctx: Context) -> list[Result]:
    if ctx.web_rss is None:
        return [
            Result(
                NAME,
                TITLE,
                ctx.vendor,
                status="skipped",
                target=TARGET,
                note="no HTTP scenario ran",
            )
        ]
    ctx.web_rss.sample()
    web_total, web_process = ctx.web_rss.peak_total, ctx.web_rss.peak_process
    worker = ctx.worker_rss.get("process_mb", 0.0)
    tree = web_total + worker
    result = Result(
        NAME,
        TITLE,
        ctx.vendor,
        unit="MB",
        target=TARGET,
        rss_mb={"total_mb": round(tree, 1), "process_mb": round(max(web_process, worker), 1)},
    )
    result.extra = {
        "web_tree_mb": round(web_total, 1),
        "web_process_mb": round(web_process, 1),
        "worker_process_mb": round(worker, 1),
        "web_workers": ctx.web_workers,
    }
    result.note = f"gunicorn master + {ctx.web_workers} workers over every HTTP scenario" + (
        ", plus one scheduler worker" if worker else ""
    )
    result.met = max(web_process, worker) < 300 and tree < 600
    return [result]
