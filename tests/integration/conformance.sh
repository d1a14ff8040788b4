#!/bin/bash
# conformance.sh - the conformance corpus (tests/conformance/*.zone) through every provider
# type: zonefile (named), rfc2136 (named and knotd), powerdns (pdns_server), cloudflare, dyn,
# route53, gcloud, azure and ns1 (the fakes). One server of each, every corpus zone deployed to each provider under its
# own name (z-types.test. on zonefile, b-types.test. on rfc2136/named, ...), so that one run
# of each command covers all of them. For each provider and corpus zone:
#   refusal  what the provider cannot hold is refused per record in plan, before anything
#            is sent (the types Cloudflare and Dyn do not document)
#   apply    the zone is deployed
#   replan   a plan right after is in sync: the provider's read (AXFR, API or file) equals
#            git, with no perpetual diff
#   verify   verify --strict is consistent: every RRset served byte for byte as git has it
#            (names in rdata case-insensitive), nothing served beyond git
#   import   the provider's zone imported into a new repository plans to no change
# A case listed in XFAIL is a known provider bug owned by another change: its failure is
# reported as expected; once it passes, the entry must go (an unexpected pass fails).
set -u
. "$(dirname "$0")/lib.sh"

# provider:corpus  -> why it fails today (remove the entry with the fix)
declare -A XFAIL=(
	[bind:dnssec]="named answers SERVFAIL to an UPDATE that adds DNSKEYs to a zone it holds no private keys for (its log: could not get zone keys for secure dynamic update); an rfc2136 provider cannot know the server is BIND before sending: the error says so (issue 12 item 10)"
)

# provider:corpus -> the records ("owner TYPE", owner as written in the corpus file) the
# provider cannot hold: refused per record in plan (nothing sent), and left out of the
# copy deployed to it. Types a provider does not support at all (Cloudflare's and Dyn's
# rrtypes) are refused the same way and need no entry: they are skipped with
# unsupported = "skip" for the rest of the run.
CF_DYN_NAMES='dot\.inside TXT|space\032inside TXT|high\200byte TXT|nul\000byte TXT'
declare -A REFUSED=(
	[aws:txt]='len4000 TXT'
	[aws:misc]='bigtxt TXT'
	[cf:names]=$CF_DYN_NAMES
	[dyn:names]=$CF_DYN_NAMES
	[az:names]=$CF_DYN_NAMES
	[az:txt]='binary TXT'
	[ns1:names]=$CF_DYN_NAMES
	[ns1:txt]='binary TXT'
	[cf:txt]='empty TXT|empty2 TXT'
	[pdns:names]='dot\.inside TXT|space\032inside TXT|quote\"inside TXT|semi\;colon TXT|paren\(x\) TXT|at\@sign TXT|backslash\\name TXT|dollar\$sign TXT|high\200byte TXT|nul\000byte TXT|a.*.wild2 TXT'
)

CORPUS=$TOP/tests/conformance
KINDS=$(cd "$CORPUS" && ls *.zone | sed 's/\.zone$//' | tr '\n' ' ')
# provider name -> zone name prefix
declare -A PREFIX=([files]=z [bind]=b [knot]=k [pdns]=p [cf]=f [dyn]=d [aws]=r [gcp]=g [az]=m [ns1]=n)
PROVIDERS="files bind knot pdns cf dyn aws gcp az ns1"

T=$(mktemp -d /tmp/zonesync-conf-XXXXXX)
take_port BPORT || exit 1
take_port RNDC || exit 1
take_port KPORT || exit 1
take_port PPORT || exit 1
take_port PAPI || exit 1
take_port CPORT || exit 1
take_port DPORT || exit 1
take_port APORT || exit 1
take_port GPORT || exit 1
take_port MPORT || exit 1
take_port NPORT || exit 1
CF= DYN= AWS= GCP= AZ= NS1=
cleanup() {
	local f
	for f in "$CF" "$DYN" "$AWS" "$GCP" "$AZ" "$NS1"; do [ -n "$f" ] && kill "$f" 2>/dev/null && wait "$f" 2>/dev/null; done
	stop_servers
	[ -n "${KEEP:-}" ] && echo "kept $T" || rm -rf "$T"
}
trap cleanup EXIT

zones_of() { local k; for k in $KINDS; do printf '%s-%s.test ' "${PREFIX[$1]}" "$k"; done; }

tsig_key
STATIC_ZONES="$(zones_of files)" DYNAMIC_ZONES="$(zones_of bind)" SIGNED_ZONES="s-types.test" \
	start_server bind "$T/bind" "$BPORT" "$RNDC" || { echo "named did not start"; exit 1; }
