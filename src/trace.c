// SPDX-License-Identifier: MIT
/* tracefs plumbing with libtracefs and libtraceevent (trace.h). */
#include "trace.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event-parse.h>
#include <tracefs.h>

#define TRACE_CLOCK "x86-tsc"
#define TRACE_MAX_FIELDS 4
#define TRACE_MAX_SESSIONS 8
/* The reaper retries a busy instance (a dying reader's buffer) this long. */
#define REAPER_RETRY_MS 10
#define REAPER_RETRIES 500

/*
 * The syscalls a kick is made of: write (eventfd), ioctl (KVM_SIGNAL_MSI,
 * and KVM_RUN on the vCPU threads), tkill, tgkill, rt_tgsigqueueinfo.
 * Filtering in the kernel keeps the spinning threads' other calls out.
 */
#define TRACE_SYSCALL_FILTER "id == 1 || id == 16 || id == 200 || id == 234 || id == 297"

/* tracefs field names per type, in the order decode() expects them. */
static const char *const field_names[TEV__COUNT][TRACE_MAX_FIELDS] = {
	[TEV_SYS_ENTER] = { "id" },
	[TEV_SIGNAL_GENERATE] = { "sig", "pid" },
	[TEV_SIGNAL_DELIVER] = { "sig" },
	[TEV_SCHED_WAKING] = { "pid", "target_cpu" },
	[TEV_SCHED_SWITCH] = { "prev_pid", "prev_state", "next_pid" },
	[TEV_KVM_MSI_SET_IRQ] = { "address", "data" },
	[TEV_KVM_APIC_IPI] = { "dest_id", "icr_low" },
	[TEV_KVM_APIC_ACCEPT_IRQ] = { "apicid", "vec" },
	[TEV_KVM_VCPU_WAKEUP] = { "waited" },
	[TEV_KVM_EXIT] = { "vcpu_id", "exit_reason" },
	[TEV_KVM_ENTRY] = { "vcpu_id" },
	[TEV_KVM_INJ_VIRQ] = { "vector" },
	[TEV_KVM_EOI] = { "apicid", "vector" },
	[TEV_KVM_USERSPACE_EXIT] = { "reason", "errno" },
	[TEV_KVM_MSR] = { "ecx", "write" },
	[TEV_SCHED_PROCESS_FORK] = { "child_pid" },
};

struct event_map {
	int id;
	struct tep_format_field *field[TRACE_MAX_FIELDS];
	struct tep_format_field *comm[2];       /* comm of the other / prev and next task */
};

struct trace_session {
	struct tracefs_instance *inst;
	struct tep_handle *tep;
	uint32_t enabled, missing;
	struct event_map map[TEV__COUNT];
	char path[PATH_MAX];
	int slot;
	pid_t reaper;
	int reaper_fd;
	bool running;
	bool filtered;          /* a tid is in set_event_pid */
};

/* Instance paths a signal handler may remove; written before armed is set. */
static char cleanup_path[TRACE_MAX_SESSIONS][PATH_MAX];
static atomic_bool cleanup_armed[TRACE_MAX_SESSIONS];

bool trace__built_in(void)
{
	return true;
}

void trace__cleanup_signal_safe(void)
{
	for (int i = 0; i < TRACE_MAX_SESSIONS; i++)
		if (atomic_load(&cleanup_armed[i]))
			rmdir(cleanup_path[i]);
}

static int cleanup__arm(const char *path)
{
	for (int i = 0; i < TRACE_MAX_SESSIONS; i++) {
		if (atomic_load(&cleanup_armed[i]))
			continue;
		snprintf(cleanup_path[i], sizeof(cleanup_path[i]), "%s", path);
		atomic_store(&cleanup_armed[i], true);
		return i;
	}
	return -1;
}

/*
 * The reaper: a child outside our session and process group (Ctrl-C and a
 * group kill do not reach it) that holds the read end of a pipe. When
 * kickstorm ends by any means the write end closes, and the reaper removes
 * the instance. Between fork and _exit it makes async-signal-safe calls
 * only: the parent may have other threads.
 */
