// SPDX-License-Identifier: MIT
/*
 * compare's statistics: medians and the Mann-Whitney U test. Ranks are kept
 * doubled so that midranks of ties stay integers, which lets the exact test
 * count rank-sum subsets with ties as easily as without. Doubled ranks and
 * their sums are 64-bit: with n pooled samples a rank sum reaches n^2, past
 * 32 bits from about 46 000 repetitions a side, and a wrapped sum turned
 * a report compared with itself into p = 0.
 */
#include "compare.h"
#include "util.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int double_cmp(const void *pa, const void *pb)
{
	double a = *(const double *)pa, b = *(const double *)pb;

	return (a > b) - (a < b);
}

double compare__median(const double *v, size_t n)
{
	double *s, m;

	if (!n)
		return NAN;
	s = ks_zalloc(n * sizeof(*s));
	memcpy(s, v, n * sizeof(*s));
	qsort(s, n, sizeof(*s), double_cmp);
	m = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
	free(s);
	return m;
}

struct ranked {
	double value;
	bool in_a;
	uint64_t rank2;         /* twice the midrank: an integer even within ties */
};

static int ranked_cmp(const void *pa, const void *pb)
{
	return double_cmp(&((const struct ranked *)pa)->value, &((const struct ranked *)pb)->value);
}

/*
 * Ranks a and b together. Returns twice a's rank sum; *ties gets
 * sum(t^3 - t) over groups of t tied values, for the variance correction.
 */
static uint64_t rank_samples(const double *a, size_t na, const double *b, size_t nb,
			     struct ranked *r, double *ties)
{
	size_t n = na + nb, i = 0, j;
	uint64_t w2 = 0;

	for (size_t k = 0; k < na; k++)
		r[k] = (struct ranked){ a[k], true, 0 };
	for (size_t k = 0; k < nb; k++)
		r[na + k] = (struct ranked){ b[k], false, 0 };
	qsort(r, n, sizeof(*r), ranked_cmp);
	*ties = 0;
	for (; i < n; i = j) {
		for (j = i + 1; j < n && r[j].value == r[i].value; j++)
			;
		/* Positions i+1 .. j share the midrank (i + 1 + j) / 2. */
		for (size_t k = i; k < j; k++)
			r[k].rank2 = (uint64_t)(i + 1 + j);
		*ties += pow((double)(j - i), 3) - (double)(j - i);
	}
	for (size_t k = 0; k < n; k++)
		if (r[k].in_a)
			w2 += r[k].rank2;
	return w2;
}

double compare__mw_exact_p(const double *a, size_t na, const double *b, size_t nb)
{
	size_t n = na + nb, maxsum = n * (n + 1);
	double ties, total = 0, lo = 0, hi = 0, *dp;
	struct ranked *r;
	uint64_t w2;

	if (!na || !nb)
		return 1.0;
	r = ks_zalloc(n * sizeof(*r));
	w2 = rank_samples(a, na, b, nb, r, &ties);

	/*
	 * dp[k][s]: how many k-subsets of the pooled ranks have doubled rank
	 * sum s. Under the null hypothesis every na-subset is a's equally often.
	 */
	dp = ks_zalloc((na + 1) * (maxsum + 1) * sizeof(*dp));
	dp[0] = 1;
	for (size_t e = 0; e < n; e++) {
		size_t w = (size_t)r[e].rank2, kmax = e + 1 < na ? e + 1 : na;

		for (size_t k = kmax; k >= 1; k--)
			for (size_t s = maxsum; s >= w; s--)
				dp[k * (maxsum + 1) + s] += dp[(k - 1) * (maxsum + 1) + s - w];
	}
	for (size_t s = 0; s <= maxsum; s++) {
		double c = dp[na * (maxsum + 1) + s];

		total += c;
		lo += s <= w2 ? c : 0;
		hi += s >= w2 ? c : 0;
	}
	free(dp);
	free(r);
	return fmin(1.0, 2 * fmin(lo, hi) / total);
}

double compare__mw_normal_p(const double *a, size_t na, const double *b, size_t nb)
{
	double n = (double)(na + nb), ties, u, mu, var, z;
	struct ranked *r;
	uint64_t w2;

	if (!na || !nb)
		return 1.0;
	r = ks_zalloc((na + nb) * sizeof(*r));
	w2 = rank_samples(a, na, b, nb, r, &ties);
	free(r);
	u = (double)w2 / 2.0 - (double)na * ((double)na + 1) / 2;
	mu = (double)na * (double)nb / 2;
	var = (double)na * (double)nb / 12 * ((n + 1) - ties / (n * (n - 1)));
	if (var <= 0)
		return 1.0;
	z = fmax(0.0, fabs(u - mu) - 0.5) / sqrt(var);
	return fmin(1.0, erfc(z / M_SQRT2));
}

int compare__mann_whitney(const double *a, size_t na, const double *b, size_t nb,
			  struct mann_whitney *res)
{
	struct ranked *r;
	double ties;

	if (!na || !nb)
		return -1;
	r = ks_zalloc((na + nb) * sizeof(*r));
	res->u = (double)rank_samples(a, na, b, nb, r, &ties) / 2.0 - (double)na * ((double)na + 1) / 2;
	free(r);
	res->exact = na + nb <= COMPARE_EXACT_MAX;
	res->p = res->exact ? compare__mw_exact_p(a, na, b, nb) : compare__mw_normal_p(a, na, b, nb);
	return 0;
}

double compare__mw_min_p(size_t na, size_t nb)
{
	double ways = 1;

	for (size_t i = 1; i <= na; i++)
		ways = ways * (double)(nb + i) / (double)i;
	return fmin(1.0, 2 / ways);
}