ZONES="$(zones_of knot)" start_server knot "$T/knot" "$KPORT" || { echo "knotd did not start"; exit 1; }
start_pdns "$T/pdns" "$PPORT" "$PAPI" || { echo "pdns did not start"; exit 1; }
export CF_TOKEN=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
export DYN_PW=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
python3 "$TOP/tests/fakes/cloudflare.py" "$CPORT" "$CF_TOKEN" >"$T/cf.log" 2>&1 </dev/null &
CF=$!
python3 "$TOP/tests/fakes/dyn.py" "$DPORT" acme zonesync "$DYN_PW" >"$T/dyn.log" 2>&1 </dev/null &
DYN=$!
export R53_KEY_ID=AKIAFAKE$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n' | tr a-f A-F)
export R53_SECRET=$(head -c 30 /dev/urandom | base64 | tr -d '/+=')
python3 "$TOP/tests/fakes/route53.py" "$APORT" "$R53_KEY_ID" "$R53_SECRET" --rate 1000 >"$T/aws.log" 2>&1 </dev/null &
AWS=$!
GEMAIL=zonesync@zonesync-test.iam.gserviceaccount.com
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/key.pem" 2>/dev/null || exit 1
python3 - "$T/key.pem" "$GEMAIL" "$T/sa.json" <<'PY'
import json, sys
json.dump({"type": "service_account", "project_id": "zonesync-test", "private_key_id": "0123abcd",
           "private_key": open(sys.argv[1]).read(), "client_email": sys.argv[2],
           "token_uri": "https://oauth2.googleapis.com/token"}, open(sys.argv[3], "w"))
PY
chmod 600 "$T/sa.json"
python3 "$TOP/tests/fakes/gcloud.py" "$GPORT" "$GEMAIL" "$(openssl rsa -in "$T/key.pem" -noout -modulus | cut -d= -f2)" \
	>"$T/gcp.log" 2>&1 </dev/null &
GCP=$!
export AZ_SECRET=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
python3 "$TOP/tests/fakes/azure.py" "$MPORT" tenant-1 zonesync-app "$AZ_SECRET" >"$T/az.log" 2>&1 </dev/null &
AZ=$!
export NS1_KEY=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
python3 "$TOP/tests/fakes/ns1.py" "$NPORT" "$NS1_KEY" >"$T/ns1.log" 2>&1 </dev/null &
NS1=$!
wait_fake "$CF" "http://127.0.0.1:$CPORT/__requests" || exit 1
wait_fake "$DYN" "http://127.0.0.1:$DPORT/__requests" || exit 1
wait_fake "$AWS" "http://127.0.0.1:$APORT/__requests" || exit 1
wait_fake "$GCP" "http://127.0.0.1:$GPORT/__requests" || exit 1
wait_fake "$AZ" "http://127.0.0.1:$MPORT/__requests" || exit 1
wait_fake "$NS1" "http://127.0.0.1:$NPORT/__requests" || exit 1
for p in cf:$CPORT dyn:$DPORT aws:$APORT gcp:$GPORT az:$MPORT ns1:$NPORT; do
	for z in $(zones_of "${p%%:*}"); do curl -s -X POST "http://127.0.0.1:${p#*:}/__control" -d "{\"zone\": \"$z\"}" >/dev/null; done
done

# R0: the corpus as it is, for every provider (the refusal plan); R: without the records
# each provider is known to refuse (REFUSED), deployed
R0=$T/repo0
R=$T/repo
new_repo "$R0"
new_repo "$R"
# the REFUSED table for the python helpers: "provider:corpus<TAB>owner TYPE|..." lines
refused_table() { local k; for k in "${!REFUSED[@]}"; do printf '%s\t%s\n' "$k" "${REFUSED[$k]}"; done; }
refused_table > "$T/refused.tsv"
spec=""
for p in $PROVIDERS; do for k in $KINDS; do spec+="$p:$k:${PREFIX[$p]}-$k.test "; done; done
python3 - "$CORPUS" "$R0/zones" "$R/zones" "$T/refused.tsv" $spec <<'PY'
import sys
corpus, all_dir, deploy_dir, table = sys.argv[1:5]
refused = dict(l.rstrip("\n").split("\t", 1) for l in open(table) if l.strip())
for item in sys.argv[5:]:
    prov, kind, zone = item.split(":")
    drop = {tuple(x.rsplit(" ", 1)) for x in refused.get(prov + ":" + kind, "").split("|") if x}
    text = open("%s/%s.zone" % (corpus, kind)).read()
    open("%s/%s.zone" % (all_dir, zone), "w").write(text)
    with open("%s/%s.zone" % (deploy_dir, zone), "w") as out:
        for line in text.splitlines(True):
            f = line.split()
            if len(f) >= 3 and (f[0], f[2] if f[1] == "IN" else f[1]) in drop:
                continue
            out.write(line)
