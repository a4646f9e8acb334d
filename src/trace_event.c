// SPDX-License-Identifier: MIT
#include "trace_event.h"
#include "util.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

enum tev_field { F_VCPU, F_VECTOR, F_ARG, F_PREV, F_OTHER };

struct tev_key {
	const char *key;
	enum tev_field field;
};

#define TEV_MAX_KEYS 3

struct tev_desc {
	const char *system, *name;
	struct tev_key keys[TEV_MAX_KEYS];
};

static const struct tev_desc descs[TEV__COUNT] = {
	[TEV_SYS_ENTER] = { "raw_syscalls", "sys_enter", { { "nr", F_ARG } } },
	[TEV_SIGNAL_GENERATE] = { "signal", "signal_generate", { { "sig", F_ARG }, { "to", F_OTHER } } },
	[TEV_SIGNAL_DELIVER] = { "signal", "signal_deliver", { { "sig", F_ARG } } },
	[TEV_SCHED_WAKING] = { "sched", "sched_waking", { { "wakee", F_OTHER }, { "target_cpu", F_ARG } } },
	[TEV_SCHED_SWITCH] = { "sched", "sched_switch",
			       { { "prev", F_PREV }, { "state", F_ARG }, { "next", F_OTHER } } },
	[TEV_KVM_MSI_SET_IRQ] = { "kvm", "kvm_msi_set_irq", { { "dest", F_VCPU }, { "vector", F_VECTOR } } },
	[TEV_KVM_APIC_IPI] = { "kvm", "kvm_apic_ipi",
			       { { "dest", F_VCPU }, { "vector", F_VECTOR }, { "shorthand", F_ARG } } },
	[TEV_KVM_APIC_ACCEPT_IRQ] = { "kvm", "kvm_apic_accept_irq",
				      { { "apicid", F_VCPU }, { "vector", F_VECTOR } } },
	[TEV_KVM_VCPU_WAKEUP] = { "kvm", "kvm_vcpu_wakeup", { { "waited", F_ARG } } },
	[TEV_KVM_EXIT] = { "kvm", "kvm_exit", { { "vcpu", F_VCPU }, { "reason", F_ARG } } },
	[TEV_KVM_ENTRY] = { "kvm", "kvm_entry", { { "vcpu", F_VCPU } } },
	[TEV_KVM_INJ_VIRQ] = { "kvm", "kvm_inj_virq", { { "vector", F_VECTOR } } },
	[TEV_KVM_EOI] = { "kvm", "kvm_eoi", { { "apicid", F_VCPU }, { "vector", F_VECTOR } } },
	[TEV_KVM_USERSPACE_EXIT] = { "kvm", "kvm_userspace_exit", { { "reason", F_ARG } } },
	[TEV_KVM_MSR] = { "kvm", "kvm_msr", { { "msr", F_ARG }, { "write", F_OTHER } } },
	[TEV_SCHED_PROCESS_FORK] = { "sched", "sched_process_fork", { { "child", F_OTHER } } },
};

static const char *const kind_names[TRACE_KICK__COUNT] = {
	[TRACE_KICK_SIGNAL] = "signal",
	[TRACE_KICK_MSI_IOCTL] = "msi",
	[TRACE_KICK_EVENTFD] = "eventfd",
	[TRACE_KICK_GUEST_IPI] = "guest_ipi",
};

const char *trace_event__name(unsigned type)
{
	return type < TEV__COUNT ? descs[type].name : NULL;
}

const char *trace_event__system(unsigned type)
{
	return type < TEV__COUNT ? descs[type].system : NULL;
}

int trace_event__from_name(const char *name)
{
	for (unsigned t = 0; t < TEV__COUNT; t++)
		if (!strcmp(descs[t].name, name))
			return (int)t;
	return -1;
}

const char *trace_kick__kind_name(enum trace_kick_kind kind)
{
	return (unsigned)kind < TRACE_KICK__COUNT ? kind_names[kind] : "unknown";
}

int trace_kick__kind_from_name(const char *name)
{
	for (unsigned k = 0; k < TRACE_KICK__COUNT; k++)
		if (!strcmp(kind_names[k], name))
			return (int)k;
	return -1;
}

