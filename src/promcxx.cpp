// The compiled part of promcxx (PROMCXX_SEPARATE_COMPILATION, config.hpp): the
// core's slow paths, defined once here instead of inline in every translation
// unit. Programs that use this library define PROMCXX_SEPARATE_COMPILATION too
// (Meson's promcxx_compiled_dep and CMake's promcxx::compiled do), and must build
// it with the same PROMCXX_ASSERT as their own code.
#ifndef PROMCXX_SEPARATE_COMPILATION
#  define PROMCXX_SEPARATE_COMPILATION 1
#endif
#define PROMCXX_COMPILING_LIBRARY 1

#include "promcxx/core.hpp"
