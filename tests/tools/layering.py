#!/usr/bin/env python3
# The shape of src/ that docs/ARCHITECTURE.md promises, checked: dependencies
# run one way (no include circle between modules, a module being a .c and
# its .h), no file over 600 lines, code that never touches KVM builds without
# linux/kvm.h, and no scenario is singled out by name outside src/scenarios/.
# Prints one line per problem; exit 1 when there is any.
import glob, os, re, subprocess, sys

src = sys.argv[1]
problems = []
files = sorted(glob.glob(os.path.join(src, 'src', '*.[ch]')) +
               glob.glob(os.path.join(src, 'src', 'scenarios', '*.[ch]')))

def module(path):
    return re.sub(r'\.[ch]$', '', os.path.relpath(path, src))

deps = {}
for f in files:
    for line in open(f, encoding='utf-8'):
        m = re.match(r'#include "(.*)"', line)
        if not m:
            continue
        target = os.path.normpath(os.path.join(os.path.dirname(f), m.group(1)))
        if not os.path.exists(target):
            target = os.path.normpath(os.path.join(src, 'src', m.group(1)))
        if module(target) != module(f):
            deps.setdefault(module(f), set()).add(module(target))

def find_cycle(start):
    stack, seen = [(start, [start])], set()
    while stack:
        node, path = stack.pop()
        for nxt in sorted(deps.get(node, ())):
            if nxt == start:
                return path + [start]
            if nxt not in seen:
                seen.add(nxt)
                stack.append((nxt, path + [nxt]))
    return None

reported = set()
for mod in sorted(deps):
    cycle = find_cycle(mod)
    if cycle and frozenset(cycle) not in reported:
        reported.add(frozenset(cycle))
        problems.append('include circle: ' + ' -> '.join(cycle))

for f in files:
    n = sum(1 for _ in open(f, encoding='utf-8'))
    if n > 600:
        problems.append('%s has %d lines (at most 600)' % (os.path.relpath(f, src), n))

# Code that never touches KVM: the report, compare and the outputs.
cflags = sys.argv[2:]
for name in ('config.h', 'report.c', 'compare.c', 'compare_reconcile.c', 'report_load.c', 'report_sweep.c',
             'table.c', 'cmd_compare.c',
             'cmd_show.c', 'cmd_plot.c'):
    path = os.path.join(src, 'src', name)
    if not os.path.exists(path):
        continue
    out = subprocess.run(['gcc', '-std=c11', '-D_GNU_SOURCE', '-fsyntax-only', '-H'] + cflags +
                         ['-I' + os.path.join(src, 'src'), path], capture_output=True, text=True)
    if 'linux/kvm.h' in out.stderr:
        problems.append('src/%s pulls in linux/kvm.h' % name)

names = []
for f in glob.glob(os.path.join(src, 'src', 'scenarios', '*.c')):
    names += re.findall(r'^\s*\.name = "([a-z0-9_-]+)"', open(f, encoding='utf-8').read(), re.M)
literal = re.compile(r'(strcmp|strncmp|strcasecmp|scenario__find)\s*\([^;]*"(%s)"' % '|'.join(names))
for f in files:
    if os.sep + 'scenarios' + os.sep in f:
        continue
    for i, line in enumerate(open(f, encoding='utf-8'), 1):
        if literal.search(line):
            problems.append('%s:%d singles a scenario out by name' % (os.path.relpath(f, src), i))

for p in problems:
    print(p)
sys.exit(1 if problems else 0)