static void *grow(void *array, size_t *cap, size_t need, size_t size)
{
	size_t n = *cap ? *cap : 256;
	void *p;

	if (need <= *cap)
		return array;
	while (n < need)
		n *= 2;
	p = realloc(array, n * size);
	if (!p) {
		ks_error("out of memory for %zu trace records", n);
		abort();
	}
	*cap = n;
	return p;
}

void trace_events__append(struct trace_events *s, const struct trace_event *e)
{
	s->ev = grow(s->ev, &s->cap, s->n + 1, sizeof(*s->ev));
	s->ev[s->n++] = *e;
}

void trace_events__append_kick(struct trace_events *s, const struct trace_kick *k)
{
	s->kicks = grow(s->kicks, &s->kicks_cap, s->nkicks + 1, sizeof(*s->kicks));
	s->kicks[s->nkicks++] = *k;
}

void trace_events__set_comm(struct trace_events *s, int pid, const char *comm, uint64_t tsc)
{
	struct trace_comm *c = NULL;

	/* A run has tens of threads: a linear search, newest first, is enough. */
	for (size_t i = s->ncomms; i-- > 0;)
		if (s->comms[i].pid == pid) {
			c = &s->comms[i];
			break;
		}
	if (!c) {
		s->comms = grow(s->comms, &s->comms_cap, s->ncomms + 1, sizeof(*s->comms));
		c = &s->comms[s->ncomms++];
		c->pid = pid;
	} else if (tsc < c->tsc) {
		return;
	}
	c->tsc = tsc;
	snprintf(c->comm, sizeof(c->comm), "%s", comm);
}

const char *trace_events__comm(const struct trace_events *s, int pid)
{
	for (size_t i = s->ncomms; i-- > 0;)
		if (s->comms[i].pid == pid)
			return s->comms[i].comm;
	return NULL;
}

/* Merge sort: qsort is not stable, and equal stamps must keep each CPU's order. */
static void merge_sort(struct trace_event *a, struct trace_event *tmp, size_t n)
{
	size_t half = n / 2, i = 0, j = half, k = 0;

	if (n < 2)
		return;
	merge_sort(a, tmp, half);
	merge_sort(a + half, tmp, n - half);
	if (a[half - 1].tsc <= a[half].tsc)
		return;
	while (i < half && j < n)
		tmp[k++] = a[j].tsc < a[i].tsc ? a[j++] : a[i++];
	while (i < half)
		tmp[k++] = a[i++];
	memcpy(a, tmp, k * sizeof(*a));
}

void trace_events__sort(struct trace_events *s)
{
	struct trace_event *tmp;

	if (s->n < 2)
		return;
	tmp = malloc(s->n * sizeof(*tmp));
	if (!tmp) {
		ks_error("out of memory sorting %zu trace events", s->n);
		abort();
	}
	merge_sort(s->ev, tmp, s->n);
	free(tmp);
}

size_t trace_events__lower_bound(const struct trace_events *s, uint64_t tsc)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->ev[mid].tsc < tsc)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

void trace_events__release(struct trace_events *s)
{
	free(s->ev);
	free(s->comms);
	free(s->kicks);
	memset(s, 0, sizeof(*s));
}

static int64_t get_field(const struct trace_event *e, enum tev_field f)
{
	switch (f) {
	case F_VCPU: return e->vcpu;
	case F_VECTOR: return e->vector;
	case F_ARG: return e->arg;
	case F_PREV: return e->prev;
	case F_OTHER: return e->other;
	}
	return TEV_NONE;
}

static void store_field(struct trace_event *e, enum tev_field f, int64_t v)
{
	switch (f) {
	case F_VCPU: e->vcpu = (int32_t)v; break;
	case F_VECTOR: e->vector = (int32_t)v; break;
	case F_ARG: e->arg = v; break;
	case F_PREV: e->prev = (int32_t)v; break;
	case F_OTHER: e->other = (int32_t)v; break;
	}
}

