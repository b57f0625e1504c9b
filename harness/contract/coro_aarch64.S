/* coro_aarch64.S: coroutine context switch for AArch64 AAPCS64 (see coro.c for the initial frame). */

#if defined(__aarch64__) && !defined(__ILP32__) && defined(__ELF__) && !defined(CB_CORO_UCONTEXT)

	.text

/* void cb__coro_switch(void **save_sp, void *new_sp)
 *
 * Frame of 160 bytes (keeps sp 16-aligned):
 *   [sp+  0] x19 x20   [sp+ 16] x21 x22   [sp+ 32] x23 x24
 *   [sp+ 48] x25 x26   [sp+ 64] x27 x28   [sp+ 80] x29 x30
 *   [sp+ 96] d8  d9    [sp+112] d10 d11   [sp+128] d12 d13   [sp+144] d14 d15
 * AAPCS64 only asks callees to keep the low 64 bits of v8-v15, i.e. d8-d15.
 * FPCR is not switched (boost.context does not either): FP modes are per
 * thread on aarch64. The final branch goes through the restored x30: where
 * that stack was suspended, or the trampoline for a new coroutine. */
	.globl	cb__coro_switch
	.hidden	cb__coro_switch
	.type	cb__coro_switch, %function
	.p2align 4
cb__coro_switch:
	.cfi_startproc
	sub	sp, sp, #160
	.cfi_adjust_cfa_offset 160
	stp	x19, x20, [sp, #0]
	stp	x21, x22, [sp, #16]
	stp	x23, x24, [sp, #32]
	stp	x25, x26, [sp, #48]
	stp	x27, x28, [sp, #64]
	stp	x29, x30, [sp, #80]
	.cfi_rel_offset x29, 80
	.cfi_rel_offset x30, 88
	stp	d8, d9, [sp, #96]
	stp	d10, d11, [sp, #112]
	stp	d12, d13, [sp, #128]
	stp	d14, d15, [sp, #144]

	mov	x2, sp
	str	x2, [x0]
	mov	sp, x1

	ldp	x19, x20, [sp, #0]
	ldp	x21, x22, [sp, #16]
	ldp	x23, x24, [sp, #32]
	ldp	x25, x26, [sp, #48]
	ldp	x27, x28, [sp, #64]
	ldp	x29, x30, [sp, #80]
	ldp	d8, d9, [sp, #96]
	ldp	d10, d11, [sp, #112]
	ldp	d12, d13, [sp, #128]
	ldp	d14, d15, [sp, #144]
	add	sp, sp, #160
	.cfi_adjust_cfa_offset -160
	/* br, not ret: across a stack switch the return-address predictor is
	 * always wrong, the indirect predictor can learn the ping-pong (see the
	 * x86-64 file). Fine without BTI landing pads: this object carries no BTI
	 * property note, so binaries linking it are not BTI-enforced. */
	br	x30
	.cfi_endproc
	.size	cb__coro_switch, .-cb__coro_switch

/* First "return" target of a new coroutine: x20 = entry function, x19 = its
 * argument, sp 16-aligned, x29 = 0 so frame-pointer walks end here. The entry
 * function never returns; brk makes a bug there loud. */
	.globl	cb__coro_trampoline
	.hidden	cb__coro_trampoline
	.type	cb__coro_trampoline, %function
	.p2align 4
cb__coro_trampoline:
	.cfi_startproc
	.cfi_undefined x30	/* outermost frame: unwinders stop here */
	mov	x0, x19
	blr	x20
	brk	#1
	.cfi_endproc
	.size	cb__coro_trampoline, .-cb__coro_trampoline

#endif

#if defined(__ELF__)
	.section .note.GNU-stack,"",%progbits
#endif
