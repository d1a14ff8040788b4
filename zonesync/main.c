/* main.c - zonesync entry point: global options and the one command table */
#include "cmd.h"
#include "provider.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct zsync_cmd commands[] = {
	{ "check", cmd_check, "parse and lint every zone at a ref, the index or the work tree" },
	{ "plan", cmd_plan, "what apply would change at each provider (--exit-code: 2 when changes are pending)" },
	{ "apply", cmd_apply, "plan, then push the changes to every provider" },
	{ "reconcile", cmd_reconcile, "for cron: compare every zone x provider, repair drift, catch up failed providers" },
	{ "verify", cmd_verify, "ask every provider's nameservers over DNS whether they serve what git says" },
	{ "delegation", cmd_delegation, "the NS (and DS) set the parent zone must hold, for a registrar (zone-file form or --json)" },
	{ "import", cmd_import, "write what a provider serves as a zone file (onboarding)" },
	{ "diff", cmd_diff, "record-level difference between two commits (no provider contacted)" },
	{ "hooks", cmd_hooks, "install the git hooks (pre-commit: check --index; pre-push: plan) into a repository" },
	{ "status", cmd_status, "health of every provider x zone, from the state database" },
	{ "history", cmd_history, "past runs and the changes they made" },
	{ "serve", cmd_serve, "the sync service: webhooks, scheduled reconcile and verify, /metrics, a status page" },
	{ "state", cmd_state, "the state database: check its integrity, prune old history" },
};

