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
	cmpl	$IPI_CMD_SEND, %gs:MB_IPI_CMD
	je	ipi_command
main_loop_mode:
	cmpl	$MB_MODE_HALTED, %gs:MB_MODE
	je	halt
	cmpl	$MB_MODE_FAULT, %gs:MB_MODE
	je	injected_fault
	pause
	jmp	main_loop
injected_fault:
	ud2
ipi_command:
	cmpq	$IPI_STATE_IDLE, %gs:MB_IPI_STATE
	jne	main_loop_mode
	call	ipi_sender
	jmp	main_loop
halt:
	/*
	 * The host posts a send command and then interrupts us. Were the
	 * interrupt taken between our last look at the command and hlt, we
	 * would sleep on the command; so interrupts stay off from the look to
	 * hlt, and sti's one-instruction shadow makes the pending interrupt
	 * wake hlt instead.
	 */
	cli
	cmpl	$IPI_CMD_SEND, %gs:MB_IPI_CMD
	jne	1f
	cmpq	$IPI_STATE_IDLE, %gs:MB_IPI_STATE
	jne	1f
	sti
	jmp	main_loop
1:	sti
	/*
	 * With the in-kernel LAPIC this blocks inside KVM, not in userspace; an
	 * interrupt wakes the vCPU, runs its handler and resumes after hlt.
	 */
	hlt
	jmp	main_loop

/*
 * Guest IPI sender (ipi scenario), entered once when the host posts
 * IPI_CMD_SEND in this vCPU's mailbox. Runs with interrupts enabled: a vCPU
 * can be a sender and a target at once. Interrupt handlers preserve every
 * register they touch, so the registers below hold for the whole routine:
 *   r15  address of slot <own id> in vCPU 0's mailbox; vCPU t's is
 *        r15 + t * MB_SIZE (mailboxes are identity mapped)
 *   r14  mask of target vCPUs
 *   r13  newest sequence published
 * The sender keeps no account of outcomes: it logs what it published and
 * what its targets observed, and the host's ledger decides (ipi.c).
 */
ipi_sender:
	movq	$IPI_STATE_SENDING, %gs:MB_IPI_STATE
	movl	%gs:MB_VCPU_ID, %r15d
	shl	$MB_SLOT_SHIFT, %r15
	add	$(MB_BASE_GPA + MB_SLOTS), %r15
	mov	%gs:MB_IPI_TARGETS, %r14
	xor	%r13d, %r13d
	cmpq	$0, %gs:MB_IPI_INTERVAL
	je	1f
	call	ipi_open_loop
	jmp	2f
1:	call	ipi_closed_loop
2:	movq	$IPI_STATE_DONE, %gs:MB_IPI_STATE
	ret

/* Out: eax = 1 when another sequence may be published (not stopped, count not reached). */
ipi_may_send:
	xor	%eax, %eax
	cmpl	$IPI_STOP_NONE, %gs:MB_IPI_STOP
	jne	2f
	mov	%gs:MB_IPI_COUNT, %rcx
	test	%rcx, %rcx
	jz	1f
	cmp	%gs:MB_IPI_SENT, %rcx
	jbe	2f
1:	mov	$1, %eax
2:	ret

/* Clobbers rax, rcx, rdx. */
ipi_write_icr:
	mov	$MSR_X2APIC_ICR, %ecx
	movl	%gs:MB_IPI_ICR, %eax
	movl	%gs:(MB_IPI_ICR + 4), %edx
	wrmsr
	ret

/*
 * Publishes sequence r13 in every target's slot, then writes the ICR.
 * Out: rax = TSC just before the ICR write. Clobbers rcx, rdx, rsi, rdi.
 */
ipi_publish:
	mov	%r14, %rsi
1:	test	%rsi, %rsi
	jz	2f
	bsf	%rsi, %rcx
	btr	%rcx, %rsi
	shl	$MB_SIZE_SHIFT, %rcx
	mov	%r13, SLOT_PUB_SEQ(%r15, %rcx)
	jmp	1b
