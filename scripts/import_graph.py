#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The module's import graph: which file of src/ uses which (`crate::` paths, use trees
expanded), checked for cycles.

  scripts/import_graph.py           prints "FILE -> FILE" edges; exits 1 on a cycle
  scripts/import_graph.py --dot     the graph for Graphviz (dot -Tsvg)

A file is named by its module path (net::skb, ioam::encap); the crate root, `uapi` and `wire`
are leaves outside the graph. rustc does not mind cycles between modules of one crate; this
keeps the layers' files in a partial order so that each can be read after what it uses.
"""
import re
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"


def module_files():
    """{module path: file} for the module's own files (not wire, not bindgen output)."""
    mods = {}
    for f in SRC.rglob("*.rs"):
        rel = f.relative_to(SRC)
        if rel.parts[0] == "wire" or f.name in ("bindings_generated.rs", "ioam_main.rs"):
            continue
        mods["::".join(rel.with_suffix("").parts)] = f
    return mods


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def expand_tree(prefix, tree):
    """Paths of a use tree body (`a::{b, c::d}` -> a::b, a::c::d)."""
    items, depth, cur = [], 0, ""
    for ch in tree:
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        if ch == "," and depth == 0:
            items.append(cur)
            cur = ""
        else:
            cur += ch
    items.append(cur)
    for item in (i.strip() for i in items):
        if not item:
            continue
        m = re.match(r"^([\w:]*?)(::)?\{(.*)\}$", item, re.S)
        if m:
            yield from expand_tree(prefix + (m.group(1) + "::" if m.group(1) else ""), m.group(3))
        else:
            yield prefix + item.split(" as ")[0].strip()


def used_paths(text, own):
    """The `crate::` paths a file names, and `super::` ones resolved against `own`."""
    text = strip_comments(text)
    parent = own.rsplit("::", 1)[0] if "::" in own else ""
    for m in re.finditer(r"\buse\s+(crate|super)::(\{.*?\}|[\w:]+(?:::\{.*?\})?)\s*;", text, re.S):
        base = "" if m.group(1) == "crate" else (parent + "::" if parent else "")
        body = m.group(2)
        if body.startswith("{"):
            yield from expand_tree(base, body[1:-1])
        else:
            yield from expand_tree(base, body)
    for m in re.finditer(r"\bcrate::([\w:]+)", text):
        yield m.group(1)


def edges():
    mods = module_files()
    out = set()
    for name, f in mods.items():
        for path in used_paths(f.read_text(), name):
            parts = path.split("::")
            # The longest prefix that is a module file.
            for n in range(len(parts), 0, -1):
                target = "::".join(parts[:n])
                if target in mods:
                    if target != name and not name.startswith(target + "::"):
                        out.add((name, target))
                    break
    return sorted(out), sorted(mods)


def find_cycle(nodes, graph):
    state, stack = {}, []

    def visit(n):
        state[n] = 1
        stack.append(n)
        for m in graph.get(n, ()):
            if state.get(m) == 1:
                return stack[stack.index(m):] + [m]
            if m not in state:
                found = visit(m)
                if found:
                    return found
        state[n] = 2
        stack.pop()
        return None

    for n in nodes:
        if n not in state:
            found = visit(n)
            if found:
                return found
    return None


def main():
    es, nodes = edges()
    if "--dot" in sys.argv[1:]:
        print("digraph ioam_rs {")
        for a, b in es:
            print('  "%s" -> "%s";' % (a, b))
        print("}")
    else:
        for a, b in es:
            print("%s -> %s" % (a, b))
    graph = {}
    for a, b in es:
        graph.setdefault(a, []).append(b)
    cycle = find_cycle(nodes, graph)
    if cycle:
        print("import cycle: " + " -> ".join(cycle), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
