// SPDX-License-Identifier: MIT
/*
 * The fuzz targets without a fuzzing engine: every file of the directories
 * (or the files) given is read and fed once to LLVMFuzzerTestOneInput, in
 * name order, so that the plain test build replays every corpus and a crash
 * found by libFuzzer stays a regression test. With clang, -fsanitize=fuzzer
 * supplies main() instead and this file is not linked.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tdxup/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Optional in a target, as with libFuzzer. */
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static int replay_file(const char *path, size_t *nr)
{
	uint8_t *buf;
	size_t len;
	int ret = read_file(path, &buf, &len);

	if (ret) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(-ret));
		return ret;
	}
	/* An empty file still gets a valid (non-NULL) pointer, as libFuzzer passes. */
	LLVMFuzzerTestOneInput(len ? buf : (const uint8_t *)"", len);
	free(buf);
	(*nr)++;
	return 0;
}

static int replay_dir(const char *dir, size_t *nr)
{
	struct dirent **ents;
	char path[4096];
	int n, ret = 0;

	n = scandir(dir, &ents, NULL, alphasort);
	if (n < 0) {
		fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
		return -errno;
	}
	for (int i = 0; i < n; i++) {
		if (!ret && ents[i]->d_name[0] != '.') {
			snprintf(path, sizeof(path), "%s/%s", dir, ents[i]->d_name);
			ret = replay_file(path, nr);
		}
		free(ents[i]);
	}
	free(ents);
	return ret;
}

int main(int argc, char **argv)
{
	size_t nr = 0;
	struct stat st;
	int ret = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR|FILE...\n", argv[0]);
		return 2;
	}
	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc && !ret; i++) {
		if (stat(argv[i], &st)) {
			fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
			return 1;
		}
		ret = S_ISDIR(st.st_mode) ? replay_dir(argv[i], &nr) : replay_file(argv[i], &nr);
	}
	if (ret)
		return 1;
	/* A corpus that went missing must not pass as "nothing crashed". */
	if (!nr) {
		fprintf(stderr, "replay: no inputs\n");
		return 1;
	}
	printf("replayed %zu inputs\n", nr);
	return 0;
}
