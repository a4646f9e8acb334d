// SPDX-License-Identifier: MIT
#include "trace_table.h"
#include "report_groups.h"
#include "trace_stages.h"

void trace_table__print(const json_t *root, const char *only, int markdown, FILE *out)
{
	struct report_groups gs;

	report_groups__build(&gs, root, only);
	for (size_t g = 0; g < gs.n; g++) {
		for (size_t j = 0; j < gs.group[g].n; j++) {
			const json_t *trace = json_object_get(report_groups__entry(&gs, &gs.group[g], j), "trace");
			char label[512];

			if (!json_is_object(trace))
				continue;
			report_groups__label(&gs.group[g], j, label, sizeof(label));
			fputs(markdown ? "\n```\n" : "\n", out);
			trace_stages__print_json(trace, label, out);
			if (markdown)
				fputs("```\n", out);
		}
	}
	report_groups__release(&gs);
}
