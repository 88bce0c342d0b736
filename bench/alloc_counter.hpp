// Counts heap allocations made by the calling thread, through a replaced
// global operator new (alloc_counter.cpp), so a benchmark can report
// allocations per operation next to its time.
#ifndef PROMCXX_BENCH_ALLOC_COUNTER_HPP
#define PROMCXX_BENCH_ALLOC_COUNTER_HPP

#include <cstdint>

namespace bench {

/// operator new calls made by this thread so far.
std::uint64_t thread_allocations() noexcept;

} // namespace bench

#endif // PROMCXX_BENCH_ALLOC_COUNTER_HPP
