#!/bin/bash
# ux.sh - what an operator reads: every command's help against its parser, help help,
# did-you-mean for commands and options, diff --json, plan -q with a failed provider,
# the README and man page naming every command. No DNS server: a provider on a closed
# port fails and a zonefile provider in a temp directory works.
set -u
. "$(dirname "$0")/lib.sh"

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

echo "-- help VERB for every verb agrees with the verb's parser"
VERBS=$("$ZONESYNC" --help | sed -n '/^Commands:/,/^$/p' | awk 'NR > 1 && $1 != "" && $1 != "help" { print $1 }' | grep -v '^provider')
same "the command list is there" "$(echo "$VERBS" | wc -l | tr -d ' ')" "$(echo "$VERBS" | wc -l | tr -d ' ')"
[ "$(echo "$VERBS" | wc -w)" -ge 12 ] && ok "at least 12 commands listed" || nok "commands listed: $VERBS"
for v in $VERBS; do
	H=$("$ZONESYNC" help "$v" 2>&1)
	rc=$?
	[ $rc = 0 ] || { nok "help $v: exit $rc"; continue; }
	# the usage lines (up to "Options:") and the option list (the parser's own table):
	# every listed option (its -x or its --name) is in the usage line, and back
	usage=$(printf '%s\n' "$H" | sed -n '1,/^Options:/p' | grep -v '^Options:')
	table=$(printf '%s\n' "$H" | sed -n '/^Options:/,/^$/p' | sed -n 's/^  \(-[a-zA-Z], \)\{0,1\} *\(--[a-z][a-z0-9-]*\).*/\1\2/p')
	missing=""
	listed=""
	while read -r short long; do
		[ -n "$short" ] || continue
		if [ -z "$long" ]; then long=$short; short=""; fi
		short=${short%,}
		listed="$listed $long"
		printf '%s\n' "$usage" | grep -q -- "$long\b" && continue
		[ -n "$short" ] && printf '%s\n' "$usage" | grep -q -- "\(^\|[[ ]\)$short\b" && continue
		missing="$missing $long"
	done <<< "$table"
	extra=""
	for o in $(printf '%s\n' "$usage" | grep -o -- '--[a-z][a-z0-9-]*' | sort -u); do
		case " $listed " in *" $o "*) ;; *) extra="$extra $o" ;; esac
	done
	same "help $v: the usage line names every option the parser takes" "$missing" ""
	same "help $v: the usage line names no option the parser lacks" "$extra" ""
	# the parser takes every listed option: --help first, so nothing runs
	bad=""
	for o in $listed; do
		out=$("$ZONESYNC" "$v" --help "$o" 2>&1)
		if [ $? != 0 ] && printf '%s' "$out" | grep -q "needs a value"; then
			out=$("$ZONESYNC" "$v" --help "$o=1" 2>&1)
		fi
		printf '%s' "$out" | grep -q '^usage: ' && ! printf '%s' "$out" | grep -q '^zonesync: ' || bad="$bad $o($out)"
	done
	same "help $v: the parser takes every listed option" "$bad" ""
done

echo "-- help help, did you mean"
expect_exit 0 "zonesync help help" "$ZONESYNC" help help
contains "help help says what help does" "$OUT" "zonesync help providers"
expect_exit 0 "zonesync help providers" "$ZONESYNC" help providers
contains "it lists the provider types" "$OUT" "powerdns"
expect_exit 64 "zonesync plna" "$ZONESYNC" plna
contains "a misspelt command gets a suggestion" "$OUT" "did you mean 'plan'?"
expect_exit 64 "zonesync help aply" "$ZONESYNC" help aply
contains "also in help" "$OUT" "did you mean 'apply'?"
expect_exit 64 "zonesync xyzzy" "$ZONESYNC" xyzzy
contains "nothing close: no suggestion, a pointer" "$OUT" "see zonesync --help"
expect_exit 64 "plan --exit-cod" "$ZONESYNC" plan --exit-cod
contains "a misspelt option gets a suggestion" "$OUT" "did you mean '--exit-code'?"