PY
# a zone named signs itself: its DNSKEY, RRSIG, NSEC and TYPE65534 records are named's
cp "$CORPUS/types.zone" "$R0/zones/s-types.test.zone"
cp "$CORPUS/types.zone" "$R/zones/s-types.test.zone"
git_commit "$R0" corpus
git_commit "$R" "corpus without the records each provider refuses"

# write_config FILE REPO UNSUPPORTED: every provider, every corpus zone on its own provider
write_config() {
	cat > "$1" <<CONF
[repo]
path = "$2"
[state]
path = "$T/state-$(basename "$1" .toml).db"
[defaults]
max_changes = 100000
max_update_pct = 100
max_delete_pct = 100
jobs = 6
[providers.files]
type = "zonefile"
directory = "$T/bind/zones"
reload_command = ["rndc", "-s", "127.0.0.1", "-p", "$RNDC", "-k", "$T/bind/rndc.key", "reload", "{zone}"]
nameservers = ["127.0.0.1:$BPORT"]
$(toml_rfc2136 bind "$BPORT")
$(toml_rfc2136 knot "$KPORT")
$(toml_powerdns pdns "$PAPI" "$PPORT")
[providers.cf]
type = "cloudflare"
url = "http://127.0.0.1:$CPORT/client/v4"
api_token = "env:CF_TOKEN"
unsupported = "$3"
[providers.dyn]
type = "dyn"
url = "http://127.0.0.1:$DPORT"
customer = "acme"
user = "zonesync"
password = "env:DYN_PW"
unsupported = "$3"
[providers.aws]
type = "route53"
url = "http://127.0.0.1:$APORT"
access_key_id = "env:R53_KEY_ID"
secret_access_key = "env:R53_SECRET"
rate_limit = "500/s"
unsupported = "$3"
[providers.gcp]
type = "gcloud"
url = "http://127.0.0.1:$GPORT"
token_url = "http://127.0.0.1:$GPORT/token"
credentials = "file:$T/sa.json"
unsupported = "$3"
[providers.az]
type = "azure"
url = "http://127.0.0.1:$MPORT"
authority = "http://127.0.0.1:$MPORT"
tenant_id = "tenant-1"
client_id = "zonesync-app"
client_secret = "env:AZ_SECRET"
subscription_id = "00000000-0000-0000-0000-000000000001"
resource_group = "zonesync"
unsupported = "$3"
[providers.ns1]
type = "ns1"
url = "http://127.0.0.1:$NPORT/v1"
api_key = "env:NS1_KEY"
unsupported = "$3"
CONF
	for p in $PROVIDERS; do
		for k in $KINDS; do
			printf '[[zones]]\nname = "%s-%s.test"\nproviders = ["%s"]\n' "${PREFIX[$p]}" "$k" "$p" >> "$1"
		done
	done
	printf '[[zones]]\nname = "s-types.test"\nproviders = ["bind"]\n' >> "$1"
}
CFG=$T/zonesync.toml
write_config "$CFG" "$R" skip
write_config "$T/strict-types.toml" "$R0" error
cd "$R"
echo "== conformance corpus ($KINDS) on zonefile+rfc2136 (named $BPORT), rfc2136 (knotd $KPORT), powerdns ($PPORT), cloudflare and dyn fakes"

# results: RES[provider:kind:step] = ok | FAIL: why
declare -A RES
fail_case() { # provider kind step why
	[ -n "${RES[$1:$2:$3]:-}" ] && [ "${RES[$1:$2:$3]}" != ok ] && return
	RES[$1:$2:$3]="FAIL: $4"
}
pass_case() { [ -z "${RES[$1:$2:$3]:-}" ] && RES[$1:$2:$3]=ok; }
kind_of() { local z=${1%.}; z=${z%.test}; echo "${z#?-}"; }
# the signed zone named signs itself (s-types.test. on the bind provider) is its own row
label_of() { case $1 in s-*) echo bind-signed ;; *) echo "$2" ;; esac; }
prov_of_zone() { local z=$1 p; for p in $PROVIDERS; do [ "${z:0:2}" = "${PREFIX[$p]}-" ] && echo "$p"; done; }

