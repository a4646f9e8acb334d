// SPDX-License-Identifier: MIT
#include "report_file.h"
#include "terminate.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define TEMP_SUFFIX ".tmp."
#define TEMP_RANDOM 6
#define SYMLINK_MAX_HOPS 40	/* the kernel's own limit on a path's links */
#define READER_POLL_MS 20

enum target_kind {
	TARGET_STDOUT,
	TARGET_NEW,		/* no file yet: created */
	TARGET_REGULAR,		/* replaced by rename */
	TARGET_STREAM,		/* FIFO or character device: written into */
};

/* The file a path finally names, once its symlinks are followed. */
struct target {
	enum target_kind kind;
	char *path;
	char *dir, *base;
	struct stat st;		/* of the existing file */
};

static void target__release(struct target *t)
{
	free(t->path);
	free(t->dir);
	free(t->base);
	memset(t, 0, sizeof(*t));
}

static char *str__dup(const char *s, size_t len)
{
	char *p = ks_zalloc(len + 1);

	memcpy(p, s, len);
	return p;
}

/* "a/b/c" into "a/b" and "c"; "c" into "." and "c"; "/c" into "/" and "c". */
static void path__split(const char *path, char **dir, char **base)
{
	const char *slash = strrchr(path, '/');

	if (!slash) {
		*dir = str__dup(".", 1);
		*base = str__dup(path, strlen(path));
		return;
	}
	*dir = slash == path ? str__dup("/", 1) : str__dup(path, (size_t)(slash - path));
	*base = str__dup(slash + 1, strlen(slash + 1));
}

/* Where the symlink at path points, relative targets taken from its directory. */
static char *link__next(const char *path, int *err)
{
	char dest[PATH_MAX], *dir, *base, *next;
	ssize_t n = readlink(path, dest, sizeof(dest));

	if (n < 0 || (size_t)n >= sizeof(dest)) {
		*err = n < 0 ? errno : ENAMETOOLONG;
		return NULL;
	}
	dest[n] = '\0';
	if (dest[0] == '/')
		return str__dup(dest, (size_t)n);
	path__split(path, &dir, &base);
	next = ks_zalloc(strlen(dir) + (size_t)n + 2);
	sprintf(next, "%s/%s", dir, dest);
	free(dir);
	free(base);
	return next;
}

static int target__classify(struct target *t)
{
	if (S_ISFIFO(t->st.st_mode) || S_ISCHR(t->st.st_mode)) {
		t->kind = TARGET_STREAM;
		return 0;
	}
	if (!S_ISREG(t->st.st_mode))
		return -EINVAL;
	t->kind = TARGET_REGULAR;
	return 0;
}

/*
 * stat() and realpath() follow every link, /proc's magic ones included
 * (/dev/stdout onto a pipe is a FIFO, not a link to "pipe:[N]"). A link
 * that dangles is followed by hand: the report creates the file it names.
 */
static int target__resolve(const char *path, struct target *t)
{
	char *real;
	int ret = 0;

	memset(t, 0, sizeof(*t));
	if (stat(path, &t->st) == 0) {
		ret = target__classify(t);
		if (ret < 0 || t->kind == TARGET_STREAM) {
			t->path = str__dup(path, strlen(path));
		} else {
			real = realpath(path, NULL);
			if (!real)
				return -errno;
			t->path = str__dup(real, strlen(real));
			free(real);
		}
	} else if (errno != ENOENT) {
		return -errno;
	} else {
		t->path = str__dup(path, strlen(path));
		for (int hops = 0;; hops++) {
			int err = 0;
			char *next;

			if (lstat(t->path, &t->st) < 0) {
				if (errno != ENOENT)
					return -errno;
				t->kind = TARGET_NEW;
				break;
			}
			if (!S_ISLNK(t->st.st_mode))
				return -EEXIST;	/* created while we looked: try again later */
			if (hops == SYMLINK_MAX_HOPS)
				return -ELOOP;
			next = link__next(t->path, &err);
			if (!next)
				return -err;
			free(t->path);
			t->path = next;
		}
	}
	if (ret < 0)
		return ret;
	path__split(t->path, &t->dir, &t->base);
	if (t->kind == TARGET_NEW && (!*t->base || !strcmp(t->base, ".") || !strcmp(t->base, "..")))
		return -EISDIR;
	return 0;
}