static void write_event(const struct trace_event *e, FILE *out)
{
	const struct tev_desc *d = &descs[e->type];

	fprintf(out, "%" PRIu64 " %d %d %s", e->tsc, e->cpu, e->pid, d->name);
	for (unsigned k = 0; k < TEV_MAX_KEYS && d->keys[k].key; k++)
		fprintf(out, " %s=%" PRId64, d->keys[k].key, get_field(e, d->keys[k].field));
	fputc('\n', out);
}

void trace_kick__write(const struct trace_kick *k, FILE *out)
{
	fprintf(out, "kick kind=%s kick=%" PRIu64 " observed=%" PRIu64 " sender=%d sender_vcpu=%d "
		"target=%d vcpu=%u vector=%u latency_ns=%" PRIu64 "\n", trace_kick__kind_name(k->kind),
		k->kick_tsc, k->observed_tsc, k->sender_tid, k->sender_vcpu, k->target_tid,
		k->target_vcpu, k->vector, k->latency_ns);
}

int trace_events__write(const struct trace_events *s, FILE *out, uint64_t from, uint64_t to)
{
	fputs("# kickstorm trace events, format 1 (src/trace_event.h)\n", out);
	if (s->tsc_khz)
		fprintf(out, "tsc_khz %" PRIu64 "\n", s->tsc_khz);
	fputs("enabled", out);
	for (unsigned t = 0; t < TEV__COUNT; t++)
		if (s->enabled & TEV_MASK(t))
			fprintf(out, " %s", descs[t].name);
	fprintf(out, "\nlost %" PRIu64 "\n", s->lost);
	for (size_t i = 0; i < s->ncomms; i++)
		fprintf(out, "comm %d %s\n", s->comms[i].pid, s->comms[i].comm);
	for (size_t i = 0; i < s->nkicks; i++)
		trace_kick__write(&s->kicks[i], out);
	for (size_t i = 0; i < s->n; i++)
		if (s->ev[i].tsc >= from && s->ev[i].tsc <= to)
			write_event(&s->ev[i], out);
	return fflush(out) || ferror(out) ? -1 : 0;
}

/* "key=value" with a decimal or 0x value. */
static int split_pair(char *tok, char **key, int64_t *value)
{
	char *eq = strchr(tok, '='), *end;

	if (!eq || eq == tok || !eq[1])
		return -1;
	*eq = '\0';
	*key = tok;
	errno = 0;
	*value = strtoll(eq + 1, &end, 0);
	return errno || *end ? -1 : 0;
}

static int parse_event(struct trace_events *s, char *line, char *why, size_t why_len)
{
	struct trace_event e = { .vcpu = TEV_NONE, .vector = TEV_NONE, .prev = TEV_NONE,
				 .other = TEV_NONE };
	char name[48], *rest;
	unsigned long long tsc;
	int cpu, pid, used, type;

	if (sscanf(line, "%llu %d %d %47s%n", &tsc, &cpu, &pid, name, &used) != 4) {
		ks_format(why, why_len, "expected 'TSC CPU PID EVENT key=value...'");
		return -1;
	}
	type = trace_event__from_name(name);
	if (type < 0) {
		ks_format(why, why_len, "unknown event '%s'", name);
		return -1;
	}
	e.tsc = tsc;
	e.cpu = (int16_t)cpu;
	e.pid = pid;
	e.type = (uint16_t)type;
	for (char *tok = strtok_r(line + used, " \t\n", &rest); tok; tok = strtok_r(NULL, " \t\n", &rest)) {
		const struct tev_desc *d = &descs[type];
		char *key;
		int64_t v;
		unsigned k;

		if (split_pair(tok, &key, &v) < 0) {
			ks_format(why, why_len, "bad key=value '%s'", tok);
			return -1;
		}
		for (k = 0; k < TEV_MAX_KEYS && d->keys[k].key && strcmp(d->keys[k].key, key); k++)
			;
		if (k == TEV_MAX_KEYS || !d->keys[k].key) {
			ks_format(why, why_len, "%s has no key '%s'", name, key);
			return -1;
		}
		store_field(&e, d->keys[k].field, v);
	}
	trace_events__append(s, &e);
	return 0;
}

