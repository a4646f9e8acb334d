// SPDX-License-Identifier: MIT
#include "atomic_file.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int atomic_file__open(struct atomic_file *af, const char *path, char *why, size_t why_len)
{
	int fd;

	memset(af, 0, sizeof(*af));
	af->path = path;
	if (!strcmp(path, "-")) {
		af->f = stdout;
		return 0;
	}
	ks_format(af->tmp, sizeof(af->tmp), "%s.tmp.XXXXXX", path);
	fd = mkstemp(af->tmp);
	if (fd < 0) {
		ks_format(why, why_len, "cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	/* mkstemp makes it 0600; a picture is for sharing. */
	fchmod(fd, 0644);
	af->f = fdopen(fd, "w");
	if (!af->f) {
		ks_format(why, why_len, "cannot write %s: %s", path, strerror(errno));
		close(fd);
		unlink(af->tmp);
		return -1;
	}
	return 0;
}

int atomic_file__commit(struct atomic_file *af, char *why, size_t why_len)
{
	int err = 0;

	if (af->f == stdout) {
		if (fflush(stdout) == EOF) {
			ks_format(why, why_len, "cannot write to standard output: %s", strerror(errno));
			return -1;
		}
		return 0;
	}
	if (fflush(af->f) == EOF || ferror(af->f))
		err = errno ? errno : EIO;
	if (!err && fsync(fileno(af->f)) < 0 && errno != EINVAL && errno != EROFS)
		err = errno;
	if (fclose(af->f) == EOF && !err)
		err = errno;
	af->f = NULL;
	if (!err && rename(af->tmp, af->path) < 0)
		err = errno;
	if (err) {
		ks_format(why, why_len, "cannot write %s: %s", af->path, strerror(err));
		unlink(af->tmp);
		return -1;
	}
	return 0;
}

void atomic_file__abort(struct atomic_file *af)
{
	if (af->f && af->f != stdout) {
		fclose(af->f);
		unlink(af->tmp);
	}
	af->f = NULL;
}
