// Once a series has seen its bucket range, observing allocates nothing
// (counted by tests/support's replaced operator new), from any thread.
#include "test_config.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <thread>

#include "alloc_counter.hpp"
#include <promcxx/native_histogram.hpp>

TEST_CASE("native histogram: observing a seen range allocates nothing") {
  promcxx::native_histogram_options o;
  o.classic_bounds = {0.01, 0.1, 1};
  promcxx::native_histogram_series s{o};
  const auto value = [](int i) { return std::ldexp(1.0 + (i % 89) / 89.0, (i % 12) - 8) * ((i % 5 == 0) ? -1 : 1); };
  for (int i = 0; i < 2000; ++i) s.observe(value(i));  // rings allocated, spans grown
  promcxx::native_histogram_series::reading r;
  s.read(r);  // after a scrape too: the fold into the hot half keeps the span
  std::uint64_t allocations = 0;
  std::thread t([&] {
    const auto before = promcxx_test::thread_allocations();
    for (int i = 0; i < 100000; ++i) s.observe(value(i));
    s.observe(0.0);
    allocations = promcxx_test::thread_allocations() - before;
  });
  t.join();
  CHECK(allocations == 0);
  s.read(r);
  CHECK(r.count == 2000 + 100001);
}
