#!/usr/bin/python3
"""bench_report.py RAW: the table of docs/performance.md from make bench's
raw lines: medians over rounds, every figure with its ratio to (a) the
kernel alone measured in the same run, and the targets of issue #8.

A ratio is the median of each round's own ratio: the candidate against the
baseline measured a minute before it, in the same round. The machine's
speed drifts by a tenth and more over a run (two shared vCPUs), and a
ratio of two medians taken minutes apart carries that drift; a paired one
does not. The spread of the rounds' ratios is printed with each target."""
import random
import statistics
import sys

CANDS = [("kernel", "(a) kernel only"), ("nfqex", "(b) nf-queue example"),
         ("assoc", "(c) scanwalld association"), ("full", "(d) scanwalld full"),
         ("assoc0", "(c) without busy polling"), ("full0", "(d) without busy polling"),
         ("ref", "(d) of BENCH_REF")]


def parse(path):
    rows, extra = [], {}
    for line in open(path):
        kv = dict(w.split("=", 1) for w in line.split()[1:] if "=" in w) if not line.startswith("offloads") else \
            dict(w.split("=", 1) for w in line.split())
        if line.startswith("offloads"):
            rows.append(kv)
        else:
            extra[line.split()[0]] = kv
    return rows, extra


def med(rows, mode, cand, key, none=0.0):
    """The median of key over the rounds; none when no round has a figure
    (a workload left out, or "-": the kernel has no process to measure)."""
    v = [float(r[key]) for r in rows if r["offloads"] == mode and r["cand"] == cand
         and r.get(key, "-") not in ("", "-")]
    return statistics.median(v) if v else none


def has(rows, mode, key):
    """Whether any round has key: a workload left out (BENCH_WORK) has no
    target to miss."""
    return any(r.get(key) not in (None, "", "-") for r in rows if r["offloads"] == mode)


def ratio(x, base):
    return x / base if base else 0.0


def paired(rows, mode, cand, base, key):
    """Each round's cand/base ratio of key, sorted."""
    by = {(r["round"], r["cand"]): float(r.get(key) or 0) for r in rows if r["offloads"] == mode}
    return sorted(ratio(by[(rd, cand)], by[(rd, base)]) for rd, c in by if c == cand and (rd, base) in by)


def pratio(rows, mode, cand, base, key):
    v = paired(rows, mode, cand, base, key)
    return statistics.median(v) if v else 0.0


def spread(rows, mode, cand, base, key):
    v = paired(rows, mode, cand, base, key)
    return f" (rounds {v[0]:.2f} to {v[-1]:.2f})" if v else ""


def own1(r, key="bulk_flood_MBps"):
    """One round's bulk under the SYN flood (or into the sink) over the same
    candidate's bulk without it: the flood cell's own studies without the
    flood, interleaved with those under it (bench.sh, flood_cell); in raw
    lines from before the cell, the bulk workload's, a minute apart."""
    return ratio(float(r.get(key) or 0), float(r.get("bulk_base_MBps") or r.get("bulk_MBps") or 0))


def own(rows, mode, cand, key="bulk_flood_MBps"):
    """own1 of every round, sorted."""
    return sorted(own1(r, key) for r in rows if r["offloads"] == mode and r["cand"] == cand and r.get(key))


def interval(v, n=2000):
    """A 95% bootstrap interval of the median of v: the rounds resampled
    with replacement, a fixed seed so that one raw file gives one report."""
    rng = random.Random(15)
    m = sorted(statistics.median(rng.choices(v, k=len(v))) for _ in range(n))
    return m[int(0.025 * n)], m[int(0.975 * n) - 1]


def dist(v):
    lo, hi = interval(v)
    return f"{statistics.median(v):.2f} (rounds {v[0]:.2f} to {v[-1]:.2f}, median's 95% interval " \
           f"{lo:.2f} to {hi:.2f}, {len(v)} rounds)"


