#include "tests/unit/test_case.h"
static const test_case TESTS[] = {{0, 0}};
#include "tests/unit/cunit_main.h"
