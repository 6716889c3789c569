"""Execute one assignment notebook for the grader (src/assignments/grade.ts); not run by hand.

    execute.py NOTEBOOK --out EXECUTED.ipynb --result RESULT.json --timeout SECONDS [--kernel tslab]

Every cell runs even when an earlier one fails (a failed check must not hide the next ones).
SECONDS bounds the whole notebook, kernel start included: each cell gets what is left, and when it
runs out the kernel is shut down and the remaining cells are reported as not run. The kernel
starts in the notebook's folder and inherits this process's environment.

RESULT.json: {"status": "ok" | "timeout" | "kernel-error", "message", "seconds",
"timed_out_cell", "cells": [{"index", "status": "ok" | "error" | "not-run", "stdout",
"stderr" (its first 4000 characters), "error"}]}; one entry per code cell.
"""
import argparse
import asyncio
import json
import os
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

TSLAB_ABORT_WINDOW_S = 0.4


def text_of(cell, name):
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream" and o.get("name") == name)


def error_of(cell):
    errs = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    return "%s: %s" % (errs[0].get("ename"), errs[0].get("evalue")) if errs else ""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("notebook")
    ap.add_argument("--out", required=True)
    ap.add_argument("--result", required=True)
    ap.add_argument("--timeout", type=float, required=True)
    ap.add_argument("--kernel", default="tslab")
    args = ap.parse_args()

    t0 = time.time()
    deadline = t0 + args.timeout
    nb = nbformat.read(args.notebook, as_version=4)
    status = {}  # cell index -> "ok" | "error"
    result = {"status": "ok", "message": "", "seconds": 0.0, "timed_out_cell": None, "cells": []}
    current = {"index": None}

    def on_cell_start(cell, cell_index):
        current["index"] = cell_index

    async def on_cell_executed(cell, cell_index, execute_reply):
        ok = execute_reply.get("content", {}).get("status") == "ok"
        status[cell_index] = "ok" if ok else "error"
        if not ok:
            # tslab aborts every request that arrives within 200 ms of a failed cell
            # (node_modules/tslab/dist/jupyter.js, handleExecute); wait that out.
            await asyncio.sleep(TSLAB_ABORT_WINDOW_S)

    client = NotebookClient(
        nb,
        kernel_name=args.kernel,
        # What is left of the notebook's budget (nbclient wants an int; at least 1 s).
        timeout_func=lambda cell: max(1, int(deadline - time.time())),
        startup_timeout=max(1, int(args.timeout)),
        allow_errors=True,
        resources={"metadata": {"path": os.path.dirname(os.path.abspath(args.notebook))}},
        on_cell_start=on_cell_start,
        on_cell_executed=on_cell_executed,
    )
    try:
        client.execute()
    except CellTimeoutError:
        result["status"] = "timeout"
        result["timed_out_cell"] = current["index"]
        result["message"] = "the notebook ran longer than %g s (stopped in cell %s)" % (args.timeout, current["index"])
    except DeadKernelError as err:
        result["status"] = "kernel-error"
        result["message"] = "the kernel died in cell %s: %s" % (current["index"], err)
    except Exception as err:  # kernel did not start, startup timeout, ...
        result["status"] = "timeout" if time.time() >= deadline else "kernel-error"
        result["message"] = "%s: %s" % (type(err).__name__, err)
    result["seconds"] = round(time.time() - t0, 3)

    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        st = status.get(i, "not-run")
        if not cell.source.strip():
            st = "ok"
        result["cells"].append({"index": i, "status": st, "stdout": text_of(cell, "stdout")[-4000:],
                                "stderr": text_of(cell, "stderr")[:4000], "error": error_of(cell)})
    nbformat.write(nb, args.out)
    with open(args.result, "w", encoding="utf-8") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main()
