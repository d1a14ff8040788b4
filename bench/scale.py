#!/usr/bin/env python3
"""bench/scale.py - the scale benchmarks of issue 16, one scenario per target row.

    python3 bench/scale.py --zonesync build/zonesync [--base OLD_ZONESYNC]
                           [--zonemem build/bench/zonemem] [--base-zonemem OLD_ZONEMEM]
                           [--zoneload build/bench/zoneload] [--rounds 3] [--quick]
                           [--results bench/RESULTS.md]

Figures, not pass/fail. With --base, every measurement is taken for the old binary and
the new one alternately in the same session (A B A B ...), and the table gives both and
their ratio: on a shared, noisy machine only ratios taken together mean anything. Each
figure is the median of --rounds runs. The table goes to stdout and, between the
<!-- scale:begin --> and <!-- scale:end --> markers, into --results.

Data (generated once under bench/data/, deterministic): a repository of 50,000 zones of
20 RRsets (bench/genzones.py) and zones of 100k and 1M records (bench/genzone.py).
"""
import argparse
import datetime
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data")


def sh(*args, **kw):
    subprocess.run(args, check=True, **kw)


def git_repo(path):
    if not os.path.isdir(os.path.join(path, ".git")):
        os.makedirs(path, exist_ok=True)
        sh("git", "init", "-q", path)
    os.makedirs(os.path.join(path, "zones"), exist_ok=True)


def commit(path):
    sh("git", "-C", path, "add", "-A")
    if subprocess.run(["git", "-C", path, "diff", "--cached", "--quiet"]).returncode:
        sh("git", "-C", path, "-c", "user.email=bench@zonesync.invalid", "-c", "user.name=bench",
           "commit", "-q", "-m", "bench zones")


def many_zones_repo(count):
    """bench/data/zones-COUNT: COUNT zones x 20 RRsets (a prefix of the same zone set)."""
    repo = os.path.join(DATA, f"zones-{count}")
    git_repo(repo)
    if len(os.listdir(os.path.join(repo, "zones"))) < count:
        sh(sys.executable, os.path.join(HERE, "genzones.py"), os.path.join(repo, "zones"), str(count), "20")
        commit(repo)
    return repo


def big_zone_repo(records):
    repo = os.path.join(DATA, "repo")
    git_repo(repo)
    f = os.path.join(repo, "zones", f"bench{records}.example.zone")
    if not os.path.exists(f):
        with open(f, "w") as out:
            sh(sys.executable, os.path.join(HERE, "genzone.py"), f"bench{records}.example", str(records), stdout=out)
        commit(repo)
    return repo


def write_conf(name, repo, state, providers, zone=None):
    """A config: all_zones over repo (or one [[zones]] entry), zonefile providers."""
    path = os.path.join(DATA, name + ".toml")
    lines = [f'[repo]\npath = "{repo}"\n']
    if zone is None:
        lines.append("all_zones = true\n")
    lines.append(f'[state]\npath = "{state}"\n')
    lines.append("[defaults]\nmax_changes = 100000000\nmax_update_pct = 100\nmax_delete_pct = 100\n")
    if zone is None:
        lines.append("providers = [%s]\n" % ", ".join(f'"{p}"' for p, _ in providers))
    for p, d in providers:
        lines.append(f'[providers.{p}]\ntype = "zonefile"\ndirectory = "{d}"\ncreate_zones = true\n')
    if zone is not None:
        lines.append(f'[[zones]]\nname = "{zone}"\nproviders = [%s]\n' % ", ".join(f'"{p}"' for p, _ in providers))
    with open(path, "w") as f:
        f.write("".join(lines))
    return path


def fresh_dir(d):
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)


def drop_state(state):
    for suffix in ("", "-wal", "-shm", ".lock"):
        try:
            os.unlink(state + suffix)
        except FileNotFoundError:
            pass


