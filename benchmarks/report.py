"""Tables, geomeans and the plot from the collected worker documents."""

import math

import cases as suite

PEER_LABELS = {"tf": "TF", "torch": "torch", "torch_cl": "torch_cl",
               "torch_compile": "compile", "ort": "ORT", "jax": "JAX"}


def geomean(values):
    vals = [v for v in values if v and v > 0 and math.isfinite(v)]
    return math.exp(sum(math.log(v) for v in vals) / len(vals)) if vals else None


def _median(entry, batch):
    b = entry.get(f"b{batch}") if entry else None
    return b["median_s"] if b else None


def rows_for(config, sep_doc, peer_docs, case_names):
    """One row per case for (threads, batch): timings, best peer, ratio, roofline."""
    threads, batch = config
    probe = sep_doc.get("probe") or {}
    peak, bw = probe.get("peak_flops"), probe.get("bandwidth_bytes_per_s")
    sep = {e["case"]: e for e in sep_doc.get("results", [])}
    peers = {name: {e["case"]: e for e in doc.get("results", [])}
             for name, doc in peer_docs.items() if doc.get("available")}
    rows = []
    for name in case_names:
        case = suite.BY_NAME[name]
        se = sep.get(name)
        t_sep = _median(se, batch)
        row = {"case": name, "threads": threads, "batch": batch, "sepconv_s": t_sep,
               "sepconv_check": bool(se and se.get("check", {}).get("ok")),
               "flops": suite.flops(case, batch), "fused_bytes": suite.fused_bytes(case, batch),
               "peers": {}, "peer_check": {}}
        split = (se or {}).get(f"b{batch}", {}).get("split")
        if split:
            row["split"] = dict(split)
            if t_sep:
                row["split"]["overhead_s"] = t_sep - split["fused_kernel_s"]
            if peak and bw:
                row["split"].update(stage_percentages(case, batch, split, peak, bw))
        for pname, res in peers.items():
            e = res.get(name)
            row["peers"][pname] = _median(e, batch)
            row["peer_check"][pname] = bool(e and e.get("check", {}).get("ok"))
        # only peers that computed the right answer compete for "best"
        valid = {p: t for p, t in row["peers"].items() if t and row["peer_check"][p]}
        if valid:
            row["best_peer"] = min(valid, key=valid.get)
            row["best_peer_s"] = valid[row["best_peer"]]
        if t_sep:
            row["gflops"] = row["flops"] / t_sep / 1e9
            if valid:
                row["ratio"] = row["best_peer_s"] / t_sep
            if peak and bw:
                t_min = suite.roofline_seconds(case, batch, peak, bw)
                row["roofline_s"] = t_min
                row["pct_roofline"] = 100.0 * t_min / t_sep
        rows.append(row)
    return rows


def stage_percentages(case, batch, split, peak, bw):
    """The stages alone against their bounds: the GEMM's FLOP/s as % of the
    peak; the depthwise's bytes / bandwidth as % of its time, and its own
    roofline max(bytes / bandwidth, FLOPs / peak) as % of its time."""
    b = suite.stage_bounds(case, batch)
    out = {}
    if split.get("pointwise_s"):
        out["pointwise_pct_peak"] = 100.0 * b["pointwise_flops"] / peak / split["pointwise_s"]
    if split.get("depthwise_s"):
        t_bw = b["depthwise_bytes"] / bw
        out["depthwise_pct_bandwidth"] = 100.0 * t_bw / split["depthwise_s"]
        out["depthwise_pct_roofline"] = (100.0 * max(t_bw, b["depthwise_flops"] / peak)
                                         / split["depthwise_s"])
    return out


def _fmt_pct(v):
    return "-" if v is None else f"{v:.0f} %"


def _fmt_ms(t, ok=True):
    if t is None:
        return "-"
    s = f"{t * 1e3:.3f}" if t < 1 else f"{t * 1e3:.0f}"
    return s if ok else s + "!"


