# bract report treats every label as data (issue 14, item 6): outputs whose
# condition, region, model and file names hold <, >, ", ', &, </style>,
# <script> and "><img onerror=...> payloads are reported, the page is
# rendered in headless Chromium, and no payload may run (each would log
# PWNED to the console, set the title or leave an element) while the page
# shows the labels literally.  Skipped (not failed) only when chromium is
# not installed.

H=$TMP/root
mkdir -p "$H/group"
C1='a&b'
C2="c'd\"e"
C3='<b>bold</b>'
C4='x"><img src=x onerror="console.error(`PWNED-C`);document.title=`PWNED`">'
C5='</style><script>console.error("PWNED-S");document.title="PWNED"</script>'
R1='</style><script>console.error("PWNED-R");document.title="PWNED"</script>'
R2="V1'\"><svg onload=console.error('PWNED-R2')>"
M='<script>alert(1)</script>m"'"'"'&<i>'
# file names cannot hold '/': the quote and element payloads
F='x"'"'"'&<img src=x onerror=console.error(`PWNED-F`)>'
# rdm_rows NAME SEED: the 10 pairs of the five conditions
rdm_rows() {
    k=0
    for a in "$C1" "$C2" "$C3" "$C4" "$C5"; do
        k=$((k + 1))
        l=0
        for b in "$C1" "$C2" "$C3" "$C4" "$C5"; do
            l=$((l + 1))
            [ "$l" -gt "$k" ] || continue
            printf '%s\t%s\t%s\t%s\n' "$1" "$a" "$b" \
                "$(awk -v d=$((l - k)) -v s="$2$k$l" 'BEGIN { srand(s); printf "%.3f", 0.2 * d + 0.3 * rand() }')"
        done
    done
}
for s in 1 2 3; do
    { printf 'rdm\tcondition_a\tcondition_b\tdissimilarity\n'
      rdm_rows "$R1" "$s"1
      rdm_rows "$R2" "$s"2; } >"$H/sub-0${s}_$F.tsv"
done
{ printf 'rdm\tcondition_a\tcondition_b\tdissimilarity\n'; rdm_rows "$M" 9; } >"$H/group/model.tsv"
check "report hostile: rsa" 0 rsa --neural "$H"/sub-0?_*.tsv --model "$H/group/model.tsv" --group \
    --permutations 20 --bootstrap 10 -o "$H/group/rsa.tsv" --quiet
# a hierarchy of hostile region names
printf 'region\tvalue\n%s\t1\n%s\t2\n%s\t3\n%s\t4\n' "$R1" "$R2" "$C4" "$C3" >"$TMP/index.tsv"
for s in 1 2; do
    printf 'region\ttau_s\n%s\t1.%s\n%s\t2.%s\n%s\t2.9\n%s\t4.%s\n' "$R1" "$s" "$R2" "$s" "$C4" "$C3" "$s" \
        >"$H/tau-$s$F.tsv"
done
check "report hostile: hierarchy" 0 timescale hierarchy --index "$TMP/index.tsv" --permutations 20 \
    --bootstrap 10 -o "$H/group/hierarchy" "$H/tau-1$F.tsv" "$H/tau-2$F.tsv" --quiet
check "report hostile: report" 0 report "$H" -o "$TMP/r.html" --dpi 72
# the page itself holds no markup from a label: no element but the report's
if grep -qE '<script|<svg|<img src=x|<b>bold|<i>' "$TMP/r.html"; then
    fail "a label's markup is in the page: $(grep -oE '.{0,40}(<script|<svg|<img src=x|<b>bold|<i>).{0,40}' "$TMP/r.html" | head -3)"
else pass; fi

current="report hostile: headless Chromium"
if ! command -v chromium >/dev/null 2>&1; then
    skip "chromium is not installed (Debian package chromium; sh tools/deps.sh test, as root)"
else
    C=$TMP/chromium
    render() { # URL: the DOM on $C/dom, the log on $C/log
        rm -rf "$C" && mkdir -p "$C/profile"
        timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
            --disable-background-networking --disable-component-update --disable-sync \
            --user-data-dir="$C/profile" --enable-logging=stderr --v=1 --dump-dom "$1" \
            >"$C/dom" 2>"$C/log" </dev/null
    }
    # the control: an unescaped payload is caught by both checks below
    printf '<!DOCTYPE html><html><head><title>bract report</title></head><body><p>%s</p></body></html>' "$C4" >"$TMP/control.html"
    render "file://$TMP/control.html"
    if grep -q 'CONSOLE.*PWNED-C' "$C/log" && grep -q '<title>PWNED' "$C/dom"; then pass; else
        fail "the control payload was not seen to run: the checks below would prove nothing"; fi
    render "file://$TMP/r.html"
    [ -s "$C/dom" ] && pass || fail "no DOM from Chromium: $(tail -3 "$C/log")"
    # no payload ran: nothing logged, the title is the report's
    if grep -q 'CONSOLE' "$C/log"; then fail "console messages (a payload ran?): $(grep CONSOLE "$C/log" | head -3)"; else pass; fi
    if grep -q '<title>bract report' "$C/dom" && ! grep -q '<title>PWNED' "$C/dom"; then pass; else
        fail "the title is not the report's: $(grep -o '<title>[^<]*' "$C/dom")"; fi
    # no element a payload would leave (the report has no script, svg or
    # bold/italic element; its images are data: URLs)
    if grep -qE '<script|<svg|<img src="x"|<b>|<i>' "$C/dom"; then
        fail "an injected element in the DOM: $(grep -oE '.{0,40}(<script|<svg|<img src="x"|<b>|<i>).{0,40}' "$C/dom" | head -3)"
    else pass; fi
    # the labels shown literally (as text: <, > and & escaped by the DOM's
    # serialiser, quotes as they are)
    for t in '&lt;/style&gt;&lt;script&gt;console.error("PWNED-R");document.title="PWNED"&lt;/script&gt;' \
        "V1'\"&gt;&lt;svg onload=console.error('PWNED-R2')&gt;" \
        "&lt;script&gt;alert(1)&lt;/script&gt;m\"'&amp;&lt;i&gt;" \
        'x"&gt;&lt;img src=x onerror="console.error(`PWNED-C`);document.title=`PWNED`"&gt;' \
        '&lt;b&gt;bold&lt;/b&gt;' \
        "sub-01_x\"'&amp;&lt;img src=x onerror=console.error(\`PWNED-F\`)&gt;"; do
        if grep -qF -- "$t" "$C/dom"; then pass; else fail "the page does not show literally: $t"; fi
    done
    rm -rf "$C"
fi
