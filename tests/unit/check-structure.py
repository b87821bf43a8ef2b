#!/usr/bin/python3
"""check-structure.py SOURCE_DIR BUILD_DIR - the tree keeps its shape.

- no source file under daemon/ or libnetproto/ is longer than 700 lines;
- no circle of #include "..." between files;
- no call circle between source files: file A calls into file B (A's object
  file uses a symbol B's defines, read with nm) and B, directly or through
  others, calls back into A.
Each finding is printed; the exit status is 1 if there is any.
"""
import os, re, subprocess, sys

src, build = sys.argv[1], sys.argv[2]
MAX_LINES = 700
bad = []

files = []
for top in ("daemon", "libnetproto"):
    for d, _, names in os.walk(os.path.join(src, top)):
        if "/forbidden" in d:
            continue
        files += [os.path.join(d, n) for n in names if n.endswith((".c", ".h", ".cc"))]

for f in files:
    n = sum(1 for _ in open(f, encoding="utf-8", errors="replace"))
    if n > MAX_LINES:
        bad.append(f"{os.path.relpath(f, src)}: {n} lines (more than {MAX_LINES})")


def circles(graph):
    """Strongly connected components with more than one node (Tarjan)."""
    index, low, stack, on, out, i = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = i[0]
        i[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in list(graph):
        if v not in index:
            visit(v)
    return out


inc = {}
for f in files:
    here = os.path.dirname(f)
    for line in open(f, encoding="utf-8", errors="replace"):
        m = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
        if m:
            tgt = os.path.normpath(os.path.join(here, m.group(1)))
            if os.path.exists(tgt):
                inc.setdefault(os.path.relpath(f, src), set()).add(os.path.relpath(tgt, src))
for c in circles(inc):
    bad.append("include circle: " + " -> ".join(c))

# Objects of our own sources: meson puts them in <build>/<subdir>/<target>.p/
# named after the source path below that subdir, '/' turned into '_'.
defs, uses = {}, {}
for top in ("daemon", "libnetproto"):
    for d, _, names in os.walk(os.path.join(build, top)):
        for n in names:
            if not n.endswith(".o") or not d.endswith(".p"):
                continue
            o = os.path.join(d, n)
            key = top + ":" + n[:-2]
            out = subprocess.run(["nm", "--defined-only", "-g", o], capture_output=True,
                                 text=True).stdout
            for line in out.splitlines():
                parts = line.split()
                if len(parts) == 3 and parts[1] in "TDBR":
                    defs.setdefault(parts[2], set()).add(key)
            und = subprocess.run(["nm", "-u", o], capture_output=True, text=True).stdout
            uses.setdefault(key, set()).update(l.split()[-1] for l in und.splitlines()
                                               if l.strip())
calls = {}
for f, syms in uses.items():
    for s in syms:
        for g in defs.get(s, ()):
            if g != f:
                calls.setdefault(f, set()).add(g)
for c in circles(calls):
    bad.append("call circle: " + " -> ".join(c))

for b in bad:
    print("FAIL:", b)
print(f"{len(files)} source files, {len(defs)} global symbols: {len(bad)} findings")
sys.exit(1 if bad else 0)
