/*
** cunit_main.h: the shared main() of the CUnit test binaries.
**
** To add tests to a binary: write `static void test_x(void)` functions, list
** them in `static const test_case TESTS[] = {{"name", test_x}, ..., {0}};`
** and include this header once, at the end of the file (after TESTS).
** The binary's name is its suite. Exit status is non-zero on any failure.
*/
#ifndef CUNIT_MAIN_H
#define CUNIT_MAIN_H

#include <CUnit/Basic.h>

#include "tests/unit/test_case.h"

int main(int argc, char **argv) {
  (void)argc;
  if (CU_initialize_registry() != CUE_SUCCESS) return 2;
  CU_pSuite suite = CU_add_suite(argv[0], NULL, NULL);
  if (!suite) return 2;
  for (const test_case *t = TESTS; t->name; t++)
    if (!CU_add_test(suite, t->name, t->run)) return 2;
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
  CU_cleanup_registry();
  if (CU_get_error() != CUE_SUCCESS) return 2;
  return failed ? 1 : 0;
}

#endif
