/* SPDX-License-Identifier: MIT */
#ifndef KICKSTORM_FLOOR_RATIO_H
#define KICKSTORM_FLOOR_RATIO_H

#include <jansson.h>

/*
 * After every scenario ran, whatever the order: adds "floor_ratio" to each
 * signal, msi, irqfd and ipi entry when a floor entry is in scenarios.
 */
void floor_ratio__annotate(json_t *scenarios);

#endif
