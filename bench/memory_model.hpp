// Memory per series, computed from the real layout rather than estimated:
// - in-metric bytes: sizeof the metric divided by its series capacity;
// - heap bytes: what the family core allocates for its series (lookup index,
//   series records, packed label values; malloc chunks included) from before the
//   metric is constructed until all its series exist, measured with mallinfo2;
// - cells: how many 8-byte cells the cell allocator handed to one series; each
//   writer thread that writes a series holds its own copy of those cells (in
//   512-byte pages, paid only for the pages a thread writes: bench/scaling_bench.cpp
//   measures the resident memory of that from the kernel);
// - counters that take fractional increments also use one shared 8-byte cell
//   at the same index (in shared pages, allocated when first written).
#ifndef PROMCXX_BENCH_MEMORY_MODEL_HPP
#define PROMCXX_BENCH_MEMORY_MODEL_HPP

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>

#include <malloc.h>  // mallinfo2: heap bytes in use

#include <promcxx/core.hpp>

namespace bench {

inline constexpr std::size_t memory_series_cap = 1024;  // the default max_series
inline constexpr std::array<std::size_t, 4> memory_thread_counts{1, 2, 16, 64};

struct series_memory {
  double in_metric_bytes = 0;  // share of the metric object itself
  double label_bytes = 0;      // heap: index entries, series record and label values of a series
  std::size_t cells = 0;       // 8-byte cells per writer thread
  std::size_t shared_bytes = 0;  // counters: the one shared cell that takes fractional increments

  [[nodiscard]] double bytes(std::size_t writer_threads) const noexcept {
    return in_metric_bytes + label_bytes +
           static_cast<double>(cells * sizeof(promcxx::detail::cell) * writer_threads);
  }
  /// A counter that also receives fractional increments (for example seconds) uses its
  /// shared fractional cell too: 8 bytes per series, not per thread.
  [[nodiscard]] double bytes_with_fractions(std::size_t writer_threads) const noexcept {
    return bytes(writer_threads) + static_cast<double>(shared_bytes);
  }
};

/// Label values of the reference series: two labels, 13 bytes together
/// ("node-00123", "200"), a typical size for ids and status codes.
inline void reference_values(std::size_t i, char (&first)[16], char (&second)[8]) {
  std::snprintf(first, sizeof first, "node-%05zu", i);
  std::snprintf(second, sizeof second, "%03zu", 200 + i % 300);
}

/// Measured once per metric type. The metric stays alive for the whole
/// program: destroying it would free its cells, and a later measurement that
/// reused them would see no growth of the cell space.
template <class Metric>
const series_memory& measure_series_memory() {
  static const series_memory measured = [] {
    series_memory m;
    const auto cells_before = promcxx::detail::global_cells.high_water();
    const auto heap_before = ::mallinfo2().uordblks;
    static Metric metric{promcxx::unregistered};
    m.in_metric_bytes = static_cast<double>(sizeof(Metric)) / static_cast<double>(memory_series_cap);

    char first[16];
    char second[8];
    for (std::size_t i = 0; i < memory_series_cap; ++i) {
      reference_values(i, first, second);
      static_cast<void>(metric.labels(first, second));
    }
    const auto heap_after = ::mallinfo2().uordblks;
    const auto cells_after = promcxx::detail::global_cells.high_water();
    m.label_bytes = static_cast<double>(heap_after - heap_before) / static_cast<double>(memory_series_cap);
    m.cells = (cells_after - cells_before) / memory_series_cap;
    if constexpr (Metric::type == promcxx::metric_type::counter) m.shared_bytes = sizeof(promcxx::detail::cell);
    return m;
  }();
  return measured;
}

using memory_counter = promcxx::counter<"memory_counter_total", "Reference counter.", promcxx::labels<"node", "code">,
                                        promcxx::max_series<memory_series_cap>>;
using memory_histogram = promcxx::histogram<"memory_histogram_seconds", "Reference histogram, default bounds.",
                                            promcxx::labels<"node", "code">, promcxx::max_series<memory_series_cap>>;

/// Targets from the benchmark issue: bytes per counter series.
inline constexpr double counter_target_1_thread = 128;
inline constexpr double counter_target_64_threads = 1024;

} // namespace bench

#endif // PROMCXX_BENCH_MEMORY_MODEL_HPP
