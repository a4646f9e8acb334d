/* SPDX-License-Identifier: MIT */
/*
 * The standard descriptors at both ends of a command.
 *
 * At the start, fds 0-2 must be open: otherwise the first file kickstorm
 * opens (/dev/kvm) becomes "stdout" and the report is written into it. A
 * closed one is opened on /dev/null in the direction it is not used for
 * (stdin write-only, stdout and stderr read-only), so writing to a stdout
 * the caller closed fails loudly instead of vanishing.
 *
 * At the end, stdout is flushed and closed and the result checked: a
 * command whose output did not arrive (a full disk, /dev/full, a closed
 * descriptor) must not exit 0.
 */
#ifndef KICKSTORM_STDSTREAMS_H
#define KICKSTORM_STDSTREAMS_H

/* Output up to this size fails, if it fails, with its reason at the end. */
#define STDSTREAMS_BUFFER (256 * 1024)

/* Call first in main(). 0, or -1 when /dev/null cannot be opened. */
int stdstreams__open(void);

/*
 * Closes stdout and returns the exit status: status itself, or
 * KS_EXIT_FAIL after one line on stderr when the output failed and status
 * was 0 (a command that already failed has said why).
 */
int stdstreams__close(int status);

#endif
