/* SPDX-License-Identifier: MIT */
/*
 * The guest: 64-bit code copied to GUEST_CODE_GPA and entered in long mode
 * with paging, GDT, IDT and TSS already set up by the host (vcpu.c).
 *
 * The image is position independent: it references nothing outside itself
 * except through %gs, whose base the host points at this vCPU's mailbox.
 * Every handler stub is GUEST_STUB_SIZE bytes so the host can compute IDT
 * entries from the vector number alone.
 */
#include "mailbox.h"

	.section .rodata.guest, "a"
	.code64
	.balign 16
	.globl guest_image_start
guest_image_start:

	.globl guest_entry
guest_entry:
	/* xAPIC is enabled at reset; setting EXTD with EN still set is the architectural way into x2APIC mode. */
	mov	$MSR_IA32_APICBASE, %ecx
	rdmsr
	or	$(APICBASE_ENABLE | APICBASE_X2APIC), %eax
	wrmsr
	mov	$MSR_X2APIC_SVR, %ecx
	mov	$(SVR_APIC_ENABLE | SPURIOUS_VECTOR), %eax
	xor	%edx, %edx
	wrmsr
	mov	$MSR_X2APIC_TPR, %ecx
	xor	%eax, %eax
	wrmsr
	movq	$1, %gs:MB_READY
	sti

main_loop:
	incq	%gs:MB_LOOPS
	mov	%gs:MB_CTL_REQ, %rax
	cmp	%gs:MB_CTL_DONE, %rax
	jne	control_op
	cmpl	$IPI_CMD_IDLE, %gs:MB_IPI_CMD
	jne	command
main_loop_mode:
	cmpl	$MB_MODE_HALTED, %gs:MB_MODE
	je	halt
	cmpl	$MB_MODE_FAULT, %gs:MB_MODE
	je	injected_fault
	pause
	jmp	main_loop
injected_fault:
	ud2
	/* The storm's command runs once: the state leaves IDLE for good. */
command:
	cmpq	$IPI_STATE_IDLE, %gs:MB_IPI_STATE
	jne	main_loop_mode
	cmpl	$IPI_CMD_TIMER, %gs:MB_IPI_CMD
	je	1f
	call	ipi_sender
	jmp	main_loop
1:	call	timer_start
	jmp	main_loop
halt:
	/*
	 * The host posts a command or a one-off request and then interrupts
	 * us. Were the interrupt taken between our last look and hlt, we would
	 * sleep on it; so interrupts stay off from the look to hlt, and sti's
	 * one-instruction shadow makes the pending interrupt wake hlt instead.
	 */
	cli
	mov	%gs:MB_CTL_REQ, %rax
	cmp	%gs:MB_CTL_DONE, %rax
	jne	2f
	cmpl	$IPI_CMD_IDLE, %gs:MB_IPI_CMD
	je	1f
	cmpq	$IPI_STATE_IDLE, %gs:MB_IPI_STATE
	jne	1f
2:	sti
	jmp	main_loop
1:	sti
	/*
	 * With the in-kernel LAPIC this blocks inside KVM, not in userspace; an
	 * interrupt wakes the vCPU, runs its handler and resumes after hlt.
	 */
	hlt
	jmp	main_loop

/*
 * A one-off request (mailbox.h, MB_CTL_*), with interrupts off so that no
 * handler runs while the APIC changes mode. The result is stored before
 * MB_CTL_DONE: x86 keeps the stores in order for the host's reader.
 */
control_op:
	cli
	push	%rax
	movl	%gs:MB_CTL_OP, %eax
	cmp	$GUEST_OP_XAPIC, %eax
	jne	1f
	call	apic_to_xapic
	jmp	3f
1:	cmp	$GUEST_OP_PV_PROBE, %eax
	jne	2f
	call	pv_probe
	jmp	3f
2:	mov	$GUEST_OP_UNKNOWN_RESULT, %rax
3:	mov	%rax, %gs:MB_CTL_RESULT
	pop	%rax
	mov	%rax, %gs:MB_CTL_DONE
	sti
	jmp	main_loop

/*
 * x2APIC to xAPIC: the architecture allows it only through disabled (EN and
 * EXTD clear), and KVM gives the APIC its xAPIC ID again when it is
 * re-enabled. The MMIO page is mapped uncached at APIC_MMIO_BASE (vm.c).
 * Out: rax = the xAPIC ID register, for the host to check. Clobbers rcx, rdx.
 */