static void reaper__run(int fd, const char *path)
{
	struct timespec pause = { 0, REAPER_RETRY_MS * 1000000L };
	int null = open("/dev/null", O_RDWR);
	char c;

	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	setsid();
	prctl(PR_SET_NAME, "ks-trace-reaper");
	/* Keep no VM, tracefs buffer or pipe of the parent alive. */
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
	}
	syscall(SYS_close_range, 3, fd - 1, 0);
	syscall(SYS_close_range, fd + 1, ~0U, 0);
	while (read(fd, &c, 1) != 0)
		if (errno != EINTR)
			break;
	for (int i = 0; i < REAPER_RETRIES; i++) {
		if (!rmdir(path) || errno == ENOENT)
			_exit(0);
		if (errno != EBUSY)
			_exit(1);
		nanosleep(&pause, NULL);
	}
	_exit(1);
}

static int reaper__spawn(struct trace_session *s)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	s->reaper = fork();
	if (s->reaper < 0) {
		int err = errno;

		close(p[0]);
		close(p[1]);
		return -err;
	}
	if (!s->reaper)
		reaper__run(p[0], s->path);
	close(p[0]);
	s->reaper_fd = p[1];
	return 0;
}

static void reaper__release(struct trace_session *s)
{
	if (s->reaper_fd >= 0)
		close(s->reaper_fd);
	if (s->reaper > 0)
		waitpid(s->reaper, NULL, 0);
	s->reaper_fd = -1;
	s->reaper = 0;
}

static const char *no_tracefs_reason(void)
{
	if (access("/sys/kernel/tracing", F_OK) && access("/sys/kernel/debug/tracing", F_OK))
		return "this kernel has no tracefs (CONFIG_FTRACE)";
	return geteuid() ? "tracefs is not mounted and only root can mount it" :
			   "tracefs is not mounted and could not be mounted";
}

static int session__create(struct trace_session *s, char *why, size_t why_len)
{
	const char *dir = tracefs_tracing_dir();
	char name[64];

	if (!dir) {
		ks_format(why, why_len, "%s", no_tracefs_reason());
		return -1;
	}
	for (unsigned n = 0; n < 1000; n++) {
		snprintf(name, sizeof(name), "kickstorm-%d-%u", (int)getpid(), n);
		if (tracefs_instance_exists(name))
			continue;
		errno = 0;
		s->inst = tracefs_instance_create(name);
		if (s->inst && tracefs_instance_is_new(s->inst))
			break;
		if (!s->inst) {
			ks_format(why, why_len, "cannot create a tracefs instance in %s/instances: %s%s", dir,
				  strerror(errno ? errno : EIO), errno == EACCES || errno == EPERM ?
				  " (tracing needs root or CAP_SYS_ADMIN)" : "");
			return -1;
		}
		/* Someone made the same name between our check and mkdir: not ours to keep. */
		tracefs_instance_free(s->inst);
		s->inst = NULL;
	}
	if (!s->inst) {
		ks_format(why, why_len, "no free tracefs instance name in %s/instances", dir);
		return -1;
	}
	snprintf(s->path, sizeof(s->path), "%s/instances/%s", dir, tracefs_instance_get_name(s->inst));
	s->slot = cleanup__arm(s->path);
	return 0;
}

static int session__set_clock(struct trace_session *s, char *why, size_t why_len)
{
	char *clocks = tracefs_instance_file_read(s->inst, "trace_clock", NULL);
	bool found = false;

	for (char *tok = clocks ? strtok(clocks, " []\n") : NULL; tok; tok = strtok(NULL, " []\n"))
		found |= !strcmp(tok, TRACE_CLOCK);
	free(clocks);
	if (!found) {
		ks_format(why, why_len, "this kernel's tracefs has no %s clock, so trace times cannot be "
			  "compared with the TSC", TRACE_CLOCK);
		return -1;
	}
	if (tracefs_instance_file_write(s->inst, "trace_clock", TRACE_CLOCK) < 0) {
		ks_format(why, why_len, "cannot select the %s trace clock: %s", TRACE_CLOCK, strerror(errno));
		return -1;
	}
	return 0;
}

static int session__set_buffer(struct trace_session *s, size_t kb, char *why, size_t why_len)
{
	long ncpus = sysconf(_SC_NPROCESSORS_CONF);
	char value[32];

	if (!kb)
		kb = TRACE_DEFAULT_BUFFER_KB;
	if (ncpus > 0 && kb * (size_t)ncpus > TRACE_MAX_TOTAL_BUFFER_KB)
		kb = TRACE_MAX_TOTAL_BUFFER_KB / (size_t)ncpus;
	snprintf(value, sizeof(value), "%zu", kb);
	if (tracefs_instance_file_write(s->inst, "buffer_size_kb", value) < 0) {
		ks_format(why, why_len, "cannot size the trace buffer to %zu KiB per CPU: %s", kb,
			  strerror(errno));
		return -1;
	}
	return 0;
}

