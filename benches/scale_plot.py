"""Plot `kolrec bench scale` results: wall time and peak memory of each step against the
number of creators, log-log, from one or more scale.jsonl files.

    python benches/scale_plot.py OUT.png DIR/scale.jsonl [MORE.jsonl ...]
"""

import json
import sys
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt


def main():
    out, files = sys.argv[1], sys.argv[2:]
    runs = defaultdict(dict)
    for f in files:
        for line in open(f):
            r = json.loads(line)
            runs[r["step"]][r["influencers"]] = r
    fig, (ax_t, ax_m) = plt.subplots(1, 2, figsize=(11, 4.2))
    for step, by_n in runs.items():
        ns = sorted(by_n)
        ax_t.plot(ns, [by_n[n]["seconds"] for n in ns], marker="o", label=step)
        ax_m.plot(ns, [by_n[n]["peak_bytes"] / 2**30 for n in ns], marker="o", label=step)
    for ax, title in [(ax_t, "wall time (s)"), (ax_m, "peak memory (GiB)")]:
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("creators")
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
    ax_m.axhline(24, color="grey", linestyle="--", linewidth=1)
    ax_m.text(30000, 26, "this machine: 24 GiB", color="grey")
    ax_t.legend(fontsize=8)
    fig.suptitle("kolrec bench scale (2 cores, 24 GiB)")
    fig.tight_layout()
    fig.savefig(out, dpi=110)


if __name__ == "__main__":
    main()