static const char *file_type_name(mode_t mode)
{
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISSOCK(mode))
		return "a socket";
	if (S_ISBLK(mode))
		return "a block device";
	return "not a regular file";
}

/* The resolve error as a reason; -EINVAL means a type of file a report cannot go to. */
static void resolve__why(const char *path, const struct target *t, int err, char *why, size_t len)
{
	if (err == -EINVAL)
		ks_format(why, len, "cannot write the report %s: it is %s (allowed: a regular file, "
			  "a FIFO, a character device or - for stdout)", path, file_type_name(t->st.st_mode));
	else if (err == -EISDIR)
		ks_format(why, len, "cannot write the report %s: it names a directory (allowed: a file name)",
			  path);
	else
		ks_format(why, len, "cannot write the report %s: %s", path, strerror(-err));
}

int report_file__temp_name(const char *base, size_t name_max, char *buf, size_t len)
{
	static const char chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	size_t fixed = strlen(TEMP_SUFFIX) + TEMP_RANDOM, keep = strlen(base);
	unsigned char rnd[TEMP_RANDOM];
	size_t at;

	if (name_max <= fixed || len <= fixed)
		return -1;
	if (keep > name_max - fixed)
		keep = name_max - fixed;
	if (keep > len - fixed - 1)
		keep = len - fixed - 1;
	if (getrandom(rnd, sizeof(rnd), GRND_NONBLOCK) != (ssize_t)sizeof(rnd)) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		for (size_t i = 0; i < sizeof(rnd); i++)
			rnd[i] = (unsigned char)((unsigned long)ts.tv_nsec >> (i * 5) ^ (unsigned)getpid() >> i);
	}
	memcpy(buf, base, keep);
	at = keep;
	memcpy(buf + at, TEMP_SUFFIX, strlen(TEMP_SUFFIX));
	at += strlen(TEMP_SUFFIX);
	for (size_t i = 0; i < TEMP_RANDOM; i++)
		buf[at++] = chars[rnd[i] % (sizeof(chars) - 1)];
	buf[at] = '\0';
	return 0;
}

static size_t dir__name_max(const char *dir)
{
	long n = pathconf(dir, _PC_NAME_MAX);

	return n > 0 ? (size_t)n : NAME_MAX;
}

/* Creates a fresh temporary file beside base; the name goes to tmp. */
static int temp__create(int dirfd, const char *dir, const char *base, char *tmp, size_t len)
{
	for (int tries = 0; tries < 100; tries++) {
		int fd;

		if (report_file__temp_name(base, dir__name_max(dir), tmp, len) < 0) {
			errno = ENAMETOOLONG;
			return -1;
		}
		terminate__guard_file(dirfd, tmp);
		/* 0666 less the umask: a new report gets the mode any new file would. */
		fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
		if (fd >= 0 || errno != EEXIST)
			return fd;
	}
	errno = EEXIST;
	return -1;
}

static bool has_cap_fowner(void)
{
	struct __user_cap_header_struct head = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = { 0 };

	if (syscall(SYS_capget, &head, data) < 0)
		return geteuid() == 0;
	return data[CAP_TO_INDEX(CAP_FOWNER)].effective & CAP_TO_MASK(CAP_FOWNER);
}

/*
 * In a sticky directory (/tmp) only the file's owner, the directory's owner
 * or CAP_FOWNER may replace a file; the kernel says EPERM at the rename,
 * after the whole run, unless we ask first.
 */
static bool rename__forbidden(const struct stat *dir, const struct stat *file)
{
	uid_t me = geteuid();

	return (dir->st_mode & S_ISVTX) && file->st_uid != me && dir->st_uid != me && !has_cap_fowner();
}