def run_rss(binary, conf, *args, timeout=None):
    """Wall seconds and peak RSS (KiB, from /usr/bin/time) of one zonesync run; (None, None) on a timeout."""
    t0 = time.monotonic()
    p = subprocess.Popen(["/usr/bin/time", "-f", "RSS %M", binary, "-q", "-c", conf] + list(args),
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.communicate()
        return None, None
    wall = time.monotonic() - t0
    m = re.search(rb"RSS (\d+)", err)
    if p.returncode not in (0, 2):
        raise SystemExit(f"{binary} {' '.join(args)}: exit {p.returncode}: {err.decode()[-2000:]}")
    return wall, int(m.group(1)) if m else None


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


class Bench:
    def __init__(self, a):
        self.a = a
        self.bins = [("new", os.path.abspath(a.zonesync))]
        if a.base:
            self.bins.insert(0, ("old", os.path.abspath(a.base)))
        self.rows = []

    def alternate(self, fn, rounds=None):
        """fn(binary) -> figure; old and new alternately, rounds times; medians per binary."""
        got = {name: [] for name, _ in self.bins}
        for _ in range(rounds or self.a.rounds):
            for name, b in self.bins:
                got[name].append(fn(b, name))
        return {name: med(v) for name, v in got.items()}

    def row(self, shape, target, figures, fmt, met=None, note=""):
        self.rows.append((shape, target, figures, fmt, met, note))
        old = figures.get("old")
        new = figures.get("new")
        line = f"{shape}: new {fmt(new)}"
        if "old" in figures:
            line += f", old {fmt(old)}"
            if isinstance(old, (int, float)) and isinstance(new, (int, float)) and old:
                line += f", new/old {new / old:.3f}"
        if met is not None:
            line += f"  [target {target}: {'met' if met else 'NOT met'}]"
        print(line + (f" ({note})" if note else ""), flush=True)


def secs(v):
    return "-" if v is None else f"{v:.2f} s"


def ratio(v):
    return "-" if v is None else f"{v:.2f}"


def mib(v):
    return "-" if v is None else f"{v / 1024:.0f} MiB"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--zonesync", required=True)
    ap.add_argument("--base")
    ap.add_argument("--zonemem")
    ap.add_argument("--base-zonemem")
    ap.add_argument("--zoneload")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--many", type=int, default=50000, help="zones of the many-zones row")
    ap.add_argument("--base-many", type=int, default=10000,
                    help="zones the old binary plans (it was quadratic: 50k took minutes)")
    ap.add_argument("--results", default=os.path.join(HERE, "RESULTS.md"))
    ap.add_argument("--only", default="", help="comma-separated rows: many,mem,apply100k,apply1m,noop,plan1m")
    a = ap.parse_args()
    os.makedirs(DATA, exist_ok=True)
    b = Bench(a)
    only = set(x for x in a.only.split(",") if x)
    want = lambda r: not only or r in only
    print(f"== scale benchmarks, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}, "
          f"{datetime.date.today()}; medians of {a.rounds}, old and new alternately" if a.base else
          f"== scale benchmarks, {os.cpu_count()} cores; medians of {a.rounds}", flush=True)

    # 1. plan of many small zones against two empty zonefile providers
    if want("many"):
        figures = {}
        for count in sorted({1000, a.base_many, a.many}):
            repo = many_zones_repo(count)
            pa, pb = os.path.join(DATA, f"many-{count}-a"), os.path.join(DATA, f"many-{count}-b")
            fresh_dir(pa)
            fresh_dir(pb)
            conf = write_conf(f"many-{count}", repo, os.path.join(DATA, f"many-{count}.db"), [("a", pa), ("b", pb)])
            for name, binary in b.bins:
                if name == "old" and count > a.base_many:
                    continue
                runs = [run_rss(binary, conf, "plan", timeout=600) for _ in range(a.rounds)]
                figures[(name, count)] = (med([r[0] for r in runs]), med([r[1] for r in runs]))
                print(f"  plan {count} zones x 20 RRsets x 2 providers, {name}: {secs(figures[(name, count)][0])}, "
                      f"peak RSS {mib(figures[(name, count)][1])}", flush=True)
        scal = {}
        for name, _ in b.bins:
            top = a.many if name == "new" else a.base_many
            t1, tn = figures[(name, 1000)][0], figures[(name, top)][0]
            scal[name] = tn / t1 if t1 and tn else None
        b.many = figures
        new_top = figures[("new", a.many)]
        b.row(f"plan, {a.many // 1000}k zones x 20 RRsets x 2 zonefile providers, empty: time / the 1k-zone plan",
              "<= 60x, RSS <= 1 GiB", scal, ratio,
              met=scal["new"] is not None and scal["new"] <= 60 and new_top[1] is not None and new_top[1] <= 1048576,
              note=f"new: 1k {secs(figures[('new', 1000)][0])}, {a.many // 1000}k {secs(new_top[0])}, RSS {mib(new_top[1])}"
              + (f"; old: 1k {secs(figures[('old', 1000)][0])}, {a.base_many // 1000}k "
                 f"{secs(figures[('old', a.base_many)][0])} (x{a.base_many // 1000} zones), RSS {mib(figures[('old', a.base_many)][1])}"
                 if a.base else ""))

    # 2. heap per small zone beyond its records
    if want("mem") and a.zonemem:
        repo = many_zones_repo(a.many)
        tools = [("new", a.zonemem)] + ([("old", a.base_zonemem)] if a.base_zonemem else [])
        figures = {}
        for name, tool in tools:
            out = subprocess.run([tool, repo, "20000"], check=True, capture_output=True, text=True).stdout
            print("  " + name + ": " + out.strip(), flush=True)
            figures[name] = float(re.search(r"overhead ([0-9.]+) KiB/zone", out).group(1))
        b.row("per-zone heap overhead beyond its records (20,000 zones of 20 RRsets loaded)", "<= 16 KiB",
              figures, lambda v: "-" if v is None else f"{v:.2f} KiB", met=figures["new"] <= 16)

    # 3 and 4. apply of a big zone to the zonefile provider against its own plan
    for records, key, limit in ((100000, "apply100k", 2.0), (1000000, "apply1m", 3.0)):
        if not want(key):
            continue
        repo = big_zone_repo(records)
        served = os.path.join(DATA, f"served-{records}")
        state = os.path.join(DATA, f"apply-{records}.db")
        conf = write_conf(f"apply-{records}", repo, state, [("files", served)], zone=f"bench{records}.example")
        rounds = a.rounds if records < 1000000 else max(1, min(a.rounds, 2))

        def one(binary, name):
            fresh_dir(served)
            drop_state(state)
            tp, _ = run_rss(binary, conf, "plan")
            fresh_dir(served)
            drop_state(state)
            ta, rss = run_rss(binary, conf, "apply", timeout=900)
            return (tp, ta, rss)

        got = {name: [] for name, _ in b.bins}
        for _ in range(rounds):
            for name, binary in b.bins:
                got[name].append(one(binary, name))
        figures, notes = {}, []
        for name, _ in b.bins:
            tp = med([g[0] for g in got[name]])
            ta = med([g[1] for g in got[name]])
            rss = med([g[2] for g in got[name]])
            figures[name] = ta / tp if ta and tp else None
            notes.append(f"{name}: plan {secs(tp)}, apply {secs(ta)}, RSS {mib(rss)}")
            if name == "new":
                new_rss = rss
        met = figures["new"] is not None and figures["new"] <= limit
        if records >= 1000000:
            met = met and new_rss is not None and new_rss <= 500 * 1024
        b.row(f"apply of a {records // 1000}k-record zone to the zonefile provider: apply / its own plan",
              f"<= {limit:g}x" + (", RSS <= 500 MiB" if records >= 1000000 else ""), figures, ratio, met=met,
              note="; ".join(notes))

    # 5. no-op apply after 10 big applies, against a fresh state database
    if want("noop"):
        records = 100000
        repo = big_zone_repo(records)
        served = os.path.join(DATA, "served-noop")
        state = os.path.join(DATA, "noop.db")
        conf = write_conf("noop", repo, state, [("files", served)], zone=f"bench{records}.example")
        figures, notes = {}, []
        for name, binary in b.bins:
            # history: 10 applies of the whole zone (the served file is removed in between)
            drop_state(state)
            for _ in range(10):
                fresh_dir(served)
                run_rss(binary, conf, "apply", timeout=900)
            rows = subprocess.run(["sqlite3", state, "SELECT count(*) FROM journal"], capture_output=True,
                                  text=True).stdout.strip()
            size = os.path.getsize(state) + (os.path.getsize(state + "-wal") if os.path.exists(state + "-wal") else 0)
            t_hist = []
            t_fresh = []
            for _ in range(a.rounds):
                t_hist.append(run_rss(binary, conf, "apply")[0])
                # the same no-op with a fresh database (moved aside, then back)
                for s in ("", "-wal", "-shm"):
                    if os.path.exists(state + s):
                        os.rename(state + s, state + s + ".hist")
                t_fresh.append(run_rss(binary, conf, "apply")[0])
                drop_state(state)
                for s in ("", "-wal", "-shm"):
                    if os.path.exists(state + s + ".hist"):
                        os.rename(state + s + ".hist", state + s)
            h, f = med(t_hist), med(t_fresh)
            figures[name] = h / f if h and f else None
            notes.append(f"{name}: {secs(h)} with {rows} journal rows ({size / 1048576:.0f} MB), {secs(f)} fresh")
        b.row("no-op apply, 100k records, after 10 big applies: time / the same with a fresh state db",
              "<= 1.2x", figures, ratio, met=figures["new"] is not None and figures["new"] <= 1.2, note="; ".join(notes))

    # 6. plan of a 1M-record zone against an empty provider, and a bare libzscanner parse
    if want("plan1m"):
        records = 1000000
        repo = big_zone_repo(records)
        served = os.path.join(DATA, "served-plan1m")
        fresh_dir(served)
        conf = write_conf("plan1m", repo, os.path.join(DATA, "plan1m.db"), [("files", served)],
                          zone=f"bench{records}.example")
        figures = b.alternate(lambda binary, name: run_rss(binary, conf, "plan")[0])
        bare = None
        if a.zoneload:
            out = subprocess.run([a.zoneload, repo, f"zones/bench{records}.example.zone", f"bench{records}.example.",
                                  str(a.rounds)], check=True, capture_output=True, text=True).stdout
            m = re.search(r"bare libzscanner parse of the same text: median ([0-9.]+) s", out)
            bare = float(m.group(1)) if m else None
        new = figures["new"]
        b.row("plan of a 1M-record zone, empty provider", "<= 2.5 s (<= 6x a bare libzscanner parse)", figures, secs,
              met=new is not None and new <= 2.5 and (bare is None or new <= 6 * bare),
              note=(f"bare libzscanner parse {secs(bare)}: new plan = {new / bare:.1f}x it" if bare and new else ""))

    table = render(b, a)
    print()
    print(table)
    if a.results and not only:
        with open(a.results) as f:
            text = f.read()
        block = "<!-- scale:begin -->\n" + table + "<!-- scale:end -->"
        if "<!-- scale:begin -->" in text:
            text = re.sub(r"<!-- scale:begin -->.*?<!-- scale:end -->", lambda _: block, text, flags=re.S)
        else:
            text += "\n## Scale (issue 16)\n\n" + block + "\n"
        with open(a.results, "w") as f:
            f.write(text)


def render(b, a):
    head = ["shape", "target"]
    if a.base:
        head += ["before (old binary)", "after (new binary)", "after / before"]
    else:
        head += ["figure"]
    head += ["met", "detail"]
    out = [f"Run {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, "
           f"medians of {a.rounds}" + (", old and new binaries alternately in one session" if a.base else "") + ":\n\n",
           "| " + " | ".join(head) + " |\n", "|" + "---|" * len(head) + "\n"]
    for shape, target, figures, fmt, met, note in b.rows:
        cells = [shape, target]
        if a.base:
            old, new = figures.get("old"), figures.get("new")
            r = f"{new / old:.3f}" if isinstance(old, (int, float)) and isinstance(new, (int, float)) and old else "-"
            cells += [fmt(old), fmt(new), r]
        else:
            cells += [fmt(figures.get("new"))]
        cells += ["yes" if met else "no" if met is not None else "-", note]
        out.append("| " + " | ".join(cells) + " |\n")
    return "".join(out)


if __name__ == "__main__":
    main()