echo "-- reconcile lists and takes only its own options"
expect_exit 0 "help reconcile" "$ZONESYNC" help reconcile
for o in --ref --dry-run --plan --prune-zones --fetch --allow-older; do
	if printf '%s\n' "$OUT" | grep -q -- "$o\b"; then nok "help reconcile lists $o"; else ok "help reconcile does not list $o"; fi
done
expect_exit 64 "reconcile --ref HEAD" "$ZONESYNC" reconcile --ref HEAD
contains "it says why" "$OUT" "reconcile has no --ref"

echo "-- the README and the man page name every command"
for v in $VERBS; do
	sed -n '/^## Commands/,/^## /p' "$TOP/README.md" | grep -q "\`$v[ \`]" &&
		ok "README's command table has $v" || nok "README's command table has no $v"
	sed -n '/^\.SH COMMANDS/,/^\.SH [^C]/p' "$TOP/docs/zonesync.1" | grep -q "^\.B $v\b\|\\\\fB$v\\\\fR" &&
		ok "man page's COMMANDS has $v" || nok "man page's COMMANDS has no $v"
done

echo "-- a repository, a working provider and one that is down"
git init -q -b main "$T/r" && mkdir -p "$T/r/zones" "$T/out"
cp "$TOP/zones/example.com.zone" "$T/r/zones/"
git_commit "$T/r" one
sed -i 's/^www /web /' "$T/r/zones/example.com.zone"
git_commit "$T/r" two
cat > "$T/c.toml" <<EOF
[repo]
path = "$T/r"
[state]
path = "$T/state.db"
[providers.files]
type = "zonefile"
directory = "$T/out"
[providers.down]
type = "powerdns"
url = "http://127.0.0.1:1"
api_key = "env:UX_KEY"
[[zones]]
name = "example.com."
providers = ["files", "down"]
EOF
export UX_KEY=unused

echo "-- diff --json prints JSON"
J=$("$ZONESYNC" -c "$T/c.toml" diff --json HEAD~1 HEAD)
rc=$?
same "diff --json exits 0" "$rc" 0
if printf '%s' "$J" | python3 -c 'import json,sys; d=json.load(sys.stdin); z=d["zones"][0]; assert z["status"]=="changed" and d["changes"]==2, d'; then
	ok "diff --json is JSON with the zone changed and 2 RRset changes"
else
	nok "diff --json: not the JSON wanted: $(printf '%s' "$J" | head -5)"
fi
T2=$("$ZONESYNC" -c "$T/c.toml" diff HEAD~1 HEAD)
contains "diff without --json stays text" "$T2" "2 RRset changes between"

echo "-- plan -q prints every failure and nothing else"
expect_exit 3 "plan -q with a provider down" "$ZONESYNC" -q -c "$T/c.toml" plan
contains "the failure is printed" "$OUT" "zone example.com.: provider down (powerdns): FAILED:"
contains "it says why" "$OUT" "127.0.0.1 port 1"
if printf '%s\n' "$OUT" | grep -q '^ *+ '; then nok "-q printed changes"; else ok "-q printed no changes"; fi
expect_exit 0 "plan -q with only the working provider" "$ZONESYNC" -q -c "$T/c.toml" plan --provider files
same "nothing printed when nothing failed" "$OUT" ""

echo "-- output that scales: identical results printed once, --summary, automatic on a terminal"
mkdir -p "$T/out2"
sed 's|^\[providers.down\]|[providers.files2]\ntype = "zonefile"\ndirectory = "'"$T"'/out2"\n[providers.down]|; s|^providers = \["files", "down"\]|providers = ["files", "down", "files2"]|' "$T/c.toml" > "$T/c2.toml"
expect_exit 3 "plan with two providers needing the same changes" "$ZONESYNC" -c "$T/c2.toml" plan
contains "they are printed once, naming both" "$OUT" "  files (zonefile), files2 (zonefile): 24 changes (24 create, 0 update, 0 delete)"
same "each change once" "$(printf '%s\n' "$OUT" | grep -c '^    + www.example.com. ')" 0
same "each change once (web)" "$(printf '%s\n' "$OUT" | grep -c '^    + web.example.com. ')" 1
contains "the failed one apart" "$OUT" "  down (powerdns): FAILED:"
expect_exit 3 "plan --summary" "$ZONESYNC" -c "$T/c2.toml" plan --summary
same "no change listed" "$(printf '%s\n' "$OUT" | grep -c '^    + ')" 0
contains "the counts are" "$OUT" "files (zonefile), files2 (zonefile): 24 changes"
for i in $(seq 1 120); do echo "h$i A 192.0.2.$i"; done >> "$T/r/zones/example.com.zone"
git_commit "$T/r" big
if command -v script >/dev/null; then
	S=$(script -qec "'$ZONESYNC' -c '$T/c2.toml' --no-color plan --provider files --provider files2" /dev/null)
	contains "over 200 changes on a terminal: the summary" "$S" "(a summary of 288 changes: --no-summary prints every one"
	same "and no change listed" "$(printf '%s\n' "$S" | grep -c '^    + ')" 0
	S=$(script -qec "'$ZONESYNC' -c '$T/c2.toml' --no-color plan --provider files --provider files2 --no-summary" /dev/null)
	same "--no-summary lists every change" "$(printf '%s\n' "$S" | grep -c '^    + ')" 151
