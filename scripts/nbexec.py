"""Execute one notebook with nbclient and export it to HTML with nbconvert.

Called by scripts/run-notebooks.ts (one process per notebook); not meant to be run by hand.

    nbexec.py NOTEBOOK --html OUT.html --result RESULT.json [--kernel tslab] [--timeout S]
              [--startup-timeout S] [--startup-tries N] [--head HEAD.html]
              [--executed OUT.ipynb] [--slow S]

The kernel starts in the notebook's folder and inherits this process's environment
(PADAM_MODE, PADAM_FIGURES_DIR, JUPYTER_PATH, ...). A kernel that does not answer within
--startup-timeout is shut down and started again, up to --startup-tries starts in all. Execution
stops at the first failing cell; the notebook so far is still exported, so the report shows the
error where it happened. A cell that times out, or during which the kernel dies, is reported as
that cell. The report's <head> gets HEAD.html (the inlined math renderer, src/notebook/report.ts)
instead of nbconvert's require.js and MathJax URLs, so it loads nothing from outside the file.
RESULT.json gets {"ok", "cells", "failed_cell", "failed_code_cell", "message", "seconds",
"cell_seconds", "kernel_starts"}. Exit status: 0 ok, 1 cell error, 2 other failure (kernel did
not start, ...). On SIGTERM/SIGINT nbclient shuts the kernel down before this process ends; the
same happens when the parent process is gone (killed in any way).
"""
import argparse
import json
import math
import os
import signal
import sys
import threading
import time

import jinja2
import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
from nbconvert import HTMLExporter