apic_to_xapic:
	mov	$MSR_IA32_APICBASE, %ecx
	rdmsr
	and	$~(APICBASE_ENABLE | APICBASE_X2APIC), %eax
	wrmsr
	or	$APICBASE_ENABLE, %eax
	wrmsr
	mov	$APIC_MMIO_BASE, %ecx
	movl	$(SVR_APIC_ENABLE | SPURIOUS_VECTOR), APIC_REG_SVR(%rcx)
	movl	$0, APIC_REG_TPR(%rcx)
	movl	$APIC_MODE_XAPIC, %gs:MB_APIC_MODE
	movl	APIC_REG_ID(%rcx), %eax
	ret

/* KVM_HC_SEND_IPI with an empty bitmap: sends nothing. Out: rax = its return. Clobbers rcx, rdx. */
pv_probe:
	push	%rbx
	push	%rsi
	mov	$KVM_HC_SEND_IPI, %eax
	xor	%ebx, %ebx
	xor	%ecx, %ecx
	xor	%edx, %edx
	mov	$REQ_VECTOR_BASE, %esi
	call	hypercall
	pop	%rsi
	pop	%rbx
	ret

/* KVM's hypercall: the instruction of the CPU's vendor, which KVM does not have to patch. */
hypercall:
	cmpl	$0, %gs:MB_HC_VMMCALL
	jne	1f
	vmcall
	ret
1:	vmmcall
	ret

/* EOI in whichever mode the APIC is. Clobbers rax, rcx, rdx. */
apic_eoi:
	cmpl	$APIC_MODE_XAPIC, %gs:MB_APIC_MODE
	je	1f
	mov	$MSR_X2APIC_EOI, %ecx
	xor	%eax, %eax
	xor	%edx, %edx
	wrmsr
	ret
1:	mov	$APIC_MMIO_BASE, %ecx
	movl	$0, APIC_REG_EOI(%rcx)
	ret

/*
 * Out: rax = a random 0..MB_IPI_GAP (xorshift64 on MB_IPI_RNG, as the host
 * senders do). Clobbers rcx, rdx.
 */
random_gap:
	mov	%gs:MB_IPI_RNG, %rax
	mov	%rax, %rcx
	shl	$13, %rcx
	xor	%rcx, %rax
	mov	%rax, %rcx
	shr	$7, %rcx
	xor	%rcx, %rax
	mov	%rax, %rcx
	shl	$17, %rcx
	xor	%rcx, %rax
	mov	%rax, %gs:MB_IPI_RNG
	mov	%gs:MB_IPI_GAP, %rcx
	inc	%rcx
	xor	%edx, %edx
	div	%rcx
	mov	%rdx, %rax
	ret

#include "guest_ipi.inc"
#include "guest_timer.inc"

/*
 * Observes slot rsi (its offset in the mailbox), whose newest published
 * sequence rcx was just loaded: records it with the guest TSC under the
 * slot's seqlock and logs it (mailbox.h). Clobbers rax, rcx, rdx, rdi.
 */
observe_slot:
	/*
	 * The timestamp must follow the load of the sequence: taken before it,
	 * it can predate the publication of a newer sequence the load then
	 * returns, and an open-loop latency comes out negative. lfence keeps
	 * rdtsc from executing before the load completes.
	 */
	lfence
	rdtsc
	shl	$32, %rdx
	or	%rax, %rdx
	mov	%rcx, %rax
	/*
	 * obs_gen is a seqlock around the (obs_seq, obs_tsc) pair: odd while
	 * they change. x86 keeps these stores in order, so a host reader that
	 * sees the same even obs_gen before and after its loads has a
	 * consistent pair.
	 */
	incq	%gs:SLOT_OBS_GEN(%rsi)
	mov	%rdx, %gs:SLOT_OBS_TSC(%rsi)
	mov	%rax, %gs:SLOT_OBS_SEQ(%rsi)
	incq	%gs:SLOT_OBS_GEN(%rsi)
	/* The log entry, then the count that makes it visible: x86 keeps the order. */
	mov	%gs:SLOT_OBS_COUNT(%rsi), %rcx
	mov	%ecx, %edi
	and	$(MB_OBS_RING - 1), %edi
	shl	$MB_OBS_SHIFT, %edi
	add	%rsi, %rdi
	mov	%rax, %gs:SLOT_OBS_RING(%rdi)
	mov	%rdx, %gs:(SLOT_OBS_RING + 8)(%rdi)
	inc	%rcx
	mov	%rcx, %gs:SLOT_OBS_COUNT(%rsi)
	ret

