// SPDX-License-Identifier: MIT
/*
 * Loading a report for `kickstorm compare`: read the bytes (a FIFO waits a
 * bounded time for its writer), parse them, and check every field compare
 * reads against the type the report schema gives it, so that a report
 * with `"sent": -5` or `"interrupted": "yes"` is refused with the field's
 * name instead of being compared as if it meant something. Reads schema
 * versions 1 and 2: v1 has no late/unresolved counts (read as 0) and no
 * kicks object (lost kicks unknown).
 */
#include "compare.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Far past any real report (10 000 scenarios take about 15 MiB); stops /dev/zero. */
#define REPORT_MAX_BYTES (1024UL << 20)

/* ---- reading ---------------------------------------------------------- */

struct bytes {
	char *data;
	size_t len, cap;
};

static int read_all(int fd, struct bytes *b, char *why, size_t why_len)
{
	for (;;) {
		ssize_t n;

		if (b->len == b->cap) {
			size_t cap = b->cap ? 2 * b->cap : 1 << 16;
			char *p;

			if (b->len >= REPORT_MAX_BYTES) {
				ks_format(why, why_len, "is larger than %lu MiB: not a report (allowed: up to "
					  "%lu MiB)", REPORT_MAX_BYTES >> 20, REPORT_MAX_BYTES >> 20);
				return -1;
			}
			p = realloc(b->data, cap + 1);
			if (!p) {
				ks_format(why, why_len, "out of memory while reading it (%zu bytes read)",
					  b->len);
				return -1;
			}
			b->data = p;
			b->cap = cap;
		}
		n = read(fd, b->data + b->len, b->cap - b->len);
		if (n > 0) {
			b->len += (size_t)n;
		} else if (n == 0) {
			return 0;
		} else if (errno == EAGAIN) {
			struct pollfd p = { .fd = fd, .events = POLLIN };

			poll(&p, 1, -1);
		} else if (errno != EINTR) {
			ks_format(why, why_len, "cannot read: %s", strerror(errno));
			return -1;
		}
	}
}

/*
 * A FIFO opened for reading without O_NONBLOCK waits in open() for a writer,
 * for ever if none comes. Opened non-blocking, poll() reports POLLIN once a
 * writer wrote and POLLHUP once one came and went (Linux counts writers
 * since this open), and nothing while none came: that wait is bounded.
 */
static int wait_for_writer(int fd, unsigned wait_s, char *why, size_t why_len)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int ret;

	do
		ret = poll(&p, 1, (int)(wait_s * 1000));
	while (ret < 0 && errno == EINTR);
	if (ret < 0) {
		ks_format(why, why_len, "cannot wait for the FIFO's writer: %s", strerror(errno));
		return -1;
	}
	if (ret == 0) {
		ks_format(why, why_len, "is a FIFO that no writer opened within %u s (allowed: --wait "
			  "SECONDS, up to %d, waits longer)", wait_s, COMPARE_MAX_WAIT_S);
		return -1;
	}
	return 0;
}

