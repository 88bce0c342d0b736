// Callback gauges and counters: values read at scrape time, bad values and
// throwing callbacks dropped and counted without breaking the scrape.
#include "test_config.hpp"
#include "alloc_counter.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include <promcxx.hpp>
#include <promcxx/callback.hpp>

#include "live_process.hpp"  // value_of

namespace {

std::string scrape(promcxx::registry& reg,
                   promcxx::exposition_format format = promcxx::exposition_format::text_0_0_4) {
  std::string out;
  promcxx::render(reg, format, out);
  return out;
}

} // namespace

TEST_CASE("callback: an unlabelled gauge reads its callable at every scrape") {
  promcxx::registry reg;
  double depth = 3;
  promcxx::gauge_func<"peers_queue_depth", "Items waiting."> g{reg, [&] { return depth; }};
  CHECK(peers_test::value_of(scrape(reg), "peers_queue_depth") == 3);
  depth = 4.5;
  const auto text = scrape(reg);
  CHECK(text.find("# TYPE peers_queue_depth gauge\n") != std::string::npos);
  CHECK(peers_test::value_of(text, "peers_queue_depth") == 4.5);
}

TEST_CASE("callback: labelled gauges and counters, compile-time descriptors") {
  promcxx::registry reg;
  int idle = 2;
  std::uint64_t acquired_a = 10;
  promcxx::gauge_func<"peers_pool_connections", "Connections by state.", promcxx::labels<"state">> conns{
      reg, [&](auto& out) {
        out(idle, "idle");
        out(5, std::string("busy"));
      }};
  promcxx::counter_func<"peers_pool_acquired_total", "Connections handed out.", promcxx::labels<"pool", "zone">> acq{
      reg, [&](promcxx::callback_sink& out) {
        out(acquired_a, "a", "z1");
        out(1, "b", "z2");
      }};
  auto text = scrape(reg);
  CHECK(peers_test::value_of(text, "peers_pool_connections{state=\"idle\"}") == 2);
  CHECK(peers_test::value_of(text, "peers_pool_connections{state=\"busy\"}") == 5);
  CHECK(peers_test::value_of(text, "peers_pool_acquired_total{pool=\"a\",zone=\"z1\"}") == 10);
  CHECK(text.find("# TYPE peers_pool_acquired_total counter\n") != std::string::npos);
  idle = 7;
  acquired_a = 11;
  text = scrape(reg, promcxx::exposition_format::openmetrics_1_0_0);
  CHECK(peers_test::value_of(text, "peers_pool_connections{state=\"idle\"}") == 7);
  CHECK(peers_test::value_of(text, "peers_pool_acquired_total{pool=\"a\",zone=\"z1\"}") == 11);
  CHECK(text.find("# TYPE peers_pool_acquired counter\n") != std::string::npos);
  CHECK(text.find("promcxx_collect_errors_total") == std::string::npos);
}

