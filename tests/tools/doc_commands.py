#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Prints every kickstorm command line that README.md and the man page's
EXAMPLES show, one per line, as "SOURCE:LINE<TAB>ARGS" where ARGS are the
words after the program name, shell-quoted.

README: the lines of fenced code blocks (a leading "$ " prompt dropped) and
inline code spans that start with kickstorm. Man page: the .Bd -literal
blocks under .Sh EXAMPLES. A line is cut into commands at |, ;, & and &&;
the commands that run kickstorm (kickstorm, ./kickstorm) are kept, with
their redirections dropped and the loop variable of the man page's examples
given its first value; synopses with placeholders (REPORT, [--json],
FILE...) are left out.

usage: doc_commands.py README.md man/kickstorm.1
"""
import re
import shlex
import sys

PROGRAMS = ("kickstorm", "./kickstorm")
# The man page's loops: for via in x2apic xapic pv; do ... $via ...
LOOP = re.compile(r"^\s*for (\w+) in (\S+)")
PLACEHOLDER = re.compile(r"^(\[.*|[A-Z][A-Z.]*|.*\.\.\.)$")


def readme_lines(path):
    fenced = False
    for number, line in enumerate(open(path, encoding="utf-8"), 1):
        if line.startswith("```"):
            fenced = not fenced
            continue
        if fenced:
            yield number, line[2:] if line.startswith("$ ") else line
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
    for source, lines in ((readme, readme_lines(readme)), (man, man_lines(man))):
        loopvars = {}
        for number, text in joined(lines):
            loop = LOOP.match(text)
            if loop:
                loopvars[loop.group(1)] = loop.group(2)
                continue
            for words in commands(text, loopvars):
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
