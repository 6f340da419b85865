# bract lsa: the Deerwester et al. (1990) example end to end, the output read
# by bract rdm model, and bad input.

DW=$TESTDATA/data/deerwester1990
check "lsa: Deerwester counts" 0 lsa --corpus "$DW/titles.txt" --stop-words "$DW/stopwords.txt" \
    --min-docs 2 --weighting count --dims 9 -o "$TMP/dw.tsv"
# singular values of the 12 x 9 count matrix (datasets notes 4.3; 4 decimals)
if awk '/"SingularValues"/ { on = 1; next } on && /\]/ { on = 0 } on { gsub(/[ ,]/, ""); v[++n] = $0 }
    END { split("3.3409 2.5417 2.3539 1.6445 1.5048 1.3064 0.8459 0.5601 0.3637", w, " ")
          for (i = 1; i <= 9; i++) { e = v[i] - w[i]; if (e < 0) e = -e; if (!(e <= 5e-5)) exit 1 }
          exit n != 9 }' "$TMP/dw.json"; then pass; else fail "singular values in $TMP/dw.json"; fi
file_has "$TMP/dw.json" '"terms": 12'
file_has "$TMP/dw.json" '"documents": 9'
file_has "$TMP/dw.json" '"solver": "exact"'
file_has "$TMP/dw.tsv" "word	d0	d1	d2	d3	d4	d5	d6	d7	d8"
if [ "$(sed -n 2p "$TMP/dw.tsv" | cut -f1)" = system ]; then pass; else fail "system is not the first term"; fi

# the vectors are an embedding table for bract rdm model
printf 'condition\nhuman\ncomputer\ntrees\ngraph\n' > "$TMP/terms.tsv"
check "lsa: vectors feed rdm model" 0 rdm model --embeddings "$TMP/dw.tsv" --conditions "$TMP/terms.tsv" \
    --name lsa -o "$TMP/lsa_rdm.tsv"
file_has "$TMP/lsa_rdm.tsv" "lsa	human	computer	"
file_has "$TMP/lsa_rdm.json" '"format": "tsv"'

check "lsa: log-entropy, 2 dims, iterative" 0 lsa --corpus "$DW/titles.txt" --stop-words "$DW/stopwords.txt" \
    --min-docs 2 --dims 2 --solver iterative -o "$TMP/dw2.tsv"
file_has "$TMP/dw2.json" '"solver": "iterative"'
file_has "$TMP/dw2.json" '"iterations":'
gzip -c "$DW/titles.txt" > "$TMP/titles.txt.gz"
check "lsa: gzipped corpus, one document per file" 0 lsa --corpus "$TMP/titles.txt.gz" "$DW/stopwords.txt" \
    --doc-per-file --dims 2 -o "$TMP/pf.tsv"
file_has "$TMP/pf.json" '"documents": 2'

# bad input
check "lsa: too many dimensions" 1 lsa --corpus "$DW/titles.txt" --stop-words "$DW/stopwords.txt" \
    --min-docs 2 --dims 10 -o "$TMP/bad.tsv"
err_has "bract lsa: --dims 10 exceeds the 9 documents"
file_absent "$TMP/bad.tsv"
printf 'one line only\n\n' > "$TMP/one.txt"
check "lsa: one document" 1 lsa --corpus "$TMP/one.txt" --dims 1 -o "$TMP/bad.tsv"
err_has "the corpus has 1 document; LSA needs at least 2"
file_absent "$TMP/bad.tsv"
check "lsa: missing corpus" 1 lsa --corpus "$TMP/nothing.txt" --dims 1 -o "$TMP/bad.tsv"
err_has "$TMP/nothing.txt"
check "lsa: missing stop-word file" 1 lsa --corpus "$DW/titles.txt" --stop-words "$TMP/nostop.txt" --dims 1 -o "$TMP/bad.tsv"
err_has "$TMP/nostop.txt: cannot open"
file_absent "$TMP/bad.tsv"
check "lsa: no --dims" 2 lsa --corpus "$DW/titles.txt" -o "$TMP/bad.tsv"
err_has "no --dims given"
check "lsa: bad weighting" 2 lsa --corpus "$DW/titles.txt" --dims 2 --weighting tfidf -o "$TMP/bad.tsv"
err_has "--weighting: unknown LSA weighting 'tfidf' (expected one of log-entropy, count)"
cp "$DW/titles.txt" "$TMP/t.txt"
check "lsa: output over the corpus" 1 lsa --corpus "$TMP/t.txt" --dims 2 -o "$TMP/t.txt" --force
err_has "refusing to overwrite an input"
file_absent "$TMP/bad.tsv"
no_temporaries "$TMP"
check "lsa: tolerance out of range" 2 lsa --corpus "$DW/titles.txt" --dims 2 --tolerance 0.5 -o "$TMP/bad.tsv"
err_has "--tolerance must be from 1e-15 to 0.1 (got 0.5)"
check "lsa: a looser tolerance" 0 lsa --corpus "$DW/titles.txt" --stop-words "$DW/stopwords.txt" \
    --min-docs 2 --dims 2 --solver iterative --tolerance 1e-6 -o "$TMP/tol.tsv"
file_has "$TMP/tol.json" '"tolerance": 1e-06'