static int usage(FILE *out, const struct zsync_ctx *ctx)
{
	fprintf(out, "usage: zonesync [GLOBAL OPTIONS] COMMAND [OPTIONS] [ARGS]\n\n"
		     "Keeps DNS zones in git and serves them from several providers at once.\n\n"
		     "Commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-12s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "  %-12s %s\n", "help", "show the help of a command (zonesync help COMMAND; help help)");
	fprintf(out, "  %-12s %s\n", "", "provider types and their keys: zonesync help providers, help provider TYPE");
	fprintf(out, "\nGlobal options:\n");
	zsync_opt_print(out, ctx->global_opts);
	fprintf(out, "\nExit codes: 0 ok, 1 error or problems found, 2 changes pending or mismatch,\n"
		     "3 some provider failed, 4 refused by safety limits, 5 locked, 64 usage.\n");
	return out == stderr ? ZSYNC_EXIT_USAGE : ZSYNC_EXIT_OK;
}

static const struct zsync_cmd *find_cmd(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

/* "unknown command 'plna' (did you mean 'plan'?)": every command name and help's topics */
static int unknown_cmd(const char *name, const char *see)
{
	const char *cands[sizeof(commands) / sizeof(commands[0]) + 3];
	size_t n = 0;

	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		cands[n++] = commands[i].name;
	cands[n++] = "help";
	const char *near = zsync_suggest(name, cands, n);
	if (near)
		fprintf(stderr, "zonesync: unknown command '%s' (did you mean '%s'?)\n", name, near);
	else
		fprintf(stderr, "zonesync: unknown command '%s' (%s)\n", name, see);
	return ZSYNC_EXIT_USAGE;
}

static int help_help(void)
{
	printf("usage: zonesync help [COMMAND | providers | provider TYPE [--markdown] | help]\n\n"
	       "  zonesync help                 the commands and the global options\n"
	       "  zonesync help COMMAND         a command's usage and options (the same as COMMAND --help)\n"
	       "  zonesync help providers       every provider type and its configuration keys\n"
	       "  zonesync help provider TYPE   one provider type (--markdown: as docs/providers.md has it)\n"
	       "  zonesync help help            this text\n");
	return ZSYNC_EXIT_OK;
}

int main(int argc, char **argv)
{
	struct zsync_ctx ctx = { 0 };
	bool version = false;
	const struct zsync_opt global_opts[] = {
		{ 'c', "config", ZSYNC_OPT_STRING, &ctx.config_path, "FILE",
		  "configuration file (default: $ZONESYNC_CONFIG, else ./zonesync.toml)" },
		{ 'v', "verbose", ZSYNC_OPT_COUNT, &ctx.verbose, NULL, "say more (twice: debug)" },
		{ 'q', "quiet", ZSYNC_OPT_FLAG, &ctx.quiet, NULL, "print only problems" },
		{ 0, "no-color", ZSYNC_OPT_FLAG, &ctx.no_color, NULL, "never colour the output" },
		{ 'h', "help", ZSYNC_OPT_FLAG, &ctx.help, NULL, "show help" },
		{ 0, "version", ZSYNC_OPT_FLAG, &version, NULL, "show the version" },
		{ 0 },
	};
	const struct zsync_opt *const tables[] = { global_opts, NULL };
	struct zsync_err err = { 0 };
	int i;

	ctx.global_opts = global_opts;
	/* global options stand before the command; the command's own parser takes them after it too */
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		struct zsync_strlist pos = { 0 };
		int step = 1;
		const struct zsync_opt *o = NULL;
		/* options with a separate value take two words */
		if (argv[i][1] == '-') {
			for (o = global_opts; o->type; o++)
				if (strcmp(argv[i] + 2, o->long_name) == 0)
					break;
		} else if (argv[i][1] && !argv[i][2]) {
			for (o = global_opts; o->type; o++)
				if (o->short_name == argv[i][1])
					break;
		}
		if (o && o->type == ZSYNC_OPT_STRING)
			step = 2;
		if (i + step > argc)
			step = argc - i;
		if (zsync_opt_parse(tables, step, argv + i, &pos, &err) < 0) {
			fprintf(stderr, "zonesync: %s\n", err.msg);
			zsync_strlist_release(&pos);
			return ZSYNC_EXIT_USAGE;
		}
		zsync_strlist_release(&pos);
		i += step - 1;
	}
	ctx.color = !ctx.no_color && !getenv("NO_COLOR") && isatty(STDOUT_FILENO);
	if (version) {
		printf("zonesync %s\n", ZSYNC_VERSION);
		return ZSYNC_EXIT_OK;
	}
	if (i >= argc)
		return usage(ctx.help ? stdout : stderr, &ctx);
	if (strcmp(argv[i], "help") == 0) {
		if (i + 1 >= argc)
			return usage(stdout, &ctx);
		if (strcmp(argv[i + 1], "providers") == 0) {
			zsync_provider_describe_all(stdout);
			return ZSYNC_EXIT_OK;
		}
		if (strcmp(argv[i + 1], "provider") == 0) {
			bool md = i + 3 < argc && strcmp(argv[i + 3], "--markdown") == 0;
			const struct zsync_provider_type *t = i + 2 < argc ? zsync_provider_find(argv[i + 2]) : NULL;
			if (!t) {
				fprintf(stderr, "zonesync: help provider TYPE: %s%s%s (see zonesync help providers)\n",
					i + 2 < argc ? "unknown provider type '" : "which type?", i + 2 < argc ? argv[i + 2] : "",
					i + 2 < argc ? "'" : "");
				return ZSYNC_EXIT_USAGE;
			}
			zsync_provider_describe(stdout, t, md);
			return ZSYNC_EXIT_OK;
		}
		if (strcmp(argv[i + 1], "help") == 0)
			return help_help();
		const struct zsync_cmd *c = find_cmd(argv[i + 1]);
		if (!c)
			return unknown_cmd(argv[i + 1], "see zonesync help");
		ctx.help = true;
		return c->fn(0, argv + i + 2, &ctx);
	}
	const struct zsync_cmd *c = find_cmd(argv[i]);
	if (!c)
		return unknown_cmd(argv[i], "see zonesync --help");
	return c->fn(argc - i - 1, argv + i + 1, &ctx);
}