def flood(rows, mode, checks):
    """Bulk C-STORE under a SYN flood at 80/3465 / without (issue #15): each
    candidate against itself, and (d)'s ratio against (a)'s, paired by round."""
    print(f"  bulk C-STORE under a SYN flood at 80/3465 / without (flood pps: median "
          f"{med(rows, mode, 'kernel', 'flood_pps'):.0f} with (a), "
          f"{med(rows, mode, 'full', 'flood_pps'):.0f} with (d))")
    for key, what in (("bulk_flood_MBps", "under the flood"), ("bulk_sink_MBps", "flooder into the sink")):
        for cand, name in CANDS:
            v = own(rows, mode, cand, key)
            if v:
                print(f"  {name:28} {med(rows, mode, cand, key):8.1f} MB/s {what}, own ratio {dist(v)}")
    d = own(rows, mode, "full")
    if d:
        checks.append((f"(d) bulk under a SYN flood >= 0.8 x its own, offloads {mode}: {dist(d)}",
                       statistics.median(d), 0.8))
    by = {(r["round"], r["cand"]): own1(r) for r in rows if r["offloads"] == mode and r.get("bulk_flood_MBps")}
    rel = sorted(ratio(by[(rd, c)], by[(rd, "kernel")]) for rd, c in by if c == "full" and (rd, "kernel") in by)
    if rel:
        checks.append((f"(d)'s flood ratio >= 0.9 x (a)'s, offloads {mode}, by round: {dist(rel)}",
                       statistics.median(rel), 0.9))


