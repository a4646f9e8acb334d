// SPDX-License-Identifier: MIT
/*
 * irqfd: the msi scenario's interrupts, raised by writing an eventfd.
 *
 * Each (sender, target) pair gets an eventfd bound with KVM_IRQFD to a GSI
 * that KVM_SET_GSI_ROUTING routes as an MSI with vector REQ_VECTOR(sender)
 * to the target's APIC ID. The kick is write(eventfd, 1): KVM's wait-queue
 * callback injects an MSI route directly from the writer's context (or from
 * a worker when it cannot), so this is the path a vhost or VFIO interrupt
 * takes into a guest.
 *
 * Latency: request published (host TSC) -> guest handler (guest TSC minus
 * KVM_VCPU_TSC_OFFSET), as for msi.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "interrupts.h"

/*
 * KVM_CREATE_IRQCHIP routes GSIs 0-23 to the PIC and IOAPIC pins; our GSIs
 * start above them so a GSI number never reads like a legacy pin.
 */
#define IRQFD_GSI_BASE 24

struct irqfd_pair {
	int fd;             /* -1 when the pattern never uses the pair */
	uint32_t gsi;
};

struct irqfd_set {
	int vm_fd;
	unsigned nvcpus, nsenders, nroutes;
	struct irqfd_pair *pairs;   /* [sender * nvcpus + vcpu] */
};

static struct irqfd_pair *irqfd__pair(struct irqfd_set *set, unsigned sender, unsigned vcpu)
{
	return &set->pairs[sender * set->nvcpus + vcpu];
}

/* The storm's choice of targets (storm.c, sender__create): only those pairs get an irqfd. */
static bool irqfd__pair_used(const struct ks_config *cfg, unsigned nvcpus, unsigned sender,
			     unsigned vcpu)
{
	return cfg->pattern != PATTERN_ONE_TO_ONE || vcpu == sender % nvcpus;
}

static int irqfd__kick(void *state, unsigned sender, struct vcpu *target, uint64_t seq)
{
	struct irqfd_set *set = state;
	uint64_t one = 1;

	(void)seq;
	if (write(irqfd__pair(set, sender, target->id)->fd, &one, sizeof(one)) != sizeof(one))
		return -errno;
	return 0;
}

static int irqfd__set_routing(struct irqfd_set *set)
{
	struct kvm_irq_routing *table = ks_zalloc(sizeof(*table) +
						  set->nroutes * sizeof(table->entries[0]));
	unsigned n = 0;
	long ret;

	for (unsigned s = 0; s < set->nsenders; s++) {
		for (unsigned v = 0; v < set->nvcpus; v++) {
			struct irqfd_pair *p = irqfd__pair(set, s, v);
			struct kvm_irq_routing_entry *e;

			if (p->fd < 0)
				continue;
			e = &table->entries[n++];
			e->gsi = p->gsi;
			e->type = KVM_IRQ_ROUTING_MSI;
			interrupts__msi_route(v, REQ_VECTOR(s), &e->u.msi.address_lo,
					      &e->u.msi.address_hi, &e->u.msi.data);
		}
	}
	table->nr = n;
	ret = kvm__ioctl_checked(set->vm_fd, KVM_SET_GSI_ROUTING, table, "KVM_SET_GSI_ROUTING", "the VM");
	free(table);
	return ret < 0 ? -1 : 0;
}

/* The VM is gone, and with it the irqfd bindings: only the eventfds are left. */
static void irqfd__teardown(struct irqfd_set *set)
{
	unsigned npairs = set->nsenders * set->nvcpus;

	for (unsigned i = 0; set->pairs && i < npairs; i++)
		if (set->pairs[i].fd >= 0)
			close(set->pairs[i].fd);
	free(set->pairs);
	set->pairs = NULL;
}