def format_table(config, rows, peer_names, probe):
    threads, batch = config
    head = ["case", "sepconv"] + [PEER_LABELS.get(p, p) for p in peer_names] + \
           ["best peer", "ratio", "%roof", "GFLOP/s"]
    lines = []
    out = []
    for r in rows:
        cells = [r["case"], _fmt_ms(r["sepconv_s"], r["sepconv_check"])]
        cells += [_fmt_ms(r["peers"].get(p), r["peer_check"].get(p, True)) for p in peer_names]
        cells += [PEER_LABELS.get(r.get("best_peer"), "-") if r.get("best_peer") else "-",
                  f"{r['ratio']:.2f}" if r.get("ratio") else "-",
                  f"{r['pct_roofline']:.1f}" if r.get("pct_roofline") else "-",
                  f"{r['gflops']:.1f}" if r.get("gflops") else "-"]
        out.append(cells)
    gm = ["geomean", "", *[""] * len(peer_names), "",
          _g(rows, "ratio", "{:.2f}"), _g(rows, "pct_roofline", "{:.1f}"), _g(rows, "gflops", "{:.1f}")]
    out.append(gm)
    widths = [max(len(str(x)) for x in col) for col in zip(head, *out)]
    fmt = lambda cells: "  ".join(str(c).rjust(w) if i else str(c).ljust(w)
                                  for i, (c, w) in enumerate(zip(cells, widths)))
    peak = probe.get("peak_flops")
    bw = probe.get("bandwidth_bytes_per_s")
    lines.append(f"== threads={threads} batch={batch}  (times: median ms; "
                 f"peak {peak / 1e9:.0f} GFLOP/s, copy bandwidth {bw / 1e9:.1f} GB/s)"
                 if peak and bw else f"== threads={threads} batch={batch}  (times: median ms)")
    lines.append(fmt(head))
    lines.append(fmt(["-" * w for w in widths]))
    lines += [fmt(c) for c in out[:-1]]
    lines.append(fmt(["-" * w for w in widths]))
    lines.append(fmt(out[-1]))
    # per-peer speedups: geomean of peer time / sepconv time
    sp = []
    for p in peer_names:
        g = geomean([r["peers"].get(p) / r["sepconv_s"] for r in rows
                     if r["peers"].get(p) and r["sepconv_s"] and r["peer_check"].get(p)])
        if g:
            sp.append(f"{PEER_LABELS.get(p, p)} {g:.2f}x")
    if sp:
        lines.append("sepconv speedup over each peer (geomean of peer/sepconv): " + ", ".join(sp))
    return "\n".join(lines)


def _g(rows, key, fmt):
    g = geomean([r.get(key) for r in rows])
    return fmt.format(g) if g else "-"


def format_split(config, rows):
    threads, batch = config
    lines = [f"-- sepconv split, threads={threads} batch={batch} (median ms): "
             "full call | fused kernel | depthwise alone | pointwise alone | overhead | "
             "pointwise % of peak FLOP/s | depthwise % of bandwidth bound, of its roofline"]
    for r in rows:
        s = r.get("split")
        if not s:
            continue
        lines.append(f"   {r['case']:<10} {_fmt_ms(r['sepconv_s']):>9} {_fmt_ms(s['fused_kernel_s']):>9} "
                     f"{_fmt_ms(s['depthwise_s']):>9} {_fmt_ms(s['pointwise_s']):>9} "
                     f"{s['overhead_s'] * 1e6:>8.1f} us {_fmt_pct(s.get('pointwise_pct_peak')):>6} "
                     f"{_fmt_pct(s.get('depthwise_pct_bandwidth')):>6} "
                     f"{_fmt_pct(s.get('depthwise_pct_roofline')):>6}")
    return "\n".join(lines)


def plot(path, tables, peer_names):
    """Bar chart per configuration: peer time / sepconv time per case (log scale)."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    n = len(tables)
    fig, axes = plt.subplots(n, 1, figsize=(16, 3.2 * n), squeeze=False)
    for ax, ((threads, batch), rows) in zip(axes[:, 0], tables.items()):
        names = [r["case"] for r in rows]
        width = 0.8 / max(1, len(peer_names))
        for j, p in enumerate(peer_names):
            vals = [(r["peers"].get(p) / r["sepconv_s"]) if r["peers"].get(p) and r["sepconv_s"]
                    else float("nan") for r in rows]
            ax.bar([i + j * width for i in range(len(rows))], vals, width,
                   label=PEER_LABELS.get(p, p))
        ax.axhline(1.0, color="k", lw=0.8)
        ax.set_yscale("log")
        ax.set_xticks([i + 0.4 for i in range(len(rows))])
        ax.set_xticklabels(names, rotation=60, fontsize=7)
        ax.set_ylabel("peer / sepconv time")
        ax.set_title(f"threads={threads} batch={batch}  (above 1: sepconv faster)")
    axes[0, 0].legend(ncol=len(peer_names), fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True