static int regular__check(const char *path, const struct target *t, char *why, size_t len)
{
	char tmp[NAME_MAX + 1];
	struct stat dst;
	int dirfd, fd, err = 0;

	if (strlen(t->base) > dir__name_max(t->dir)) {
		ks_format(why, len, "cannot write the report %s: %s (at most %zu bytes per name here)",
			  path, strerror(ENAMETOOLONG), dir__name_max(t->dir));
		return -1;
	}
	if (t->kind == TARGET_REGULAR &&
	    (!(t->st.st_mode & 0222) || faccessat(AT_FDCWD, t->path, W_OK, AT_EACCESS) < 0)) {
		ks_format(why, len, "cannot write the report %s: it is write-protected (mode %04o; "
			  "allowed: a file you may write, or a new name)", path,
			  (unsigned)(t->st.st_mode & 07777));
		return -1;
	}
	dirfd = open(t->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0 || fstat(dirfd, &dst) < 0) {
		err = errno;
		goto out;
	}
	if (t->kind == TARGET_REGULAR && rename__forbidden(&dst, &t->st)) {
		ks_format(why, len, "cannot write the report %s: %s (the directory %s is sticky and "
			  "the file belongs to another user)", path, strerror(EPERM), t->dir);
		close(dirfd);
		return -1;
	}
	/* A probe file where the report's own temporary file will go. */
	fd = temp__create(dirfd, t->dir, t->base, tmp, sizeof(tmp));
	if (fd < 0) {
		err = errno;
	} else {
		close(fd);
		unlinkat(dirfd, tmp, 0);
	}
	terminate__unguard_file();
out:
	if (dirfd >= 0)
		close(dirfd);
	if (err) {
		ks_format(why, len, "cannot write the report %s: %s (allowed: a file in a directory "
			  "this user can write, or - for stdout)", path, strerror(err));
		return -1;
	}
	return 0;
}

int report_file__check(const char *path, char *why, size_t why_len)
{
	struct target t;
	int ret, flags;

	if (!strcmp(path, "-")) {
		flags = fcntl(STDOUT_FILENO, F_GETFL);
		if (flags < 0 || (flags & O_ACCMODE) == O_RDONLY) {
			ks_format(why, why_len, "cannot write the report to stdout: it is not open for "
				  "writing (allowed: - with stdout open, or a file name)");
			return -1;
		}
		return 0;
	}
	ret = target__resolve(path, &t);
	if (ret < 0) {
		resolve__why(path, &t, ret, why, why_len);
		ret = -1;
	} else if (t.kind == TARGET_STREAM) {
		/* Not opened: a FIFO's reader would see the probe's close as the end of the report. */
		ret = faccessat(AT_FDCWD, t.path, W_OK, AT_EACCESS);
		if (ret < 0)
			ks_format(why, why_len, "cannot write the report %s: %s", path, strerror(errno));
	} else {
		ret = regular__check(path, &t, why, why_len);
	}
	target__release(&t);
	return ret;
}

