"""Turn a percent-format script into a notebook (an authoring aid; the .ipynb is what we commit).

    python tools/py2nb.py draft.py notebooks/01_convolution_1d.ipynb

Cells start with ``# %%`` (code) or ``# %% [markdown]`` (markdown, each line starting
with ``# ``). Tags go in brackets after the marker: ``# %% tags=["raises-exception"]``;
cell metadata as JSON after them: ``# %% metadata={"course": {"question": "ex01.q1"}}``.
Execute the result with ``python -m course_utils.refresh PATH``.
"""
import json
import re
import sys
from pathlib import Path

import nbformat

MARKER = re.compile(r"^# %%(?P<md> \[markdown\])?(?: tags=(?P<tags>\[.*?\]))?(?: metadata=(?P<meta>\{.*\}))?\s*$")


def convert(text: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    cells, kind, tags, lines, meta = [], None, [], [], {}

    def flush():
        if kind is None:
            return
        body = "\n".join(lines).strip("\n")
        if kind == "markdown":
            body = "\n".join(re.sub(r"^# ?", "", line) for line in body.splitlines())
            cell = nbformat.v4.new_markdown_cell(body)
        else:
            cell = nbformat.v4.new_code_cell(body)
        if tags:
            cell.metadata["tags"] = tags
        cell.metadata.update(meta)
        cells.append(cell)

    for line in text.splitlines():
        match = MARKER.match(line)
        if match:
            flush()
            kind = "markdown" if match["md"] else "code"
            tags = json.loads(match["tags"]) if match["tags"] else []
            meta = json.loads(match["meta"]) if match["meta"] else {}
            lines = []
        else:
            lines.append(line)
    flush()
    nb.cells = cells
    nb.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
    nb.metadata["language_info"] = {"name": "python", "pygments_lexer": "ipython3"}
    return nb


if __name__ == "__main__":
    source, target = map(Path, sys.argv[1:3])
    nbformat.write(convert(source.read_text()), target)
    print(f"wrote {target}")