static void session__map_event(struct trace_session *s, unsigned t)
{
	struct tep_event *ev = tep_find_event_by_name(s->tep, trace_event__system(t), trace_event__name(t));
	struct event_map *m = &s->map[t];

	m->id = ev ? ev->id : -1;
	if (!ev)
		return;
	for (int f = 0; f < TRACE_MAX_FIELDS && field_names[t][f]; f++)
		m->field[f] = tep_find_field(ev, field_names[t][f]);
	/* Kernels before 5.x name kvm_inj_virq's field irq. */
	if (t == TEV_KVM_INJ_VIRQ && !m->field[0])
		m->field[0] = tep_find_field(ev, "irq");
	m->comm[0] = tep_find_field(ev, t == TEV_SCHED_SWITCH ? "prev_comm" : "comm");
	m->comm[1] = t == TEV_SCHED_SWITCH ? tep_find_field(ev, "next_comm") : NULL;
}

/*
 * The formats of the enabled events only: parsing whole systems (kvm has
 * over a hundred events) is slower, and libtraceevent 1.7 leaks on some
 * print formats kickstorm never needs.
 */
static struct tep_handle *load_formats(uint32_t enabled)
{
	struct tep_handle *tep = tep_alloc();
	int size = 0;
	char *buf;

	if (!tep)
		return NULL;
	tep_set_file_bigendian(tep, tep_is_bigendian() ? TEP_BIG_ENDIAN : TEP_LITTLE_ENDIAN);
	tep_set_local_bigendian(tep, tep_is_bigendian() ? TEP_BIG_ENDIAN : TEP_LITTLE_ENDIAN);
	buf = tracefs_instance_file_read(NULL, "events/header_page", &size);
	if (!buf || tep_parse_header_page(tep, buf, (unsigned long)size, sizeof(long)) < 0) {
		free(buf);
		tep_free(tep);
		return NULL;
	}
	free(buf);
	for (unsigned t = 0; t < TEV__COUNT; t++) {
		if (!(enabled & TEV_MASK(t)))
			continue;
		buf = tracefs_event_file_read(NULL, trace_event__system(t), trace_event__name(t), "format", &size);
		if (buf)
			tep_parse_event(tep, buf, (unsigned long)size, trace_event__system(t));
		free(buf);
	}
	return tep;
}

static int session__enable_events(struct trace_session *s, uint32_t want, char *why, size_t why_len)
{
	for (unsigned t = 0; t < TEV__COUNT; t++) {
		const char *sys = trace_event__system(t), *name = trace_event__name(t);

		if (!(want & TEV_MASK(t)))
			continue;
		if (!tracefs_event_file_exists(s->inst, sys, name, "enable") ||
		    tracefs_event_enable(s->inst, sys, name) < 0) {
			s->missing |= TEV_MASK(t);
			continue;
		}
		s->enabled |= TEV_MASK(t);
	}
	if (!s->enabled) {
		ks_format(why, why_len, "none of the kvm, sched, signal and syscall trace events exist here");
		return -1;
	}
	if ((s->enabled & TEV_MASK(TEV_SYS_ENTER)) &&
	    tracefs_event_file_write(s->inst, "raw_syscalls", "sys_enter", "filter", TRACE_SYSCALL_FILTER) < 0) {
		ks_format(why, why_len, "cannot filter raw_syscalls:sys_enter: %s", strerror(errno));
		return -1;
	}
	s->tep = load_formats(s->enabled);
	if (!s->tep) {
		ks_format(why, why_len, "cannot parse the trace event formats");
		return -1;
	}
	for (unsigned t = 0; t < TEV__COUNT; t++)
		if (s->enabled & TEV_MASK(t))
			session__map_event(s, t);
	return 0;
}

