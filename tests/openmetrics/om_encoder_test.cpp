// The OpenMetrics 1.0.0 encoder, on snapshots built by collectors with fixed values.
#include "test_config.hpp"

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <promcxx/exposition.hpp>
#include <promcxx/openmetrics.hpp>
#include <promcxx/registry.hpp>

#include <doctest/doctest.h>

#include "om_test_util.hpp"

namespace {

using om_test::has_line;
using om_test::lambda_collector;
using promcxx::metric_type;

constexpr double created = 1700000000.5;

TEST_CASE("openmetrics: counter family drops _total, sample keeps it, _created follows") {
  promcxx::registry reg;
  lambda_collector c{[](promcxx::collect_sink& s) {
    if (s.family("jobs_total", "Jobs run.", metric_type::counter)) s.sample({{"queue", "a"}}, 3, created);
  }};
  reg.add(c);
  CHECK(om_test::openmetrics(reg) ==
        "# TYPE jobs counter\n"
        "# HELP jobs Jobs run.\n"
        "jobs_total{queue=\"a\"} 3.0\n"
        "jobs_created{queue=\"a\"} 1.7000000005e+09\n"
        "# EOF\n");
  CHECK(om_test::text(reg) ==
        "# HELP jobs_total Jobs run.\n"
        "# TYPE jobs_total counter\n"
        "jobs_total{queue=\"a\"} 3\n");
}

TEST_CASE("openmetrics: metadata order is TYPE, UNIT, HELP") {
  promcxx::registry reg;
  lambda_collector c{[](promcxx::collect_sink& s) {
    if (s.family("io_wait_seconds_total", "Time waited.", metric_type::counter, "seconds")) s.sample({}, 1.5);
  }};
  reg.add(c);
  CHECK(om_test::openmetrics(reg) ==
        "# TYPE io_wait_seconds counter\n"
        "# UNIT io_wait_seconds seconds\n"
        "# HELP io_wait_seconds Time waited.\n"
        "io_wait_seconds_total 1.5\n"
        "# EOF\n");
}

TEST_CASE("openmetrics: histogram counts are integers and le values canonical") {
  promcxx::registry reg;
  static constexpr double bounds[] = {1e-05, 0.005, 1, 10, 100000, 1e+06};
  lambda_collector c{[](promcxx::collect_sink& s) {
    if (s.histogram_family("size_bytes", "Sizes.", bounds)) {
      const std::uint64_t cumulative[] = {1, 2, 3, 4, 5, 1000000, 1000001};
      s.histogram_sample({}, cumulative, 2.5e6, created);
    }
  }};
  reg.add(c);
  const auto om = om_test::openmetrics(reg);
  CHECK(om ==
        "# TYPE size_bytes histogram\n"
        "# HELP size_bytes Sizes.\n"
        "size_bytes_bucket{le=\"1e-05\"} 1\n"
        "size_bytes_bucket{le=\"0.005\"} 2\n"
        "size_bytes_bucket{le=\"1.0\"} 3\n"
        "size_bytes_bucket{le=\"10.0\"} 4\n"
        "size_bytes_bucket{le=\"100000.0\"} 5\n"
        "size_bytes_bucket{le=\"1e+06\"} 1000000\n"
        "size_bytes_bucket{le=\"+Inf\"} 1000001\n"
        "size_bytes_count 1000001\n"
        "size_bytes_sum 2.5e+06\n"
        "size_bytes_created 1.7000000005e+09\n"
        "# EOF\n");
  const auto text = om_test::text(reg);
  CHECK(has_line(text, "size_bytes_bucket{le=\"1\"} 3"));      // 0.0.4 keeps Go's %g spelling
  CHECK(has_line(text, "size_bytes_bucket{le=\"1e+06\"} 1000000"));
  CHECK(has_line(text, "size_bytes_count 1000001"));
}

TEST_CASE("openmetrics: help and label values escape backslash, quote and newline") {
  promcxx::registry reg;
  lambda_collector c{[](promcxx::collect_sink& s) {
    if (s.family("odd_value", "A \"quoted\" back\\slash\nnewline caf\xc3\xa9.", metric_type::gauge))
      s.sample({{"path", "C:\\dir\n\"x\" \xe2\x82\xac"}}, 1);
  }};
  reg.add(c);
  const auto om = om_test::openmetrics(reg);
  CHECK(has_line(om, "# HELP odd_value A \\\"quoted\\\" back\\\\slash\\nnewline caf\xc3\xa9."));
  CHECK(has_line(om, "odd_value{path=\"C:\\\\dir\\n\\\"x\\\" \xe2\x82\xac\"} 1.0"));
  // 0.0.4 escapes only backslash and newline in HELP; Go's parser rejects \" there.
  const auto text = om_test::text(reg);
  CHECK(has_line(text, "# HELP odd_value A \"quoted\" back\\\\slash\\nnewline caf\xc3\xa9."));
  CHECK(has_line(text, "odd_value{path=\"C:\\\\dir\\n\\\"x\\\" \xe2\x82\xac\"} 1"));
}

TEST_CASE("openmetrics: special floats are spelled as the reference clients do") {
  struct row {
    double value;
    const char* om;
    const char* text;
  };
  const row rows[] = {
      {std::numeric_limits<double>::quiet_NaN(), "NaN", "NaN"},
      {std::numeric_limits<double>::infinity(), "+Inf", "+Inf"},
      {-std::numeric_limits<double>::infinity(), "-Inf", "-Inf"},
      {-0.0, "0.0", "0"},  // not Go's "-0": see the -0 bucket bound test below
      {0, "0.0", "0"},
      {1, "1.0", "1"},
      {1e-05, "1e-05", "1e-05"},
      {0.0001, "0.0001", "0.0001"},
      {1e+06, "1e+06", "1e+06"},
      {100000, "100000.0", "100000"},
      {1.7560473e+07, "1.7560473e+07", "1.7560473e+07"},
      {-2.5, "-2.5", "-2.5"},
      {0.1, "0.1", "0.1"},
      {5e-324, "5e-324", "5e-324"},
      {1.7976931348623157e+308, "1.7976931348623157e+308", "1.7976931348623157e+308"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.om);
    promcxx::registry reg;
    lambda_collector c{[&r](promcxx::collect_sink& s) {
      if (s.family("value", "V.", metric_type::gauge)) s.sample({}, r.value);
    }};
    reg.add(c);
    CHECK(om_test::line_starting(om_test::openmetrics(reg), "value ") == std::string("value ") + r.om);
    CHECK(om_test::line_starting(om_test::text(reg), "value ") == std::string("value ") + r.text);
  }
}

TEST_CASE("openmetrics: negative buckets rule out _sum and _count, 0.0.4 keeps them") {
  promcxx::registry reg;
  static constexpr double bounds[] = {-1, 0, 1};
  lambda_collector c{[](promcxx::collect_sink& s) {
    if (s.histogram_family("offset_seconds", "Offsets.", bounds)) {
      const std::uint64_t cumulative[] = {1, 1, 2, 2};
      s.histogram_sample({}, cumulative, -1.5);
    }
  }};
  reg.add(c);
  const auto om = om_test::openmetrics(reg);
  CHECK(has_line(om, "offset_seconds_bucket{le=\"-1.0\"} 1"));
  CHECK(has_line(om, "offset_seconds_bucket{le=\"+Inf\"} 2"));
  CHECK(om.find("offset_seconds_sum") == std::string::npos);
  CHECK(om.find("offset_seconds_count") == std::string::npos);
  const auto text = om_test::text(reg);
  CHECK(has_line(text, "offset_seconds_sum -1.5"));
  CHECK(has_line(text, "offset_seconds_count 2"));
}

TEST_CASE("openmetrics: a negative or NaN sum is left out (it is a counter there)") {
  promcxx::registry reg;
  static constexpr double bounds[] = {1};
  lambda_collector c{[](promcxx::collect_sink& s) {
    const promcxx::label_pair neg[] = {{"k", "neg"}}, nan[] = {{"k", "nan"}}, pos[] = {{"k", "pos"}};
    if (s.histogram_family("delta_seconds", "Deltas.", bounds)) {
      const std::uint64_t cumulative[] = {1, 1};
      s.histogram_sample(neg, cumulative, -3);
      s.histogram_sample(nan, cumulative, std::numeric_limits<double>::quiet_NaN());
      s.histogram_sample(pos, cumulative, 0.5);
    }
    if (s.family("balance_delta", "Signed amounts.", metric_type::summary)) {
      s.summary_sample(neg, 2, -7.5);
      s.summary_sample(pos, 2, 7.5);
    }
  }};
  reg.add(c);
  const auto om = om_test::openmetrics(reg);
  CHECK_FALSE(has_line(om, "delta_seconds_count{k=\"neg\"} 1"));
  CHECK_FALSE(has_line(om, "delta_seconds_count{k=\"nan\"} 1"));
  CHECK(has_line(om, "delta_seconds_count{k=\"pos\"} 1"));
  CHECK(has_line(om, "delta_seconds_sum{k=\"pos\"} 0.5"));
  CHECK(has_line(om, "balance_delta_count{k=\"neg\"} 2"));
  CHECK(om.find("balance_delta_sum{k=\"neg\"}") == std::string::npos);
  CHECK(has_line(om, "balance_delta_sum{k=\"pos\"} 7.5"));
  const auto text = om_test::text(reg);
  CHECK(has_line(text, "balance_delta_sum{k=\"neg\"} -7.5"));
  CHECK(has_line(text, "delta_seconds_sum{k=\"nan\"} NaN"));
}

TEST_CASE("openmetrics: info and stateset, and their 0.0.4 gauges") {
  promcxx::registry reg;
  static constexpr std::string_view states[] = {"leader", "follower"};
  lambda_collector c{[](promcxx::collect_sink& s) {
    if (s.family("build", "Build.", metric_type::info)) {
      const promcxx::label_pair labels[] = {{"version", "1.2"}};
      s.info_sample(labels);
    }
    if (s.stateset_family("role", "Role.", states)) {
      const bool on[] = {false, true};
      s.stateset_sample({}, on);
    }
  }};
  reg.add(c);
  CHECK(om_test::openmetrics(reg) ==
        "# TYPE build info\n"
        "# HELP build Build.\n"
        "build_info{version=\"1.2\"} 1\n"
        "# TYPE role stateset\n"
        "# HELP role Role.\n"
        "role{role=\"leader\"} 0\n"
        "role{role=\"follower\"} 1\n"
        "# EOF\n");
  CHECK(om_test::text(reg) ==
        "# HELP build_info Build.\n"
        "# TYPE build_info gauge\n"
        "build_info{version=\"1.2\"} 1\n"
        "# HELP role Role.\n"
        "# TYPE role gauge\n"
        "role{role=\"leader\"} 0\n"
        "role{role=\"follower\"} 1\n");
}

TEST_CASE("openmetrics: unknown type and an empty registry") {
  promcxx::registry empty;
  CHECK(om_test::openmetrics(empty) == "# EOF\n");
  CHECK(om_test::text(empty).empty());

  promcxx::registry reg;
  lambda_collector c{[](promcxx::collect_sink& s) {
    if (s.family("legacy", "Legacy.", metric_type::unknown)) s.sample({}, 2);
  }};
  reg.add(c);
  CHECK(om_test::openmetrics(reg) == "# TYPE legacy unknown\n# HELP legacy Legacy.\nlegacy 2.0\n# EOF\n");
  CHECK(om_test::text(reg) == "# HELP legacy Legacy.\n# TYPE legacy untyped\nlegacy 2\n");
}

TEST_CASE("openmetrics: exemplars print labels escaped, value and a millisecond timestamp") {
  promcxx::snapshot snap;
  promcxx::snapshot::family f;
  f.name = snap.store("jobs_total");
  f.help = snap.store("Jobs.");
  f.type = metric_type::counter;
  f.series_count = 1;
  snap.families.push_back(f);
  promcxx::snapshot::series s;
  s.first_exemplar = 0;
  snap.values.push_back(4);
  snap.all_series.push_back(s);
  promcxx::snapshot::exemplar e;
  e.first_label = 0;
  e.label_count = 1;
  e.value = 0.5;
  e.timestamp = 1700000000.25;
  e.has_timestamp = true;
  snap.labels.push_back({snap.store("trace_id"), snap.store("a\"b\\c\nd")});
  snap.exemplars.push_back(e);
  snap.exemplar_refs.push_back(0);
  std::string out;
  promcxx::encode_openmetrics(snap, out);
  CHECK(has_line(out, "jobs_total 4.0 # {trace_id=\"a\\\"b\\\\c\\nd\"} 0.5 1700000000.250"));
  std::string text;
  promcxx::encode_text(snap, text);
  CHECK(text.find('#', text.find("jobs_total 4")) == std::string::npos);  // 0.0.4 has no exemplars
}

TEST_CASE("openmetrics: output ends with exactly one # EOF and no CR") {
  promcxx::registry reg;
  lambda_collector c{[](promcxx::collect_sink& s) {
    if (s.family("a_value", "A.", metric_type::gauge)) s.sample({}, 1);
  }};
  reg.add(c);
  const auto om = om_test::openmetrics(reg);
  REQUIRE(om.size() >= 6);
  CHECK(om.ends_with("\n# EOF\n"));
  CHECK(om.find("# EOF") == om.size() - 6);
  CHECK(om.find('\r') == std::string::npos);
}

} // namespace

