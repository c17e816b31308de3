"""The table: medians with [min–max] over the repeated runs, and the ratios SUT/B0, SUT/B1."""

from __future__ import annotations

from bench.stats import ratio, spread

TARGETS = {
    "throughput_vs_b1": 1.5,
    "throughput_vs_b0": 0.1,
    "p99_at_1000_ms": 50,
    "idle_kib_per_socket": 50,
    "storm_back_s": 30,
}


def fmt(value, digits: int = 0) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{value:,}"


def ranged(values: list, digits: int = 0) -> str:
    s = spread(values)
    if s["median"] is None:
        return "—"
    if s["runs"] == 1 or s["min"] == s["max"]:
        return fmt(float(s["median"]), digits)
    low, high = fmt(float(s["min"]), digits), fmt(float(s["max"]), digits)
    return f"{fmt(float(s['median']), digits)} [{low}–{high}]"


def table(title: str, header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows, strict=True)]
    print(f"\n{title}")
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))


def w2_max(results: dict, key: str) -> list:
    return [
        run.get("max_sends_per_s") if "error" not in run else None
        for run in results["w2"].get(key, [])
    ]


def median_of(values: list):
    return spread(values)["median"]


def baseline_for(system: str, kind: str) -> str:
    count = system.split("×")[1] if "×" in system else "1"
    return "B0" if kind == "B0" else f"B1-pubsub×{count}"


def report_print(document: dict) -> None:
    meta, results = document["meta"], document["results"]
    print(
        f"\nhelpline bench ({meta['plan']['name']}), {meta['started']}, {meta['machine']['cpus']} "
        f"CPUs, load average {meta['machine']['loadavg_start'][0]:.1f} at start, "
        f"{meta.get('loadavg_end', [0])[0]:.1f} at end; PostgreSQL: {meta.get('postgres')}"
    )
    print(f"settings: {meta['settings']} (rate limit raised for the bench)")
    systems = meta["systems"]
    sizes = meta["plan"]["sizes"]
    conversations = meta["plan"]["conversations"]

    if results["w2"]:
        rows = []
        for system in systems:
            row = [system]
            for size in sizes:
                runs = w2_max(results, f"{system} g={size}")
                row.append(ranged(runs) if any(r is not None for r in runs) else "failed")
            if system.startswith("SUT"):
                for kind in ("B0", "B1"):
                    for size in sizes:
                        base = baseline_for(system, kind)
                        r = ratio(
                            median_of(w2_max(results, f"{system} g={size}")),
                            median_of(w2_max(results, f"{base} g={size}")),
                        )
                        row.append(fmt(r, 2) + "×" if r is not None else "—")
            else:
                row += [""] * (2 * len(sizes))
            cpu = []
            for run in results["w2"].get(f"{system} g=2", []):
                passed = [s for s in run.get("steps", []) if s["passed"]]
                cpu.append(passed[-1]["cpu_us_per_delivered"] if passed else None)
            row.append(ranged(cpu))
            rows.append(row)
        header = ["system"] + [f"max sends/s g={s}" for s in sizes]
        header += [f"/B0 g={s}" for s in sizes] + [f"/B1 g={s}" for s in sizes]
        header += ["CPU µs/delivery at max g=2"]
        table(
            f"W2 throughput: highest step with all delivered, p99 < 250 ms, no backlog growth "
            f"({conversations} conversations; g = members; median [min–max])",
            header,
            rows,
        )

    if results["w3"]:
        rows = []
        for system in systems:
            runs = [r for r in results["w3"].get(system, []) if isinstance(r, list)]
            if not runs:
                rows.append([system, "failed"] + [""] * 7)
                continue
            for index, first in enumerate(runs[0]):
                steps = [run[index] for run in runs if index < len(run)]
                rows.append(
                    [
                        system if index == 0 else "",
                        fmt(float(first["rate"])),
                        ranged([s["delivery"]["p50_ms"] for s in steps], 1),
                        ranged([s["delivery"]["p99_ms"] for s in steps], 1),
                        ranged([s["delivery"]["p999_ms"] for s in steps], 1),
                        ranged([s["ack"]["p99_ms"] for s in steps], 1) if first["ack"] else "n/a",
                        fmt(sum(s["lost"] + s["unacked"] for s in steps)),
                        ranged([s["cpu_us_per_delivered"] for s in steps]),
                        ranged([s["loadgen_us_per_delivered"] for s in steps]),
                    ]
                )
        table(
            "W3 latency, g=2, delivered-to-peer and persisted (ack), ms; CPU per delivered "
            "message: server+Redis+PostgreSQL, and the load generator apart",
            [
                "system",
                "sends/s",
                "p50",
                "p99",
                "p99.9",
                "ack p99",
                "lost",
                "CPU µs/msg",
                "loadgen µs/msg",
            ],
            rows,
        )

    if results["w1"]:
        rows = []
        for system, runs in results["w1"].items():
            if isinstance(runs, dict):
                rows.append([system, "failed: " + runs["error"][:60], "", "", "", "", ""])
                continue
            for run in runs:
                rows.append(
                    [
                        system,
                        fmt(run["sockets"]),
                        fmt(run["rss_kib_per_socket"], 1),
                        fmt(run["uss_kib_per_socket"], 1),
                        fmt(run["redis_bytes_per_socket"]),
                        fmt(run["idle_cpu_percent"], 1),
                        fmt(run["failures"]),
                    ]
                )
        table(
            "W1 idle sockets on one worker (conversations of 2 and 3)",
            [
                "system",
                "sockets",
                "RSS KiB/socket",
                "USS KiB/socket",
                "Redis B/socket",
                "idle CPU %",
                "failures",
            ],
            rows,
        )

    storm = results.get("w4")
    if storm:
        if "error" in storm:
            print(f"\nW4 reconnect storm: failed: {storm['error']}")
        else:
            rows = [
                [
                    fmt(r["clients"]),
                    fmt(r["all_back_s"], 1),
                    fmt(r["handshake"]["p50_ms"]),
                    fmt(r["handshake"]["p99_ms"]),
                    fmt(r["failed_attempts"]),
                    fmt(r["not_back"]),
                    fmt(r["staff_sends"]),
                    fmt(r.get("refused_then_resent")),
                    fmt(r.get("missed_live")),
                    fmt(r["missed"] + r["unacked"]),
                ]
                for r in storm["runs"]
            ]
            table(
                f"W4 reconnect storm on {results.get('w4_system')}: every visitor dropped at "
                f"once, back with jitter",
                [
                    "clients",
                    "all back s",
                    "handshake p50 ms",
                    "p99 ms",
                    "failed attempts",
                    "not back",
                    "staff sends meanwhile",
                    "refused, sent again",
                    "missed live",
                    "missed after sync",
                ],
                rows,
            )

    expiry = results.get("w5")
    if expiry:
        if "error" in expiry:
            print(f"\nW5 expiry: failed: {expiry['error']}")
        else:
            job = expiry["job"]
            before, during = expiry["live_before"], expiry["live_during"]
            table(
                f"W5 expiry on {results.get('w5_system')} ({fmt(expiry['envelopes'])} "
                f"envelopes in {fmt(expiry['conversations'])} conversations; live traffic "
                f"{fmt(float(expiry['live_rate']))} sends/s)",
                [
                    "job s",
                    "conversations deleted",
                    "live p99 before ms",
                    "live p99 during ms",
                    "live p99.9 during ms",
                    "lost",
                ],
                [
                    [
                        fmt(job.get("seconds"), 1),
                        fmt(job.get("deleted_conversations")),
                        fmt(before["delivery"]["p99_ms"]),
                        fmt(during["delivery"]["p99_ms"]),
                        fmt(during["delivery"]["p999_ms"]),
                        fmt(during["lost"] + during["unacked"] + before["lost"]),
                    ]
                ],
            )
    targets_print(document)


