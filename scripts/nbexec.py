"""Execute one notebook with nbclient and export it to HTML with nbconvert.

Called by scripts/run-notebooks.ts (one process per notebook); not meant to be run by hand.

    nbexec.py NOTEBOOK --html OUT.html --result RESULT.json [--kernel tslab] [--timeout S]
              [--executed OUT.ipynb] [--slow S]

The kernel starts in the notebook's folder and inherits this process's environment
(PADAM_MODE, PADAM_FIGURES_DIR, JUPYTER_PATH, ...). Execution stops at the first failing cell;
the notebook so far is still exported, so the report shows the error where it happened.
RESULT.json gets {"ok", "cells", "failed_cell", "failed_code_cell", "message", "seconds",
"cell_seconds"}. Exit status: 0 ok, 1 cell error, 2 other failure (kernel did not start, ...).
"""
import argparse
import json
import math
import os
import sys
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from nbconvert import HTMLExporter


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("notebook")
    ap.add_argument("--html", required=True)
    ap.add_argument("--result", required=True)
    ap.add_argument("--executed")
    ap.add_argument("--kernel", default="tslab")
    ap.add_argument("--timeout", type=float, default=0, help="per-cell timeout in seconds, 0 = none")
    ap.add_argument("--slow", type=float, default=10, help="report cells that take longer than this")
    args = ap.parse_args()

    name = os.path.splitext(os.path.basename(args.notebook))[0]
    nb = nbformat.read(args.notebook, as_version=4)
    code_index = {}  # cell index -> 1-based number among code cells
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            code_index[i] = len(code_index) + 1
    n_code = len(code_index)
    result = {"ok": False, "cells": len(nb.cells), "failed_cell": None, "failed_code_cell": None,
              "message": "", "seconds": 0.0, "cell_seconds": {}}
    starts = {}

    def on_cell_start(cell, cell_index):
        starts[cell_index] = time.time()

    def on_cell_executed(cell, cell_index, execute_reply):
        dt = time.time() - starts.get(cell_index, time.time())
        result["cell_seconds"][str(cell_index)] = round(dt, 3)
        if dt >= args.slow:
            print("  %s: code cell %d/%d took %.1f s" % (name, code_index.get(cell_index, 0), n_code, dt), flush=True)

    def on_cell_error(cell, cell_index, execute_reply):
        result["failed_cell"] = cell_index
        result["failed_code_cell"] = code_index.get(cell_index)

    client = NotebookClient(
        nb,
        kernel_name=args.kernel,
        timeout=int(math.ceil(args.timeout)) if args.timeout > 0 else None,
        startup_timeout=120,
        allow_errors=False,
        record_timing=True,
        resources={"metadata": {"path": os.path.dirname(os.path.abspath(args.notebook))}},
        on_cell_start=on_cell_start,
        on_cell_executed=on_cell_executed,
        on_cell_error=on_cell_error,
    )
    t0 = time.time()
    status = 0
    try:
        client.execute()
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
    except Exception as err:  # kernel start failure, timeout, dead kernel, ...
        status = 2
        result["message"] = "%s: %s" % (type(err).__name__, err)
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
        exporter = HTMLExporter()
        exporter.embed_images = True  # markdown images become data URIs (offline reports)
        body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": name}})
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