fi
S=$("$ZONESYNC" -c "$T/c2.toml" plan --provider files --provider files2)
same "not a terminal (CI): every change" "$(printf '%s\n' "$S" | grep -c '^    + ')" 151

if command -v script >/dev/null; then
	S=$(env -u CI script -qec "'$ZONESYNC' -c '$T/c2.toml' --no-color plan --summary" /dev/null)
	contains "a terminal shows progress while providers are read" "$S" "[reading 3/3] example.com. at "
	S=$(CI=true script -qec "'$ZONESYNC' -c '$T/c2.toml' --no-color plan --summary" /dev/null)
	if printf '%s' "$S" | grep -q 'reading'; then nok "progress in CI (\$CI set)"; else ok "no progress in CI, even on a terminal"; fi
	S=$(script -qec "'$ZONESYNC' -q -c '$T/c2.toml' --no-color plan" /dev/null)
	if printf '%s' "$S" | grep -q 'reading'; then nok "-q showed progress"; else ok "-q shows no progress"; fi
fi
S=$("$ZONESYNC" -c "$T/c2.toml" plan --summary 2>&1)
if printf '%s' "$S" | grep -q 'reading'; then nok "progress without a terminal"; else ok "no progress without a terminal (CI)"; fi

echo "-- verify shows progress on a terminal, as plan does"
sed 's|^directory = "'"$T"'/out"$|directory = "'"$T"'/out"\nnameservers = ["127.0.0.1:1", "127.0.0.1:2"]|; s|^providers = \["files", "down"\]|providers = ["files"]|' "$T/c.toml" > "$T/v.toml"
if command -v script >/dev/null; then
	S=$(env -u CI script -qec "'$ZONESYNC' -c '$T/v.toml' --no-color verify --timeout 300" /dev/null)
	contains "a terminal shows progress while servers are asked" "$S" "[verifying 2/2] example.com. at files @127.0.0.1:"
	contains "then the report" "$S" "verified 2 servers: 0 consistent, 0 with mismatches, 2 unreachable"
	S=$(env -u CI script -qec "'$ZONESYNC' -q -c '$T/v.toml' --no-color verify --timeout 300" /dev/null)
	if printf '%s' "$S" | grep -q 'verifying'; then nok "verify -q showed progress"; else ok "verify -q shows no progress"; fi
	S=$(CI=true script -qec "'$ZONESYNC' -c '$T/v.toml' --no-color verify --timeout 300" /dev/null)
	if printf '%s' "$S" | grep -q 'verifying'; then nok "verify showed progress in CI"; else ok "verify shows no progress in CI"; fi
