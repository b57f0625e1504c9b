/* contract_int.h: the contract layer's internal calls (cb__), for its own files. */
#ifndef CB_CONTRACT_INT_H
#define CB_CONTRACT_INT_H

/* In coro_<arch>.S: push callee-saved state, *save_sp = sp, sp = new_sp, pop, jump to the popped
 * return address. A fresh stack's first switch lands in the trampoline. */
void cb__coro_switch(void **save_sp, void *new_sp);
void cb__coro_trampoline(void);

#endif
