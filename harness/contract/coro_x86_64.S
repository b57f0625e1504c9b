/* coro_x86_64.S: coroutine context switch for x86-64 SysV (see coro.c for the initial frame). */

#if defined(__x86_64__) && !defined(__ILP32__) && defined(__ELF__) && !defined(CB_CORO_UCONTEXT)

	.text

/* void cb__coro_switch(void **save_sp, void *new_sp)
 *
 * Saves what SysV says a callee must preserve (rbx, rbp, r12-r15, the MXCSR
 * control bits and the x87 control word) on the current stack, stores rsp in
 * *save_sp, switches to new_sp and restores the same set from there, then
 * jumps to wherever that stack was suspended (the trampoline for a new
 * coroutine). Caller-saved registers need no care: the C caller assumes a call
 * clobbers them anyway.
 *
 * Frame, low to high: [csr word: mxcsr | x87 cw << 32] r15 r14 r13 r12 rbx rbp
 * return-address.
 *
 * ldmxcsr is very slow on some machines (measured ~100 ns per pair here), so
 * the FP control state is only reloaded when the two contexts' modes differ.
 * The sticky exception flags (MXCSR bits 0-5) stay with the thread, as the x87
 * status word does. */
	.globl	cb__coro_switch
	.hidden	cb__coro_switch
	.type	cb__coro_switch, @function
	.p2align 4
cb__coro_switch:
	.cfi_startproc
	pushq	%rbp
	.cfi_adjust_cfa_offset 8
	pushq	%rbx
	.cfi_adjust_cfa_offset 8
	pushq	%r12
	.cfi_adjust_cfa_offset 8
	pushq	%r13
	.cfi_adjust_cfa_offset 8
	pushq	%r14
	.cfi_adjust_cfa_offset 8
	pushq	%r15
	.cfi_adjust_cfa_offset 8
	leaq	-8(%rsp), %rsp
	.cfi_adjust_cfa_offset 8
	stmxcsr	(%rsp)
	fnstcw	4(%rsp)
	/* read back at the stored widths: one 8-byte load spanning both stores
	 * would defeat store forwarding and stall */
	movl	(%rsp), %eax
	movzwl	4(%rsp), %edx

	movq	%rsp, (%rdi)
	movq	%rsi, %rsp

	movl	(%rsp), %r8d
	xorl	%eax, %r8d
	andl	$-64, %r8d		/* ignore the exception flags */
	movzwl	4(%rsp), %r9d
	xorl	%edx, %r9d
	orl	%r9d, %r8d
	jnz	.Lload_fp_modes
	.cfi_remember_state
.Lrestore:
	leaq	8(%rsp), %rsp
	.cfi_adjust_cfa_offset -8
	popq	%r15
	.cfi_adjust_cfa_offset -8
	popq	%r14
	.cfi_adjust_cfa_offset -8
	popq	%r13
	.cfi_adjust_cfa_offset -8
	popq	%r12
	.cfi_adjust_cfa_offset -8
	popq	%rbx
	.cfi_adjust_cfa_offset -8
	popq	%rbp
	.cfi_adjust_cfa_offset -8
	/* pop+jmp rather than ret: across a stack switch the return-stack
	 * predictor is always wrong (~15 ns a miss here), while the indirect
	 * predictor learns where each switch goes. coro.c arranges for resume and
	 * yield to tail-call us so no other ret crosses contexts either. */
	popq	%rcx
	.cfi_adjust_cfa_offset -8
	.cfi_register rip, rcx
	jmp	*%rcx

.Lload_fp_modes:
	.cfi_restore_state
	/* target's control bits with this thread's current exception flags */
	andl	$0x3f, %eax
	movl	(%rsp), %edx
	andl	$-64, %edx
	orl	%eax, %edx
	movl	%edx, (%rsp)
	ldmxcsr	(%rsp)
	fldcw	4(%rsp)
	jmp	.Lrestore
	.cfi_endproc
	.size	cb__coro_switch, .-cb__coro_switch

/* First "return" target of a new coroutine: r13 = entry function, r12 = its
 * argument, rsp 16-aligned. The entry function never returns; ud2 makes a bug
 * there loud instead of running off into whatever follows. */
	.globl	cb__coro_trampoline
	.hidden	cb__coro_trampoline
	.type	cb__coro_trampoline, @function
	.p2align 4
cb__coro_trampoline:
	.cfi_startproc
	.cfi_undefined rip	/* outermost frame: unwinders stop here */
	movq	%r12, %rdi
	call	*%r13
	ud2
	.cfi_endproc
	.size	cb__coro_trampoline, .-cb__coro_trampoline

#endif

#if defined(__ELF__) && (defined(__x86_64__) || defined(__i386__))
	.section .note.GNU-stack,"",@progbits
#elif defined(__ELF__)
	.section .note.GNU-stack,"",%progbits
#endif
