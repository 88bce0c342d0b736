// Counts heap allocations through replaced global allocation functions
// (alloc_counter.cpp, linked whole by `alloc_counter_dep`), so a test can prove
// a code path allocates nothing and a benchmark can report allocations per op.
// A program links it at most once: it replaces operator new for the whole program.
#ifndef PROMCXX_TEST_ALLOC_COUNTER_HPP
#define PROMCXX_TEST_ALLOC_COUNTER_HPP

#include <cstdint>

namespace promcxx_test {

/// operator new calls (every form) made by all threads so far.
std::uint64_t allocations() noexcept;

/// operator new calls made by the calling thread so far.
std::uint64_t thread_allocations() noexcept;

} // namespace promcxx_test

#endif // PROMCXX_TEST_ALLOC_COUNTER_HPP
