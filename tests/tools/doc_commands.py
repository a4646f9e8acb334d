#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Prints every kickstorm command line that README.md and the man page's
EXAMPLES show, one per line, as "SOURCE:LINE<TAB>ARGS" where ARGS are the
words after the program name, shell-quoted.

README: the lines of fenced code blocks (in a block that shows a session,
only the "$ " prompt lines, the prompt dropped) and inline code spans that
start with kickstorm. Man page: the .Bd -literal
blocks under .Sh EXAMPLES. A line is cut into commands at |, ;, & and &&;
the commands that run kickstorm (kickstorm, ./kickstorm) are kept, with
their redirections dropped and the loop variable of the man page's examples
given its first value; synopses with placeholders (REPORT, [--json],
FILE...) are left out.

usage: doc_commands.py README.md man/kickstorm.1 [-o FILE]
Exit 1, naming the line, when a line that runs kickstorm cannot be read.
"""
import re
import shlex
import sys

PROGRAMS = ("kickstorm", "./kickstorm")
# The man page's loops: for via in x2apic xapic pv; do ... $via ...
LOOP = re.compile(r"^\s*for (\w+) in (\S+)")
RUNS_KICKSTORM = re.compile(r"(^|[;&|(]\s*|\s)(\./)?kickstorm\s")
PLACEHOLDER = re.compile(r"^(\[.*|[A-Z][A-Z.]*|.*\.\.\.)$")


def readme_lines(path):
    block = None
    for number, line in enumerate(open(path, encoding="utf-8"), 1):
        if line.startswith("```"):
            if block is None:
                block = []
                continue
            # A block with "$ " prompts is a session: only its prompt lines are commands.
            session = any(text.startswith("$ ") for _, text in block)
            continued = False
            for n, text in block:
                if text.startswith("$ "):
                    yield n, text[2:]
                elif not session or continued:
                    yield n, text
                continued = text.rstrip().endswith("\\") and (continued or text.startswith("$ ")
                                                               or not session)
            block = None
            continue
        if block is not None:
            block.append((number, line))
            continue
        for span in re.findall(r"`([^`]+)`", line):
            if span.split(" ", 1)[0] in PROGRAMS and " " in span:
                yield number, span


def man_lines(path):
    in_examples = literal = False
    for number, line in enumerate(open(path, encoding="utf-8"), 1):
        if line.startswith(".Sh "):
            in_examples = line.strip() == ".Sh EXAMPLES"
        elif in_examples and line.startswith(".Bd -literal"):
            literal = True
        elif line.startswith(".Ed"):
            literal = False
        elif literal:
            # mandoc's escapes: \e is a backslash, \- a minus.
            yield number, line.replace("\\e", "\\").replace("\\-", "-")


def joined(lines):
    """Lines with their backslash continuations joined, numbered by the first."""
    pending, first = "", 0
    for number, line in lines:
        line = line.rstrip("\n")
        if not pending:
            first = number
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        yield first, pending + line
        pending = ""


def commands(text, loopvars):
    for name, value in loopvars.items():
        text = text.replace("$" + name, value)
    text = text.split(" #", 1)[0]
    lexer = shlex.shlex(text, posix=True, punctuation_chars="|&;<>")
    lexer.whitespace_split = True
    words = []
    for token in list(lexer) + [";"]:
        if token in ("|", "||", ";", "&", "&&", ";;"):
            if words and words[0] in PROGRAMS:
                yield words[1:]
            words = []
        elif token and set(token) <= set("<>&"):
            words.append(None)          # a redirection: its target follows
        else:
            words.append(token)


def main():
    readme, man = sys.argv[1], sys.argv[2]
    if len(sys.argv) == 5 and sys.argv[3] == "-o":
        sys.stdout = open(sys.argv[4], "w", encoding="utf-8")
    for source, lines in ((readme, readme_lines(readme)), (man, man_lines(man))):
        loopvars = {}
        for number, text in joined(lines):
            loop = LOOP.match(text)
            if loop:
                loopvars[loop.group(1)] = loop.group(2)
                continue
            if not RUNS_KICKSTORM.search(text):
                continue
            try:
                found = list(commands(text, loopvars))
            except ValueError as e:
                sys.exit("%s:%d: cannot read the command line: %s" % (source, number, e))
            for words in found:
                # Drop each redirection and the file it names.
                args, skip = [], False
                for w in words:
                    if w is None:
                        skip = True
                    elif skip:
                        skip = False
                    else:
                        args.append(w)
                # "show REPORT [--hist]" is syntax, not a command to run.
                if any(PLACEHOLDER.match(a) for a in args):
                    continue
                print("%s:%d\t%s" % (source.rsplit("/", 1)[-1], number, shlex.join(args)))


if __name__ == "__main__":
    main()
