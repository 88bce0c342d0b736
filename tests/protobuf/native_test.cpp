// Native histograms: negotiation, storage invariants, schema reduction and
// reset, concurrency, the collect_sink contract. Bucket index math is judged
// against an independent Python model in native_index_check.py.
#include "test_config.hpp"  // PROMCXX_ASSERT throws

#include <doctest/doctest.h>

#include <atomic>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <thread>
#include <vector>

#include <promcxx/exposition.hpp>
#include <promcxx/native_histogram.hpp>

namespace {

using promcxx::native_histogram_options;
using promcxx::native_histogram_series;
using reading = native_histogram_series::reading;

std::uint64_t total(const reading& r) {
  return r.zero_count + std::accumulate(r.positive.begin(), r.positive.end(), std::uint64_t{0}) +
         std::accumulate(r.negative.begin(), r.negative.end(), std::uint64_t{0});
}

/// Expected bucket counts of `values` at `schema`, from the index function alone.
std::map<std::int32_t, std::uint64_t> expected(const std::vector<double>& values, int schema, double threshold,
                                               bool positive) {
  std::map<std::int32_t, std::uint64_t> out;
  for (const double v : values)
    if (positive ? v > threshold : v < -threshold) ++out[promcxx::native_bucket_index(v, schema)];
  return out;
}

std::map<std::int32_t, std::uint64_t> as_map(std::int32_t first, const std::vector<std::uint64_t>& dense) {
  std::map<std::int32_t, std::uint64_t> out;
  for (std::size_t i = 0; i < dense.size(); ++i)
    if (dense[i] != 0) out[first + static_cast<std::int32_t>(i)] = dense[i];
  return out;
}

} // namespace

TEST_CASE("negotiate: Prometheus 2.42 with native histograms gets protobuf") {
  using promcxx::exposition_format;
  // Sent by Prometheus 2.42 with --enable-feature=native-histograms (strings in /usr/bin/prometheus).
  constexpr auto native_on =
      "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited,"
      "application/openmetrics-text;version=1.0.0;q=0.8,application/openmetrics-text;version=0.0.1;q=0.75,"
      "text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
  constexpr auto native_off =
      "application/openmetrics-text;version=1.0.0;q=0.75,application/openmetrics-text;q=0.6,"
      "text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
  static_assert(promcxx::negotiate(native_on) == exposition_format::protobuf_delimited);
  CHECK(promcxx::negotiate(native_on) == exposition_format::protobuf_delimited);
  CHECK(promcxx::negotiate(native_off) == exposition_format::openmetrics_1_0_0);
  CHECK(promcxx::content_type(exposition_format::protobuf_delimited) ==
        "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited");
  SUBCASE("other protobuf encodings and protos are not ours") {
    CHECK(promcxx::negotiate("application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=text") ==
          exposition_format::text_0_0_4);
    CHECK(promcxx::negotiate("application/vnd.google.protobuf;proto=other.Message;encoding=delimited") ==
          exposition_format::text_0_0_4);
    CHECK(promcxx::negotiate("application/vnd.google.protobuf") == exposition_format::text_0_0_4);
  }
  SUBCASE("quality still decides") {
    CHECK(promcxx::negotiate("application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;"
                             "encoding=delimited;q=0.4,text/plain;version=0.0.4;q=0.5") ==
          exposition_format::text_0_0_4);
    CHECK(promcxx::negotiate("application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;"
                             "encoding=delimited;q=0") == exposition_format::text_0_0_4);
  }
}

