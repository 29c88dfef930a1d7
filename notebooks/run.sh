#!/usr/bin/env bash
# Runs kolrec on the sample dataset and executes both notebooks headless.
#   notebooks/run.sh [RESULTS_DIR]      (default: notebooks/results)
# Installs notebooks/requirements.txt into a virtual environment ($KOLREC_NOTEBOOK_VENV, default
# ~/.cache/kolrec-notebooks) on first use. Writes the model, eval.json, growth scores, the export,
# the executed notebooks and their PNG plots under RESULTS_DIR.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
results=$(mkdir -p "${1:-$here/results}" && cd "${1:-$here/results}" && pwd)
venv=${KOLREC_NOTEBOOK_VENV:-$HOME/.cache/kolrec-notebooks}

echo "== python environment: $venv"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements.txt"
py="$venv/bin/python"

echo "== kolrec on the sample dataset"
# The binary `cargo run --release` builds: the same target directory (CARGO_TARGET_DIR, or the
# project's own), so no second cold build.
(cd "$root" && cargo build --release --quiet)
target=$(cd "$root" && cargo metadata --format-version 1 --no-deps | "$py" -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
k="$target/release/kolrec"
data="$root/datasets/sample"
model="$results/model"
last=$("$py" -c "import polars as pl, sys; print(pl.read_parquet(sys.argv[1])['date'].max())" "$data/follower_snapshots.parquet")
"$k" train --data "$data" --out "$model" > "$results/train.txt"
"$k" eval --data "$data" --model "$model" --ks 5,10,20,50,100 > "$results/eval.txt"
"$k" recommend --model "$model" --brand b000001 -k 10 --json > "$results/recommend_b000001.json"
"$k" recommend --model "$model" --brief-category beauty --brief-country CN -k 10 --json > "$results/recommend_brief_beauty.json"
"$k" growth --model "$model" --data "$data" --as-of "$last" --out "$results/growth.parquet" --overwrite --top 5 > "$results/growth.txt"
"$k" export --model "$model" --data "$data" --out "$results/export" -k 100 --date "$last" --overwrite --quiet > "$results/export.txt"

echo "== executing notebooks"
mkdir -p "$results/png"
for nb in data_exploration evaluation; do
  KOLREC_DATA="$data" KOLREC_RESULTS="$results" "$py" -m nbconvert --to notebook --execute \
    --ExecutePreprocessor.timeout=600 --output-dir "$results" "$here/$nb.ipynb"
done
echo "== done: executed notebooks in $results, plots in $results/png"
ls "$results/png"
