/* fuzz_toml.c - libFuzzer target: the TOML parser on arbitrary bytes */
#include <stddef.h>
#include <stdint.h>

#include "toml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct zsync_err err = { 0 };
	struct zsync_toml *t = zsync_toml_parse((const char *)data, size, &err);
	zsync_toml_free(t);
	return 0;
}
