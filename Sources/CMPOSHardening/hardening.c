#include "CMPOSHardening.h"

#if defined(__linux__)
#include <sys/prctl.h>

int cmpos_set_not_dumpable(void) { return prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0 ? 0 : -1; }
int cmpos_is_dumpable(void) { return prctl(PR_GET_DUMPABLE, 0, 0, 0, 0); }
#else
int cmpos_set_not_dumpable(void) { return -1; }
int cmpos_is_dumpable(void) { return -1; }
#endif

#if defined(__GLIBC__)
#include <malloc.h>

int cmpos_set_malloc_trim_threshold(int bytes) { return mallopt(M_TRIM_THRESHOLD, bytes) == 1 ? 0 : -1; }
#else
int cmpos_set_malloc_trim_threshold(int bytes) { (void)bytes; return -1; }
#endif