2:	mov	%r13, %gs:MB_IPI_SEQ
	mov	%gs:MB_IPI_NTARGETS, %rcx
	add	%rcx, %gs:MB_IPI_SENT
	/*
	 * WRMSR to an x2APIC register is not serializing: mfence makes the
	 * sequence globally visible before the IPI can reach a target (Linux's
	 * weak_wrmsr_fence), lfence keeps rdtsc from running ahead of it.
	 */
	mfence
	lfence
	rdtsc
	shl	$32, %rdx
	or	%rax, %rdx
	mov	%rdx, %rdi
	call	ipi_write_icr
	mov	%rdi, %rax
	ret

/*
 * Reads target rdi's observation of our slot under its seqlock (mailbox.h):
 * x86 does not reorder loads with loads, so equal even obs_gen values
 * around the two loads mean a consistent pair.
 * Out: rax = obs_seq, rdx = obs_tsc. Clobbers rcx, rsi.
 */
ipi_read_obs:
	mov	%rdi, %rsi
	shl	$MB_SIZE_SHIFT, %rsi
	add	%r15, %rsi
1:	mov	SLOT_OBS_GEN(%rsi), %rcx
	test	$1, %cl
	jnz	2f
	mov	SLOT_OBS_SEQ(%rsi), %rax
	mov	SLOT_OBS_TSC(%rsi), %rdx
	cmp	SLOT_OBS_GEN(%rsi), %rcx
	je	3f
2:	pause
	jmp	1b
3:	ret

/*
 * Appends an event: rdi = a, rsi = b, rdx = c, rcx = target | kind << 32.
 * Waits for the host to make room; drops the event only when the host
 * aborts. Clobbers rax, r8.
 */
ipi_append:
1:	mov	%gs:MB_IPI_RING_HEAD, %rax
	mov	%rax, %r8
	sub	%gs:MB_IPI_RING_TAIL, %r8
	cmp	$IPI_EVENT_RING, %r8
	jb	2f
	cmpl	$IPI_STOP_ABORT, %gs:MB_IPI_STOP
	je	3f
	pause
	jmp	1b
2:	and	$(IPI_EVENT_RING - 1), %eax
	shl	$IPI_EVENT_SHIFT, %rax
	mov	%rdi, %gs:(MB_IPI_EVENTS + IPI_EVENT_A)(%rax)
	mov	%rsi, %gs:(MB_IPI_EVENTS + IPI_EVENT_B)(%rax)
	mov	%rdx, %gs:(MB_IPI_EVENTS + IPI_EVENT_C)(%rax)
	mov	%rcx, %gs:(MB_IPI_EVENTS + IPI_EVENT_TARGET)(%rax)
	/* x86 keeps stores in order: a host that reads the head first sees the event it covers. */
	incq	%gs:MB_IPI_RING_HEAD
3:	ret

/* Logs sequence r13: due at rsi, ICR written at rdx. Clobbers rax, rcx, rdi, r8. */
ipi_log_pub:
	mov	%r13, %rdi
	mov	$IPI_EV_PUB, %ecx
	shl	$32, %rcx
	jmp	ipi_append

/* Logs that target rcx observed sequence rdi at rsi. Clobbers rax, rcx, rdx, r8. */
ipi_log_obs:
	mov	$IPI_EV_OBS, %eax
	shl	$32, %rax
	or	%rax, %rcx
	xor	%edx, %edx
	jmp	ipi_append

/*
 * Closed loop: publish, write the ICR, log it, and wait until every target
 * observed the sequence, logging each observation. A sequence the target
 * never observes is the host's to declare lost; the host then kicks the
 * target itself, and the wait ends when that kick is observed.
 *   r11  targets yet to observe   r9  targets left in this pass
 */
