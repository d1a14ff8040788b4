#!/usr/bin/env python3
"""examples-run.py - runs the shell lines of docs/examples/ as the platform would, for
tests/integration/examples.sh. Nothing is copied: every command comes from the example
file. What cannot run here is emulated and said so: installing zonesync (steps or
before_script that install it: zonesync is on PATH instead), GitHub's own actions
(checkout: the workspace is prepared by the test; comment, upload and download of
artifacts: files in $EX_ARTIFACTS), GitLab's artifact store (archives for tests/fakes/gitlab.py).

  examples-run.py cron FILE                   prints the command of the crontab line
  examples-run.py systemd FILE                runs ExecStart as systemd would (env, status)
  examples-run.py github FILE JOB EVENT       runs a workflow job in $EX_WORKSPACE
  examples-run.py gitlab FILE JOB             runs a job's script in $EX_WORKSPACE

Host paths in commands (/etc/zonesync, /srv/dns, /var/lib, /usr/local/bin/zonesync) are
mapped by $EX_PATHS ("FROM=TO;FROM=TO", longest first)."""
import os
import re
import shlex
import shutil
import subprocess
import sys
import zipfile

import yaml


def mapped(s):
    pairs = [p.split("=", 1) for p in os.environ.get("EX_PATHS", "").split(";") if "=" in p]
    for frm, to in sorted(pairs, key=lambda p: -len(p[0])):
        s = s.replace(frm, to)
    return s


def cron(path):
    lines = [l for l in open(path) if l.strip() and not l.lstrip().startswith("#")]
    if len(lines) != 1:
        sys.exit("%s: expected one crontab line, found %d" % (path, len(lines)))
    # /etc/cron.d: five time fields, the user, then the command (run by /bin/sh)
    fields = lines[0].split(None, 6)
    print(mapped(fields[6].rstrip("\n")))


def env_file(path):
    """systemd's EnvironmentFile=: KEY=VALUE lines, # comments, optional quotes."""
    env = {}
    for line in open(path):
        line = line.strip()
        if not line or line[0] in "#;":
            continue
        k, _, v = line.partition("=")
        v = v.strip()
        if len(v) >= 2 and v[0] == v[-1] and v[0] in "'\"":
            v = v[1:-1]
        env[k.strip()] = v
    return env


def systemd(path):
    svc = {}
    section = None
    for line in open(path):
        line = line.strip()
        if line.startswith("["):
            section = line
        elif section == "[Service]" and "=" in line and not line.startswith("#"):
            k, _, v = line.partition("=")
            svc.setdefault(k, []).append(v)
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/")}
    # a sanitizer build keeps its options (LeakSanitizer suppressions for libgit2's own leaks)
    env.update({k: v for k, v in os.environ.items() if k in ("ASAN_OPTIONS", "LSAN_OPTIONS", "TSAN_OPTIONS", "UBSAN_OPTIONS")})
    for e in svc.get("Environment", []):
        for item in shlex.split(e):
            k, _, v = item.partition("=")
            env[k] = mapped(v)
    for f in svc.get("EnvironmentFile", []):
        optional = f.startswith("-")
        f = mapped(f.lstrip("-"))
        if os.path.exists(f) or not optional:
            env.update(env_file(f))
    if "StateDirectory" in svc:
        # systemd creates /var/lib/NAME for the unit
        os.makedirs(mapped("/var/lib/" + svc["StateDirectory"][0]), exist_ok=True)
    ok = {0} | {int(x) for s in svc.get("SuccessExitStatus", []) for x in s.split()}
    cwd = mapped(svc["WorkingDirectory"][0]) if "WorkingDirectory" in svc else None
    for pre in svc.get("ExecStartPre", []):
        r = subprocess.run([mapped(a) for a in shlex.split(pre.lstrip("-"))], env=env, cwd=cwd)
        if r.returncode and not pre.startswith("-"):
            print("ExecStartPre exited %d" % r.returncode)
            sys.exit(1)
    r = subprocess.run([mapped(a) for a in shlex.split(svc["ExecStart"][0])], env=env, cwd=cwd)
    print("ExecStart exited %d: the unit %s" % (r.returncode, "succeeded" if r.returncode in ok else "failed"))
    sys.exit(0 if r.returncode in ok else 1)