TEST_CASE("native histogram: count equals zero bucket plus buckets, sum and classic buckets agree") {
  native_histogram_options o;
  o.classic_bounds = {-1, 0, 0.5, 1, 10};
  native_histogram_series s{o};
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<double> values = {0.3, 0.5, 0.75, 1, 1.5, 2, 1000, -0.25, -3, 0, -0.0, 1e-40, -1e-40,
                                      5e-324, inf, -inf, std::numeric_limits<double>::max(), 2.2250738585072014e-308};
  for (const double v : values) s.observe(v);
  reading r;
  s.read(r);
  CHECK(r.count == values.size());
  CHECK(total(r) == r.count);
  // From the 2^-128 zero threshold up to +Inf the indices span 145 at
  // schema -3 (fits 160), 290 at -2, so the series reduced itself to -3.
  CHECK(r.schema == -3);
  CHECK(r.zero_count == 6);  // 0, -0, +-1e-40 and the two subnormals are below 2^-128
  CHECK(as_map(r.positive_first, r.positive) == expected(values, -3, o.zero_threshold, true));
  CHECK(as_map(r.negative_first, r.negative) == expected(values, -3, o.zero_threshold, false));
  CHECK(r.positive_first + static_cast<std::int32_t>(r.positive.size()) - 1 ==
        promcxx::native_bucket_index(std::numeric_limits<double>::max(), -3) + 1);  // +Inf: one past max
  std::vector<std::uint64_t> classic(o.classic_bounds.size() + 1, 0);
  for (const double v : values) {
    std::size_t i = 0;
    while (i < o.classic_bounds.size() && v > o.classic_bounds[i]) ++i;
    ++classic[i];
  }
  std::partial_sum(classic.begin(), classic.end(), classic.begin());
  CHECK(r.classic == classic);
  CHECK(std::isnan(r.sum));  // +Inf + -Inf

  SUBCASE("a reading does not disturb the next one") {
    s.observe(0.3);
    reading again;
    s.read(again);
    CHECK(again.count == values.size() + 1);
    CHECK(total(again) == again.count);
  }
}

TEST_CASE("native histogram: NaN breaks the contract and changes nothing") {
  native_histogram_options o;
  native_histogram_series s{o};
  s.observe(1);
  CHECK_THROWS_AS(s.observe(std::numeric_limits<double>::quiet_NaN()), promcxx_test::contract_violation);
  reading r;
  s.read(r);
  CHECK(r.count == 1);
  CHECK(r.sum == 1);
  CHECK(total(r) == 1);
}

TEST_CASE("native histogram: exceeding max_buckets halves the resolution until the span fits") {
  native_histogram_options o;
  o.schema = 8;
  o.max_buckets = 136;
  o.zero_threshold = 0;  // so that 1e-300 gets a bucket
  native_histogram_series s{o};
  std::vector<double> values;
  for (int i = 0; i < 1000; ++i) values.push_back(1.0 + i / 1000.0);  // one power of two: 256 buckets at schema 8
  for (const double v : values) s.observe(v);
  reading r;
  s.read(r);
  CHECK(r.schema == 7);
  CHECK(r.count == values.size());
  CHECK(total(r) == r.count);
  CHECK(as_map(r.positive_first, r.positive) == expected(values, 7, o.zero_threshold, true));

  SUBCASE("a spread over the whole double range ends at schema -4") {
    const std::vector<double> wide = {1e-300, 1e300, -1e-300, -1e300, 1, -1};
    for (const double v : wide) s.observe(v);
    values.insert(values.end(), wide.begin(), wide.end());
    s.read(r);
    CHECK(r.schema == -4);
    CHECK(r.count == values.size());
    CHECK(total(r) == r.count);
    CHECK(as_map(r.positive_first, r.positive) == expected(values, -4, o.zero_threshold, true));
    CHECK(as_map(r.negative_first, r.negative) == expected(values, -4, o.zero_threshold, false));
  }
}

TEST_CASE("native histogram: with min_reset_interval an old series resets instead of reducing") {
  native_histogram_options o;
  o.schema = 8;
  o.max_buckets = 136;
  o.min_reset_interval = std::chrono::seconds{1};
  native_histogram_series s{o};
  for (int i = 0; i < 1000; ++i) s.observe(1.0 + i / 1000.0);  // young: reduced
  reading r;
  s.read(r);
  CHECK(r.schema == 7);
  CHECK(r.count == 1000);
  const double created = r.created;
  std::this_thread::sleep_for(std::chrono::milliseconds{1100});
  s.observe(1e-300);
  s.observe(1e300);  // overflows the span: the series is old enough to reset
  s.observe(3);
  s.read(r);
  CHECK(r.schema == 8);
  CHECK(r.count < 1000);
  CHECK(total(r) == r.count);
  CHECK(r.created > created);
}