ipi_closed_loop:
	mov	%gs:MB_IPI_SEED, %rax
	mov	%rax, %gs:MB_IPI_RNG
0:	call	ipi_may_send
	test	%eax, %eax
	jz	9f
	cmpq	$0, %gs:MB_IPI_GAP
	je	5f
	call	ipi_pause
5:	inc	%r13
	call	ipi_publish
	mov	%rax, %rsi
	mov	%rax, %rdx
	call	ipi_log_pub
	mov	%r14, %r11
1:	mov	%r11, %r9
2:	test	%r9, %r9
	jz	3f
	bsf	%r9, %rdi
	btr	%rdi, %r9
	call	ipi_read_obs
	cmp	%r13, %rax
	jb	2b
	btr	%rdi, %r11
	mov	%rdi, %rcx
	mov	%rax, %rdi
	mov	%rdx, %rsi
	call	ipi_log_obs
	jmp	2b
3:	test	%r11, %r11
	jz	0b
	cmpl	$IPI_STOP_ABORT, %gs:MB_IPI_STOP
	je	9f
	pause
	jmp	1b
9:	ret

/*
 * Closed loop --gap: spins a random 0..MB_IPI_GAP ticks (xorshift64, as the
 * host senders do), so a halted target is back in HLT when the IPI comes.
 * Clobbers rax, rcx, rdx, rsi.
 */
ipi_pause:
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
	mov	%rdx, %rsi
	rdtsc
	shl	$32, %rdx
	or	%rdx, %rax
	mov	%rax, %rcx
1:	pause
	rdtsc
	shl	$32, %rdx
	or	%rdx, %rax
	sub	%rcx, %rax
	cmp	%rsi, %rax
	jb	1b
	ret

/*
 * Open loop: a burst of MB_IPI_BURST sequences is due every MB_IPI_INTERVAL
 * ticks, and the schedule never slips, so the host takes latency from when
 * a sequence was due (coordinated omission). At most MB_IPI_MAX_OUT
 * sequences are published ahead of what every target was seen to observe:
 * when a target falls that far behind, sending waits, and the wait shows up
 * as latency.
 */
ipi_open_loop:
	call	ipi_start_logs
	rdtsc
	shl	$32, %rdx
	or	%rdx, %rax
	mov	%rax, %gs:MB_IPI_NEXT
	movq	$0, %gs:MB_IPI_BURST_LEFT
	movq	$0, %gs:MB_IPI_MIN_SEEN
1:	call	ipi_may_send
	test	%eax, %eax
	jz	5f
	cmpq	$0, %gs:MB_IPI_BURST_LEFT
	jne	2f
	rdtsc
	shl	$32, %rdx
	or	%rdx, %rax
	cmp	%gs:MB_IPI_NEXT, %rax
	jb	4f
	mov	%gs:MB_IPI_NEXT, %rax
	mov	%rax, %gs:MB_IPI_DUE
	mov	%gs:MB_IPI_INTERVAL, %rax
	add	%rax, %gs:MB_IPI_NEXT
	mov	%gs:MB_IPI_BURST, %rax
	mov	%rax, %gs:MB_IPI_BURST_LEFT
2:	mov	%r13, %rax
	sub	%gs:MB_IPI_MIN_SEEN, %rax
	cmp	%gs:MB_IPI_MAX_OUT, %rax
	jae	4f
	inc	%r13
	call	ipi_publish
	mov	%gs:MB_IPI_DUE, %rsi
	mov	%rax, %rdx
	call	ipi_log_pub
	/* As the host senders do: look at the targets after every burst, even when behind schedule. */
	decq	%gs:MB_IPI_BURST_LEFT
	jnz	1b
4:	call	ipi_collect
	pause
	jmp	1b
	/* Sending is over: log until every target observed the newest sequence. */
