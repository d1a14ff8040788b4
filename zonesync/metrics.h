/* metrics.h - Prometheus text from the state database */
#ifndef ZSYNC_METRICS_H
#define ZSYNC_METRICS_H

#include <stdio.h>

struct zsync_state;

/* Writes v as a Prometheus label value: backslash, double quote and newline escaped. */
void zsync_metrics_label(FILE *f, const char *v);

/* The provider x zone series (Prometheus text, HELP and TYPE included): --metrics and serve. */
void zsync_metrics_pairs(FILE *f, struct zsync_state *st);

/*
 * apply/reconcile --metrics PATH: a Prometheus textfile (node_exporter's textfile
 * collector) with the pairs and this run's duration and exit code, written atomically.
 * Returns 0 or -1 (errno).
 */
int zsync_metrics_write(const char *path, struct zsync_state *st, double seconds, int code);

#endif