TEST_CASE("native histogram: concurrent observers and scrapes, every reading self-consistent, totals exact") {
  native_histogram_options o;
  o.max_buckets = 136;
  o.schema = 5;
  o.classic_bounds = {0.001, 0.1, 10};
  native_histogram_series s{o};
  constexpr int threads = 3;
  constexpr int per_thread = 20000;
  std::atomic<bool> done{false};
  std::atomic<int> inconsistent{0};
  std::atomic<int> readings{0};
  std::thread scraper([&] {
    reading r;
    std::uint64_t last = 0;
    while (!done.load()) {
      s.read(r);
      if (total(r) != r.count || r.classic.back() != r.count || r.count < last) ++inconsistent;
      last = r.count;
      ++readings;
    }
  });
  std::vector<std::thread> writers;
  for (int t = 0; t < threads; ++t)
    writers.emplace_back([&s, t] {
      for (int i = 0; i < per_thread; ++i) {
        // A widening spread (forces reductions while scrapes run), both signs and zero.
        const double magnitude = std::ldexp(1.0 + (i % 97) / 97.0, (i % 41) - 20 + (i > per_thread / 2 ? i % 60 : 0));
        s.observe(i % 11 == 0 ? 0.0 : (i + t) % 3 == 0 ? -magnitude : magnitude);
      }
    });
  for (auto& w : writers) w.join();
  done = true;
  scraper.join();
  CHECK(inconsistent.load() == 0);
  CHECK(readings.load() > 0);
  reading r;
  s.read(r);
  CHECK(r.count == std::uint64_t{threads} * per_thread);
  CHECK(total(r) == r.count);
  CHECK(r.classic.back() == r.count);
  // Exact per-bucket counts at the final schema.
  std::vector<double> all;
  for (int t = 0; t < threads; ++t)
    for (int i = 0; i < per_thread; ++i) {
      const double magnitude = std::ldexp(1.0 + (i % 97) / 97.0, (i % 41) - 20 + (i > per_thread / 2 ? i % 60 : 0));
      all.push_back(i % 11 == 0 ? 0.0 : (i + t) % 3 == 0 ? -magnitude : magnitude);
    }
  CHECK(r.schema < 5);
  CHECK(as_map(r.positive_first, r.positive) == expected(all, r.schema, o.zero_threshold, true));
  CHECK(as_map(r.negative_first, r.negative) == expected(all, r.schema, o.zero_threshold, false));
}

TEST_CASE("native histogram: families validate names and options at run time") {
  promcxx::registry reg;
  CHECK_THROWS_WITH_AS(promcxx::native_histogram_family(reg, "bad-name", "Help."),
                       "promcxx::native_histogram: \"bad-name\": invalid metric name", std::invalid_argument);
  native_histogram_options o;
  o.schema = 9;
  CHECK_THROWS_WITH_AS(promcxx::native_histogram_family(reg, "x_seconds", "Help.", {}, o),
                       "promcxx::native_histogram: \"x_seconds\": schema must be in -4..8", std::invalid_argument);
  o.schema = 3;
  o.max_buckets = 100;
  CHECK_THROWS_AS(promcxx::native_histogram_family(reg, "x_seconds", "Help.", {}, o), std::invalid_argument);
  o.max_buckets = 160;
  o.classic_bounds = {1, 0.5};
  CHECK_THROWS_AS(promcxx::native_histogram_family(reg, "x_seconds", "Help.", {}, o), std::invalid_argument);
  promcxx::native_histogram_family labelled{reg, "y_seconds", "Help.", {"op"}};
  CHECK_THROWS_AS(labelled.labels({"a", "b"}), std::invalid_argument);
  CHECK_THROWS_AS(labelled.observe(1), std::invalid_argument);
  CHECK(&labelled.labels({"a"}) == &labelled.labels({"a"}));
}