fi
expect_exit 2 "verify, not on a terminal" env -u CI "$ZONESYNC" -c "$T/v.toml" verify --timeout 300
if printf '%s' "$OUT" | grep -q 'verifying'; then nok "verify progress without a terminal"; else ok "no verify progress without a terminal"; fi
echo "-- hooks install finds the hooks of its own prefix, else says how to name them"
git init -q -b main "$T/hr"
expect_exit 1 "hooks install from a build tree without ZONESYNC_HOOKS" env -u ZONESYNC_HOOKS "$ZONESYNC" hooks install --repo "$T/hr"
contains "the error names --from" "$OUT" "--from DIR"
contains "and ZONESYNC_HOOKS" "$OUT" "ZONESYNC_HOOKS=DIR"
mkdir -p "$T/prefix/bin" "$T/prefix/share/zonesync/hooks"
cp "$ZONESYNC" "$T/prefix/bin/zonesync"
cp "$TOP/hooks/pre-commit" "$TOP/hooks/pre-push" "$T/prefix/share/zonesync/hooks/"
expect_exit 0 "an installed zonesync finds PREFIX/share/zonesync/hooks" env -u ZONESYNC_HOOKS "$T/prefix/bin/zonesync" hooks install --repo "$T/hr"
same "pre-commit is linked to the prefix's hook" "$(readlink "$T/hr/.git/hooks/pre-commit")" "$T/prefix/share/zonesync/hooks/pre-commit"
expect_exit 0 "--from wins" env -u ZONESYNC_HOOKS "$T/prefix/bin/zonesync" hooks install --repo "$T/hr" --from "$T/prefix/share/zonesync/hooks"
contains "and it is already installed" "$OUT" "pre-push: already installed"

echo "-- lint: missing trailing dot, dangling CNAME, silenced per record, per zone, everywhere"
git init -q -b main "$T/l" && mkdir -p "$T/l/zones"
cat > "$T/l/zones/acme.test.zone" <<'EOF'
$TTL 300
@ SOA ns1 hostmaster 1 3600 600 86400 300
@ NS ns1
ns1 A 192.0.2.1
shop CNAME shops.example.net
old CNAME gone
kept CNAME gone2 ; during the move, zonesync: ignore dangling
@ MX 10 mail.example.com ; zonesync: ignore no-address
EOF
cat > "$T/l.toml" <<EOF
[repo]
path = "$T/l"
[providers.m]
type = "memory"
[[zones]]
name = "acme.test"
providers = ["m"]
EOF
expect_exit 0 "check: warnings only" "$ZONESYNC" -c "$T/l.toml" check --worktree
contains "shop's missing dot, on its own line, at the target's column" "$OUT" "zones/acme.test.zone:5:12: warning: shop.acme.test. CNAME target shops.example.net.acme.test. does not exist: shops.example.net. without its trailing dot?"
contains "old's dangling target, on its own line" "$OUT" "zones/acme.test.zone:6:11: warning: old.acme.test. CNAME target gone.acme.test. has no records in the zone"
contains "the MX's missing dot (the comment ignores another rule)" "$OUT" "zones/acme.test.zone:8:9: warning: acme.test. MX target mail.example.com.acme.test."
if printf '%s' "$OUT" | grep -q "kept.acme.test"; then nok "the ignore comment did not silence kept"; else ok "'; zonesync: ignore dangling' silences that record"; fi
contains "three warnings" "$OUT" "0 errors, 3 warnings"
# issue 19: a record added later, far from the rest of its RRset (the model keeps the
# RRset's first line only), and one in an $INCLUDEd file: each reported at its own line
git init -q -b main "$T/rl" && mkdir -p "$T/rl/zones/inc"
{ printf '$TTL 300\n@ SOA ns1 hostmaster 1 3600 600 86400 300\n@ NS ns1\nns1 A 192.0.2.1\n'
  printf 'mx1 A 192.0.2.25\n\n\n\n@ MX 10 mx1\n$INCLUDE inc/mail.inc\n'
  for i in $(seq 11 34); do printf 'h%s A 192.0.2.%s\n' "$i" "$i"; done
  printf '@ MX 20 mx2.acme.test.\n@ MX 5 mx0 ; zonesync: ignore no-address\n'
  printf 'old CNAME ( ; zonesync: ignore dangling\n  gone )\nold2 CNAME (\n  gone2 )\n'
  printf 'x A 192.0.2.9\nx A ( ; zonesync: ignore duplicate\n  192.0.2.9 )\ny A 192.0.2.10\ny A (\n  192.0.2.10 )\n'; } > "$T/rl/zones/acme.test.zone"