int trace__open(struct trace_session **out, const struct trace_options *o, char *why, size_t why_len)
{
	static const struct trace_options defaults;
	struct trace_session *s = ks_zalloc(sizeof(*s));
	int err;

	o = o ? o : &defaults;
	s->reaper_fd = -1;
	s->slot = -1;
	*out = NULL;
	if (session__create(s, why, why_len) < 0)
		goto err_free;
	err = reaper__spawn(s);
	if (err < 0) {
		ks_format(why, why_len, "cannot start the process that removes the trace instance: %s",
			  strerror(-err));
		goto err_destroy;
	}
	/* A new instance records from the start; nothing until trace__start. */
	if (tracefs_trace_off(s->inst) < 0) {
		ks_format(why, why_len, "cannot turn the trace instance off: %s", strerror(errno));
		goto err_destroy;
	}
	if (session__set_clock(s, why, why_len) < 0 || session__set_buffer(s, o->buffer_kb, why, why_len) < 0)
		goto err_destroy;
	if (o->follow_forks && tracefs_option_enable(s->inst, TRACEFS_OPTION_EVENT_FORK) < 0) {
		ks_format(why, why_len, "cannot set the event-fork trace option: %s", strerror(errno));
		goto err_destroy;
	}
	if (session__enable_events(s, o->events ? o->events : TEV_DEFAULT_MASK, why, why_len) < 0)
		goto err_destroy;
	*out = s;
	return 0;
err_destroy:
	trace__close(s);
	return -1;
err_free:
	free(s);
	return -1;
}

int trace__add_tid(struct trace_session *s, int tid)
{
	char value[24];

	snprintf(value, sizeof(value), "%d", tid);
	if (tracefs_instance_file_append(s->inst, "set_event_pid", value) < 0)
		return -errno;
	s->filtered = true;
	return 0;
}

int trace__start(struct trace_session *s)
{
	/* An empty pid filter traces every task on the host: never that. */
	if (!s->filtered)
		return -EINVAL;
	if (tracefs_instance_file_clear(s->inst, "trace") < 0 || tracefs_trace_on(s->inst) < 0)
		return -errno;
	s->running = true;
	return 0;
}

int trace__stop(struct trace_session *s)
{
	s->running = false;
	return tracefs_trace_off(s->inst) < 0 ? -errno : 0;
}

struct read_ctx {
	struct trace_session *s;
	struct trace_events *out;
};

static void read_comm(struct trace_events *out, struct tep_format_field *f, struct tep_record *r, int pid)
{
	char comm[TEV_COMM_LEN];
	size_t len;

	if (!f || pid <= 0 || f->offset + f->size > r->size)
		return;
	len = (size_t)f->size < sizeof(comm) - 1 ? (size_t)f->size : sizeof(comm) - 1;
	memcpy(comm, (const char *)r->data + f->offset, len);
	comm[len] = '\0';
	trace_events__set_comm(out, pid, comm, r->ts);
}

/* Fills e's fields from the raw values v[], read in field_names order. */
static void decode(struct trace_event *e, const unsigned long long *v)
{
	switch (e->type) {
	case TEV_SYS_ENTER: e->arg = (int64_t)v[0]; break;
	case TEV_SIGNAL_GENERATE: e->arg = (int64_t)v[0]; e->other = (int32_t)v[1]; break;
	case TEV_SIGNAL_DELIVER: e->arg = (int64_t)v[0]; break;
	case TEV_SCHED_WAKING: e->other = (int32_t)v[0]; e->arg = (int32_t)v[1]; break;
	case TEV_SCHED_SWITCH:
		e->prev = (int32_t)v[0];
		e->arg = (int64_t)v[1];
		e->other = (int32_t)v[2];
		break;
	case TEV_KVM_MSI_SET_IRQ:
		/* The destination APIC ID: address bits 19:12, extended ID in 63:40. */
		e->vcpu = (int32_t)(((v[0] >> 12) & 0xff) | ((v[0] >> 32) & 0xffffff00));
		e->vector = (int32_t)(v[1] & 0xff);
		break;
	case TEV_KVM_APIC_IPI:
		e->vcpu = (int32_t)v[0];
		e->vector = (int32_t)(v[1] & 0xff);
		e->arg = (int64_t)((v[1] >> 18) & 3);
		break;
	case TEV_KVM_APIC_ACCEPT_IRQ:
	case TEV_KVM_EOI:
		e->vcpu = (int32_t)v[0];
		e->vector = (int32_t)v[1];
		break;
	case TEV_KVM_VCPU_WAKEUP: e->arg = (int64_t)v[0]; break;
	case TEV_KVM_EXIT: e->vcpu = (int32_t)v[0]; e->arg = (int64_t)v[1]; break;
	case TEV_KVM_ENTRY: e->vcpu = (int32_t)v[0]; break;
	case TEV_KVM_INJ_VIRQ: e->vector = (int32_t)v[0]; break;
	case TEV_KVM_USERSPACE_EXIT:
		e->arg = (int32_t)v[1] < 0 ? (int32_t)v[1] : (int64_t)v[0];
		break;
	case TEV_KVM_MSR: e->arg = (int64_t)v[0]; e->other = (int32_t)v[1]; break;
	case TEV_SCHED_PROCESS_FORK: e->other = (int32_t)v[0]; break;
	}
}

