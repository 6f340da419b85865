#!/bin/sh
# `make demo`: the whole study on simulated data whose truth is known.
#
# Simulates a dataset of 8 subjects (word responses per atlas region, as
# pattern volumes and as event-related BOLD runs with events and confounds,
# BOLD series switching among connectivity states, region series with
# timescales on a gradient), runs pipelines/all.ini over it (region and model
# RDMs, RSA with inference, the first-level GLM of the event-related runs and
# crossnobis RDMs from its betas and residuals, dFC states, timescales and
# their hierarchy), prints which regions represent the words as the models
# do, and writes the HTML report.  A second run finds everything up to date
# and only prints.
set -eu
bract=${1:-./bract}
out=${BRACT_DEMO_DIR:-demo-output}
data=$out/data
subjects=8

if [ ! -e "$data/.complete" ] || [ ! -e "$data/rsa-events/words.txt" ]; then
    echo "bract demo: simulating $subjects subjects in $data"
    rm -rf "$data"
    mkdir -p "$data"
    "$bract" simulate rsa -o "$data/rsa" --subjects $subjects --seed 2 --quiet
    "$bract" simulate rsa -o "$data/rsa-events" --event-related --subjects $subjects --seed 2 --quiet
    "$bract" simulate dfc -o "$data/dfc" --subjects $subjects --quiet
    "$bract" simulate timescales -o "$data/timescales" --subjects $subjects --volume --quiet
    touch "$data/.complete"
fi

echo "bract demo: running pipelines/all.ini (outputs in $out/derivatives)"
"$bract" pipeline run pipelines/all.ini --data "$data" --out "$out/derivatives" -j 2 --quiet

# group_table TRUTH RSA: the group rows of an rsa.tsv, planted regions marked
group_table() {
    awk -F'\t' '
        FNR == NR { if (FNR > 1) planted[$1] = $4; next }
        FNR == 1 { for (i = 1; i <= NF; i++) col[$i] = i
                   printf "%-10s %-10s %8s %10s %10s  %s\n", "region", "model", "mean r", "p", "p_FDR", "planted"
                   next }
        $col["level"] == "group" && $col["model_b"] == "n/a" {
            printf "%-10s %-10s %8.3f %10.2g %10.2g%s %s\n", $col["rdm"], $col["model"], $col["r"],
                   $col["p"], $col["p_fdr"], ($col["p_fdr"] < 0.05 ? " *" : "  "),
                   (planted[$col["rdm"]] == 1 ? "yes" : "") }
    ' "$1" "$2"
}

rsa=$out/derivatives/group/rsa.tsv
echo
echo "Which regions represent the words the way the models do? (bract rsa, group"
echo "rows of $subjects subjects: mean Spearman r, one-sided t test on Fisher z,"
echo "FDR over regions x models; * p_FDR < 0.05; planted = the simulation's truth)"
group_table "$data/rsa/truth.tsv" "$rsa"

ev=$out/derivatives/group/events-rsa.tsv
if [ -e "$ev" ]; then
    echo
    echo "The same question from event-related BOLD runs (one event per word, 2-4 s"
    echo "apart): bract glm per subject (AR(1), motion confounds), crossnobis RDMs"
    echo "with the GLM's residuals, then as above (FDR over regions):"
    group_table "$data/rsa-events/truth.tsv" "$ev"
fi

sl=$out/derivatives/group/searchlight-group/clusters.tsv
if [ -e "$sl" ]; then
    echo
    awk -F'\t' 'NR > 1 && $11 <= 0.05 { n++; if (!best) best = sprintf("largest %d voxels, peak t %.1f at (%g, %g, %g) mm in %s", $2, $10, $4, $5, $6, $13) }
        END { printf "Searchlight (6 mm spheres against the word2vec RDM, TFCE FWE): %d cluster%s at p <= 0.05%s%s\n", n, n == 1 ? "" : "s", n ? "; " : "", best }' "$sl"
fi
st=$out/derivatives/group/dfc/state_summary.tsv
if [ -e "$st" ]; then
    awk -F'\t' 'NR > 1 { f[$2] += $3; d[$2] += $5; n[$2]++; if ($2 > k) k = $2 }
        END { printf "Dynamic connectivity: %d states (3 planted); mean fraction of time and dwell:", k
              for (s = 1; s <= k; s++) printf " %.2f/%.0f s", f[s] / n[s], d[s] / n[s]; printf "\n" }' "$st"
fi
hier=$out/derivatives/group/hierarchy/hierarchy.tsv
if [ -e "$hier" ]; then
    awk -F'\t' '$1 == "group" { printf "Timescale hierarchy: group Spearman rho %.3f with the planted gradient (95%% CI %.3f to %.3f)\n", $3, $6, $7 }' "$hier"
fi
if "$bract" report --help >/dev/null 2>&1; then
    "$bract" report "$out/derivatives" -o "$out/report.html" --force --quiet
    echo
    echo "bract demo: the report is $out/report.html"
fi
