// promcxx's compiled part for the compiled-mode tests: built with the tests'
// PROMCXX_ASSERT (it throws), since library and program must agree on it.
#include "test_config.hpp"

#include "../../src/promcxx.cpp"
