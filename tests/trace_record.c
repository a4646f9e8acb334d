// SPDX-License-Identifier: MIT
/*
 * trace_record: runs a command under a kickstorm trace session (trace.h)
 * and writes what it recorded in the trace_event.h text format.
 *
 *   trace_record [--check] [--kicks KIND] OUT -- COMMAND...
 *   trace_record [--on-sigint cleanup] --hold
 *   trace_record --analyse FILE [--json]
 *
 * --kicks derives the served kicks from the events (tests/data/README.md
 * says how) and writes them with the events: the unit tests' recordings.
 * --check asserts that events came from the command's tasks (its pid and
 * what it forked, from sched_process_fork) and only from them, and that
 * the instance is gone after trace__close.
 * --hold starts a session and waits for a signal: the integration test
 * kills it and checks that the reaper (or, with --on-sigint cleanup,
 * trace__cleanup_signal_safe) removed the instance. --analyse prints the
 * stage table (and JSON) of a recording that carries kicks.
 *
 * Exit: 0 ok, 1 a check failed, 2 usage, 77 tracing unavailable here.
 */
#include "clock.h"
#include "trace.h"
#include "trace_kicks.h"
#include "trace_stages.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_TIDS 4096

/* The command's tasks: its pid and every task forked from one of them. */
static int tids[MAX_TIDS];
static size_t ntids;

static bool ours(int pid)
{
	for (size_t i = 0; i < ntids; i++)
		if (tids[i] == pid)
			return true;
	return false;
}

/* From sched_process_fork, in time order: the same set event-fork put in the pid filter. */
static void note_tasks(const struct trace_events *s, int pid)
{
	tids[ntids++] = pid;
	for (size_t i = 0; i < s->n && ntids < MAX_TIDS; i++)
		if (s->ev[i].type == TEV_SCHED_PROCESS_FORK && ours(s->ev[i].pid) && !ours(s->ev[i].other))
			tids[ntids++] = s->ev[i].other;
}

static bool has_prefix(const char *s, const char *prefix)
{
	return s && !strncmp(s, prefix, strlen(prefix));
}

/* Events emitted by threads outside the command: only scheduler events about its threads may be. */
static int check_events(const struct trace_events *s)
{
	size_t vcpu = 0, sender = 0, foreign = 0;

	for (size_t i = 0; i < s->n; i++) {
		const struct trace_event *e = &s->ev[i];
		const char *comm = trace_events__comm(s, e->pid);

		if (ours(e->pid)) {
			vcpu += has_prefix(comm, "kvm-vcpu-");
			sender += has_prefix(comm, "ks-sender-");
			continue;
		}
		if (e->type == TEV_SCHED_SWITCH && (ours(e->prev) || ours(e->other)))
			continue;
		if (e->type == TEV_SCHED_WAKING && ours(e->other))
			continue;
		if (!foreign++)
			fprintf(stderr, "trace_record: event %s from pid %d (%s), not the command's\n",
				trace_event__name(e->type), e->pid, comm ? comm : "?");
	}
	printf("events %zu: %zu from kvm-vcpu threads, %zu from ks-sender threads, %zu foreign, "
	       "%llu lost; %zu tasks\n", s->n, vcpu, sender, foreign, (unsigned long long)s->lost, ntids);
	return vcpu && sender && !foreign ? 0 : 1;
}

static void cleanup_and_exit(int sig)
{
	trace__cleanup_signal_safe();
	_exit(128 + sig);
}

static int hold(const char *mode)
{
	struct trace_options o = { .follow_forks = true };
	struct trace_session *s;
	char why[256];

	if (trace__open(&s, &o, why, sizeof(why)) < 0) {
		fprintf(stderr, "SKIP: %s\n", why);
		return 77;
	}
	/*
	 * cleanup: what kickstorm's second Ctrl-C does, remove what it can and
	 * _exit. Otherwise die of SIGINT, even when started in the background
	 * by a shell that ignores it there, and leave the reaper to clean up.
	 */
	if (mode && !strcmp(mode, "cleanup")) {
		struct sigaction sa = { .sa_handler = cleanup_and_exit };

		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, NULL);
	} else {
		signal(SIGINT, SIG_DFL);
	}
	if (trace__add_tid(s, (int)getpid()) < 0 || trace__start(s) < 0) {
		trace__close(s);
		return 1;
	}
	printf("instance %s\n", trace__instance_path(s));
	fflush(stdout);
	for (;;)
		pause();
}