# json_entries FILE: "zone provider state|detail" lines from a plan/apply JSON document
json_entries() {
	python3 - "$1" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
for z in doc.get("zones", []):
    for p in z.get("providers", []):
        detail = p.get("error") or p.get("result_error") or ""
        changes = p.get("changes", [])
        if not detail and changes:
            detail = "; ".join("%s %s %s" % (c["op"], c["owner"], c["type"]) for c in changes[:6])
        print("%s\t%s\t%s\t%s" % (z["zone"], p["provider"], p.get("result", p.get("state")), detail.replace("\n", " ")[:100000]))
PY
}

# 1. refusal: with unsupported = "error" and the whole corpus, what a provider cannot hold
# is refused per record in plan (every such record named), and nothing is written
echo "== refusal (at ${SECONDS}s)"; "$ZONESYNC" -c "$T/strict-types.toml" --no-color plan --format json > "$T/refusal.json" 2>"$T/refusal.err"
while IFS=$'\t' read -r zone prov verdict; do
	prov=$(label_of "$zone" "$prov")
	k=$(kind_of "$zone")
	if [ "$verdict" = ok ]; then pass_case "$prov" "$k" refusal; else fail_case "$prov" "$k" refusal "${verdict#FAIL: }"; fi
done < <(python3 - "$T/refusal.json" "$T/refused.tsv" <<'PY'
import json, sys
refused = dict(l.rstrip("\n").split("\t", 1) for l in open(sys.argv[2]) if l.strip())
def verdict(zone, prov, state, detail, want):
    if state != "error":
        return "ok" if not want else "FAIL: nothing refused, expected: " + ", ".join(sorted(want))
    head = "provider '%s': zone '%s': " % (prov, zone)
    if not detail.startswith(head):
        return "FAIL: not a refusal: " + detail
    got, other = set(), []
    for item in detail[len(head):].split("; "):
        what, _, why = item.partition(": ")
        if "record type not supported by provider" in why:
            continue
        if "cannot hold it" in why:
            owner, typ = what.rsplit(" ", 1)
            rel = owner[:-len(zone) - 1] if owner.endswith("." + zone) else owner
            got.add(rel + " " + typ)
        else:
            other.append(item)
    if other:
        return "FAIL: not per-record refusals: " + "; ".join(other)[:300]
    if got != want:
        return "FAIL: refused %s; expected %s" % (", ".join(sorted(got)) or "nothing", ", ".join(sorted(want)) or "nothing")
    return "ok"
for z in json.load(open(sys.argv[1]))["zones"]:
    for p in z["providers"]:
        zone, prov = z["zone"], p["provider"]
        kind = zone.rstrip(".")[2:-len(".test")]
        want = {x for x in refused.get(prov + ":" + kind, "").split("|") if x}
        v = verdict(zone, prov, p.get("state"), (p.get("error") or "").replace("\n", " "), want)
        print("%s\t%s\t%s" % (zone, prov, v))
PY
)
writes() { curl -s "http://127.0.0.1:$1/__requests" | python3 -c 'import json,sys; print(sum(1 for x in json.load(sys.stdin) if x["method"] not in ("GET",) and "Session" not in x["path"]))'; }
same "refusal plan: nothing written to Cloudflare" "$(writes "$CPORT")" 0
same "refusal plan: nothing written to Dyn" "$(writes "$DPORT")" 0
same "refusal plan: nothing written to Route 53" "$(curl -s "http://127.0.0.1:$APORT/__requests" | python3 -c 'import json,sys; print(sum(1 for x in json.load(sys.stdin) if x.get("op")=="ChangeResourceRecordSets"))')" 0

# 2. apply (unsupported = "skip" for the fakes: the rest of each zone goes)
# --force: git's apex NS replaces Route 53's and Cloud DNS's own (a protected change)
echo "== apply (at ${SECONDS}s)"; "$ZONESYNC" -c "$CFG" --no-color apply --force --json > "$T/apply.json" 2>"$T/apply.err"
while IFS=$'\t' read -r zone prov state detail; do
	prov=$(label_of "$zone" "$prov")
	k=$(kind_of "$zone")
	case $state in
	changed|in-sync) pass_case "$prov" "$k" apply ;;
	*) fail_case "$prov" "$k" apply "$state: $detail" ;;
	esac
done < <(python3 - "$T/apply.json" <<'PY'
import json, sys
for r in json.load(open(sys.argv[1]))["results"]:
    print("%s\t%s\t%s\t%s" % (r["zone"], r["provider"], r["result"], (r.get("error") or "").replace("\n", " ")[:400]))
PY
)

