#!/usr/bin/env python3
"""Write the bad-input corpus of tests/bad/ (and the small good inputs the
cases pair them with, in tests/bad/ok/).  Deterministic: run it from the top
of the tree and `git diff` shows nothing.  The cases themselves (command,
expected exit status, message) are in tests/bad/cases.tsv; the files are
committed so that the test needs no Python.

    python3 tests/bad/make_cases.py
"""
import gzip
import math
import os
import random
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OK = os.path.join(HERE, 'ok')
NAN = float('nan')

# The good grid: 4 x 4 x 3 voxels of 2 mm, 24 volumes of TR 2 s.
NX, NY, NZ, NT = 4, 4, 3, 24
AFFINE = [[2, 0, 0, -4], [0, 2, 0, -4], [0, 0, 2, -2]]


def put(path, data):
    if isinstance(data, str):
        data = data.encode('utf-8')
    full = os.path.join(HERE, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, 'wb') as f:
        f.write(data)


def gz(data):
    return gzip.compress(data, compresslevel=6, mtime=0)


def nifti1(dims, values, datatype=16, pixdim=(2, 2, 2, 2), affine=AFFINE, magic=b'n+1\0',
           dim0=None, extra_dims=None):
    """A single-file NIfTI-1: dims (nx, ny, nz[, nt]), values in file order."""
    h = bytearray(348)
    struct.pack_into('<i', h, 0, 348)
    d = list(dims) + [1] * (7 - len(dims))
    if extra_dims:
        for i, v in extra_dims.items():
            d[i - 1] = v
    struct.pack_into('<8h', h, 40, dim0 if dim0 is not None else len(dims), *d)
    sizes = {2: 1, 4: 2, 8: 4, 16: 4, 32: 8, 64: 8, 128: 3, 256: 1, 512: 2}
    struct.pack_into('<hh', h, 70, datatype, 8 * sizes.get(datatype, 4))
    pd = list(pixdim) + [1] * (7 - len(pixdim))
    struct.pack_into('<8f', h, 76, 1.0, *pd)
    struct.pack_into('<f', h, 108, 352.0)
    struct.pack_into('<f', h, 112, 1.0)
    h[123] = 10  # mm, seconds
    struct.pack_into('<hh', h, 252, 0, 2)  # qform 0, sform aligned
    for r in range(3):
        struct.pack_into('<4f', h, 280 + 16 * r, *affine[r])
    h[344:348] = magic
    fmt = {2: 'B', 4: 'h', 8: 'i', 16: 'f', 64: 'd', 256: 'b', 512: 'H'}.get(datatype, 'f')
    body = struct.pack('<%d%s' % (len(values), fmt), *values) if values else b''
    return bytes(h) + b'\0' * 4 + body


def nifti2(dims, values, pixdim=(2, 2, 2, 2)):
    h = bytearray(540)
    struct.pack_into('<i', h, 0, 540)
    h[4:12] = b'n+2\0\r\n\x1a\n'
    struct.pack_into('<hh', h, 12, 16, 32)
    struct.pack_into('<8q', h, 16, len(dims), *dims, *[1] * (7 - len(dims)))
    pd = list(pixdim) + [1] * (7 - len(pixdim))
    struct.pack_into('<8d', h, 104, 1.0, *pd)
    struct.pack_into('<q', h, 168, 544)
    struct.pack_into('<d', h, 176, 1.0)
    struct.pack_into('<ii', h, 344, 0, 1)
    struct.pack_into('<12d', h, 400, 2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 2, 0)
    struct.pack_into('<i', h, 500, 10)
    return bytes(h) + b'\0' * 4 + struct.pack('<%df' % len(values), *values)


def good_series(rng, nt=NT):
    vals = []
    for t in range(nt):
        for v in range(NX * NY * NZ):
            vals.append(rng.gauss(0, 1) + math.sin(0.3 * t + v))
    return vals


def tsv(rows):
    return ''.join('\t'.join(str(c) for c in r) + '\n' for r in rows)


def rdm_rows(name, conds, value):
    rows = []
    for i in range(len(conds)):
        for j in range(i + 1, len(conds)):
            rows.append([name, conds[i], conds[j], value(i, j)])
    return rows


