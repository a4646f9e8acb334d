// SPDX-License-Identifier: MIT
/*
 * Where a report goes: atomic replacement, kept modes, symlinks followed,
 * long names, FIFOs that are not opened before the report is ready, and
 * writes that survive signals.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "report_file.h"

static char dir[64];
static char why[1024];

static int make_dir(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/kickstorm-report-file.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int remove_dir(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static char *in_dir(const char *name)
{
	static char paths[8][PATH_MAX];
	static unsigned next;
	char *p = paths[next++ % 8];

	snprintf(p, PATH_MAX, "%s/%s", dir, name);
	return p;
}

static unsigned entries_in(const char *path)
{
	DIR *d = opendir(path);
	unsigned n = 0;

	for (struct dirent *e; d && (e = readdir(d));)
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	if (d)
		closedir(d);
	return n;
}

static char *slurp(const char *path)
{
	static char buf[1 << 16];
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void write_text(const char *path, const char *text)
{
	assert_int_equal(report_file__write(path, text, strlen(text)), 0);
}

static void write_is_atomic_and_complete(void **state)
{
	char *path = in_dir("r.json");
	json_t *doc = json_pack("{s:i, s:s}", "schema_version", 1, "x", "first");
	json_error_t err;

	(void)state;
	assert_int_equal(report_file__check(path, why, sizeof(why)), 0);
	/* The probe leaves nothing behind. */
	assert_int_equal(entries_in(dir), 0);
	assert_int_equal(report_file__write_json(path, doc), 0);
	json_object_set_new(doc, "x", json_string("second"));
	assert_int_equal(report_file__write_json(path, doc), 0);
	assert_int_equal(entries_in(dir), 1);
	json_t *back = json_load_file(path, 0, &err);
	assert_non_null(back);
	assert_string_equal(json_string_value(json_object_get(back, "x")), "second");
	assert_int_equal(slurp(path)[strlen(slurp(path)) - 1], '\n');
	json_decref(back);

	/* A report that cannot be written fails without touching the old one. */
	if (geteuid() != 0) {
		chmod(dir, 0500);
		assert_int_equal(report_file__write_json(path, doc), -1);
		assert_int_equal(entries_in(dir), 1);
		chmod(dir, 0700);
	}
	json_decref(doc);
}

static void unwritable_paths_are_refused_up_front(void **state)
{
	(void)state;
	assert_int_equal(report_file__check("/nonexistent-kickstorm/r.json", why, sizeof(why)), -1);
	assert_non_null(strstr(why, "/nonexistent-kickstorm/r.json"));
	assert_int_equal(report_file__check(dir, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "a directory"));
	assert_int_equal(report_file__check(in_dir("sub/"), why, sizeof(why)), -1);
	assert_int_equal(report_file__check("-", why, sizeof(why)), 0);
}

static void replaced_file_keeps_its_mode_and_owner(void **state)
{
	char *path = in_dir("kept.json");
	struct stat st;

	(void)state;
	write_text(path, "old\n");
	chmod(path, 0640);
	if (geteuid() == 0)
		assert_int_equal(chown(path, 65534, 65534), 0);
	assert_int_equal(report_file__check(path, why, sizeof(why)), 0);
	write_text(path, "new\n");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	if (geteuid() == 0) {
		assert_int_equal(st.st_uid, 65534);
		assert_int_equal(st.st_gid, 65534);
	}
	assert_string_equal(slurp(path), "new\n");
}

static void new_file_gets_the_umask_mode(void **state)
{
	char *path = in_dir("fresh.json");
	mode_t old = umask(027);
	struct stat st;

	(void)state;
	write_text(path, "x\n");
	umask(old);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
}

static void write_protected_file_is_refused(void **state)
{
	char *path = in_dir("ro.json");
	struct stat st;

	(void)state;
	write_text(path, "precious\n");
	chmod(path, 0444);
	/* Even for root, who could write it: the mode says "do not replace". */
	assert_int_equal(report_file__check(path, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "write-protected"));
	assert_non_null(strstr(why, "0444"));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0444);
	assert_string_equal(slurp(path), "precious\n");
}

