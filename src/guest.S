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
	cmpl	$MB_MODE_HALTED, %gs:MB_MODE
	je	halt
	pause
	jmp	main_loop
halt:
	/*
	 * With the in-kernel LAPIC this blocks inside KVM, not in userspace; an
	 * interrupt wakes the vCPU, runs its handler and resumes after hlt.
	 */
	hlt
	jmp	main_loop

/*
 * Request interrupt: vector REQ_VECTOR(k) belongs to slot k. Record the
 * newest published sequence and the guest TSC, then EOI.
 */
request_common:
	push	%rcx
	push	%rdx
	push	%rsi
	mov	%eax, %esi
	rdtsc
	shl	$32, %rdx
	or	%rax, %rdx
	shl	$7, %rsi
	add	$MB_SLOTS, %rsi
	mov	%gs:SLOT_PUB_SEQ(%rsi), %rax
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
	incq	%gs:MB_IRQ_COUNT
	mov	$MSR_X2APIC_EOI, %ecx
	xor	%eax, %eax
	xor	%edx, %edx
	wrmsr
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
