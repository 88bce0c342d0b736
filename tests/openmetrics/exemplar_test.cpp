// Exemplars on counters and histogram buckets: placement, limits, drops and torn-read safety.
#include "test_config.hpp"
#include "alloc_counter.hpp"

#include <atomic>
#include <charconv>
#include <cstdlib>
#include <new>
#include <string>
#include <thread>
#include <vector>

#include <promcxx/core.hpp>
#include <promcxx/exemplar.hpp>
#include <promcxx/exposition.hpp>

#include <doctest/doctest.h>

#include "om_test_util.hpp"

using promcxx_test::allocations;  // counting operator new: tests/support/alloc_counter.cpp

namespace {

using om_test::has_line;
using om_test::line_starting;

/// The exemplar part of a sample line: `{...} value ts` or "" when none.
std::string exemplar_of(const std::string& line) {
  const auto at = line.find(" # ");
  return at == std::string::npos ? std::string{} : line.substr(at + 3);
}

double exemplar_timestamp(const std::string& exemplar) {
  return std::strtod(exemplar.c_str() + exemplar.rfind(' ') + 1, nullptr);
}

// Memory footprint: the option is opt-in; a plain counter series stays small.
using plain_slot = promcxx::detail::series_record;  // one series of any family (label bytes live beside it)
static_assert(sizeof(plain_slot) <= 128, "a counter series without exemplars must stay within 128 bytes");
static_assert(sizeof(promcxx::detail::exemplar_slot) <= 320, "an exemplar slot is fixed-size");
// Slots come with each series, so unused series capacity costs a pointer, not 13 slots.
using plain_histogram = promcxx::histogram<"fp_seconds", "F.", promcxx::labels<"k">>;
using exemplar_histogram = promcxx::histogram<"fp_seconds", "F.", promcxx::labels<"k">, promcxx::exemplars>;
static_assert(sizeof(exemplar_histogram) <= sizeof(plain_histogram) + 16 * (promcxx::default_max_series + 1),
              "exemplar slots must not be reserved inline for every possible series");

TEST_CASE("exemplar: counter keeps the latest exemplar with the increment as its value") {
  promcxx::registry reg;
  promcxx::counter<"jobs_total", "Jobs.", promcxx::exemplars> jobs{reg};
  jobs.inc();
  CHECK(exemplar_of(line_starting(om_test::openmetrics(reg), "jobs_total")).empty());
  const double before = promcxx::detail::now_seconds();
  jobs.inc(2, {{"trace_id", "abc"}});
  jobs.inc(0.5, {{"trace_id", "def"}, {"span_id", "01"}});
  const double after = promcxx::detail::now_seconds();
  CHECK(jobs.value() == 3.5);
  const auto line = line_starting(om_test::openmetrics(reg), "jobs_total");
  CHECK(line.starts_with("jobs_total 3.5 # {trace_id=\"def\",span_id=\"01\"} 0.5 "));
  const double ts = exemplar_timestamp(exemplar_of(line));
  CHECK(ts >= before - 0.001);
  CHECK(ts <= after + 0.001);
  CHECK(om_test::text(reg).find('#', om_test::text(reg).find("jobs_total 3.5")) == std::string::npos);
}

TEST_CASE("exemplar: labelled counter, runtime values and runtime names") {
  promcxx::registry reg;
  promcxx::counter<"rpc_total", "RPCs.", promcxx::labels<"code">, promcxx::exemplars> rpc{reg};
  const std::string trace = "4bf92f3577b34da6a3ce929d0e0e4736";
  rpc.labels("200").inc(1, {{"trace_id", trace}});
  const promcxx::label_pair runtime[] = {{"user", "q\"uote\\ caf\xc3\xa9"}};
  rpc.labels("500").inc(1, runtime);
  const auto om = om_test::openmetrics(reg);
  CHECK(line_starting(om, "rpc_total{code=\"200\"}").starts_with("rpc_total{code=\"200\"} 1.0 # {trace_id=\"" + trace +
                                                                 "\"} 1.0 "));
  CHECK(line_starting(om, "rpc_total{code=\"500\"}").starts_with(
      "rpc_total{code=\"500\"} 1.0 # {user=\"q\\\"uote\\\\ caf\xc3\xa9\"} 1.0 "));
}

TEST_CASE("exemplar: histogram exemplar sits on the bucket of its value") {
  promcxx::registry reg;
  promcxx::histogram<"latency_seconds", "Latency.", promcxx::buckets<"0.1", "1", "10">, promcxx::exemplars> lat{reg};
  lat.observe(0.05, {{"trace_id", "a"}});
  lat.observe(0.1, {{"trace_id", "b"}});   // bounds are inclusive: le="0.1"
  lat.observe(5, {{"trace_id", "c"}});
  lat.observe(42, {{"trace_id", "d"}});    // +Inf bucket
  lat.observe(3);                           // no exemplar: bucket keeps "c"
  const auto om = om_test::openmetrics(reg);
  CHECK(line_starting(om, "latency_seconds_bucket{le=\"0.1\"}").starts_with(
      "latency_seconds_bucket{le=\"0.1\"} 2 # {trace_id=\"b\"} 0.1 "));
  CHECK(exemplar_of(line_starting(om, "latency_seconds_bucket{le=\"1.0\"}")).empty());
  CHECK(line_starting(om, "latency_seconds_bucket{le=\"10.0\"}").starts_with(
      "latency_seconds_bucket{le=\"10.0\"} 4 # {trace_id=\"c\"} 5.0 "));
  CHECK(line_starting(om, "latency_seconds_bucket{le=\"+Inf\"}").starts_with(
      "latency_seconds_bucket{le=\"+Inf\"} 5 # {trace_id=\"d\"} 42.0 "));
  CHECK(has_line(om, "latency_seconds_count 5"));
  CHECK(lat.count() == 5);
}

TEST_CASE("exemplar: the 128-code-point limit is enforced, the value still counts") {
  promcxx::registry reg;
  promcxx::counter<"limit_total", "Limit.", promcxx::exemplars> c{reg};
  const std::string exactly(128 - 8, 'x');  // "trace_id" is 8 code points
  c.inc(1, {{"trace_id", exactly}});
  CHECK(line_starting(om_test::openmetrics(reg), "limit_total").find(exactly) != std::string::npos);

  const auto dropped_before = promcxx::exemplars_dropped();
  const std::string too_long(128 - 8 + 1, 'y');
  CHECK_THROWS_WITH_AS(c.inc(1, {{"trace_id", too_long}}),
                       doctest::Contains("exemplar labels exceed 128 code points"), promcxx_test::contract_violation);
  CHECK(promcxx::exemplars_dropped() == dropped_before + 1);
  CHECK(c.value() == 2);  // counted although the exemplar was dropped
  const auto line = line_starting(om_test::openmetrics(reg), "limit_total");
  CHECK(line.find(exactly) != std::string::npos);  // previous exemplar kept
  CHECK(line.find('y') == std::string::npos);

  // Code points, not bytes: 60 two-byte characters are 60 code points.
  std::string accented;
  for (int i = 0; i < 60; ++i) accented += "\xc3\xa9";
  c.inc(1, {{"trace_id", accented}});
  CHECK(line_starting(om_test::openmetrics(reg), "limit_total").find(accented) != std::string::npos);
  std::string accented_long;
  for (int i = 0; i < 121; ++i) accented_long += "\xc3\xa9";
  CHECK_THROWS_AS(c.inc(1, {{"trace_id", accented_long}}), promcxx_test::contract_violation);
  CHECK(promcxx::exemplars_dropped() == dropped_before + 2);
}

TEST_CASE("exemplar: invalid runtime names, duplicates and bad UTF-8 are dropped and counted") {
  promcxx::registry reg;
  promcxx::histogram<"size_bytes", "Sizes.", promcxx::buckets<1, 10>, promcxx::exemplars> h{reg};
  const auto dropped_before = promcxx::exemplars_dropped();
  const promcxx::label_pair bad_name[] = {{"trace-id", "a"}};
  const promcxx::label_pair reserved[] = {{"__trace", "a"}};
  const promcxx::label_pair duplicate[] = {{"a", "1"}, {"a", "2"}};
  CHECK_THROWS_AS(h.observe(2, bad_name), promcxx_test::contract_violation);
  CHECK_THROWS_AS(h.observe(2, reserved), promcxx_test::contract_violation);
  CHECK_THROWS_AS(h.observe(2, duplicate), promcxx_test::contract_violation);
  CHECK_THROWS_AS(h.observe(2, {{"trace_id", "\xed\xa0\x80"}}), promcxx_test::contract_violation);
  CHECK(promcxx::exemplars_dropped() == dropped_before + 4);
  CHECK(h.count() == 4);
  CHECK(om_test::openmetrics(reg).find(" # {") == std::string::npos);
}

TEST_CASE("exemplar: dropped exemplars appear as promcxx_exemplars_dropped_total in the default registry") {
  promcxx::counter<"dropper_total", "Drops.", promcxx::exemplars> c{promcxx::unregistered};
  CHECK_THROWS_AS(c.inc(1, {{"trace_id", std::string(200, 'z')}}), promcxx_test::contract_violation);
  const auto om = om_test::openmetrics(promcxx::default_registry());
  const auto line = line_starting(om, "promcxx_exemplars_dropped_total ");
  REQUIRE_FALSE(line.empty());
  CHECK(std::strtod(line.c_str() + line.find(' ') + 1, nullptr) ==
        static_cast<double>(promcxx::exemplars_dropped()));
  CHECK(has_line(om, "# TYPE promcxx_exemplars_dropped counter"));
  CHECK(has_line(om_test::text(promcxx::default_registry()), "# TYPE promcxx_exemplars_dropped_total counter"));
}

TEST_CASE("exemplar: concurrent writers never produce a torn exemplar") {
  promcxx::registry reg;
  promcxx::histogram<"torn_seconds", "Torn.", promcxx::buckets<"1000">, promcxx::exemplars> h{reg};
  std::atomic<bool> stop{false};
  std::vector<std::thread> writers;
  for (int t = 0; t < 3; ++t)
    writers.emplace_back([&, t] {
      char text[32];
      for (int i = 1; !stop.load(std::memory_order_relaxed); ++i) {
        const int v = (t * 100000 + i) % 999 + 1;
        const auto end = std::to_chars(text, text + sizeof text, v).ptr;
        const std::string_view value{text, static_cast<std::size_t>(end - text)};
        // Two labels that must agree with each other and with the value.
        h.observe(v, {{"v", value}, {"w", value}});
        if (i % 16 == 0) std::this_thread::yield();  // let the scraper in on few cores (and under TSan)
      }
    });
  int checked = 0, torn = 0;
  for (int i = 0; i < 20000 && checked < 200; ++i) {
    const auto line = line_starting(om_test::openmetrics(reg), "torn_seconds_bucket{le=\"1000.0\"}");
    const auto e = exemplar_of(line);
    if (e.empty()) continue;
    ++checked;
    // e: {v="N",w="N"} N.0 ts
    const auto v_end = e.find('"', 4);
    const std::string v = e.substr(4, v_end - 4);
    const bool ok = e.starts_with("{v=\"" + v + "\",w=\"" + v + "\"} " + v + ".0 ");
    torn += ok ? 0 : 1;
    if (!ok) MESSAGE(e);
  }
  stop = true;
  for (auto& w : writers) w.join();
  CHECK(checked > 0);
  CHECK(torn == 0);
}

} // namespace

namespace {

TEST_CASE("exemplar: recording one allocates nothing") {
  promcxx::registry reg;
  promcxx::counter<"alloc_total", "Alloc.", promcxx::labels<"k">, promcxx::exemplars> c{reg};
  promcxx::histogram<"alloc_seconds", "Alloc.", promcxx::exemplars> h{reg};
  auto series = c.labels("x");
  series.inc(1, {{"trace_id", "warm-up"}});  // the thread's first write adopts its slab
  h.observe(1, {{"trace_id", "warm-up"}});
  const std::string trace(32, 'f');
  const auto before = allocations();
  for (int i = 0; i < 1000; ++i) {
    series.inc(1, {{"trace_id", trace}, {"span_id", "00f067aa0ba902b7"}});
    h.observe(i * 0.01, {{"trace_id", trace}});
  }
  CHECK(allocations() == before);
  CHECK(series.value() == 1001);
  CHECK(h.count() == 1001);
}

} // namespace