TEST_CASE("collect_sink: native samples must add up and have a valid schema") {
  promcxx::snapshot snap;
  promcxx::collect_sink sink{snap, {}};
  const std::uint64_t positive[] = {2, 0, 1};
  const std::uint64_t count[] = {4};
  const std::uint64_t wrong[] = {5};
  promcxx::native_buckets n;
  n.zero_count = 1;
  n.positive = positive;
  REQUIRE(sink.native_histogram_family("a_seconds", "Help."));
  sink.native_histogram_sample({}, count, 1, n);
  CHECK(sink.errors() == 0);
  sink.native_histogram_sample({}, wrong, 1, n);
  CHECK(sink.errors() == 1);
  n.schema = 9;
  sink.native_histogram_sample({}, count, 1, n);
  CHECK(sink.errors() == 2);
  n.schema = 3;
  n.zero_threshold = -1;
  sink.native_histogram_sample({}, count, 1, n);
  CHECK(sink.errors() == 3);
  CHECK_FALSE(sink.histogram_family("b_seconds", "Help.", {}));  // classic histograms still need bounds
  sink.end_family();
  REQUIRE(snap.natives.size() == 1);
  CHECK(snap.natives[0].positive_span_count == 1);  // one empty bucket stays inside the span
  CHECK(snap.native_counts.size() == 3);
}

TEST_CASE("native_histogram: compile-time descriptor renders classic buckets in text, native in protobuf") {
  promcxx::registry reg;
  promcxx::native_histogram<"rpc_latency_seconds", "RPC latency.", promcxx::labels<"op">, promcxx::schema<2>,
                            promcxx::buckets<0.1, 1>, promcxx::unit<"seconds">>
      h{reg};
  h.labels("sign").observe(0.05);
  h.labels("sign").observe(0.5);
  h.labels("sign").observe(-2);
  std::string text;
  promcxx::render(reg, promcxx::exposition_format::text_0_0_4, text);
  CHECK(text.find("rpc_latency_seconds_bucket{op=\"sign\",le=\"0.1\"} 2\n") != std::string::npos);
  CHECK(text.find("rpc_latency_seconds_count{op=\"sign\"} 3\n") != std::string::npos);
  promcxx::snapshot snap;
  reg.collect(snap);
  REQUIRE(snap.natives.size() == 1);
  CHECK(snap.natives[0].schema == 2);
  CHECK(snap.all_series[0].native == 0);
  promcxx::native_histogram<"idle_seconds", "Idle."> idle{reg};
  idle.observe(1);
  CHECK(idle.family().options().schema == 3);
}

TEST_CASE("native histogram: resets under concurrent observers keep every reading self-consistent") {
  native_histogram_options o;
  o.max_buckets = 136;
  o.schema = 8;
  o.min_reset_interval = std::chrono::seconds{1};
  o.classic_bounds = {0.5, 2};
  native_histogram_series s{o};
  reading first;
  s.read(first);
  std::atomic<bool> done{false};
  std::atomic<int> inconsistent{0};
  std::thread scraper([&] {
    reading r;
    while (!done.load()) {
      s.read(r);
      if (total(r) != r.count || r.classic.back() != r.count) ++inconsistent;
    }
  });
  std::vector<std::thread> writers;
  const auto start = std::chrono::steady_clock::now();
  for (int t = 0; t < 2; ++t)
    writers.emplace_back([&s, t, start] {
      // 40 powers of two overflow schema 8 at once (young: reduced to 1); after 1.2 s,
      // 400 overflow schema 1 (old: reset to 8, which overflows and reduces again).
      for (int i = 0;; ++i) {
        const auto age = std::chrono::steady_clock::now() - start;
        if (age > std::chrono::milliseconds{2500}) break;
        const int powers = age < std::chrono::milliseconds{1200} ? 40 : 400;
        s.observe(std::ldexp(1.0 + (i % 13) / 13.0, (i + t) % powers - powers / 2));
      }
    });
  for (auto& w : writers) w.join();
  done = true;
  scraper.join();
  CHECK(inconsistent.load() == 0);
  reading r;
  s.read(r);
  CHECK(total(r) == r.count);
  CHECK(r.created > first.created);  // a reset happened
}