contains "named's SERVFAIL on DNSKEYs it holds no keys for is explained, naming the record" "$(cat "$T/apply.json")" "the message adds b-dnssec.test. DNSKEY: BIND answers SERVFAIL to an update that adds DNSKEY/CDS/CDNSKEY to a zone it holds no private keys for"

# 3. replan: in sync everywhere (the provider's read equals git)
echo "== replan (at ${SECONDS}s)"; "$ZONESYNC" -c "$CFG" --no-color plan --format json > "$T/replan.json" 2>"$T/replan.err"
while IFS=$'\t' read -r zone prov state detail; do
	prov=$(label_of "$zone" "$prov")
	k=$(kind_of "$zone")
	if [ "$state" = in-sync ]; then pass_case "$prov" "$k" replan; else fail_case "$prov" "$k" replan "$state: $detail"; fi
done < <(json_entries "$T/replan.json")

# 4. verify --strict: served byte for byte (the fakes serve no DNS: not applicable)
echo "== verify (at ${SECONDS}s)"; "$ZONESYNC" -c "$CFG" --no-color verify --strict --json > "$T/verify.json" 2>"$T/verify.err"
while IFS=$'\t' read -r zone prov state detail; do
	prov=$(label_of "$zone" "$prov")
	k=$(kind_of "$zone")
	if [ "$state" = consistent ] && [ -z "$detail" ]; then pass_case "$prov" "$k" verify
	else fail_case "$prov" "$k" verify "$state: $detail"; fi
done < <(python3 - "$T/verify.json" <<'PY'
import json, sys
for j in json.load(open(sys.argv[1])):
    d = "; ".join(j.get("problems", [])[:4]) or (j.get("error") or "")
    if j.get("strict_note"):
        d = (d + "; " if d else "") + j["strict_note"]
    print("%s\t%s\t%s\t%s" % (j["zone"], j["provider"], j["state"], d.replace("\n", " ")[:400]))
PY
)

# 5. import: each provider's zones into a new repository, which plans to no change
echo "== import (at ${SECONDS}s)"; I=$T/imported
new_repo "$I"
for p in $PROVIDERS; do
	for k in $KINDS; do
		z=${PREFIX[$p]}-$k.test
		if ! "$ZONESYNC" -c "$CFG" import --provider "$p" --zone "$z" -o "$I/zones/$z.zone" > "$T/import-$z.log" 2>&1; then
			fail_case "$p" "$k" import "import failed: $(tail -1 "$T/import-$z.log")"
		fi
	done
done
if ! "$ZONESYNC" -c "$CFG" import --provider bind --zone s-types.test -o "$I/zones/s-types.test.zone" > "$T/import-s.log" 2>&1; then
	fail_case bind-signed types import "import failed: $(tail -1 "$T/import-s.log")"
fi
git_commit "$I" imported
sed "s|^path = \"$R\"|path = \"$I\"|" "$CFG" > "$T/imported.toml"
"$ZONESYNC" -c "$T/imported.toml" --no-color plan --format json > "$T/imported.json" 2>"$T/imported.err"
while IFS=$'\t' read -r zone prov state detail; do
	prov=$(label_of "$zone" "$prov")
	k=$(kind_of "$zone")
	if [ "$state" = in-sync ]; then pass_case "$prov" "$k" import; else fail_case "$prov" "$k" import "$state: $detail"; fi
done < <(json_entries "$T/imported.json")

# the matrix, and the verdict per case (XFAIL taken into account)
STEPS="refusal apply replan verify import"
printf '\n%-6s %-8s %s\n' provider corpus "refusal apply replan verify import"
for p in $PROVIDERS bind-signed; do
	for k in $KINDS; do
		[ "$p" = bind-signed ] && [ "$k" != types ] && continue
		line="" bad=""
		for s in $STEPS; do
			r=${RES[$p:$k:$s]:-n/a}
			case $r in ok) line+=" ok     " ;; n/a) line+=" -      " ;; *) line+=" FAIL   "; bad+="    $s: ${r#FAIL: }"$'\n' ;; esac
		done
		printf '%-6s %-8s%s\n' "$p" "$k" "$line"
		x=${XFAIL[$p:$k]:-}
		if [ -n "$bad" ] && [ -n "$x" ]; then
			echo "  expected failure ($x):"; printf '%s' "$bad"
			ok "$p $k: expected failure (XFAIL)"
		elif [ -n "$bad" ]; then
			printf '%s' "$bad"
			nok "$p $k"
		elif [ -n "$x" ]; then
			nok "$p $k passes now: remove it from XFAIL in $0 ($x)"
		else
			ok "$p $k"
		fi
	done
done
finish