/* Every byte, through EINTR, short writes and a descriptor left non-blocking. */
static int write_all(int fd, const char *data, size_t len)
{
	while (len) {
		ssize_t n = write(fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct pollfd p = { .fd = fd, .events = POLLOUT };

			if (poll(&p, 1, -1) < 0 && errno != EINTR)
				return -1;
			continue;
		}
		if (n < 0)
			return -1;
		if (n == 0) {
			errno = EIO;
			return -1;
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = ms % 1000 * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* A FIFO has no reader until one opens it: wait for one, within bounds. */
static int stream__open(const char *path)
{
	long waited = 0;
	bool noted = false;

	for (;;) {
		int fd = open(path, O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);

		if (fd >= 0) {
			/* Blocking from here on: a slow reader slows the write, not fails it. */
			int flags = fcntl(fd, F_GETFL);

			if (flags >= 0)
				fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
			return fd;
		}
		if (errno == EINTR)
			continue;
		if (errno != ENXIO)
			return -1;
		if (waited >= REPORT_FILE_READER_WAIT_MS) {
			ks_error("cannot write the report %s: no reader opened the FIFO within %d s",
				 path, REPORT_FILE_READER_WAIT_MS / 1000);
			errno = 0;
			return -1;
		}
		if (!noted) {
			ks_note("waiting up to %d s for a reader of the FIFO %s\n",
				REPORT_FILE_READER_WAIT_MS / 1000, path);
			noted = true;
		}
		sleep_ms(READER_POLL_MS);
		waited += READER_POLL_MS;
	}
}

static int stream__write(const char *path, const struct target *t, const char *data, size_t len)
{
	int fd = stream__open(t->path), err = 0;

	if (fd < 0) {
		if (errno)
			ks_error_errno(errno, "cannot write the report %s", path);
		return -1;
	}
	if (write_all(fd, data, len) < 0)
		err = errno;
	if (close(fd) < 0 && !err && errno != EINTR)
		err = errno;
	if (err) {
		ks_error_errno(err, "cannot write the report %s", path);
		return -1;
	}
	return 0;
}

/* The temporary file takes the replaced file's mode, owner and group. */
static void temp__inherit(int fd, const struct target *t)
{
	if (t->kind != TARGET_REGULAR)
		return;
	/* Only root or a member of the group may: otherwise the file becomes ours. */
	if (fchown(fd, t->st.st_uid, t->st.st_gid) < 0)
		(void)fchown(fd, (uid_t)-1, t->st.st_gid);
	fchmod(fd, t->st.st_mode & 0777);
}

static int regular__write(const char *path, const struct target *t, const char *data, size_t len)
{
	char tmp[NAME_MAX + 1];
	int dirfd, fd = -1, err = 0;

	dirfd = open(t->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		ks_error_errno(errno, "cannot write the report %s", path);
		return -1;
	}
	fd = temp__create(dirfd, t->dir, t->base, tmp, sizeof(tmp));
	if (fd < 0) {
		err = errno;
		goto out;
	}
	temp__inherit(fd, t);
	if (write_all(fd, data, len) < 0 || (fsync(fd) < 0 && errno != EINVAL && errno != EROFS))
		err = errno;
	if (close(fd) < 0 && !err && errno != EINTR)
		err = errno;
	/* Readers see the old report or the whole new one, never a truncated file. */
	if (!err && renameat(dirfd, tmp, dirfd, t->base) < 0)
		err = errno;
	if (err)
		unlinkat(dirfd, tmp, 0);
out:
	terminate__unguard_file();
	close(dirfd);
	if (err) {
		ks_error_errno(err, "cannot write the report %s", path);
		return -1;
	}
	return 0;
}

int report_file__write(const char *path, const char *data, size_t len)
{
	struct target t;
	char why[512];
	int ret;

	if (!strcmp(path, "-")) {
		/* stdio may hold earlier output: it goes first. */
		if (fflush(stdout) == EOF || write_all(STDOUT_FILENO, data, len) < 0) {
			ks_error_errno(errno, "cannot write the report to stdout");
			return -1;
		}
		terminate__report_saved();
		return 0;
	}
	/* Resolved again: the path may have changed during a long run. */
	ret = target__resolve(path, &t);
	if (ret < 0) {
		resolve__why(path, &t, ret, why, sizeof(why));
		ks_error("%s", why);
	} else if (t.kind == TARGET_STREAM) {
		ret = stream__write(path, &t, data, len);
	} else {
		ret = regular__write(path, &t, data, len);
	}
	target__release(&t);
	if (!ret)
		terminate__report_saved();
	return ret < 0 ? -1 : 0;
}

int report_file__write_json(const char *path, const json_t *root)
{
	char *text = json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS);
	size_t len;
	int ret;

	if (!text) {
		ks_error("cannot write the report %s: the JSON could not be built (out of memory?)", path);
		return -1;
	}
	len = strlen(text);
	/* json_dumps leaves no final newline; the report has one. */
	char *with_newline = realloc(text, len + 2);

	if (!with_newline) {
		free(text);
		ks_error("cannot write the report %s: %s", path, strerror(ENOMEM));
		return -1;
	}
	with_newline[len] = '\n';
	with_newline[len + 1] = '\0';
	ret = report_file__write(path, with_newline, len + 1);
	free(with_newline);
	return ret;
}
