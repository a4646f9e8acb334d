// SPDX-License-Identifier: MIT
#include "stdstreams.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <unistd.h>

static char stdout_buffer[STDSTREAMS_BUFFER];

int stdstreams__open(void)
{
	for (int fd = STDIN_FILENO; fd <= STDERR_FILENO; fd++) {
		int got;

		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		/* The lowest free descriptor: fd itself, as the ones below are open. */
		got = open("/dev/null", (fd == STDIN_FILENO ? O_WRONLY : O_RDONLY) | O_NOCTTY);
		if (got < 0)
			return -1;
		if (got != fd) {
			dup2(got, fd);
			close(got);
		}
	}
	/*
	 * Into a file or pipe, hold the whole output of a command (help, list,
	 * info, a table) in one buffer: a write that fails then fails at the
	 * final fclose, whose errno says why. A terminal stays line-buffered.
	 */
	if (!isatty(STDOUT_FILENO))
		setvbuf(stdout, stdout_buffer, _IOFBF, sizeof(stdout_buffer));
	return 0;
}

int stdstreams__close(int status)
{
	bool earlier = ferror(stdout);
	int err;

	errno = 0;
	if (fclose(stdout) == 0 && !earlier)
		return status;
	/* An earlier failed write leaves no errno behind; fclose's own failure does. */
	err = errno;
	if (status != KS_EXIT_OK)
		return status;
	if (err)
		ks_error_errno(err, "cannot write to standard output");
	else
		ks_error("cannot write to standard output (an earlier write failed)");
	return KS_EXIT_FAIL;
}
