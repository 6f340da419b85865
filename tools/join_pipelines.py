#!/usr/bin/env python3
# Make pipelines/all.ini as the union of the single-purpose pipelines
# (run from pipelines/: python3 ../tools/join_pipelines.py).  A developer
# tool: bract itself needs no Python.
import sys
def section_text(p):
    s = open(p).read()
    a = s.index('\n[dataset]\n') + 1
    b = s.index('\n[stage ') + 1
    return s[a:b], s[b:]
PARTS = ['word-rsa.ini', 'word-rsa-events.ini', 'searchlight.ini', 'dfc.ini', 'timescales.ini']
keys, order = {}, []
for p in [p for p in PARTS if __import__('os').path.exists(p)]:
    ds, _ = section_text(p)
    for l in ds.strip().split('\n')[1:]:
        if not l.strip() or l.startswith(';'):
            continue
        k, v = [x.strip() for x in l.split('=', 1)]
        if k == 'subjects':
            continue
        if k in keys and keys[k] != v:
            raise SystemExit('clash ' + k)
        if k not in keys:
            order.append(k)
        keys[k] = v
head = '''; all.ini: the whole study of `make demo`: word RSA (from patterns and from
; event-related BOLD runs through a GLM), searchlight RSA, dynamic
; connectivity and intrinsic timescales over one dataset with the same
; subjects.  The stages are those of word-rsa.ini, word-rsa-events.ini,
; searchlight.ini, dfc.ini and timescales.ini (read them for what each
; does); this file is their union, made by tools/join_pipelines.py, so
; change those and join again.
;
; The dataset layout is what `bract simulate rsa|dfc|timescales -o DATA/KIND`
; and `bract simulate rsa --event-related -o DATA/rsa-events` write with the
; same --subjects (see tools/demo.sh):
;   bract pipeline run pipelines/all.ini --data DATA
[dataset]
subjects = rsa/sub-*_patterns.nii.gz
''' + ''.join(f'{k} = {keys[k]}\n' for k in order) + '\n'
body = ''
for p in [p for p in PARTS if __import__('os').path.exists(p)]:
    body += '; ---- from ' + p + ' ----\n\n' + section_text(p)[1].rstrip() + '\n\n'
open('all.ini', 'w').write(head + body.rstrip() + '\n')