def main():
    rows, extra = parse(sys.argv[1])
    checks = []
    for mode in ("on", "off"):
        if not any(r["offloads"] == mode for r in rows):
            continue
        print(f"offloads {mode}")
        print(f"  {'candidate':28} {'bulk MB/s':>10} {'ratio':>6} {'iperf Mb/s':>11} {'ratio':>6}"
              f" {'assoc/s':>8} {'ratio':>6} {'setup p50 us':>12} {'p99 us':>7} {'cpu %':>6}")
        for cand, name in CANDS:
            if not any(r["cand"] == cand for r in rows):
                continue
            b, i, a = (med(rows, mode, cand, k) for k in ("bulk_MBps", "iperf_Mbps", "assoc_per_s"))
            p50, p99 = med(rows, mode, cand, "setup_p50_us"), med(rows, mode, cand, "setup_p99_us")
            rb, ri, ra = (pratio(rows, mode, cand, "kernel", k) for k in ("bulk_MBps", "iperf_Mbps", "assoc_per_s"))
            cpu = med(rows, mode, cand, "assoc_cpu_pct", None)
            cpu = "-" if cpu is None else f"{cpu:.0f}"
            print(f"  {name:28} {b:10.1f} {rb:6.2f} {i:11.0f} {ri:6.2f} {a:8.0f} {ra:6.2f}"
                  f" {p50:12.0f} {p99:7.0f} {cpu:>6}")
        if has(rows, mode, "bulk_MBps"):
            checks.append((f"(c) >= 0.95 x (a) bulk, offloads {mode}" + spread(rows, mode, "assoc", "kernel", "bulk_MBps"),
                           pratio(rows, mode, "assoc", "kernel", "bulk_MBps"), 0.95))
        if has(rows, mode, "bulk_MBps") and mode == "on":
            checks.append(("(d) >= 0.80 x (a) bulk, offloads on" + spread(rows, mode, "full", "kernel", "bulk_MBps"),
                           pratio(rows, mode, "full", "kernel", "bulk_MBps"), 0.80))
        elif has(rows, mode, "bulk_MBps"):
            # Offloads off: every packet is one MSS in both, so bytes per
            # second compare packets per second.
            checks.append(("(d) >= 2 x (b) packets/s, offloads off" + spread(rows, mode, "full", "nfqex", "bulk_MBps"),
                           pratio(rows, mode, "full", "nfqex", "bulk_MBps"), 2.0))
        if any(r.get("bulk_flood_MBps") or r.get("bulk_sink_MBps") for r in rows if r["offloads"] == mode):
            flood(rows, mode, checks)
        # a candidate (or the kernel) with no figure misses: inf, not 0
        k99 = med(rows, mode, "kernel", "setup_p99_us", none=float("inf"))
        for c in ("assoc", "full") if has(rows, mode, "setup_p99_us") else ():
            add = med(rows, mode, c, "setup_p99_us", none=float("inf")) - k99
            add = float("inf") if add != add else add	# inf - inf
            checks.append((f"setup p99 added by {c} < 1000 us, offloads {mode}", add, -1000))
        if has(rows, mode, "assoc_per_s"):
            checks.append((f"(c) assoc rate >= 0.9 x (a), offloads {mode}" + spread(rows, mode, "assoc", "kernel", "assoc_per_s"),
                           pratio(rows, mode, "assoc", "kernel", "assoc_per_s"), 0.9))
        print()
    print("cpu %: the candidate's process during the association rate, in percent of one core\n")
    cg, mem, size = extra.get("callgrind", {}), extra.get("memory", {}), extra.get("size", {})
    if cg:
        print(f"callgrind: {cg.get('packets')} packets of a full-inspection C-STORE replay, "
              f"eng_packet inclusive {cg.get('eng_packet_Ir')} instructions: {cg.get('per_packet')} per packet")
        checks.append(("engine < 1000 instructions per packet", float(cg.get("per_packet", 0) or 0), -1000))
    if mem:
        rss = int(mem.get("rss_kib", 0))
        print(f"memory: inline scanwalld with {mem.get('flows')} live flows "
              f"({mem.get('table_full_refusals')} refused, table full): peak RSS {rss} KiB "
              f"({rss / 1024:.1f} MiB); at start {mem.get('empty_rss_kib')} KiB")
        checks.append(("RSS < 8 MiB with 65,536 flows (MiB)", rss / 1024, -8))
    if size:
        print(f"size: scanwalld stripped {size.get('scanwalld_stripped_bytes')} bytes")
    names = ("idle", "reload", "bundle", "full", "flows")
    # transit: each probe packet's delay through the box, from kernel stamps
    # on both sides (the target); rtt: the prober's own round trip, which
    # also counts its wake-ups on the same CPUs
    for kind, what in (("ctltransit_", "transit through the box, a SYN to the DICOM port and the"
                        " device's reset, kernel stamps on both sides"),
                       ("ctlload_", "round trip in the prober, for comparison: the kernel's, the"
                        " box's two crossings and the prober's own wake-ups")):
        phases = [kind + n for n in names if kind + n in extra]
        if not phases:
            continue
        print(f"\nverdict latency under control load: {what} (us; flows against the full table)")
        print(f"{'phase':<16} {'work ms':>8} {'probes':>7} {'lost':>5} {'p50':>7} {'p99':>7} {'p99.9':>8}"
              f" {'+p50':>7} {'+p99':>7} {'+p99.9':>8}")
        for k in phases:
            e = extra[k]
            print(f"{k[len(kind):]:<16} {e.get('work_ms', ''):>8} {e.get('probes', ''):>7} {e.get('lost', ''):>5}"
                  f" {e.get('p50_us', ''):>7} {e.get('p99_us', ''):>7} {e.get('p999_us', ''):>8}"
                  f" {e.get('added_p50_us', ''):>7} {e.get('added_p99_us', ''):>7} {e.get('added_p999_us', ''):>8}")
            # a loss misses in every phase, the baselines too; a figure
            # that is not there misses (inf)
            checks.append((f"{k[len(kind):]}: no {'packet' if kind == 'ctltransit_' else 'probe'} lost",
                           float(e.get("lost", "inf") or 0), -0.5))
            if k[len(kind):] in ("idle", "full"):
                continue
            if kind == "ctltransit_" or not any(x.startswith("ctltransit_") for x in extra):
                checks.append((f"{k[len(kind):]}: p99.9 added < 2000 us",
                               float(e.get("added_p999_us", "inf") or 0), -2000))
    print("\ntargets")
    for name, val, target in checks:
        ok = val <= -target if target < 0 else val >= target
        print(f"  {'met ' if ok else 'MISS'} {name}: {val:.2f}")


if __name__ == "__main__":
    main()