static int read_path(const char *path, unsigned wait_s, struct bytes *b, char *why, size_t why_len)
{
	bool is_stdin = !strcmp(path, "-");
	int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	int ret = -1;

	if (fd < 0) {
		ks_format(why, why_len, "cannot open: %s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		ks_format(why, why_len, "cannot stat: %s", strerror(errno));
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		ks_format(why, why_len, "is a directory, not a report");
		goto out;
	}
	/* stdin's writer is the process upstream, alive as long as the pipe is open. */
	if (!is_stdin && S_ISFIFO(st.st_mode) && wait_for_writer(fd, wait_s, why, why_len) < 0)
		goto out;
	if (!is_stdin)
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	ret = read_all(fd, b, why, why_len);
out:
	if (!is_stdin)
		close(fd);
	return ret;
}

/*
 * jansson does not always say that an allocation failed: a parse that ran
 * out of memory can end in "line -1, column -1" and no text. So the parse
 * watches jansson's allocations (compare is single-threaded).
 */
static json_malloc_t outer_malloc;
static bool alloc_failed;

static void *watching_malloc(size_t n)
{
	void *p = outer_malloc(n);

	alloc_failed |= !p;
	return p;
}

static json_t *parse(const char *data, size_t size, char *why, size_t why_len)
{
	json_malloc_t m;
	json_free_t f;
	json_error_t err;
	json_t *root;

	if (!size) {
		ks_format(why, why_len, "is empty: no JSON in it");
		return NULL;
	}
	json_get_alloc_funcs(&m, &f);
	outer_malloc = m;
	alloc_failed = false;
	json_set_alloc_funcs(watching_malloc, f);
	root = json_loadb(data, size, JSON_REJECT_DUPLICATES, &err);
	json_set_alloc_funcs(m, f);
	if (root)
		return root;
	if (alloc_failed || json_error_code(&err) == json_error_out_of_memory)
		ks_format(why, why_len, "out of memory while parsing it (%zu bytes of JSON)", size);
	else
		ks_format(why, why_len, "not valid JSON (line %d, column %d: %s)", err.line, err.column,
			  err.text);
	return NULL;
}

/* ---- what the schema says of the fields compare reads ----------------- */

enum kind {
	K_COUNT,                /* an integer >= 0 */
	K_COUNT_OR_NULL,
	K_NUMBER,               /* a finite number >= 0 */
	K_BOOL,
	K_STRING,
	K_STRING_OR_NULL,
	K_OBJECT,
	K_OBJECT_OR_NULL,
	K_ARRAY,
};

struct field {
	const char *key;
	enum kind kind;
	bool required;
};

static const char *const allowed_text[] = {
	[K_COUNT] = "an integer >= 0", [K_COUNT_OR_NULL] = "an integer >= 0 or null",
	[K_NUMBER] = "a number >= 0", [K_BOOL] = "true or false", [K_STRING] = "a string",
	[K_STRING_OR_NULL] = "a string or null", [K_OBJECT] = "an object",
	[K_OBJECT_OR_NULL] = "an object or null", [K_ARRAY] = "an array",
};

static bool kind_ok(const json_t *v, enum kind k)
{
	switch (k) {
	case K_COUNT_OR_NULL:
		if (json_is_null(v))
			return true;
		/* fall through */
	case K_COUNT:
		return json_is_integer(v) && json_integer_value(v) >= 0;
	case K_NUMBER:
		return json_is_number(v) && isfinite(json_number_value(v)) && json_number_value(v) >= 0;
	case K_BOOL:
		return json_is_boolean(v);
	case K_STRING_OR_NULL:
		if (json_is_null(v))
			return true;
		/* fall through */
	case K_STRING:
		return json_is_string(v);
	case K_OBJECT_OR_NULL:
		if (json_is_null(v))
			return true;
		/* fall through */
	case K_OBJECT:
		return json_is_object(v);
	case K_ARRAY:
		return json_is_array(v);
	}
	return false;
}

/* "scenarios[3].counts.sent is -5 (allowed: an integer >= 0)" */
static int refuse(const char *where, const char *key, const json_t *v, enum kind k, char *why, size_t why_len)
{
	char *text = NULL;
	const char *shown;

	if (!v)
		shown = NULL;
	else if (json_is_object(v))
		shown = "an object";
	else if (json_is_array(v))
		shown = "an array";
	else
		shown = text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
	if (!v)
		ks_format(why, why_len, "%s%s%s is missing (allowed: %s)", where, *where ? "." : "", key,
			  allowed_text[k]);
	else
		ks_format(why, why_len, "%s%s%s is %.40s%s (allowed: %s)", where, *where ? "." : "", key,
			  shown ? shown : "?", shown && strlen(shown) > 40 ? "..." : "", allowed_text[k]);
	free(text);
	return -1;
}

static int check_fields(const json_t *obj, const char *where, const struct field *f, size_t n,
			char *why, size_t why_len)
{
	for (size_t i = 0; i < n; i++) {
		const json_t *v = json_object_get(obj, f[i].key);

		if (!v && !f[i].required)
			continue;
		if (!v || !kind_ok(v, f[i].kind))
			return refuse(where, f[i].key, v, f[i].kind, why, why_len);
	}
	return 0;
}

static const struct field top_fields[] = {
	{ "scenarios", K_ARRAY, true }, { "interrupted", K_BOOL, false },
	{ "tool", K_OBJECT, false }, { "started_at", K_STRING, false }, { "host", K_OBJECT, false },
};
static const struct field tool_fields[] = { { "version", K_STRING, false } };
static const struct field host_fields[] = { { "kernel", K_STRING, false }, { "cpu", K_OBJECT, false } };
static const struct field cpu_fields[] = { { "model", K_STRING, false } };

static const struct field entry_fields[] = {
	{ "name", K_STRING, true }, { "params", K_OBJECT, true }, { "error", K_STRING_OR_NULL, false },
	{ "completed", K_BOOL, false }, { "interrupted", K_BOOL, false }, { "elapsed_s", K_NUMBER, false },
	{ "counts", K_OBJECT, true }, { "kicks", K_OBJECT_OR_NULL, false },
	{ "latency_ns", K_OBJECT_OR_NULL, false },
};
/* v1 has no late and no unresolved; missing, they read as 0. */
static const struct field count_fields[] = {
	{ "sent", K_COUNT, true }, { "delivered", K_COUNT, true }, { "coalesced", K_COUNT, true },
	{ "lost", K_COUNT, true }, { "late", K_COUNT, false }, { "unresolved", K_COUNT, false },
};
/* v2 only; in_window, honoured and lost are null where no scenario counts them. */
static const struct field kick_fields[] = {
	{ "sent", K_COUNT, false }, { "rekicks", K_COUNT, false }, { "failed", K_COUNT, false },
	{ "in_window", K_COUNT_OR_NULL, false }, { "honoured", K_COUNT_OR_NULL, false },
	{ "lost", K_COUNT_OR_NULL, false },
};
static const struct field latency_fields[] = {
	{ "count", K_COUNT, true }, { "p50", K_NUMBER, true }, { "p90", K_NUMBER, true },
	{ "p99", K_NUMBER, true }, { "p999", K_NUMBER, true }, { "max", K_NUMBER, true },
	{ "mean", K_NUMBER, true },
};

#define CHECK(obj, where, fields) \
	check_fields((obj), (where), (fields), KS_ARRAY_SIZE(fields), why, why_len)

static int check_entry(const json_t *sc, size_t i, char *why, size_t why_len)
{
	char where[64], sub[80];

	ks_format(where, sizeof(where), "scenarios[%zu]", i);
	if (!json_is_object(sc)) {
		ks_format(why, why_len, "%s is not an object", where);
		return -1;
	}
	if (CHECK(sc, where, entry_fields) < 0)
		return -1;
	ks_format(sub, sizeof(sub), "%s.counts", where);
	if (CHECK(json_object_get(sc, "counts"), sub, count_fields) < 0)
		return -1;
	ks_format(sub, sizeof(sub), "%s.kicks", where);
	if (json_is_object(json_object_get(sc, "kicks")) &&
	    CHECK(json_object_get(sc, "kicks"), sub, kick_fields) < 0)
		return -1;
	ks_format(sub, sizeof(sub), "%s.latency_ns", where);
	if (json_is_object(json_object_get(sc, "latency_ns")) &&
	    CHECK(json_object_get(sc, "latency_ns"), sub, latency_fields) < 0)
		return -1;
	return 0;
}

static int check_top(const json_t *root, char *why, size_t why_len)
{
	const json_t *v = json_object_get(root, "schema_version");
	const json_t *host = json_object_get(root, "host");

	if (!json_is_object(root)) {
		ks_format(why, why_len, "not a kickstorm report: the top level is not a JSON object");
		return -1;
	}
	if (!v) {
		ks_format(why, why_len, "not a kickstorm report: no \"schema_version\"");
		return -1;
	}
	if (!json_is_integer(v) || json_integer_value(v) < COMPARE_SCHEMA_MIN ||
	    json_integer_value(v) > COMPARE_SCHEMA_MAX) {
		char *text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);

		ks_format(why, why_len, "schema_version %.40s is not supported (allowed: %d, %d)",
			  text ? text : "?", COMPARE_SCHEMA_MIN, COMPARE_SCHEMA_MAX);
		free(text);
		return -1;
	}
	if (CHECK(root, "", top_fields) < 0 || CHECK(json_object_get(root, "tool"), "tool", tool_fields) < 0 ||
	    CHECK(host, "host", host_fields) < 0 ||
	    CHECK(json_object_get(host, "cpu"), "host.cpu", cpu_fields) < 0)
		return -1;
	return 0;
}

