#ifndef CMPOS_HARDENING_H
#define CMPOS_HARDENING_H

/// Marks the process not dumpable (Linux `prctl(PR_SET_DUMPABLE, 0)`): no core dump even
/// through a core_pattern pipe, and no ptrace or /proc/PID/mem access by other processes of
/// the same user. Returns 0 on success, -1 where unsupported or refused.
int cmpos_set_not_dumpable(void);

/// 1 if the process is dumpable, 0 if not, -1 where unknown.
int cmpos_is_dumpable(void);

/// glibc: how much free memory at the top of a heap is kept rather than returned to the kernel
/// (`mallopt(M_TRIM_THRESHOLD)`). Returns 0 on success, -1 where unsupported or refused.
int cmpos_set_malloc_trim_threshold(int bytes);

#endif
