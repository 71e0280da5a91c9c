/*
** test_case.h: one entry of a CUnit binary's TESTS table (see cunit_main.h).
*/
#ifndef TEST_CASE_H
#define TEST_CASE_H

typedef struct test_case {
  const char *name;  /* shown in the report */
  void (*run)(void); /* the test */
} test_case;

#endif
