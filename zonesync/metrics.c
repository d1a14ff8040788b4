/* metrics.c - Prometheus text from the state database: the --metrics textfile and serve's /metrics */
#include "metrics.h"
#include "err.h"
#include "state.h"

#include <stdlib.h>
#include <string.h>

struct metrics_ctx {
	FILE *f;
	const char *what;
};

void zsync_metrics_label(FILE *f, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			fputc('\\', f);
		if (*v == '\n') {
			fputs("\\n", f);
			continue;
		}
		fputc(*v, f);
	}
}

static int metric_cb(void *arg, const struct zsync_pair_status *p)
{
	struct metrics_ctx *m = arg;
	long long v = !strcmp(m->what, "last_success") ? p->last_success
		: !strcmp(m->what, "drift") ? p->drift_count : p->consecutive_failures;
	/* zone names may hold escaped octets (\\.) and provider names quotes: escaped, or a
	 * scraper would reject the whole file */
	fprintf(m->f, "zonesync_%s{zone=\"",
		!strcmp(m->what, "last_success") ? "last_success_timestamp_seconds"
		: !strcmp(m->what, "drift") ? "drift_total" : "consecutive_failures");
	zsync_metrics_label(m->f, p->zone);
	fputs("\",provider=\"", m->f);
	zsync_metrics_label(m->f, p->provider);
	fprintf(m->f, "\"} %lld\n", v);
	return 0;
}

void zsync_metrics_pairs(FILE *f, struct zsync_state *st)
{
	struct zsync_err err = { 0 };
	static const char *const what[] = { "last_success", "drift", "failures" };
	static const char *const help[] = {
		"# HELP zonesync_last_success_timestamp_seconds Last successful apply or check of a zone at a provider.\n# TYPE zonesync_last_success_timestamp_seconds gauge\n",
		"# HELP zonesync_drift_total Times reconcile found a provider changed behind zonesync's back.\n# TYPE zonesync_drift_total counter\n",
		"# HELP zonesync_consecutive_failures Failed attempts in a row for a zone at a provider.\n# TYPE zonesync_consecutive_failures gauge\n",
	};
	for (int i = 0; i < 3; i++) {
		struct metrics_ctx m = { f, what[i] };
		fputs(help[i], f);
		zsync_state_pairs(st, metric_cb, &m, &err);
	}
}

int zsync_metrics_write(const char *path, struct zsync_state *st, double seconds, int code)
{
	char *tmp = zsync_xasprintf("%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	if (!f) {
		free(tmp);
		return -1;
	}
	zsync_metrics_pairs(f, st);
	fprintf(f, "# HELP zonesync_run_duration_seconds Duration of the last reconcile.\n# TYPE zonesync_run_duration_seconds gauge\nzonesync_run_duration_seconds %.3f\n", seconds);
	fprintf(f, "# HELP zonesync_run_exit_code Exit code of the last reconcile.\n# TYPE zonesync_run_exit_code gauge\nzonesync_run_exit_code %d\n", code);
	int bad = fclose(f) != 0 || rename(tmp, path) != 0;
	free(tmp);
	return bad ? -1 : 0;
}
