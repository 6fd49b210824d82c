/* Test helpers for the observation table's tests: the heap in use (to show
 * that recording allocates nothing) and the table as JSON text. Include
 * after cmocka.h. */
#ifndef SW_TEST_LEARN_UTIL_H
#define SW_TEST_LEARN_UTIL_H

#include <malloc.h>
#include <stdio.h>

#include "scanwall/learn.h"

#if defined(__SANITIZE_ADDRESS__)
/* sanitizer/allocator_interface.h, not always installed */
size_t __sanitizer_get_current_allocated_bytes(void);

static inline size_t heap_in_use(void)
{
	return __sanitizer_get_current_allocated_bytes();
}
#else
static inline size_t heap_in_use(void)
{
	return mallinfo2().uordblks;
}
#endif

/* The table as lrn_json writes it; the caller frees it. */
__attribute__((unused, noinline)) static char *to_json(const struct lrn *t)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);

	assert_non_null(mem);
	assert_int_equal(lrn_json(t, mem), 0);
	fclose(mem);
	return buf;
}

#endif