def main():
    rng = random.Random(14)
    nvox = NX * NY * NZ
    words = ['w0', 'w1', 'w2', 'w3', 'w4', 'w5']

    # ---- good inputs ----
    put('ok/mask.nii.gz', gz(nifti1((NX, NY, NZ), [1.0] * nvox)))
    atlas = [1.0 if (v % NX) < NX // 2 else 2.0 for v in range(nvox)]
    put('ok/atlas.nii.gz', gz(nifti1((NX, NY, NZ), atlas)))
    put('ok/labels.tsv', tsv([['index', 'name'], [1, 'left'], [2, 'right']]))
    bold = good_series(rng)
    put('ok/bold.nii.gz', gz(nifti1((NX, NY, NZ, NT), bold)))
    put('ok/sub-01_bold.nii.gz', gz(nifti1((NX, NY, NZ, NT), bold)))
    conds = [words[t % 6] for t in range(NT)]
    put('ok/conditions.tsv', tsv([['condition']] + [[c] for c in conds]))
    emb = {w: [rng.gauss(0, 1) for _ in range(3)] for w in words}
    put('ok/embed.tsv', tsv([['word', 'd0', 'd1', 'd2']] +
                            [[w] + ['%.6f' % x for x in emb[w]] for w in words]))
    put('ok/model.tsv', tsv([['rdm', 'condition_a', 'condition_b', 'dissimilarity']] +
                            rdm_rows('model', words, lambda i, j: abs(i - j) / 5)))
    put('ok/rdms.tsv', tsv([['rdm', 'condition_a', 'condition_b', 'dissimilarity']] +
                           rdm_rows('left', words, lambda i, j: (i * 7 + j * 3) % 5 / 4 + 0.1) +
                           rdm_rows('right', words, lambda i, j: (i + j) % 4 / 3 + 0.2)))
    for k in range(3):
        m = [math.tanh(0.2 + 0.1 * k + 0.05 * rng.gauss(0, 1)) for _ in range(nvox)]
        put('ok/map%d.nii.gz' % k, gz(nifti1((NX, NY, NZ), m)))
    ts = [[round(math.sin(0.2 * t) + 0.3 * rng.gauss(0, 1), 6),
           round(math.cos(0.1 * t) + 0.3 * rng.gauss(0, 1), 6),
           round(0.5 * math.sin(0.05 * t) + 0.3 * rng.gauss(0, 1), 6)] for t in range(80)]
    put('ok/ts.tsv', tsv([['A', 'B', 'C']] + ts))
    put('ok/events.tsv', tsv([['onset', 'duration', 'trial_type']] +
                             [[8 * k, 6, words[k % 6]] for k in range(6)]))
    put('ok/index.tsv', tsv([['region', 'value'], ['A', 1], ['B', 2], ['C', 3]]))
    put('ok/tau1.tsv', tsv([['region', 'tau_s'], ['A', 2.5], ['B', 3.1], ['C', 4.0]]))
    put('ok/tau2.tsv', tsv([['region', 'tau_s'], ['A', 2.2], ['B', 3.5], ['C', 3.9]]))
    put('ok/corpus.txt', ''.join('%s %s %s\n' % (words[k % 6], words[(k + 1) % 6],
                                                 words[(k * 5) % 6]) for k in range(30)))

    # ---- NIfTI ----
    hdr_ok = nifti1((NX, NY, NZ), [1.0] * nvox)
    put('empty.nii', b'')
    put('binary.nii', bytes(rng.randrange(256) for _ in range(700)))
    put('text.nii', 'this is not a volume, just some text padding it out ' * 12)
    put('truncated_header.nii', hdr_ok[:200])
    put('truncated_data.nii', hdr_ok[:352 + 2 * nvox])
    put('truncated.nii.gz', gz(nifti1((NX, NY, NZ, NT), bold))[:900])
    g = bytearray(gz(nifti1((NX, NY, NZ, NT), bold)))
    for k in range(300, 340):
        g[k] ^= 0x5A
    put('corrupt.nii.gz', bytes(g))
    put('bad_magic.nii', nifti1((NX, NY, NZ), [1.0] * nvox, magic=b'n+9\0'))
    put('negative_dim.nii', nifti1((NX, -3, NZ), []))
    put('zero_dim.nii', nifti1((0, NY, NZ), []))
    put('dim0_9.nii', nifti1((NX, NY, NZ), [1.0] * nvox, dim0=9))
    put('5d.nii.gz', gz(nifti1((NX, NY, NZ, 2, 2), [1.0] * nvox * 4)))
    put('nan_voxel_size.nii.gz', gz(nifti1((NX, NY, NZ), [1.0] * nvox, pixdim=(NAN, 2, 2))))
    put('zero_voxel_size.nii.gz', gz(nifti1((NX, NY, NZ), [1.0] * nvox, pixdim=(2, 0, 2))))
    put('nan_tr.nii.gz', gz(nifti1((NX, NY, NZ, NT), bold, pixdim=(2, 2, 2, NAN))))
    put('zero_tr.nii.gz', gz(nifti1((NX, NY, NZ, NT), bold, pixdim=(2, 2, 2, 0))))
    # F1: NIfTI-2 dims that multiply past 2^63 (to 8 voxels, and to 0)
    put('dims_overflow.nii', nifti2((2 ** 61 + 1, 8, 1), [1.0] * 8))
    put('dims_overflow_4d.nii', nifti2((32, 3377699720527872, 36591746972385280,
                                         281474976710656), [0.0] * 17))
    put('claims_too_much.nii.gz', gz(nifti1((NX, NY, NZ), [1.0] * nvox,
                                            extra_dims={1: 20000, 2: 20000, 3: 20})))
    put('complex.nii', nifti1((2, 2, 2), [1.0] * 16, datatype=32))
    put('mask_4d.nii.gz', gz(nifti1((NX, NY, NZ, 2), [1.0] * nvox * 2)))
    put('mask_other_grid.nii.gz', gz(nifti1((NX + 1, NY, NZ), [1.0] * (nvox + NY * NZ))))
    shifted = [row[:] for row in AFFINE]
    shifted[0][3] += 5
    put('mask_shifted.nii.gz', gz(nifti1((NX, NY, NZ), [1.0] * nvox, affine=shifted)))
    put('mask_empty.nii.gz', gz(nifti1((NX, NY, NZ), [0.0] * nvox)))
    put('atlas_other_grid.nii.gz', gz(nifti1((NX, NY + 1, NZ), [1.0] * (nvox + NX * NZ))))
    put('atlas_fraction.nii.gz', gz(nifti1((NX, NY, NZ), [1.5] + atlas[1:])))
    put('atlas_negative.nii.gz', gz(nifti1((NX, NY, NZ), [-1.0] + atlas[1:])))
    nanb = list(bold)
    for t in range(NT):
        nanb[t * nvox + 5] = NAN
        nanb[t * nvox + 6] = float('inf')
    put('bold_nan.nii.gz', gz(nifti1((NX, NY, NZ, NT), nanb)))
    put('bold_constant.nii.gz', gz(nifti1((NX, NY, NZ, NT), [3.0] * (nvox * NT))))
    put('bold_short.nii.gz', gz(nifti1((NX, NY, NZ, 10), bold[:nvox * 10])))
    put('map_inf.nii.gz', gz(nifti1((NX, NY, NZ), [float('inf')] + [0.3] * (nvox - 1))))
    put('map_range.nii.gz', gz(nifti1((NX, NY, NZ), [1.5] * nvox)))
    put('map_other_grid.nii.gz', gz(nifti1((NX + 1, NY, NZ), [0.2] * (nvox + NY * NZ))))

    # ---- tables ----
    put('empty.tsv', b'')
    put('binary.tsv', b'condition\n' + bytes([0, 1, 2, 255, 254, 10]) * 20)
    put('latin1_events.tsv', b'onset\tduration\ttrial_type\n0\t4\tcaf\xe9\n8\t4\tth\xe9\n')
    put('latin1_conditions.tsv', b'condition\n' + b''.join(
        (b'w%d\xe9\n' % (t % 6)) for t in range(NT)))
    put('bom_crlf_conditions.tsv', '\ufeffcondition\r\n' + ''.join(
        c + '\r\n' for c in conds))
    put('crlf_events.tsv', 'onset\tduration\ttrial_type\r\n' + ''.join(
        '%d\t6\t%s\r\n' % (8 * k, words[k]) for k in range(6)))
    put('dup_columns.tsv', tsv([['condition', 'condition']] + [[c, c] for c in conds]))
    put('ragged.tsv', 'condition\trun\nw0\t1\nw1\t1\textra\n')
    put('unclosed_quote.tsv', 'condition\n"w0\nw1\n')
    put('text_after_quote.tsv', 'condition\n"w0"x\n')
    put('conditions_short.tsv', tsv([['condition']] + [[c] for c in conds[:10]]))
    put('conditions_no_column.tsv', tsv([['word']] + [[c] for c in conds]))
    put('conditions_na_word.tsv', tsv([['condition']] + [['NA' if c == 'w0' else c]
                                                          for c in conds]))
    put('events_bad_onset.tsv', 'onset\tduration\ttrial_type\nsoon\t2\tA\n')
    put('events_negative_duration.tsv', 'onset\tduration\ttrial_type\n0\t-2\tA\n')
    put('events_overlap.tsv', 'onset\tduration\ttrial_type\n0\t8\tA\n4\t8\tB\n')
    put('events_na_label.tsv', 'onset\tduration\ttrial_type\n0\t4\tNA\n8\t4\tnan\n16\t4\tn/a\n')
    put('events_no_duration.tsv', 'onset\ttrial_type\n0\tA\n')
    put('labels_dup.tsv', tsv([['index', 'name'], [1, 'left'], [1, 'again'], [2, 'right']]))
    put('labels_missing.tsv', tsv([['index', 'name'], [1, 'left']]))
    put('ts_escape.tsv', 'A\tB\n1\t2\n\x1b]0;PWNED\x07\t3\n2\t4\n')
    put('ts_text.tsv', 'A\tB\n1\t2\nabc\t3\n')
    put('ts_one_row.tsv', 'A\tB\n1\t2\n')
    put('ts_nan.tsv', tsv([['A', 'B', 'C']] + [[r[0], 'n/a' if k % 7 == 0 else r[1], r[2]]
                                               for k, r in enumerate(ts)]))
    put('ts_constant.tsv', tsv([['A', 'B', 'C']] + [[r[0], 5, r[2]] for r in ts]))
    put('confounds_short.tsv', tsv([['c1']] + [[k] for k in range(10)]))
    put('index_missing_region.tsv', tsv([['region', 'value'], ['A', 1], ['B', 2], ['Z', 3]]))
    put('index_two_regions.tsv', tsv([['region', 'value'], ['A', 1], ['B', 2]]))
    # an empty sidecar next to a table (F2): a directory of its own
    put('empty_sidecar/ts.tsv', tsv([['A', 'B', 'C']] + ts))
    put('empty_sidecar/ts.json', b'')

    # ---- embeddings ----
    put('emb_header_lies.txt', '2 30000000\nnamata 1\n')  # F4
    put('emb_text_dims_lie.txt', '6 5\n' + ''.join(
        '%s %s\n' % (w, ' '.join('%.3f' % x for x in emb[w])) for w in words))  # F13
    put('emb_binary_garbage.bin', bytes(rng.randrange(256) for _ in range(5000)))
    put('emb_ragged.txt', '6 3\n' + ''.join(
        '%s %s\n' % (w, ' '.join('%.3f' % x for x in (emb[w] if w != 'w3' else emb[w][:2])))
        for w in words))
    put('emb_not_number.tsv', tsv([['word', 'd0', 'd1']] + [[w, 'x' if w == 'w2' else 1, 2]
                                                            for w in words]))
    put('emb_missing_words.tsv', tsv([['word', 'd0', 'd1']] + [[w, 1, k] for k, w in
                                                               enumerate(words[:4])]))
    put('emb_empty.txt', b'')
    put('emb_dup_words.tsv', tsv([['word', 'd0', 'd1']] + [[w, k, 1] for k, w in
                                                           enumerate(words + words)]))

    # ---- corpora (lsa) ----
    put('corpus_binary.bin', bytes(rng.randrange(256) for _ in range(5000)))
    put('corpus_empty.txt', b'')

    # ---- RDM sets ----
    header = [['rdm', 'condition_a', 'condition_b', 'dissimilarity']]
    full = rdm_rows('left', words, lambda i, j: 0.1 * (i + j + 1))
    put('rdms_missing_pair.tsv', tsv(header + full[:-1]))
    put('rdms_other_conditions.tsv', tsv(header + rdm_rows(
        'left', ['w0', 'w1', 'w2', 'w3', 'w4', 'x9'], lambda i, j: 0.1 * (i + j + 1)) +
        rdm_rows('right', words, lambda i, j: 0.1 * (i + 2 * j + 1))))
    put('rdms_self_pair.tsv', tsv(header + [['left', 'w0', 'w0', 0.5]] + full[1:]))
    put('rdms_dup_pair.tsv', tsv(header + full[:-1] + [full[0]]))
    split = full[:5] + rdm_rows('right', words, lambda i, j: 0.2)[:15] + full[5:]
    put('rdms_split.tsv', tsv(header + split))
    put('rdms_no_columns.tsv', tsv([['a', 'b']] + [[1, 2]]))
    put('rdms_negative.tsv', tsv(header + rdm_rows('left', words, lambda i, j: -0.1 * (i + j)) +
                                 rdm_rows('right', words, lambda i, j: 0.2 * (i - j))))
    put('model_nan_pair.tsv', tsv(header + rdm_rows(
        'model', words, lambda i, j: 'n/a' if (i, j) == (0, 1) else abs(i - j) / 5)))
    with open(os.path.join(os.path.dirname(HERE), '..', 'testdata', 'rsatoolbox-hdf5',
                           'models.h5'), 'rb') as f:
        h5 = f.read()
    put('truncated.h5', h5[:2000])
    put('garbage.h5', b'\x89HDF\r\n\x1a\n' + bytes(rng.randrange(256) for _ in range(3000)))

    # ---- .npy ----
    def npy(descr, fo, shape, data):
        d = "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }" % (descr, fo, shape)
        pad = (64 - (10 + len(d) + 1) % 64) % 64
        hdr = d + ' ' * pad + '\n'
        return b'\x93NUMPY\x01\x00' + struct.pack('<H', len(hdr)) + hdr.encode() + data
    put('shape_overflow.npy', npy('<f8', 'False', '(2305843009213693953, 8)', b'\0' * 64))
    put('fortran.npy', npy('<f8', 'True', '(2, 2)', struct.pack('<4d', 1, 2, 3, 4)))

    # ---- pipelines (run over ok/ as the dataset root) ----
    ds = '[dataset]\nsubjects = sub-*_bold.nii.gz\nbold = {subject}_bold.nii.gz\n' \
         'atlas = atlas.nii.gz\n\n'
    ext = '[stage ts]\ncommand = extract\ndata = {bold}\natlas = {atlas}\n'
    put('pipe_cycle.ini', ds + '[stage a]\ncommand = clean\ndata = {stage:b}\ntr = 2\n'
        'output = {out}/{subject}_a.tsv\n\n[stage b]\ncommand = clean\ndata = {stage:a}\n'
        'tr = 2\noutput = {out}/{subject}_b.tsv\n')
    put('pipe_unknown_key.ini', ds + ext + 'frobnicate = yes\noutput = {out}/{subject}.tsv\n')
    put('pipe_unknown_dataset_key.ini', ds.replace('[dataset]\n', '[dataset]\nfrobnicate = 1\n')
        + ext + 'output = {out}/{subject}.tsv\n')
    put('pipe_dotdot_output.ini', ds + ext + 'output = {out}/../../escaped.tsv\n')
    put('pipe_absolute_output.ini', ds + ext + 'output = /tmp/bract-escaped-{subject}.tsv\n')
    put('pipe_dup_stage.ini', ds + ext + 'output = {out}/{subject}.tsv\n\n' + ext +
        'output = {out}/{subject}_2.tsv\n')
    put('pipe_no_stage.ini', ds)
    put('pipe_unknown_section.ini', ds + '[stages ts]\ncommand = extract\n')
    put('pipe_unknown_command.ini', ds + '[stage x]\ncommand = frobnicate\n'
        'output = {out}/x.tsv\n')
    put('pipe_no_dataset.ini', ext + 'output = {out}/{subject}.tsv\n')
    put('pipe_binary.ini', bytes(rng.randrange(1, 256) for _ in range(400)))
    put('pipe_unknown_stage_ref.ini', ds + '[stage a]\ncommand = clean\ndata = {stage:nope}\n'
        'tr = 2\noutput = {out}/{subject}_a.tsv\n')


if __name__ == '__main__':
    main()