static int irqfd__create_fds(struct irqfd_set *set, const struct ks_config *cfg)
{
	unsigned npairs = set->nsenders * set->nvcpus;

	set->pairs = ks_zalloc(npairs * sizeof(*set->pairs));
	for (unsigned i = 0; i < npairs; i++)
		set->pairs[i].fd = -1;
	for (unsigned s = 0; s < set->nsenders; s++) {
		for (unsigned v = 0; v < set->nvcpus; v++) {
			struct irqfd_pair *p = irqfd__pair(set, s, v);

			if (!irqfd__pair_used(cfg, set->nvcpus, s, v))
				continue;
			p->fd = eventfd(0, EFD_CLOEXEC);
			if (p->fd < 0) {
				ks_error_errno(errno, "cannot create the eventfd of sender %u -> vcpu %u",
					       s, v);
				return -1;
			}
			p->gsi = IRQFD_GSI_BASE + set->nroutes++;
		}
	}
	return 0;
}

/* An eventfd per sender/target pair the pattern uses, routed as an MSI and bound as an irqfd. */
static int irqfd__setup(struct scenario_run *run)
{
	struct irqfd_set *set = run->state;
	const struct ks_config *cfg = run->ctx->cfg;

	set->vm_fd = run->engine->vm.fd;
	set->nvcpus = run->engine->vm.nvcpus;
	set->nsenders = cfg->senders;
	if (irqfd__create_fds(set, cfg) < 0 || irqfd__set_routing(set) < 0)
		goto err;
	for (unsigned i = 0; i < set->nsenders * set->nvcpus; i++) {
		struct irqfd_pair *p = &set->pairs[i];
		struct kvm_irqfd assign = { .fd = (uint32_t)p->fd, .gsi = p->gsi };

		if (p->fd < 0)
			continue;
		if (kvm__ioctl_checked(set->vm_fd, KVM_IRQFD, &assign, "KVM_IRQFD", "the VM") < 0)
			goto err;
	}
	return 0;
err:
	ks_format(run->res->error, sizeof(run->res->error), "could not bind the irqfds: %s",
		  ks_last_error());
	return -1;
}

static void irqfd__details(struct scenario_run *run)
{
	struct irqfd_set *set = run->state;

	json_object_set_new(run->res->extra, "gsi_routes", json_integer(set->nroutes));
}

static void irqfd__release(struct scenario_run *run)
{
	irqfd__teardown(run->state);
}

static bool irqfd__supported(const struct scenario_ctx *ctx, char *why, size_t why_len)
{
	long max_routes = kvm__check_extension(ctx->kvm_fd, KVM_CAP_IRQ_ROUTING);
	unsigned long routes = ctx->cfg->senders *
			       (ctx->cfg->pattern == PATTERN_ONE_TO_ONE ? 1ul : ctx->vcpus);

	if (kvm__check_extension(ctx->kvm_fd, KVM_CAP_IRQFD) <= 0 || max_routes <= 0) {
		ks_format(why, why_len, "KVM_CAP_IRQFD or KVM_CAP_IRQ_ROUTING is not available");
		return false;
	}
	if (IRQFD_GSI_BASE + routes > (unsigned long)max_routes) {
		ks_format(why, why_len, "%lu sender/vCPU pairs need more GSI routes than the %ld "
			  "KVM allows", routes, max_routes);
		return false;
	}
	return true;
}

static const struct storm_kick irqfd_kick = {
	.name = "eventfd write (irqfd)",
	.is_interrupt = true,
	.trace_kind = TRACE_KICK_EVENTFD,
	.kick = irqfd__kick,
};

const struct scenario scenario_irqfd = {
	.name = "irqfd",
	.summary = "eventfd writes into irqfds routed as MSIs; latency to the guest handler",
	.latency = "request published (host TSC) -> guest handler (guest TSC - KVM_VCPU_TSC_OFFSET)",
	.measures = MEASURES_KICK,
	.params = interrupts__storm_params,
	.options = INTERRUPTS_OPTIONS,
	.flags = INTERRUPTS_FLAGS | SCENARIO_TRACEABLE,
	.state_size = sizeof(struct irqfd_set),
	.kick = &irqfd_kick,
	.supported = irqfd__supported,
	.describe = interrupts__describe,
	.setup = irqfd__setup,
	.details = irqfd__details,
	.teardown = irqfd__release,
};