/* ---- the entry points -------------------------------------------------- */

int compare__from_json(struct compare_report *r, json_t *root, const char *path,
		       const struct compare_options *o, char *why, size_t why_len)
{
	struct compare_options defaults;
	const json_t *sc;
	size_t i;

	memset(r, 0, sizeof(*r));
	if (!o) {
		compare__default_options(&defaults);
		o = &defaults;
	}
	r->path = path;
	r->root = root;
	if (check_top(root, why, why_len) < 0)
		goto err;
	json_array_foreach(json_object_get(root, "scenarios"), i, sc)
		if (check_entry(sc, i, why, why_len) < 0)
			goto err;
	r->schema_version = (int)json_integer_value(json_object_get(root, "schema_version"));
	r->interrupted = json_is_true(json_object_get(root, "interrupted"));
	compare__group_entries(r, o);
	return 0;
err:
	json_decref(root);
	r->root = NULL;
	return -1;
}

int compare__load_buffer(struct compare_report *r, const char *data, size_t size, const char *path,
			 const struct compare_options *o, char *why, size_t why_len)
{
	json_t *root = parse(data, size, why, why_len);

	if (!root) {
		memset(r, 0, sizeof(*r));
		return -1;
	}
	return compare__from_json(r, root, path, o, why, why_len);
}

int compare__load(struct compare_report *r, const char *path, const struct compare_options *o,
		  char *why, size_t why_len)
{
	struct bytes b = { 0 };
	int ret;

	memset(r, 0, sizeof(*r));
	if (read_path(path, o ? o->wait_s : COMPARE_DEFAULT_WAIT_S, &b, why, why_len) < 0) {
		free(b.data);
		return -1;
	}
	ret = compare__load_buffer(r, b.data ? b.data : "", b.len, path, o, why, why_len);
	free(b.data);
	return ret;
}

void compare__release_report(struct compare_report *r)
{
	compare__release_groups(r);
	json_decref(r->root);
	memset(r, 0, sizeof(*r));
}