/* Prints the stage table of a recording that carries its kicks (and its JSON with --json). */
static int analyse(const char *path, bool json)
{
	struct trace_events set = { 0 };
	struct trace_analysis *a;
	FILE *f = fopen(path, "r");
	char why[256];

	if (!f || trace_events__read(&set, f, why, sizeof(why)) < 0) {
		fprintf(stderr, "trace_record: %s: %s\n", path, f ? why : strerror(errno));
		return 2;
	}
	fclose(f);
	a = trace_stages__analyse(&set, set.kicks, set.nkicks, NULL, why, sizeof(why));
	if (!a) {
		fprintf(stderr, "trace_record: %s: %s\n", path, why);
		return 1;
	}
	trace_stages__print(a, path, stdout);
	if (json) {
		json_t *o = trace_stages__to_json(a);

		json_dumpf(o, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
		json_decref(o);
	}
	trace_stages__free(a);
	trace_events__release(&set);
	return 0;
}

/* Runs argv with its threads traced; the child waits on go until its pid is in the filter. */
static pid_t run_traced(struct trace_session *s, char **argv, int *status)
{
	int go[2];
	pid_t pid;
	char c = 0;

	if (pipe(go) < 0)
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(127);
		execvp(argv[0], argv);
		fprintf(stderr, "trace_record: %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(go[0]);
	if (trace__add_tid(s, (int)pid) < 0 || trace__start(s) < 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return -EIO;
	}
	if (write(go[1], &c, 1) != 1)
		return -errno;
	close(go[1]);
	while (waitpid(pid, status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return trace__stop(s) < 0 ? -EIO : pid;
}

int main(int argc, char **argv)
{
	struct trace_options o = { .follow_forks = true };
	struct trace_events set = { 0 };
	struct trace_session *s;
	struct tsc_clock clock;
	const char *out = NULL, *kicks = NULL, *on_sigint = NULL;
	bool check = false;
	char why[256], instance[4096];
	int i, status = 0, ret = 0;
	pid_t child;
	FILE *f;

	for (i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "--check"))
			check = true;
		else if (!strcmp(argv[i], "--hold"))
			return hold(on_sigint);
		else if (!strcmp(argv[i], "--analyse") && i + 1 < argc)
			return analyse(argv[i + 1], i + 2 < argc && !strcmp(argv[i + 2], "--json"));
		else if (!strcmp(argv[i], "--on-sigint") && i + 1 < argc)
			on_sigint = argv[++i];
		else if (!strcmp(argv[i], "--kicks") && i + 1 < argc)
			kicks = argv[++i];
		else if (!out && argv[i][0] != '-')
			out = argv[i];
		else
			break;
	}
	if (!out || i >= argc - 1 || strcmp(argv[i], "--")) {
		fprintf(stderr, "usage: trace_record [--check] [--kicks KIND] OUT -- COMMAND...\n"
				"       trace_record [--on-sigint cleanup] --hold\n"
				"       trace_record --analyse FILE [--json]\n");
		return 2;
	}
	o.events = TEV_DEFAULT_MASK | (kicks ? TEV_MASK(TEV_KVM_MSR) : 0) |
		   (check ? TEV_MASK(TEV_SCHED_PROCESS_FORK) : 0);
	if (trace__open(&s, &o, why, sizeof(why)) < 0) {
		fprintf(stderr, "SKIP: %s\n", why);
		return 77;
	}
	snprintf(instance, sizeof(instance), "%s", trace__instance_path(s));
	child = run_traced(s, argv + i + 1, &status);
	if (child < 0 || trace__read(s, &set, why, sizeof(why)) < 0) {
		fprintf(stderr, "trace_record: %s\n", child < 0 ? strerror(-child) : why);
		trace__close(s);
		return 1;
	}
	trace__close(s);
	if (!access(instance, F_OK)) {
		fprintf(stderr, "trace_record: %s still exists after trace__close\n", instance);
		ret = 1;
	}
	if (clock__init(&clock, why, sizeof(why)) == 0)
		set.tsc_khz = clock.khz;
	if (kicks && trace_kicks__derive(&set, kicks, why, sizeof(why)) < 0) {
		fprintf(stderr, "trace_record: --kicks: %s\n", why);
		ret = 1;
	}
	if (check) {
		note_tasks(&set, child);
		ret |= check_events(&set);
	}
	f = strcmp(out, "-") ? fopen(out, "w") : stdout;
	if (!f || trace_events__write(&set, f, 0, UINT64_MAX) < 0) {
		fprintf(stderr, "trace_record: %s: %s\n", out, strerror(errno));
		ret = 1;
	}
	if (f && f != stdout)
		fclose(f);
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "trace_record: the command failed (status 0x%x)\n", status);
		ret = 1;
	}
	trace_events__release(&set);
	return ret ? 1 : 0;
}