class GitHub:
    def __init__(self, job, event, wf):
        self.event = event
        self.outputs = {}
        self.failed = False
        self.ws = os.environ["EX_WORKSPACE"]
        self.art = os.environ["EX_ARTIFACTS"]
        self.env = dict(os.environ)
        for k, v in {**(wf.get("env") or {}), **(job.get("env") or {})}.items():
            self.env[k] = self.expr(str(v))
        self.env["GITHUB_EVENT_NAME"] = event

    def value(self, name):
        m = re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", name)
        if m:
            return self.outputs.get(m.group(1), {}).get(m.group(2), "")
        m = re.fullmatch(r"secrets\.(\w+)", name)
        if m:
            return os.environ.get(m.group(1), "")
        return {"github.event_name": self.event,
                "github.event.pull_request.head.sha": os.environ.get("EX_HEAD_SHA", ""),
                "github.sha": os.environ.get("EX_SHA", "")}[name]

    def expr(self, s):
        return re.sub(r"\$\{\{\s*(.*?)\s*\}\}", lambda m: self.value(m.group(1)), s)

    def cond(self, c, default="success()"):
        c = (c or default).replace("${{", "").replace("}}", "")
        py = re.sub(r"always\(\)", "True", c)
        py = py.replace("success()", str(not self.failed)).replace("failure()", str(self.failed))
        py = re.sub(r"(steps\.[\w.-]+|secrets\.\w+|github\.[\w.]+)", lambda m: repr(self.value(m.group(1))), py)
        return eval(py.replace("&&", " and ").replace("||", " or "), {})

    def uses(self, step):
        action, w = step["uses"].split("@")[0], {k: self.expr(str(v)) for k, v in (step.get("with") or {}).items()}
        if action == "actions/checkout":
            if "ref" in w:
                subprocess.run(["git", "-C", self.ws, "checkout", "-q", w["ref"]], check=True)
            return 0
        if action == "marocchino/sticky-pull-request-comment":
            shutil.copy(os.path.join(self.ws, w["path"]), os.path.join(self.art, "comment.md"))
            return 0
        head = subprocess.run(["git", "-C", self.ws, "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
        if action == "actions/upload-artifact":
            d = os.path.join(self.art, w["name"], head)
            os.makedirs(d, exist_ok=True)
            shutil.copy(os.path.join(self.ws, w["path"]), d)
            return 0
        if action == "dawidd6/action-download-artifact":
            d = os.path.join(self.art, w["name"], w["commit"])
            if not os.path.isdir(d):
                print("no artifact %s for commit %s" % (w["name"], w["commit"]))
                return 1
            for f in os.listdir(d):
                shutil.copy(os.path.join(d, f), self.ws)
            return 0
        sys.exit("no emulation for %s" % action)

    def run(self, job):
        for step in job["steps"]:
            name = step.get("name") or step.get("id") or step.get("uses")
            if not self.cond(step.get("if")):
                print("[%s] skipped" % name)
                continue
            if step.get("id") == "install":
                print("[%s] emulated: zonesync is on PATH" % name)
                continue
            if "uses" in step:
                rc = self.uses(step)
            else:
                out = os.path.join(self.art, "github-output")
                open(out, "w").close()
                env = dict(self.env, GITHUB_OUTPUT=out)
                # GitHub's default shell on Linux: bash --noprofile --norc -eo pipefail
                rc = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", self.expr(step["run"])],
                                    cwd=self.ws, env=env).returncode
                if "id" in step:
                    self.outputs[step["id"]] = dict(l.rstrip("\n").split("=", 1) for l in open(out) if "=" in l)
            print("[%s] exit %d" % (name, rc))
            if rc:
                self.failed = True
        return 1 if self.failed else 0


def github(path, jobname, event):
    wf = yaml.safe_load(open(path))
    job = wf["jobs"][jobname]
    g = GitHub(job, event, wf)
    if not g.cond(job.get("if"), "True"):
        print("job %s does not run on %s" % (jobname, event))
        sys.exit(2)
    sys.exit(g.run(job))


def gitlab(path, jobname):
    ci = yaml.safe_load(open(path))
    job = ci[jobname]
    ws, art = os.environ["EX_WORKSPACE"], os.environ["EX_ARTIFACTS"]
    env = dict(os.environ)
    for k, v in (ci.get("variables") or {}).items():
        env[k] = str(v)
    for rule in job.get("rules", [{"when": "always"}]):
        c = rule.get("if")
        if c is None:
            break
        m = re.fullmatch(r'\$(\w+) == "(.*)"', c.strip())
        if m and env.get(m.group(1)) == m.group(2):
            break
    else:
        print("job %s does not run here" % jobname)
        sys.exit(2)
    # default.before_script installs zonesync: emulated, it is on PATH
    script = "\n".join(job["script"])
    # the runner stops at the first failing line
    rc = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script], cwd=ws, env=env).returncode
    print("[%s] exit %d" % (jobname, rc))
    a = job.get("artifacts")
    if a and (rc == 0 or a.get("when") == "always"):
        d = os.path.join(art, "kept", jobname)
        os.makedirs(d, exist_ok=True)
        for p in a["paths"]:
            if os.path.exists(os.path.join(ws, p)):
                shutil.copy(os.path.join(ws, p), d)
        # GitLab's API serves the latest successful pipeline's archive for a ref
        if rc == 0:
            ref = os.environ["CI_COMMIT_REF_NAME"] if not os.environ.get("CI_MERGE_REQUEST_IID") else \
                "refs/merge-requests/%s/head" % os.environ["CI_MERGE_REQUEST_IID"]
            z = os.path.join(art, ref.replace("/", "%2F"))
            os.makedirs(z, exist_ok=True)
            with zipfile.ZipFile(os.path.join(z, jobname + ".zip"), "w") as zf:
                for p in a["paths"]:
                    if os.path.exists(os.path.join(ws, p)):
                        zf.write(os.path.join(ws, p), p)
    sys.exit(1 if rc else 0)


cmd = sys.argv[1]
if cmd == "cron":
    cron(sys.argv[2])
elif cmd == "systemd":
    systemd(sys.argv[2])
elif cmd == "github":
    github(sys.argv[2], sys.argv[3], sys.argv[4])
elif cmd == "gitlab":
    gitlab(sys.argv[2], sys.argv[3])
else:
    sys.exit(__doc__)