static void symlinks_are_written_through(void **state)
{
	char *target = in_dir("target.json"), *link = in_dir("link.json");
	char *dangling = in_dir("dangling.json"), *made = in_dir("made-by-link.json");
	char *loop = in_dir("loop.json");
	struct stat st;

	(void)state;
	write_text(target, "old\n");
	assert_int_equal(symlink("target.json", link), 0);
	assert_int_equal(report_file__check(link, why, sizeof(why)), 0);
	write_text(link, "through the link\n");
	assert_int_equal(lstat(link, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_string_equal(slurp(target), "through the link\n");

	/* A link to a file that does not exist yet creates that file. */
	assert_int_equal(symlink("made-by-link.json", dangling), 0);
	assert_int_equal(report_file__check(dangling, why, sizeof(why)), 0);
	write_text(dangling, "made\n");
	assert_int_equal(lstat(dangling, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_string_equal(slurp(made), "made\n");

	assert_int_equal(symlink("loop.json", loop), 0);
	assert_int_equal(report_file__check(loop, why, sizeof(why)), -1);
	assert_non_null(strstr(why, strerror(ELOOP)));
}

static void long_names_get_a_temporary_name_that_fits(void **state)
{
	char base[300], tmp[NAME_MAX + 1], *path;

	(void)state;
	memset(base, 'n', 250);
	strcpy(base + 250, ".json");
	assert_int_equal(report_file__temp_name(base, NAME_MAX, tmp, sizeof(tmp)), 0);
	assert_true(strlen(tmp) <= NAME_MAX);
	assert_int_equal(strncmp(tmp, base, 100), 0);
	assert_non_null(strstr(tmp, ".tmp."));
	assert_int_equal(report_file__temp_name(base, 10, tmp, sizeof(tmp)), -1);

	/* 255 bytes is the longest name ext4 and tmpfs take; it must work. */
	memset(base, 'n', NAME_MAX);
	base[NAME_MAX] = '\0';
	path = in_dir(base);
	assert_int_equal(report_file__check(path, why, sizeof(why)), 0);
	write_text(path, "long\n");
	assert_string_equal(slurp(path), "long\n");
	write_text(path, "longer\n");
	assert_string_equal(slurp(path), "longer\n");
	unlink(path);

	strcat(base, "x");
	assert_int_equal(report_file__check(in_dir(base), why, sizeof(why)), -1);
	assert_non_null(strstr(why, strerror(ENAMETOOLONG)));
}

/* A reader that reads the FIFO until EOF and saves what it got. */
static pid_t fifo_reader(const char *fifo, const char *save)
{
	pid_t pid = fork();

	if (pid == 0) {
		char buf[4096];
		int in = open(fifo, O_RDONLY), out = open(save, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		ssize_t n;

		while (in >= 0 && (n = read(in, buf, sizeof(buf))) > 0)
			if (write(out, buf, (size_t)n) != n)
				_exit(1);
		_exit(in < 0 || out < 0);
	}
	return pid;
}

static void fifo_is_not_opened_by_the_check(void **state)
{
	char *fifo = in_dir("fifo"), *got = in_dir("from-fifo");
	int status;
	pid_t pid;

	(void)state;
	assert_int_equal(mkfifo(fifo, 0600), 0);
	pid = fifo_reader(fifo, got);
	assert_true(pid > 0);
	/*
	 * Had the check opened and closed the FIFO, the reader would have seen
	 * the end of the report already and gone.
	 */
	assert_int_equal(report_file__check(fifo, why, sizeof(why)), 0);
	write_text(fifo, "{\"through\": \"the fifo\"}\n");
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_string_equal(slurp(got), "{\"through\": \"the fifo\"}\n");
	/* Still a FIFO: written into, not replaced. */
	struct stat st;

	assert_int_equal(stat(fifo, &st), 0);
	assert_true(S_ISFIFO(st.st_mode));
}

static void character_devices_are_written_into(void **state)
{
	struct stat st;

	(void)state;
	assert_int_equal(report_file__check("/dev/null", why, sizeof(why)), 0);
	write_text("/dev/null", "gone\n");
	assert_int_equal(stat("/dev/null", &st), 0);
	assert_true(S_ISCHR(st.st_mode));
}

static void stdout_must_be_open_for_writing(void **state)
{
	int saved = dup(STDOUT_FILENO), ro = open("/dev/null", O_RDONLY);

	(void)state;
	assert_true(saved >= 0 && ro >= 0);
	fflush(stdout);
	assert_int_equal(dup2(ro, STDOUT_FILENO), STDOUT_FILENO);
	int ret = report_file__check("-", why, sizeof(why));

	dup2(saved, STDOUT_FILENO);
	close(saved);
	close(ro);
	assert_int_equal(ret, -1);
	assert_non_null(strstr(why, "not open for writing"));
}

static void on_alarm(int sig)
{
	(void)sig;
}

struct slow_reader {
	int fd;
	size_t got;
};

/* Lets the pipe fill so the writer blocks, then drains it. */
static void *slow_read(void *arg)
{
	struct slow_reader *r = arg;
	char buf[8192];
	ssize_t n;

	usleep(200000);
	while ((n = read(r->fd, buf, sizeof(buf))) != 0) {
		if (n > 0)
			r->got += (size_t)n;
		else if (errno != EINTR)
			break;
	}
	return NULL;
}

static void writes_survive_signals(void **state)
{
	struct sigaction sa = { .sa_handler = on_alarm }, old_sa;	/* no SA_RESTART */
	struct itimerval every_ms = { { 0, 1000 }, { 0, 1000 } }, off = { 0 };
	size_t len = 4u << 20;
	char *data = malloc(len);
	struct slow_reader reader = { 0 };
	int pipefd[2], saved = dup(STDOUT_FILENO), ret;
	pthread_t thread;

	(void)state;
	assert_non_null(data);
	memset(data, 'k', len);
	assert_int_equal(pipe(pipefd), 0);
	reader.fd = pipefd[0];
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, &old_sa);
	fflush(stdout);
	dup2(pipefd[1], STDOUT_FILENO);
	close(pipefd[1]);
	assert_int_equal(pthread_create(&thread, NULL, slow_read, &reader), 0);
	setitimer(ITIMER_REAL, &every_ms, NULL);
	ret = report_file__write("-", data, len);
	setitimer(ITIMER_REAL, &off, NULL);
	dup2(saved, STDOUT_FILENO);	/* closes the pipe's last write end: EOF */
	close(saved);
	pthread_join(thread, NULL);
	close(pipefd[0]);
	sigaction(SIGALRM, &old_sa, NULL);
	free(data);
	assert_int_equal(ret, 0);
	assert_int_equal(reader.got, len);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(write_is_atomic_and_complete, make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(unwritable_paths_are_refused_up_front, make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(replaced_file_keeps_its_mode_and_owner, make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(new_file_gets_the_umask_mode, make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(write_protected_file_is_refused, make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(symlinks_are_written_through, make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(long_names_get_a_temporary_name_that_fits, make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(fifo_is_not_opened_by_the_check, make_dir, remove_dir),
		cmocka_unit_test(character_devices_are_written_into),
		cmocka_unit_test(stdout_must_be_open_for_writing),
		cmocka_unit_test(writes_survive_signals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