TEST_CASE("callback: a runtime-named family, and its descriptor errors") {
  promcxx::registry reg;
  const std::string name = std::string("peers_") + "runtime_depth";
  promcxx::callback_family depths{reg, promcxx::metric_type::gauge, name, "Depth by queue.", {"queue"},
                                  [](promcxx::callback_sink& out) {
                                    out(1, "high");
                                    out(2, "low");
                                  }};
  promcxx::callback_family total{reg, promcxx::metric_type::counter, "peers_runtime_events_total", "Events.",
                                 [] { return 42.0; }};
  const auto text = scrape(reg);
  CHECK(peers_test::value_of(text, "peers_runtime_depth{queue=\"low\"}") == 2);
  CHECK(peers_test::value_of(text, "peers_runtime_events_total") == 42);

  const auto f = [] { return 1.0; };
  CHECK_THROWS_WITH_AS(promcxx::callback_family(reg, promcxx::metric_type::counter, "peers_no_suffix", "h", f),
                       "promcxx::callback_family: \"peers_no_suffix\": a counter's name must end in _total",
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(promcxx::callback_family(reg, promcxx::metric_type::gauge, "1bad", "h", f),
                       doctest::Contains("metric name must match"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(promcxx::callback_family(reg, promcxx::metric_type::gauge, "peers_x", "", f),
                       doctest::Contains("help text"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(promcxx::callback_family(reg, promcxx::metric_type::histogram, "peers_x", "h", f),
                       doctest::Contains("gauge or counter"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(promcxx::callback_family(reg, promcxx::metric_type::gauge, "peers_x", "h", {"a", "a"},
                                                [](promcxx::callback_sink&) {}),
                       doctest::Contains("label names must be valid"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(promcxx::callback_family(reg, promcxx::metric_type::gauge, "peers_x", "h", {"__a"},
                                                [](promcxx::callback_sink&) {}),
                       doctest::Contains("label names must be valid"), std::invalid_argument);
}

TEST_CASE("callback: throwing callbacks and bad values are dropped and counted, the scrape goes on") {
  promcxx::registry reg;
  promcxx::gauge<"peers_regular", "A regular gauge."> regular{reg};
  regular.set(9);
  double counter_value = -1;
  promcxx::gauge_func<"peers_throws", "Throws."> thrower{reg, []() -> double { throw std::runtime_error("no"); }};
  promcxx::gauge_func<"peers_half", "Throws after one series.", promcxx::labels<"k">> half{
      reg, [](auto& out) {
        out(1, "first");
        throw 7;  // not even a std::exception
      }};
  promcxx::counter_func<"peers_bad_total", "Bad counter."> bad{reg, [&] { return counter_value; }};
  promcxx::gauge_func<"peers_arity", "Wrong number of label values.", promcxx::labels<"a", "b">> arity{
      reg, [](auto& out) {
        out(1, "only-one");
        out(2, "x", "y");
      }};
  promcxx::gauge_func<"peers_nan_gauge", "A gauge may be NaN."> nan_gauge{
      reg, [] { return std::numeric_limits<double>::quiet_NaN(); }};

  auto text = scrape(reg);
  CHECK(peers_test::value_of(text, "peers_regular") == 9);
  CHECK(text.find("peers_throws") == std::string::npos);
  CHECK(peers_test::value_of(text, "peers_half{k=\"first\"}") == 1);
  CHECK(text.find("peers_bad_total") == std::string::npos);
  CHECK(peers_test::value_of(text, "peers_arity{a=\"x\",b=\"y\"}") == 2);
  CHECK(text.find("peers_nan_gauge NaN\n") != std::string::npos);
  // thrower, half, bad (negative), arity (one of two)
  CHECK(peers_test::value_of(text, "promcxx_collect_errors_total") == 4);

  counter_value = std::numeric_limits<double>::quiet_NaN();
  text = scrape(reg);
  CHECK(text.find("peers_bad_total") == std::string::npos);
  CHECK(peers_test::value_of(text, "promcxx_collect_errors_total") == 8);
  counter_value = 3;
  text = scrape(reg);
  CHECK(peers_test::value_of(text, "peers_bad_total") == 3);
  CHECK(peers_test::value_of(text, "promcxx_collect_errors_total") == 11);
}

TEST_CASE("callback: unregistered when destroyed") {
  promcxx::registry reg;
  {
    promcxx::gauge_func<"peers_scoped", "Scoped."> g{reg, [] { return 1; }};
    CHECK(scrape(reg).find("peers_scoped 1\n") != std::string::npos);
  }
  CHECK(scrape(reg).find("peers_scoped") == std::string::npos);
}

TEST_CASE("callback: a steady scrape allocates nothing") {
  promcxx::registry reg;
  std::atomic<int> calls{0};
  promcxx::gauge_func<"peers_alloc_depth", "x"> g{reg, [&] { return ++calls; }};
  promcxx::counter_func<"peers_alloc_total", "x", promcxx::labels<"pool", "zone">> c{reg, [](auto& out) {
    out(1, "pool-with-a-rather-long-name-beyond-sso", "zone-1");
    out(2, "b", "zone-2");
  }};
  std::string out;
  for (int i = 0; i < 3; ++i) promcxx::render(reg, promcxx::exposition_format::openmetrics_1_0_0, out);  // warm up
  const auto before = promcxx_test::thread_allocations();
  for (int i = 0; i < 100; ++i) promcxx::render(reg, promcxx::exposition_format::openmetrics_1_0_0, out);
  CHECK(promcxx_test::thread_allocations() - before == 0);
  CHECK(calls.load() == 103);
  CHECK(peers_test::value_of(out, "peers_alloc_depth") == 103);
}
