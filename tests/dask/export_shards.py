"""Run `kolrec export --shard I/N` for every shard on a Dask cluster, then `--finalize N`.

The cluster is Dask's own: a `dask scheduler` and two `dask worker` processes started here on
loopback (on a real cluster, point --scheduler-file at the running scheduler's file instead; the
model directory, the data and the export root must then be on storage every worker sees). Each
shard is one Dask task running the kolrec binary; a failed task is retried by Dask. With
--kill-shard I, the first attempt of shard I is made to hang after its first part (the
`failpoints` build's KOLREC_FAILPOINT) and is killed with SIGKILL, so the retry must resume it.

    python export_shards.py --kolrec BIN --shards N [--kill-shard I] [--scheduler-file F] -- EXPORT_ARGS...

Prints one JSON line: the workers, where each attempt ran, and the finalize's output.
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time


def run_shard(kolrec, args, shard, count, kill_marker):
    """One shard as a Dask task: the binary's exit code decides success (Dask retries failures)."""
    from distributed import get_worker

    worker = get_worker().name
    cmd = [kolrec, *args, "--shard", f"{shard}/{count}"]
    if kill_marker and not os.path.exists(kill_marker):
        with open(kill_marker, "w") as f:
            f.write(str(worker))
        reached = kill_marker + ".hung"
        env = dict(os.environ, KOLREC_FAILPOINT="export-hang-after-part=1", KOLREC_FAILPOINT_REACHED=reached)
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        t0 = time.time()
        # Hung after its first part (it says so by creating `reached`); then no clean-up chance.
        while not os.path.exists(reached) and proc.poll() is None and time.time() - t0 < 120:
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        raise RuntimeError(f"shard {shard}/{count} killed with SIGKILL on {worker} (rc {proc.returncode})")
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"shard {shard}/{count} on {worker}: exit {done.returncode}: {done.stderr}")
    return {"shard": shard, "worker": worker, "stdout": done.stdout.strip()}


def finalize(kolrec, args, count):
    from distributed import get_worker

    done = subprocess.run([kolrec, *args, "--finalize", str(count)], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"finalize: exit {done.returncode}: {done.stderr}")
    return {"worker": get_worker().name, "stdout": done.stdout.strip()}


def start_cluster(tmp, workers):
    """A scheduler and `workers` worker processes of one thread each, on loopback."""
    bindir = os.path.dirname(sys.executable)
    dask = os.path.join(bindir, "dask")
    sched_file = os.path.join(tmp, "scheduler.json")
    procs = [
        subprocess.Popen(
            [dask, "scheduler", "--host", "127.0.0.1", "--port", "0", "--dashboard-address", ":0",
             "--scheduler-file", sched_file],
            stdout=subprocess.DEVNULL, stderr=open(os.path.join(tmp, "scheduler.log"), "w"),
        )
    ]
    t0 = time.time()
    while not os.path.exists(sched_file):
        if time.time() - t0 > 60 or procs[0].poll() is not None:
            raise SystemExit("error: the Dask scheduler did not start; see " + os.path.join(tmp, "scheduler.log"))
        time.sleep(0.1)
    for i in range(workers):
        procs.append(
            subprocess.Popen(
                [dask, "worker", "--scheduler-file", sched_file, "--nthreads", "1", "--nworkers", "1",
                 "--name", f"worker-{i}", "--host", "127.0.0.1", "--dashboard-address", ":0", "--no-nanny"],
                stdout=subprocess.DEVNULL, stderr=open(os.path.join(tmp, f"worker-{i}.log"), "w"),
            )
        )
    return sched_file, procs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kolrec", required=True)
    ap.add_argument("--shards", type=int, required=True)
    ap.add_argument("--kill-shard", type=int)
    ap.add_argument("--scheduler-file", help="an existing cluster's; default: start one here")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("export_args", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    args = [x for x in a.export_args if x != "--"]

    from distributed import Client

    tmp = tempfile.mkdtemp(prefix="kolrec-dask-")
    procs = []
    if a.scheduler_file:
        sched_file = a.scheduler_file
    else:
        sched_file, procs = start_cluster(tmp, a.workers)
    try:
        client = Client(scheduler_file=sched_file, timeout="60s")
        client.wait_for_workers(a.workers, timeout=120)
        workers = sorted(w["name"] for w in client.scheduler_info()["workers"].values())
        marker = os.path.join(tmp, "killed") if a.kill_shard is not None else None
        futures = [
            client.submit(run_shard, a.kolrec, args, i, a.shards, marker if i == a.kill_shard else None,
                          key=f"shard-{i}-of-{a.shards}", retries=2, pure=False)
            for i in range(a.shards)
        ]
        shards = client.gather(futures)
        killed_on = open(marker).read() if marker and os.path.exists(marker) else None
        fin = client.submit(finalize, a.kolrec, args, a.shards, key="finalize", pure=False).result()
        print(json.dumps({"workers": workers, "shards": shards, "killed": a.kill_shard, "killed_on": killed_on,
                          "finalize": fin}))
        client.close()
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()


if __name__ == "__main__":
    main()
