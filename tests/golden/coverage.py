#!/usr/bin/env python3
"""coverage.py: lists the diagnostics the compiler can emit that no golden
case shows. Every call that reports an error, warning or note (nc_error,
nc_error_hint, nc_warning, nc_diag_report, the lexer's lex_error, shape.c's
fail) has a format string; the script turns each into a pattern (%s, %d,
... match anything) and looks for it in the messages of tests/golden/*.err.
Prints the sites without a case, one per line as FILE:LINE: FORMAT, and
exits 1 when there is one. Formats that are only "%s" pass a message made
elsewhere (shape.c's, bison's) and are skipped. Internal errors (the
"internal error" messages of autodiff, shape rules for ops the compiler
never builds wrong) are listed separately and do not fail the run: no .net
text can reach them.

Usage: tests/golden/coverage.py [TOP_SRCDIR]; make check runs it through
tests/golden/coverage.sh."""
import glob
import os
import re
import sys

# function -> index of its format argument
FORMAT_ARG = {"nc_error": 2, "nc_error_hint": 3, "nc_warning": 2,
              "nc_diag_report": 4, "lex_error": 3, "fail": 2}
SOURCES = ["compiler/*.c", "grammar/parser.y", "grammar/lexer.l"]
# Messages no .net text can trigger: the compiler's own consistency checks,
# and shape rules whose cases the builtins' argument checks (or the layers,
# which make their own weights) rule out first; shape inference runs on
# graphs loaded from .h5 files too, where they guard against crafted files.
INTERNAL = re.compile(r"internal error|no shape rule|is not an earlier node|"
                      r"has a malformed type|takes %d inputs|no node %d|unknown op|"
                      r"unknown padding|to an unknown dtype|does not match the last dim|"
                      r"window and strides of at least 1|kernel %s is too large|"
                      r"input channels, got|inner dims differ|target has rank|"
                      r"target dims must be positive|rate must be in|depth must be at least|"
                      r"delta must be positive")


def call_args(text, start):
    """The top-level arguments of the call whose '(' is at text[start]."""
    depth, args, cur, i = 0, [], [], start
    while i < len(text):
        ch = text[i]
        if ch == '"':
            j = i + 1
            while text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            cur.append(text[i:j + 1])
            i = j + 1
            continue
        if ch == "(":
            depth += 1
            if depth == 1:
                i += 1
                continue
        elif ch == ")":
            depth -= 1
            if depth == 0:
                args.append("".join(cur).strip())
                return args
        elif ch == "," and depth == 1:
            args.append("".join(cur).strip())
            cur = []
            i += 1
            continue
        cur.append(ch)
        i += 1
    return args


def formats(arg):
    """The format strings an argument may be: adjacent literals joined, each
    alternative of a ?: on its own."""
    arg = re.sub(r'"\s*PRI[du]64\s*"', "lld", arg)
    out, lits = [], []
    for tok in re.finditer(r'"((?:[^"\\]|\\.)*)"|[?:]', arg):
        if tok.group(1) is not None:
            lits.append(tok.group(1))
        elif lits:  # a ?: outside the literals ends an alternative
            out.append(lits)
            lits = []
    if lits:
        out.append(lits)
    return [bytes("".join(x), "utf-8").decode("unicode_escape") for x in out]


def pattern(fmt):
    parts = re.split(r"(%%|%[-+ #0-9.]*(?:ll|l|z)?[a-zA-Z])", fmt)
    rx = ""
    for p in parts:
        if p == "%%":
            rx += "%"
        elif p.startswith("%"):
            rx += ".*"
        else:
            rx += re.escape(p)
    return re.compile(rx, re.S)


def main():
    top = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "../..")
    messages = []
    for err in glob.glob(os.path.join(top, "tests/golden/*.err")):
        for line in open(err, encoding="utf-8", errors="replace"):
            m = re.match(r"^\S.*?: (?:error|warning|note): (.*)$", line)
            if m:
                messages.append(m.group(1))
    # A diagnostic with no .net file to show (a file that cannot be read) is
    # checked by tests/cli.sh instead.
    for line in open(os.path.join(top, "tests/cli.sh"), encoding="utf-8"):
        m = re.match(r'^contains err "error: (.*)"$', line)
        if m:
            messages.append(m.group(1))
    call = re.compile(r"\b(" + "|".join(FORMAT_ARG) + r")\s*\(")
    missing, internal, sites = [], [], 0
    for spec in SOURCES:
        for path in sorted(glob.glob(os.path.join(top, spec))):
            text = open(path, encoding="utf-8").read()
            for m in call.finditer(text):
                name = m.group(1)
                if name == "fail" and not path.endswith("shape.c"):
                    continue
                line = text.count("\n", 0, m.start()) + 1
                before = text[text.rfind("\n", 0, m.start()) + 1:m.start()]
                if re.search(r"\b(static|void|int)\b", before):
                    continue  # the function's own definition
                args = call_args(text, m.end() - 1)
                if len(args) <= FORMAT_ARG[name]:
                    continue
                for fmt in formats(args[FORMAT_ARG[name]]):
                    if fmt.strip() in ("%s", ""):
                        continue
                    sites += 1
                    rx = pattern(fmt)
                    if any(rx.search(msg) for msg in messages):
                        continue
                    where = "%s:%d: %s" % (os.path.relpath(path, top), line, fmt)
                    (internal if INTERNAL.search(fmt) else missing).append(where)
    for w in missing:
        print(w)
    print("coverage: %d of %d diagnostic formats have a golden case; %d internal "
          "ones cannot be reached from a .net file" %
          (sites - len(missing) - len(internal), sites, len(internal)))
    if internal:
        for w in internal:
            print("  internal: " + w)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