static int kick_field(struct trace_kick *k, const char *key, const char *val)
{
	char *end;
	long long v;

	if (!strcmp(key, "kind")) {
		int kind = trace_kick__kind_from_name(val);

		k->kind = (enum trace_kick_kind)kind;
		return kind < 0 ? -1 : 0;
	}
	errno = 0;
	v = strtoll(val, &end, 0);
	if (errno || *end || !*val)
		return -1;
	if (!strcmp(key, "kick")) k->kick_tsc = (uint64_t)v;
	else if (!strcmp(key, "observed")) k->observed_tsc = (uint64_t)v;
	else if (!strcmp(key, "sender")) k->sender_tid = (int)v;
	else if (!strcmp(key, "sender_vcpu")) k->sender_vcpu = (int)v;
	else if (!strcmp(key, "target")) k->target_tid = (int)v;
	else if (!strcmp(key, "vcpu")) k->target_vcpu = (unsigned)v;
	else if (!strcmp(key, "vector")) k->vector = (unsigned)v;
	else if (!strcmp(key, "latency_ns")) k->latency_ns = (uint64_t)v;
	else return -1;
	return 0;
}

static int parse_kick(struct trace_events *s, char *line, char *why, size_t why_len)
{
	struct trace_kick k = { .sender_vcpu = -1 };
	char *rest;

	for (char *tok = strtok_r(line, " \t\n", &rest); tok; tok = strtok_r(NULL, " \t\n", &rest)) {
		char *eq = strchr(tok, '=');

		if (!eq || (*eq = '\0', kick_field(&k, tok, eq + 1) < 0)) {
			ks_format(why, why_len, "bad kick field '%s'", tok);
			return -1;
		}
	}
	if (!k.kick_tsc || k.observed_tsc < k.kick_tsc) {
		ks_format(why, why_len, "a kick needs kick=TSC and observed=TSC not before it");
		return -1;
	}
	trace_events__append_kick(s, &k);
	return 0;
}

static int parse_enabled(struct trace_events *s, char *list, char *why, size_t why_len)
{
	char *rest;

	for (char *tok = strtok_r(list, " \t\n", &rest); tok; tok = strtok_r(NULL, " \t\n", &rest)) {
		int t = trace_event__from_name(tok);

		if (t < 0) {
			ks_format(why, why_len, "unknown event '%s'", tok);
			return -1;
		}
		s->enabled |= TEV_MASK(t);
	}
	return 0;
}

static int parse_line(struct trace_events *s, char *line, char *why, size_t why_len)
{
	unsigned long long v;
	int pid, used;

	line[strcspn(line, "\n")] = '\0';
	if (!line[0] || line[0] == '#')
		return 0;
	if (!strncmp(line, "kick ", 5))
		return parse_kick(s, line + 5, why, why_len);
	if (!strncmp(line, "enabled", 7) && (line[7] == ' ' || !line[7]))
		return parse_enabled(s, line + 7, why, why_len);
	if (sscanf(line, "tsc_khz %llu", &v) == 1) {
		s->tsc_khz = v;
		return 0;
	}
	if (sscanf(line, "lost %llu", &v) == 1) {
		s->lost += v;
		return 0;
	}
	if (sscanf(line, "comm %d %n", &pid, &used) == 1 && line[used]) {
		trace_events__set_comm(s, pid, line + used, 0);
		return 0;
	}
	return parse_event(s, line, why, why_len);
}

int trace_events__read(struct trace_events *s, FILE *in, char *why, size_t why_len)
{
	char line[512], what[200];
	unsigned long lineno = 0;

	while (fgets(line, sizeof(line), in)) {
		lineno++;
		if (!strchr(line, '\n') && !feof(in)) {
			ks_format(why, why_len, "line %lu: longer than %zu characters", lineno, sizeof(line) - 2);
			return -1;
		}
		if (parse_line(s, line, what, sizeof(what)) < 0) {
			ks_format(why, why_len, "line %lu: %s", lineno, what);
			return -1;
		}
	}
	if (ferror(in)) {
		ks_format(why, why_len, "read error: %s", strerror(errno));
		return -1;
	}
	trace_events__sort(s);
	return 0;
}
