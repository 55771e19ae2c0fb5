#!/usr/bin/python3
# SPDX-License-Identifier: LicenseRef-Rampart-Proprietary
"""
dp_tel: rampart-dp's counters for scenario tests, read with DPDK telemetry through Debian's
client (/usr/bin/dpdk-telemetry.py -f PREFIX, commands on its standard input).

  dp_tel.py get PREFIX CMD...          print the answers (one JSON line each)
  dp_tel.py snapshot PREFIX [--ports N]
                                       one JSON object: {"outside": /rampart/drops,outside,
                                       "inside": ..., "eth0".."ethN-1": /ethdev/stats,i,
                                       "sa": {sa_id: /rampart/sa,sa_id for every SA},
                                       "reasons": names of /rampart/drop_reasons}
  dp_tel.py judge BEFORE AFTER SPEC... [--quiet-sas-except ID,ID] [--sum PATH=PATH+PATH]
                                       check counter deltas between two snapshots (JSON
                                       text or @file); exit 1 on any mismatch

SPEC is PATH=DELTA, PATH a dotted path into a snapshot: outside.auth_failed,
inside.total_drops, eth1.opackets, sa.10.packets, sa.10.drop_reasons.replay_duplicate. A
drop reason that never happened is absent from rampart-dp's answers and counts as 0, but its
name must be one of /rampart/drop_reasons (so that a misspelt or renamed reason fails
instead of reading as 0). --quiet-sas-except: every SA not listed must show no new packets
and no new drops.
"""
import json
import subprocess
import sys

TELEMETRY = "/usr/bin/dpdk-telemetry.py"


def query(prefix, cmds, timeout=10):
    """Answers to cmds, in order, from one dpdk-telemetry.py run."""
    r = subprocess.run([TELEMETRY, "-f", prefix], input="".join(c + "\n" for c in cmds),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=timeout)
    out = []
    for line in r.stdout.splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                out.append(json.loads(line))
            except ValueError:
                pass
    if len(out) != len(cmds):
        raise SystemExit("dp_tel: %d answers to %d commands from %s -f %s: %s" %
                         (len(out), len(cmds), TELEMETRY, prefix, r.stdout.strip()[-500:]))
    return [next(iter(a.values())) if len(a) == 1 else a for a in out]


def snapshot(prefix, ports):
    summary, reasons = query(prefix, ["/rampart/sa", "/rampart/drop_reasons"])
    ids = summary.get("sa_ids", []) if isinstance(summary, dict) else []
    cmds = ["/rampart/drops,outside", "/rampart/drops,inside"]
    cmds += ["/ethdev/stats,%d" % i for i in range(ports)]
    cmds += ["/rampart/sa,%d" % i for i in ids]
    ans = query(prefix, cmds)
    snap = {"outside": ans[0], "inside": ans[1], "reasons": sorted(reasons or {})}
    for i in range(ports):
        snap["eth%d" % i] = ans[2 + i]
    snap["sa"] = {str(i): a for i, a in zip(ids, ans[2 + ports:])}
    return snap


def load(arg):
    if arg.startswith("@"):
        with open(arg[1:]) as f:
            return json.load(f)
    return json.loads(arg)


def value(snap, path):
    """(value, problem): a missing drop reason reads as 0 if it is a known reason."""
    node = snap
    parts = path.split(".")
    for i, p in enumerate(parts):
        if isinstance(node, dict) and p in node:
            node = node[p]
            continue
        reasonish = i == len(parts) - 1 and isinstance(node, dict) and (
            parts[0] in ("outside", "inside") or (len(parts) >= 3 and parts[-2] == "drop_reasons"))
        if reasonish and p in snap.get("reasons", []):
            return 0, None
        if reasonish:
            return 0, "%s: %r is not a drop reason of this rampart-dp" % (path, p)
        return 0, "%s: no such counter" % path
    if not isinstance(node, int):
        return 0, "%s: not a counter (%r)" % (path, node)
    return node, None


def judge(before, after, specs, quiet_except, sums):
    problems, shown = [], []
    for spec in specs:
        path, want = spec.rsplit("=", 1)
        b, e1 = value(before, path)
        a, e2 = value(after, path)
        if e1 or e2:
            problems.append(e2 or e1)
            continue
        got = a - b
        shown.append("%s %+d" % (path, got))
        if got != int(want):
            problems.append("%s moved by %+d, want %+d" % (path, got, int(want)))
    for spec in sums:
        total, parts = spec.split("=", 1)
        t = value(after, total)[0] - value(before, total)[0]
        s = sum(value(after, p)[0] - value(before, p)[0] for p in parts.split("+"))
        if t != s:
            problems.append("%s moved by %+d but %s by %+d" % (total, t, parts, s))
    if quiet_except is not None:
        keep = set(quiet_except)
        for sa_id, a in after.get("sa", {}).items():
            if sa_id in keep:
                continue
            b = before.get("sa", {}).get(sa_id, {})
            for k in ("packets", "drops"):
                d = a.get(k, 0) - b.get(k, 0)
                if d:
                    problems.append("SA %s (not involved) %s moved by %+d" % (sa_id, k, d))
        shown.append("%d other SAs unchanged" % (len(after.get("sa", {})) - len(
            keep & set(after.get("sa", {})))))
    print("  " + ", ".join(shown))
    for p in problems:
        print("  MISMATCH: " + p)
    return 1 if problems else 0


def main(argv):
    if len(argv) >= 3 and argv[0] == "get":
        for a in query(argv[1], argv[2:]):
            print(json.dumps(a, sort_keys=True))
        return 0
    if len(argv) >= 2 and argv[0] == "snapshot":
        ports = 2
        if "--ports" in argv:
            ports = int(argv[argv.index("--ports") + 1])
        print(json.dumps(snapshot(argv[1], ports), sort_keys=True))
        return 0
    if len(argv) >= 3 and argv[0] == "judge":
        specs, quiet, sums = [], None, []
        rest = argv[3:]
        i = 0
        while i < len(rest):
            if rest[i] == "--quiet-sas-except":
                quiet = [x for x in rest[i + 1].split(",") if x]
                i += 2
            elif rest[i] == "--sum":
                sums.append(rest[i + 1])
                i += 2
            else:
                specs += rest[i].split()
                i += 1
        return judge(load(argv[1]), load(argv[2]), specs, quiet, sums)
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