def targets_print(document: dict) -> None:
    results = document["results"]
    lines = []
    sut = [s for s in document["meta"]["systems"] if s.startswith("SUT")]
    for system in sut:
        for size in document["meta"]["plan"]["sizes"]:
            mine = median_of(w2_max(results, f"{system} g={size}"))
            b1 = median_of(w2_max(results, f"{baseline_for(system, 'B1')} g={size}"))
            b0 = median_of(w2_max(results, f"B0 g={size}"))
            r1, r0 = ratio(mine, b1), ratio(mine, b0)
            lines.append(
                f"{system} g={size}: throughput {fmt(r1, 2)}× B1 (target ≥ 1.5: "
                f"{'met' if r1 and r1 >= 1.5 else 'not met'}), {fmt(r0, 2)}× B0 "
                f"(target ≥ 0.1: {'met' if r0 and r0 >= 0.1 else 'not met'})"
            )
        runs = [r for r in results["w3"].get(system, []) if isinstance(r, list)]
        p99 = [s["delivery"]["p99_ms"] for run in runs for s in run if s["rate"] == 1000]
        value = median_of(p99)
        lines.append(
            f"{system}: p99 at 1,000 sends/s {fmt(value, 1)} ms (target < 50: "
            f"{'met' if value is not None and value < 50 else 'not met'})"
        )
    w1 = results["w1"].get("SUT×1")
    if isinstance(w1, list) and w1:
        last = w1[-1]
        if last["sockets"] < 10000:
            verdict = "not measured at 10,000"
        else:
            verdict = "met" if last["rss_kib_per_socket"] <= 50 else "not met"
        lines.append(
            f"SUT idle: {fmt(last['rss_kib_per_socket'], 1)} KiB RSS/socket at "
            f"{fmt(last['sockets'])} sockets (target ≤ 50 KiB at 10,000: {verdict})"
        )
    storm = results.get("w4")
    if storm and "runs" in storm:
        ok = all(
            r["all_back_s"] is not None
            and r["all_back_s"] <= 30
            and r["not_back"] == 0
            and r["missed"] + r["unacked"] == 0
            for r in storm["runs"]
        )
        clients = storm["runs"][0]["clients"] if storm["runs"] else 0
        verdict = "not met" if not ok else "met" if clients >= 2000 else "met, < 2,000 clients"
        lines.append(
            f"reconnect storm of {clients}: back within 30 s, no failure, no loss: {verdict}"
        )
    if lines:
        print("\nTargets (docs: issue 9)")
        for line in lines:
            print(f"  {line}")