static int read_one(struct tep_event *ev, struct tep_record *r, int cpu, void *arg)
{
	struct read_ctx *c = arg;
	struct trace_event e = { .tsc = r->ts, .cpu = (int16_t)cpu, .vcpu = TEV_NONE,
				 .vector = TEV_NONE, .prev = TEV_NONE, .other = TEV_NONE };
	unsigned long long v[TRACE_MAX_FIELDS] = { 0 };
	const struct event_map *m = NULL;

	for (unsigned t = 0; t < TEV__COUNT; t++)
		if (c->s->map[t].id == ev->id && (c->s->enabled & TEV_MASK(t))) {
			m = &c->s->map[t];
			e.type = (uint16_t)t;
			break;
		}
	if (!m)
		return 0;
	e.pid = tep_data_pid(c->s->tep, r);
	for (int f = 0; f < TRACE_MAX_FIELDS; f++)
		if (m->field[f])
			tep_read_number_field(m->field[f], r->data, &v[f]);
	decode(&e, v);
	if (e.type == TEV_SCHED_SWITCH) {
		read_comm(c->out, m->comm[0], r, e.prev);
		read_comm(c->out, m->comm[1], r, e.other);
	} else if (e.type == TEV_SCHED_WAKING || e.type == TEV_SIGNAL_GENERATE) {
		read_comm(c->out, m->comm[0], r, e.other);
	}
	trace_events__append(c->out, &e);
	return 0;
}

/* Events the ring buffer overwrote or refused, summed over the CPUs. */
static uint64_t session__lost(struct trace_session *s)
{
	long ncpus = sysconf(_SC_NPROCESSORS_CONF);
	uint64_t lost = 0;

	for (long cpu = 0; cpu < ncpus; cpu++) {
		char file[64], *stats, *line;
		unsigned long long v;

		snprintf(file, sizeof(file), "per_cpu/cpu%ld/stats", cpu);
		stats = tracefs_instance_file_read(s->inst, file, NULL);
		for (line = stats; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
			if (sscanf(line, "overrun: %llu", &v) == 1 || sscanf(line, "dropped events: %llu", &v) == 1)
				lost += v;
		}
		free(stats);
	}
	return lost;
}

/*
 * Threads that emitted events but never appeared in a sched event get their
 * name from the kernel's saved_cmdlines, where it still has it.
 */
static void session__fill_comms(struct trace_session *s, struct trace_events *out, size_t first)
{
	bool loaded = false;

	for (size_t i = first; i < out->n; i++) {
		int pid = out->ev[i].pid;
		const char *comm;

		if (pid <= 0 || trace_events__comm(out, pid))
			continue;
		if (!loaded && tracefs_load_cmdlines(NULL, s->tep) < 0)
			return;
		loaded = true;
		comm = tep_data_comm_from_pid(s->tep, pid);
		/* libtraceevent answers "<...>" for a pid it does not know. */
		trace_events__set_comm(out, pid, comm && strcmp(comm, "<...>") ? comm : "<unknown>", 0);
	}
}

int trace__read(struct trace_session *s, struct trace_events *out, char *why, size_t why_len)
{
	struct read_ctx c = { s, out };
	size_t first = out->n;

	if (s->running)
		trace__stop(s);
	if (tracefs_iterate_raw_events(s->tep, s->inst, NULL, 0, read_one, &c) < 0) {
		ks_format(why, why_len, "cannot read the trace buffer of %s", s->path);
		return -1;
	}
	session__fill_comms(s, out, first);
	out->enabled |= s->enabled;
	out->lost += session__lost(s);
	trace_events__sort(out);
	return 0;
}

uint32_t trace__missing(const struct trace_session *s)
{
	return s->missing;
}

const char *trace__instance_path(const struct trace_session *s)
{
	return s->path;
}

void trace__close(struct trace_session *s)
{
	if (!s)
		return;
	if (s->inst) {
		tracefs_trace_off(s->inst);
		tracefs_instance_destroy(s->inst);
		tracefs_instance_free(s->inst);
	}
	if (s->slot >= 0)
		atomic_store(&cleanup_armed[s->slot], false);
	reaper__release(s);
	if (s->tep)
		tep_free(s->tep);
	free(s);
}
