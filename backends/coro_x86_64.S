/* coro_x86_64.S: coroutine context switch for x86-64 SysV (see coro.c for the initial frame). */

#if defined(__x86_64__) && !defined(__ILP32__) && defined(__ELF__) && !defined(CB_CORO_UCONTEXT)

	.text

/* void cb__coro_switch(void **save_sp, void *new_sp)
 *
 * Saves what SysV says a callee must preserve (rbx, rbp, r12-r15, the MXCSR
 * control bits and the x87 control word) on the current stack, stores rsp in
 * *save_sp, switches to new_sp and restores the same set from there. The ret
 * lands wherever that stack was suspended, or in the trampoline for a new
 * coroutine. Caller-saved registers need no care: the C caller assumes a call
 * clobbers them anyway. */
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

	movq	%rsp, (%rdi)
	movq	%rsi, %rsp

	ldmxcsr	(%rsp)
	fldcw	4(%rsp)
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
	/* pop+jmp instead of ret: the return-stack predictor always guesses
	 * wrong across a stack switch, and here that costs ~25 ns per pair; the
	 * indirect-branch predictor learns the ping-pong. */
	popq	%rcx
	.cfi_adjust_cfa_offset -8
	.cfi_register rip, rcx
	jmp	*%rcx
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
