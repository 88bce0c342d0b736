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

namespace promcxx::detail {

// The label lookups: user code calls them and, in compiled mode, sees no body.
template series_record& family_core::find_or_create_n<0>(std::span<const std::string_view>);
template series_record& family_core::find_or_create_n<1>(std::span<const std::string_view>);
template series_record& family_core::find_or_create_n<2>(std::span<const std::string_view>);
template series_record& family_core::find_or_create_n<3>(std::span<const std::string_view>);
template series_record& family_core::find_or_create_n<4>(std::span<const std::string_view>);
static_assert(family_core::max_fixed_count == 4, "instantiate every fixed count above");

} // namespace promcxx::detail