5:	cmpl	$IPI_STOP_ABORT, %gs:MB_IPI_STOP
	je	6f
	call	ipi_collect
	cmp	%r13, %gs:MB_IPI_MIN_SEEN
	je	6f
	pause
	jmp	5b
6:	ret

/* Starts reading each target's observation log from where it is now. Clobbers rax, rsi, r10, r11. */
ipi_start_logs:
	mov	%r14, %r11
1:	test	%r11, %r11
	jz	2f
	bsf	%r11, %r10
	btr	%r10, %r11
	mov	%r10, %rsi
	shl	$MB_SIZE_SHIFT, %rsi
	mov	SLOT_OBS_COUNT(%r15, %rsi), %rax
	mov	%rax, %gs:MB_IPI_OBS_READ(, %r10, 8)
	movq	$0, %gs:MB_IPI_SEEN(, %r10, 8)
	jmp	1b
2:	ret

/*
 * Open loop: logs every observation each target logged for us since the
 * last look (mailbox.h: the entry, then the count that makes it visible;
 * x86 keeps the loads in order), and the entries that were overwritten
 * before we read them. Updates the newest sequence seen per target and
 * their minimum.
 *   r12  the target's slot   r11  targets to look at   r10  target
 *   r9   its log count       rbp  entries read         rbx  minimum seen
 * Clobbers rax, rbx, rcx, rdx, rsi, rdi, rbp, r8-r12.
 */
ipi_collect:
	mov	%r13, %rbx
	mov	%r14, %r11
1:	test	%r11, %r11
	jz	9f
	bsf	%r11, %r10
	btr	%r10, %r11
	mov	%r10, %r12
	shl	$MB_SIZE_SHIFT, %r12
	add	%r15, %r12
	mov	SLOT_OBS_COUNT(%r12), %r9
	mov	%gs:MB_IPI_OBS_READ(, %r10, 8), %rbp
	mov	%r9, %rdi
	sub	%rbp, %rdi
	cmp	$MB_OBS_RING, %rdi
	jbe	2f
	sub	$MB_OBS_RING, %rdi
	lea	-MB_OBS_RING(%r9), %rbp
	mov	$IPI_EV_OVERRUN, %ecx
	shl	$32, %rcx
	or	%r10, %rcx
	xor	%esi, %esi
	xor	%edx, %edx
	call	ipi_append
2:	cmp	%r9, %rbp
	je	3f
	mov	%rbp, %rax
	and	$(MB_OBS_RING - 1), %eax
	shl	$MB_OBS_SHIFT, %rax
	add	%r12, %rax
	mov	SLOT_OBS_RING(%rax), %rdi
	mov	(SLOT_OBS_RING + 8)(%rax), %rsi
	cmp	%gs:MB_IPI_SEEN(, %r10, 8), %rdi
	jbe	4f
	mov	%rdi, %gs:MB_IPI_SEEN(, %r10, 8)
4:	mov	%r10, %rcx
	call	ipi_log_obs
	inc	%rbp
	jmp	2b
3:	mov	%rbp, %gs:MB_IPI_OBS_READ(, %r10, 8)
	mov	%gs:MB_IPI_SEEN(, %r10, 8), %rax
	cmp	%rbx, %rax
	jae	1b
	mov	%rax, %rbx
	jmp	1b
9:	mov	%rbx, %gs:MB_IPI_MIN_SEEN
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
	incq	%gs:MB_IRQ_COUNT
	mov	$MSR_X2APIC_EOI, %ecx
	xor	%eax, %eax
	xor	%edx, %edx
	wrmsr
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

	.balign GUEST_STUB_SIZE
	.globl guest_exception_stubs
guest_exception_stubs:
	.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.balign GUEST_STUB_SIZE
	pushq	$\v
	.if (\v == 8) || ((\v >= 10) && (\v <= 14)) || (\v == 17) || (\v == 21) || (\v == 29) || (\v == 30)
	jmp	fault_with_error
	.else
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