/*
 * Request interrupt: vector REQ_VECTOR(k) belongs to slot k. Record the
 * newest published sequence and the guest TSC, log them, then EOI.
 */
request_common:
	push	%rcx
	push	%rdx
	push	%rsi
	push	%rdi
	mov	%eax, %esi
	shl	$MB_SLOT_SHIFT, %rsi
	add	$MB_SLOTS, %rsi
	mov	%gs:SLOT_PUB_SEQ(%rsi), %rcx
	call	observe_slot
	incq	%gs:MB_IRQ_COUNT
	call	apic_eoi
	pop	%rdi
	pop	%rsi
	pop	%rdx
	pop	%rcx
	pop	%rax
	iretq

/*
 * NMI (--delivery nmi): no vector says whose request it is, so every slot
 * in MB_NMI_SLOTS whose sequence moved since its last observation is
 * observed. KVM holds at most one NMI pending behind the one being handled
 * and drops the rest, so requests coalesce; the one pending, taken after
 * our iretq, sees whatever was published meanwhile. No EOI: an NMI is not
 * in service in the APIC.
 */
guest_nmi:
	push	%rax
	push	%rcx
	push	%rdx
	push	%rsi
	push	%rdi
	push	%r8
	mov	%gs:MB_NMI_SLOTS, %r8
1:	test	%r8, %r8
	jz	2f
	bsf	%r8, %rsi
	btr	%rsi, %r8
	shl	$MB_SLOT_SHIFT, %rsi
	add	$MB_SLOTS, %rsi
	mov	%gs:SLOT_PUB_SEQ(%rsi), %rcx
	cmp	%gs:SLOT_OBS_SEQ(%rsi), %rcx
	je	1b
	call	observe_slot
	jmp	1b
2:	incq	%gs:MB_NMI_COUNT
	pop	%r8
	pop	%rdi
	pop	%rsi
	pop	%rdx
	pop	%rcx
	pop	%rax
	iretq

fault_no_error:
	popq	%gs:MB_FAULT_VECTOR
	movq	$0, %gs:MB_FAULT_ERROR
	popq	%gs:MB_FAULT_RIP
	jmp	fault_report
fault_with_error:
	popq	%gs:MB_FAULT_VECTOR
	popq	%gs:MB_FAULT_ERROR
	popq	%gs:MB_FAULT_RIP
fault_report:
	/* The host ends the scenario on this exit and names the vector. */
	mov	$GUEST_PORT_FAULT, %dx
	out	%al, %dx
	cli
1:	hlt
	jmp	1b

	.balign GUEST_STUB_SIZE
	.globl guest_spurious_isr
guest_spurious_isr:
	/* Spurious interrupts are not in service: no EOI. */
	iretq

	/* GUEST_WAKE_VECTOR: only wakes a halted vCPU to look at its mailbox. */
	.balign GUEST_STUB_SIZE
	.globl guest_wake_isr
guest_wake_isr:
	push	%rax
	push	%rcx
	push	%rdx
	call	apic_eoi
	pop	%rdx
	pop	%rcx
	pop	%rax
	iretq

	.balign GUEST_STUB_SIZE
	.globl guest_exception_stubs
guest_exception_stubs:
	.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.balign GUEST_STUB_SIZE
	/* Vector 2 is the NMI, a kick of --delivery nmi, not a fault. */
	.if \v == 2
	jmp	guest_nmi
	.elseif (\v == 8) || ((\v >= 10) && (\v <= 14)) || (\v == 17) || (\v == 21) || (\v == 29) || (\v == 30)
	pushq	$\v
	jmp	fault_with_error
	.else
	pushq	$\v
	jmp	fault_no_error
	.endif
	.endr

	.balign GUEST_STUB_SIZE
	.globl guest_request_stubs
guest_request_stubs:
	.irp k, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,52,53,54,55,56,57,58,59,60,61,62,63
	.balign GUEST_STUB_SIZE
	push	%rax
	mov	$\k, %eax
	jmp	request_common
	.endr

	.balign 16
	.globl guest_image_end
guest_image_end:

	.section .note.GNU-stack, "", @progbits
