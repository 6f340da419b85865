# bract rdm model: condition labels that are not words (Haxby's
# scrambledpix) take another word's vector (--word LABEL=WORD, --word-map
# FILE) or are left out explicitly; from the command line and from a
# pipeline file.

EM=$REF/embeddings
printf 'condition\ncat\nscrambledpix\ndog\nfish\ncat\n' > "$TMP/c.tsv"
printf 'condition\ncat\nbird\ndog\nfish\ncat\n' > "$TMP/cb.tsv"
# the reference: the RDM of cat, bird, dog, fish
check "words: reference RDM" 0 rdm model --embeddings "$EM/vectors.tsv" --conditions "$TMP/cb.tsv" \
    --name m -o "$TMP/ref.tsv"
# same_as FILE: FILE is the reference with bird called scrambledpix
same_as() {
    sed 's/\tbird\t/\tscrambledpix\t/' "$TMP/ref.tsv" > "$TMP/want.tsv"
    if cmp -s "$TMP/want.tsv" "$1"; then pass; else fail "$1 is not the reference with bird renamed: $(diff "$TMP/want.tsv" "$1" | head -4)"; fi
}

check "words: a label without a vector" 1 rdm model --embeddings "$EM/vectors.tsv" --conditions "$TMP/c.tsv" \
    -o "$TMP/none.tsv"
err_has "1 of 4 words is not in the table: scrambledpix"
err_has "--word LABEL=WORD"
file_absent "$TMP/none.tsv"

check "words: --word LABEL=WORD" 0 rdm model --embeddings "$EM/vectors.tsv" --conditions "$TMP/c.tsv" \
    --word scrambledpix=bird --name m -o "$TMP/w.tsv"
same_as "$TMP/w.tsv"
file_has "$TMP/w.json" '"scrambledpix": "bird"'

printf 'label\tword\nscrambledpix\tbird\nhouse\thome\n' > "$TMP/map.tsv"
check "words: --word-map" 0 rdm model --embeddings "$EM/vectors.tsv" --conditions "$TMP/c.tsv" \
    --word-map "$TMP/map.tsv" --name m -o "$TMP/wm.tsv"
same_as "$TMP/wm.tsv"
file_has "$TMP/wm.json" '"word_map": "'"$TMP/map.tsv"'"'

# --word wins over the map; a label mapped to n/a (or to nothing) is left out
printf 'label\tword\nscrambledpix\tn/a\n' > "$TMP/leave.tsv"
check "words: n/a in the map leaves the label out" 0 rdm model --embeddings "$EM/vectors.tsv" \
    --conditions "$TMP/c.tsv" --word-map "$TMP/leave.tsv" --name m -o "$TMP/lo.tsv"
file_has "$TMP/lo.tsv" "m	cat	dog	"
if grep -q scrambledpix "$TMP/lo.tsv"; then fail "scrambledpix is still in $TMP/lo.tsv"; else pass; fi
file_has "$TMP/lo.json" '"left_out_conditions": 1'
check "words: --word over the map" 0 rdm model --embeddings "$EM/vectors.tsv" --conditions "$TMP/c.tsv" \
    --word-map "$TMP/leave.tsv" --word scrambledpix=bird --name m -o "$TMP/over.tsv"
same_as "$TMP/over.tsv"
check "words: --word LABEL= leaves it out" 0 rdm model --embeddings "$EM/vectors.tsv" \
    --conditions "$TMP/c.tsv" --word scrambledpix= --name m -o "$TMP/lo2.tsv"
if cmp -s "$TMP/lo.tsv" "$TMP/lo2.tsv"; then pass; else fail "--word scrambledpix= differs from the map's n/a"; fi
# two labels may share a word; --lowercase applies to the word looked up
check "words: several --word" 0 rdm model --embeddings "$EM/vectors.tsv" --conditions "$TMP/c.tsv" \
    --word scrambledpix=BIRD --word fish=Fish --lowercase --name m -o "$TMP/lc.tsv"
same_as "$TMP/lc.tsv"
# a word list takes the map too
printf 'cat\nscrambledpix\ndog\nfish\n' > "$TMP/list.txt"
check "words: --words with --word" 0 rdm model --embeddings "$EM/vectors.tsv" --words "$TMP/list.txt" \
    --word scrambledpix=bird --name m -o "$TMP/wl.tsv"
same_as "$TMP/wl.tsv"

# mistakes
check "words: --word without =" 2 rdm model --embeddings "$EM/vectors.tsv" --conditions "$TMP/c.tsv" \
    --word scrambledpix -o "$TMP/bad.tsv"
err_has "--word: 'scrambledpix' is not LABEL=WORD"
check "words: --word of a label that is not a condition" 1 rdm model --embeddings "$EM/vectors.tsv" \
    --conditions "$TMP/c.tsv" --word scrambled=bird -o "$TMP/bad.tsv"
err_has "--word scrambled=bird: 'scrambled' is not a condition of $TMP/c.tsv"
check "words: one label twice" 2 rdm model --embeddings "$EM/vectors.tsv" --conditions "$TMP/c.tsv" \
    --word scrambledpix=bird --word scrambledpix=car -o "$TMP/bad.tsv"
err_has "--word: 'scrambledpix' is given twice"
printf 'condition\tword\nscrambledpix\tbird\n' > "$TMP/badmap.tsv"
check "words: a map without a label column" 1 rdm model --embeddings "$EM/vectors.tsv" \
    --conditions "$TMP/c.tsv" --word-map "$TMP/badmap.tsv" -o "$TMP/bad.tsv"
err_has "$TMP/badmap.tsv: no column 'label'"
printf 'label\tword\nscrambledpix\tbird\nscrambledpix\tcar\n' > "$TMP/twice.tsv"
check "words: a map with a label twice" 1 rdm model --embeddings "$EM/vectors.tsv" \
    --conditions "$TMP/c.tsv" --word-map "$TMP/twice.tsv" -o "$TMP/bad.tsv"
err_has "$TMP/twice.tsv:3: label 'scrambledpix' again (first on line 2)"
file_absent "$TMP/bad.tsv"

# from a pipeline file: a repeatable option takes several values
mkdir -p "$TMP/pl/data/sub-01" "$TMP/pl/data/sub-02"
cp "$TMP/c.tsv" "$TMP/pl/data/sub-01/cond.tsv"
cp "$TMP/c.tsv" "$TMP/pl/data/sub-02/cond.tsv"
cp "$TMP/map.tsv" "$TMP/pl/data/map.tsv"
cat > "$TMP/pl/words.ini" <<INI
[dataset]
root = data
conditions = {subject}/cond.tsv
embeddings = $EM/vectors.tsv
map = map.tsv

[stage model]
command = rdm model
scope = group
embeddings = {embeddings}
conditions = {all:conditions}
word = scrambledpix=bird fish=fish
name = m
output = {out}/model.tsv

[stage mapped]
command = rdm model
scope = group
embeddings = {embeddings}
conditions = {all:conditions}
word-map = {map}
name = m
output = {out}/mapped.tsv
INI
check "words: pipeline plan" 0 pipeline plan "$TMP/pl/words.ini"
out_has "2 of 2 steps would run"
check "words: pipeline run" 0 pipeline run --quiet "$TMP/pl/words.ini"
G=$TMP/pl/data/derivatives/bract/group
file_has "$G/model.json" "--word scrambledpix=bird --word fish=fish"
same_as "$G/model.tsv"
same_as "$G/mapped.tsv"