namespace {

TEST_CASE("regression: collector counters with a unit were refused (unit sits before _total)") {
  promcxx::registry reg;
  lambda_collector c{[](promcxx::collect_sink& s) {
    CHECK(s.family("read_bytes_total", "Read.", metric_type::counter, "bytes"));
    s.sample({}, 1);
    CHECK_FALSE(s.family("readbytes", "No separator.", metric_type::gauge, "bytes"));
    CHECK_FALSE(s.family("state_bytes", "Info takes no unit.", metric_type::info, "bytes"));
    CHECK_FALSE(s.family("mode_bytes", "Stateset takes no unit.", metric_type::stateset, "bytes"));
    CHECK(s.family("heap_bytes", "Heap.", metric_type::gauge, "bytes"));
    s.sample({}, 1);
  }};
  reg.add(c);
  const auto om = om_test::openmetrics(reg);
  CHECK(has_line(om, "# UNIT read_bytes bytes"));
  CHECK(has_line(om, "# UNIT heap_bytes bytes"));
  CHECK(has_line(om, "promcxx_collect_errors_total 3.0"));
}

} // namespace

namespace {

TEST_CASE("regression: a -0 bucket bound was written le=\"-0\", another series than le=\"0\" in Prometheus") {
  promcxx::registry reg;
  lambda_collector c{[](promcxx::collect_sink& s) {
    const double bounds[] = {-1, -0.0, 1};
    if (s.histogram_family("offset_seconds", "Offsets.", bounds)) {
      const std::uint64_t cumulative[] = {1, 2, 3, 3};
      const promcxx::label_pair labels[] = {{"peer", "a"}};
      s.histogram_sample(labels, cumulative, -0.0);
    }
    if (s.family("drift", "Drift.", metric_type::gauge)) s.sample({}, -0.0);
  }};
  reg.add(c);
  const auto om = om_test::openmetrics(reg);
  CHECK(has_line(om, "offset_seconds_bucket{peer=\"a\",le=\"0.0\"} 2"));
  CHECK(has_line(om, "drift 0.0"));
  const auto text = om_test::text(reg);
  CHECK(has_line(text, "offset_seconds_bucket{peer=\"a\",le=\"0\"} 2"));
  CHECK(has_line(text, "offset_seconds_sum{peer=\"a\"} 0"));
  CHECK(has_line(text, "drift 0"));
  CHECK(om.find("-0") == std::string::npos);
  CHECK(text.find("-0") == std::string::npos);
}

TEST_CASE("openmetrics: a _created value that changes or moves between scrapes is spelled afresh") {
  // The encoder reuses the previous scrape's spelling of the n-th _created value
  // when the value is the same; a changed value or a shifted position must not
  // get a stale spelling.
  promcxx::registry reg;
  std::vector<std::pair<std::string, double>> series{{"b", 1700000000.25}, {"c", 1700000001.125}};
  lambda_collector c{[&series](promcxx::collect_sink& s) {
    if (!s.family("jobs_total", "Jobs.", metric_type::counter)) return;
    for (const auto& [queue, when] : series) {
      const promcxx::label_pair labels[] = {{"queue", queue}};
      s.sample(labels, 1, when);
    }
  }};
  reg.add(c);
  const auto expect = [&reg](std::string_view queue, std::string_view created_text) {
    const auto om = om_test::openmetrics(reg);
    CAPTURE(om);
    CHECK(has_line(om, "jobs_created{queue=\"" + std::string{queue} + "\"} " + std::string{created_text}));
  };
  expect("b", "1.70000000025e+09");
  expect("c", "1.700000001125e+09");
  series[1].second = 1700000002.5;  // same position, new value
  expect("b", "1.70000000025e+09");
  expect("c", "1.7000000025e+09");
  series.insert(series.begin(), {"a", 1.5});  // every later series moves one position
  expect("a", "1.5");
  expect("b", "1.70000000025e+09");
  expect("c", "1.7000000025e+09");
  series.erase(series.begin());
  expect("b", "1.70000000025e+09");
  expect("c", "1.7000000025e+09");
}

} // namespace

namespace {

TEST_CASE("encoders: label values escape the same at every length and position (8-byte fast path)") {
  // copy_escaped_value skips 8 bytes at a time while none needs escaping; put
  // each special byte at each position of values from 0 to 40 bytes and compare
  // with the byte-by-byte escaper. UTF-8 and high bytes must pass untouched.
  for (std::size_t size = 0; size <= 40; ++size) {
    for (std::size_t at = 0; at <= size; ++at) {
      for (const char special : {'\\', '"', '\n', '\xc3', '\x80', '\0'}) {
        std::string value(size, 'a');
        if (at < size) value[at] = special;
        std::string expected;
        promcxx::detail::append_escaped_value(expected, value);
        std::string got(2 * value.size(), '\0');
        got.resize(static_cast<std::size_t>(promcxx::detail::copy_escaped_value(got.data(), value) - got.data()));
        CAPTURE(size);
        CAPTURE(at);
        REQUIRE(got == expected);
      }
    }
  }
}

} // namespace
