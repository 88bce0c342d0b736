// Windows proof of the core and the encoders (issue 14): cross-compiled with
// MinGW-w64 and run under wine64 by tests/cmake/windows/check. Exercises what
// differs there: slabs from reserve_cells (committed memory, not mmap), slab
// reuse after threads exit, fractional cells, the clock, both text encoders and
// the process collector's documented no-op.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <promcxx/core.hpp>
#include <promcxx/exposition.hpp>
#include <promcxx/process_collector.hpp>  // registers the collector: a documented no-op on Windows

#include <string>
#include <thread>
#include <vector>

namespace {

promcxx::counter<"win_events_total", "Events counted on Windows.", promcxx::labels<"kind">> events;
promcxx::counter<"win_seconds_total", "Fractional increments."> seconds;
promcxx::histogram<"win_latency_seconds", "Latency.", promcxx::buckets<0.1, 1.0>> latency;

} // namespace

TEST_CASE("windows: increments from many threads all land, across slab reuse") {
  for (int round = 0; round < 3; ++round) {  // later rounds adopt the slabs of exited threads
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t)
      threads.emplace_back([] {
        for (int i = 0; i < 50'000; ++i) events.labels("a").inc();
        latency.observe(0.5);
      });
    for (auto& t : threads) t.join();
  }
  CHECK(events.labels("a").value() == 3.0 * 8 * 50'000);
}

TEST_CASE("windows: fractional increments") {
  for (int i = 0; i < 1000; ++i) seconds.inc(0.25);
  CHECK(seconds.value() == 250.0);
}

TEST_CASE("windows: the clock is wall time since the epoch") {
  const double now = promcxx::detail::now_seconds();
  CHECK(now > 1.7e9);  // after 2023
  CHECK(now < 4.1e9);  // before 2100
}

TEST_CASE("windows: text and OpenMetrics encoders") {
  std::string text;
  promcxx::render(promcxx::default_registry(), promcxx::exposition_format::text_0_0_4, text);
  CHECK(text.find("win_events_total{kind=\"a\"} 1.2e+06\n") != std::string::npos);
  CHECK(text.find("win_latency_seconds_bucket{le=\"1\"} 24\n") != std::string::npos);
  CHECK(text.find("win_seconds_total 250\n") != std::string::npos);
  std::string om;
  promcxx::render(promcxx::default_registry(), promcxx::exposition_format::openmetrics_1_0_0, om);
  CHECK(om.find("win_events_total{kind=\"a\"} 1.2e+06\n") != std::string::npos);
  CHECK(om.find("win_latency_seconds_bucket{le=\"1.0\"} 24\n") != std::string::npos);
  CHECK(om.ends_with("# EOF\n"));
#if defined(_WIN32)
  CHECK(text.find("process_") == std::string::npos);  // no process_* family rather than made-up values
#else
  CHECK(text.find("process_cpu_seconds_total ") != std::string::npos);  // the native control run on Linux
#endif
}