# The lab template with nothing loaded from outside the report: no require.js (no output needs
# it: plotly.js is embedded without it), no widget manager from a CDN, and the given head
# instead of MathJax.
REPORT_TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}
{{ resources.padam_head }}
{%- endblock html_head_js_mathjax -%}
"""


# Seconds a kernel shutdown may take after the parent is gone before the kernel is killed.
SHUTDOWN_GRACE_S = 20


def kill_child_groups():
    """SIGKILL to the process group of each child of this process (the kernel leads its own)."""
    me = os.getpid()
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            if ppid != me:
                continue
            group = os.getpgid(int(entry))
            if group != os.getpgid(0):  # never the group this process shares with its siblings
                os.killpg(group, signal.SIGKILL)
            else:
                os.kill(int(entry), signal.SIGKILL)
        except (OSError, ValueError, IndexError):
            pass  # gone meanwhile, or not ours


def end_with_parent():
    """End this run when its parent (run-notebooks) is gone, however that ended.

    First SIGTERM to this process, which nbclient turns into a kernel shutdown; if that has not
    ended the process after SHUTDOWN_GRACE_S (a kernel still starting does not answer a shutdown
    request), kill the kernel's process group and exit.
    """
    parent = os.getppid()

    def watch():
        while os.getppid() == parent:
            time.sleep(1)
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(SHUTDOWN_GRACE_S)
        kill_child_groups()
        os._exit(3)

    threading.Thread(target=watch, daemon=True).start()


def export_html(nb, name, head):
    exporter = HTMLExporter(
        extra_loaders=[jinja2.DictLoader({"padam-report.html.j2": REPORT_TEMPLATE})],
        template_file="padam-report.html.j2",
    )
    exporter.embed_images = True  # markdown images become data URIs (offline reports)
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": name}, "padam_head": head})
    return body


def kernel_start_failed(err, starts, timeout):
    """What to tell the user when the kernel did not start after all tries."""
    return (
        "the tslab kernel did not start (%d tries, %d s each): %s: %s\n"
        "What to do: if the machine is busy, run the notebook again when it is idler, or give the "
        "kernel more time (--kernel-timeout SECONDS); if it fails the same way on an idle machine, "
        "re-register the kernel with `npm run kernel -- --prefix` and check that "
        "`node_modules/.bin/tslab kernel --help` runs (run `npm ci` if it does not)."
        % (starts, timeout, type(err).__name__, err)
    )


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("notebook")
    ap.add_argument("--html", required=True)
    ap.add_argument("--result", required=True)
    ap.add_argument("--executed")
    ap.add_argument("--kernel", default="tslab")
    ap.add_argument("--timeout", type=float, default=0, help="per-cell timeout in seconds, 0 = none")
    ap.add_argument("--startup-timeout", type=float, default=300, help="seconds for the kernel to answer after its start")
    ap.add_argument("--startup-tries", type=int, default=2, help="kernel starts before giving up")
    ap.add_argument("--head", help="file whose HTML goes into the report's <head>")
    ap.add_argument("--slow", type=float, default=10, help="report cells that take longer than this")
    args = ap.parse_args()
    end_with_parent()
    head = ""
    if args.head:
        with open(args.head, encoding="utf-8") as f:
            head = f.read()

    name = os.path.splitext(os.path.basename(args.notebook))[0]
    nb = nbformat.read(args.notebook, as_version=4)
    code_index = {}  # cell index -> 1-based number among code cells
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            code_index[i] = len(code_index) + 1
    n_code = len(code_index)
    result = {"ok": False, "cells": len(nb.cells), "failed_cell": None, "failed_code_cell": None,
              "message": "", "seconds": 0.0, "cell_seconds": {}, "kernel_starts": 0}
    starts = {}
    in_flight = []  # the index of the cell running now (empty between cells)

    def on_cell_start(cell, cell_index):  # every cell, markdown included
        starts[cell_index] = time.time()

    def on_cell_execute(cell, cell_index):  # code cells, just before they are sent to the kernel
        in_flight[:] = [cell_index]

    def on_cell_executed(cell, cell_index, execute_reply):
        in_flight.clear()
        dt = time.time() - starts.get(cell_index, time.time())
        result["cell_seconds"][str(cell_index)] = round(dt, 3)
        if dt >= args.slow:
            print("  %s: code cell %d/%d took %.1f s" % (name, code_index.get(cell_index, 0), n_code, dt), flush=True)

    def on_cell_error(cell, cell_index, execute_reply):
        result["failed_cell"] = cell_index
        result["failed_code_cell"] = code_index.get(cell_index)

    def new_client():
        return NotebookClient(
            nb,
            kernel_name=args.kernel,
            timeout=int(math.ceil(args.timeout)) if args.timeout > 0 else None,
            startup_timeout=int(math.ceil(args.startup_timeout)),
            allow_errors=False,
            record_timing=True,
            resources={"metadata": {"path": os.path.dirname(os.path.abspath(args.notebook))}},
            on_cell_start=on_cell_start,
            on_cell_execute=on_cell_execute,
            on_cell_executed=on_cell_executed,
            on_cell_error=on_cell_error,
        )

    def fail_at(idx, message):
        result["failed_cell"] = idx
        result["failed_code_cell"] = code_index.get(idx)
        result["message"] = message

    t0 = time.time()
    status = 0
    while True:
        result["kernel_starts"] += 1
        try:
            new_client().execute()
            result["ok"] = True
        except CellExecutionError:
            status = 1
            idx = result["failed_cell"]
            if idx is not None:
                cell = nb.cells[idx]
                # tslab reports errors on stderr (it sends no "error" output), so quote that text.
                text = "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream" and o.get("name") == "stderr")
                tb = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
                if tb:
                    text += "%s: %s" % (tb[0].get("ename"), tb[0].get("evalue"))
                result["message"] = text.strip()[-2000:] or "the kernel reported an error without output"
            else:
                result["message"] = "cell execution failed"
        except CellTimeoutError as err:
            status = 1
            idx = in_flight[0] if in_flight else None
            fail_at(idx, "the cell did not finish within --timeout %g s: %s" % (args.timeout, str(err).strip().splitlines()[0] if str(err).strip() else "timeout"))
        except Exception as err:  # kernel start failure, dead kernel, ...
            if in_flight:  # the kernel died (or the run was stopped) during a cell: that cell failed
                status = 1
                fail_at(in_flight[0], "%s during this cell: %s" % (type(err).__name__, err))
            elif not starts and result["kernel_starts"] < args.startup_tries:
                # No cell ran yet: a slow or failed kernel start. Start a fresh kernel once more.
                print("  %s: the kernel did not start (%s: %s); starting it again" % (name, type(err).__name__, err), flush=True)
                continue
            else:
                status = 2
                if not starts:
                    result["message"] = kernel_start_failed(err, result["kernel_starts"], args.startup_timeout)
                else:
                    result["message"] = "%s: %s" % (type(err).__name__, err)
        break
    result["seconds"] = round(time.time() - t0, 3)

    # Error outputs can also come from cells tagged "raises-exception" or from other kernels.
    if result["ok"]:
        for i, cell in enumerate(nb.cells):
            for out in cell.get("outputs", []):
                if out.get("output_type") == "error":
                    result["ok"] = False
                    result["failed_cell"] = i
                    result["failed_code_cell"] = code_index.get(i)
                    result["message"] = "%s: %s" % (out.get("ename"), out.get("evalue"))
                    status = 1
                    break
            if not result["ok"]:
                break

    try:
        body = export_html(nb, name, head)
        with open(args.html, "w", encoding="utf-8") as f:
            f.write(body)
        if args.executed:
            nbformat.write(nb, args.executed)
    except Exception as err:
        result["ok"] = False
        result["message"] = (result["message"] + "\n" if result["message"] else "") + "HTML export failed: %s: %s" % (type(err).__name__, err)
        status = status or 2

    with open(args.result, "w", encoding="utf-8") as f:
        json.dump(result, f)
    sys.exit(status)


if __name__ == "__main__":
    main()