printf '; mail routed through the backup site\n@ MX 30 backup\n@ MX 40 relay ; zonesync: ignore no-address\n' > "$T/rl/zones/inc/mail.inc"
sed "s|$T/l\"|$T/rl\"|" "$T/l.toml" > "$T/rl.toml"
expect_exit 0 "check: an RRset written in three places" "$ZONESYNC" -c "$T/rl.toml" check --worktree
contains "the MX added at line 35 is reported at line 35 (not the RRset's line 9), at its target" "$OUT" "zones/acme.test.zone:35:9: warning: acme.test. MX target mx2.acme.test. has no A or AAAA record in the zone [no-address]"
contains "the MX in the included file at its own file and line" "$OUT" "zones/inc/mail.inc:2:9: warning: acme.test. MX target backup.acme.test. has no A or AAAA record in the zone [no-address]"
if printf '%s' "$OUT" | grep -q "mx0\|relay"; then nok "an ignore comment on a record's own line did not silence it"; else ok "an ignore comment on the record's own line silences it (here and in the included file)"; fi
contains "a record over two lines is reported at its first line" "$OUT" "zones/acme.test.zone:39: warning: old2.acme.test. CNAME target gone2.acme.test. has no records"
if printf '%s' "$OUT" | grep -q "old.acme.test"; then nok "the ignore comment on a multi-line record's first line did not silence it"; else ok "the ignore comment on a multi-line record's first line silences it"; fi
contains "the parser's duplicate over two lines, at its first line" "$OUT" "zones/acme.test.zone:45: warning: duplicate record y.acme.test. A"
if printf '%s' "$OUT" | grep -q "duplicate record x"; then nok "the ignore comment on a multi-line duplicate's first line did not silence it"; else ok "and an ignore comment there silences it"; fi
contains "four warnings" "$OUT" "0 errors, 4 warnings"
sed 's/^providers = \["m"\]$/providers = ["m"]\nlint_disable = ["dangling"]/' "$T/l.toml" > "$T/l2.toml"
expect_exit 0 "check with the zone's lint_disable" "$ZONESYNC" -c "$T/l2.toml" check --worktree
contains "dangling is off for the zone" "$OUT" "0 errors, 2 warnings"
sed 's/^\[providers.m\]/[defaults]\nlint_disable = ["missing-dot", "dangling"]\n[providers.m]/' "$T/l.toml" > "$T/l3.toml"
expect_exit 0 "check with [defaults] lint_disable" "$ZONESYNC" -c "$T/l3.toml" check --worktree
contains "everything silenced" "$OUT" "0 errors, 0 warnings"
sed 's/^\[providers.m\]/[defaults]\nlint_disable = ["danglng", "cname-loop"]\n[providers.m]/' "$T/l.toml" > "$T/l4.toml"
expect_exit 1 "lint_disable with a misspelt rule and an error rule" "$ZONESYNC" -c "$T/l4.toml" check --worktree
contains "did you mean" "$OUT" "defaults.lint_disable: no lint rule 'danglng' (did you mean 'dangling'?)"
contains "an error cannot be disabled" "$OUT" "'cname-loop' cannot be disabled"
printf 'bad A 192.0.2.300\n' >> "$T/l/zones/acme.test.zone"
expect_exit 1 "a syntax error" "$ZONESYNC" -c "$T/l.toml" check --worktree
contains "check says the other rules did not run" "$OUT" "the other lint rules were not run on this zone"
contains "the error has line, column, the token and a hint" "$OUT" "zones/acme.test.zone:9:7: error: invalid IPv4 address '192.0.2.300' (an A record holds one IPv4 address"
printf 'blog 3600 IN MX mail.acme.test.\nfoo IN AA 192.0.2.1\n' >> "$T/l/zones/acme.test.zone"
expect_exit 1 "the issue's two examples" "$ZONESYNC" -c "$T/l.toml" check --worktree
contains "MX without its preference" "$OUT" "zones/acme.test.zone:10:17: error: invalid number 'mail.acme.test.' (MX data is PREFERENCE EXCHANGE"
contains "a misspelt type" "$OUT" "zones/acme.test.zone:11:8: error: unsupported record type 'AA' (did you mean A?)"
same "one error per problem" "$(printf '%s\n' "$OUT" | grep -c 'error:')" 3

finish
