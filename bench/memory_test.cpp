// Layout check, not a timing: the memory per series that bench/ reports is
// computed from the real layout, and meets the targets of the benchmark issue.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <barrier>
#include <thread>

#include "memory_model.hpp"

TEST_CASE("memory: a counter series takes one cell and a default histogram series 16 (11 bounds, +Inf, 4 sum lanes)") {
  CHECK(bench::measure_series_memory<bench::memory_counter>().cells == 1);
  CHECK(bench::measure_series_memory<bench::memory_histogram>().cells == 16);
  CHECK(sizeof(promcxx::detail::cell) == 8);
}

TEST_CASE("memory: the measured share covers a series record and its index entries") {
  const auto m = bench::measure_series_memory<bench::memory_counter>();
  // Each series has a record plus at least two 4-byte index entries (the index is
  // at least twice the capacity, to keep probe sequences short).
  CHECK(m.in_metric_bytes + m.label_bytes >=
        static_cast<double>(sizeof(promcxx::detail::series_record) + 2 * sizeof(std::uint32_t)));
  // Runtime-created series copy their label values to the heap once: 13 bytes in
  // 4 words (two lengths, two values), one small chunk, beside the record.
  CHECK(m.label_bytes >= 13 + sizeof(promcxx::detail::series_record));
  CHECK(m.label_bytes <= 64 + sizeof(promcxx::detail::series_record) + 2 * sizeof(std::uint32_t));
}

TEST_CASE("memory: every writer thread writes its own slab") {
  bench::memory_counter c{promcxx::unregistered};
  auto handle = c.labels("node-1", "200");
  std::barrier both_wrote{2};
  const auto writer = [&] {
    handle.inc();
    both_wrote.arrive_and_wait();
    // Both threads are alive and have written, so each holds a slab of its own.
    CHECK(promcxx::detail::global_slabs.slab_count() >= 2);
    both_wrote.arrive_and_wait();
  };
  std::thread a{writer};
  std::thread b{writer};
  a.join();
  b.join();
  CHECK(handle.value() == 2.0);
}

TEST_CASE("memory: fractional counter increments share one cell per series instead of one per thread") {
  const auto cell = promcxx::detail::global_cells.allocate(1);
  REQUIRE(cell != 0);
  promcxx::counter_handle handle{cell};
  std::thread a{[&] { handle.inc(0.25); }};
  a.join();
  std::thread b{[&] { handle.inc(0.5); }};
  b.join();
  handle.inc(2.0);  // whole amounts stay in the writer's integer cell
  CHECK(promcxx::detail::sum_cells_u64(cell) == 2);
  CHECK(promcxx::detail::global_fractions.read(cell) == 0.75);
  CHECK(handle.value() == 2.75);
  promcxx::detail::global_cells.release(cell, 1);
}

TEST_CASE("memory: counter series meet the targets (128 bytes with 1 writer thread, 1 KiB with 64)") {
  const auto counter = bench::measure_series_memory<bench::memory_counter>();
  const auto histogram = bench::measure_series_memory<bench::memory_histogram>();
  for (const auto threads : bench::memory_thread_counts)
    MESSAGE(threads << " writer threads: counter " << counter.bytes(threads) << " B, histogram "
                    << histogram.bytes(threads) << " B per series");
  CHECK(counter.bytes(1) <= bench::counter_target_1_thread);
  CHECK(counter.bytes(64) <= bench::counter_target_64_threads);
}
