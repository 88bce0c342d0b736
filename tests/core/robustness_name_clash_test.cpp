// Issue 18 regression: a collector family whose exposed sample names clash with
// another family's (`gauge build_info` next to `info<"build">`, `x_created` next
// to `counter<"x_total">`) made promtool and the OpenMetrics parsers reject the
// whole exposition. Now the later family is dropped at collection and counted in
// promcxx_collect_errors_total; registered families (with or without series)
// and the library's own families always keep their names. The property suite
// (tests/property) has real parsers judge random mixes of these.
#include <doctest/doctest.h>

#include <promcxx.hpp>
#include <promcxx/gauge_histogram.hpp>
#include <promcxx/info.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "exposition_text.hpp"

namespace {

using namespace test_support;

/// Emits each family it was given, in order, with one sample.
struct families_collector : promcxx::collector {
  struct family {
    std::string name;
    promcxx::metric_type type;
    double value;
  };
  std::vector<family> families;
  void collect(promcxx::collect_sink& sink) const override {
    for (const auto& f : families)
      if (sink.family(f.name, "From a collector.", f.type)) sink.sample({}, f.value);
  }
};

} // namespace

TEST_CASE("robustness: a collector family clashing with a registered one is dropped and counted") {
  using promcxx::metric_type;
  promcxx::registry reg;
  promcxx::info<"build", "Build.", promcxx::labels<"version">> build{reg};
  promcxx::counter<"jobs_total", "Jobs."> jobs{reg};
  build.set("1.0");
  jobs.inc(3);
  families_collector c;
  c.families = {{"build_info", metric_type::gauge, 1},            // info<"build"> exposes build_info
                {"jobs_created", metric_type::gauge, 2},          // counter jobs_total exposes jobs_created
                {"jobs_created_total", metric_type::counter, 3},  // its family name jobs_created is a sample name
                {"jobs", metric_type::unknown, 4},                // the counter's OpenMetrics family name
                {"fine_total", metric_type::counter, 5}};
  reg.add(c);
  const auto om = rendered(reg, promcxx::exposition_format::openmetrics_1_0_0);
  CHECK(has_line(om, "build_info{version=\"1.0\"} 1"));
  CHECK(has_line(om, "jobs_total 3.0"));
  CHECK(has_line(om, "fine_total 5.0"));
  CHECK_FALSE(has_line(om, "# TYPE build_info gauge"));
  CHECK_FALSE(mentions(om, "jobs_created_total"));
  CHECK_FALSE(has_line(om, "# TYPE jobs_created gauge"));
  CHECK_FALSE(has_line(om, "# TYPE jobs unknown"));
  CHECK(has_line(om, "promcxx_collect_errors_total 4.0"));
  const auto text = rendered(reg, promcxx::exposition_format::text_0_0_4);  // every scrape drops and counts again
  CHECK(has_line(text, "promcxx_collect_errors_total 8"));
  CHECK(has_line(text, "build_info{version=\"1.0\"} 1"));  // the text format writes an info as a gauge
  CHECK_FALSE(has_line(text, "build_info 1"));
  CHECK_FALSE(has_line(text, "# TYPE jobs_created gauge"));
  CHECK(has_line(text, "fine_total 5"));
  reg.remove(c);
}

TEST_CASE("robustness: a registered family holds its names even while it has no series") {
  promcxx::registry reg;
  promcxx::histogram<"wait_seconds", "Waits.", promcxx::labels<"queue">> waits{reg};  // no series yet
  families_collector c;
  c.families = {{"wait_seconds_count", promcxx::metric_type::gauge, 1}, {"wait_seconds", promcxx::metric_type::gauge, 2}};
  reg.add(c);
  // Exposed or not, the collector family would come and go with the histogram's first label set.
  auto text = rendered(reg, promcxx::exposition_format::text_0_0_4);
  CHECK_FALSE(mentions(text, "wait_seconds_count"));
  CHECK_FALSE(mentions(text, "wait_seconds"));
  CHECK(has_line(text, "promcxx_collect_errors_total 2"));
  waits.labels("q1").observe(0.5);
  text = rendered(reg, promcxx::exposition_format::text_0_0_4);
  CHECK(has_line(text, "wait_seconds_count{queue=\"q1\"} 1"));
  CHECK(has_line(text, "# TYPE wait_seconds histogram"));
  CHECK_FALSE(has_line(text, "# TYPE wait_seconds gauge"));
  reg.remove(c);
}

TEST_CASE("robustness: between collector families the first one exposed keeps the names") {
  using promcxx::metric_type;
  promcxx::registry reg;
  families_collector c;
  c.families = {{"tasks_total", metric_type::counter, 1},
                {"tasks", metric_type::gauge, 2},          // the counter's family name
                {"tasks_created", metric_type::gauge, 3},  // the counter's _created sample
                {"tasks_total", metric_type::counter, 4},  // the same family again
                {"other", metric_type::gauge, 5}};
  reg.add(c);
  const auto om = rendered(reg, promcxx::exposition_format::openmetrics_1_0_0);
  CHECK(has_line(om, "tasks_total 1.0"));
  CHECK_FALSE(has_line(om, "tasks_total 4.0"));
  CHECK_FALSE(has_line(om, "# TYPE tasks gauge"));
  CHECK_FALSE(has_line(om, "# TYPE tasks_created gauge"));
  CHECK(has_line(om, "other 5.0"));
  CHECK(has_line(om, "promcxx_collect_errors_total 3.0"));
  reg.remove(c);
}

TEST_CASE("robustness: a collector family without samples holds no names") {
  promcxx::registry reg;
  struct empty_then_full : promcxx::collector {
    void collect(promcxx::collect_sink& sink) const override {
      sink.family("flaky", "Nothing to report this time.", promcxx::metric_type::gauge);
      if (sink.family("flaky_info", "Present.", promcxx::metric_type::gauge)) sink.sample({}, 7);
      if (sink.family("flaky", "Present.", promcxx::metric_type::info)) sink.info_sample({});
    }
  } c;
  reg.add(c);
  const auto om = rendered(reg, promcxx::exposition_format::openmetrics_1_0_0);
  CHECK(has_line(om, "flaky_info 7.0"));
  CHECK_FALSE(has_line(om, "# TYPE flaky info"));  // info "flaky" exposes flaky_info: the gauge came first
  CHECK(has_line(om, "promcxx_collect_errors_total 1.0"));
  reg.remove(c);
}

TEST_CASE("robustness: a collector family named like a self-metric is dropped, the self-metric stays") {
  promcxx::registry reg;
  families_collector c;
  c.families = {{"promcxx_collect_errors_total", promcxx::metric_type::counter, 1000},
                {"promcxx_series_overflow", promcxx::metric_type::gauge, 1},
                {"promcxx_bad_data_created", promcxx::metric_type::gauge, 1}};
  reg.add(c);
  const auto text = rendered(reg, promcxx::exposition_format::text_0_0_4);
  CHECK(has_line(text, "promcxx_collect_errors_total 3"));
  CHECK_FALSE(mentions(text, "promcxx_series_overflow"));
  CHECK_FALSE(mentions(text, "promcxx_bad_data_created"));
  CHECK(text.find("promcxx_collect_errors_total 1000") == std::string::npos);
  reg.remove(c);
}

TEST_CASE("robustness: registration still refuses clashes known at registration") {
  promcxx::registry reg;
  promcxx::counter<"events_total", "Events."> events{reg};
  using clashing = promcxx::gauge<"events_created", "Clashes with events_total.">;
  CHECK_THROWS_AS(clashing{reg}, promcxx::family_error);
}

TEST_CASE("robustness: between collectors the one registered first keeps its names") {
  using promcxx::metric_type;
  promcxx::registry reg;
  families_collector older, newer;
  older.families = {{"jobs_waiting", metric_type::gauge, 1}};
  newer.families = {{"jobs_waiting_total", metric_type::counter, 2},  // exposes jobs_waiting as its family name
                    {"jobs_running", metric_type::gauge, 3}};
  reg.add(older);
  const auto before = rendered(reg, promcxx::exposition_format::openmetrics_1_0_0);
  CHECK(has_line(before, "jobs_waiting 1.0"));
  reg.add(newer);  // collected first (collectors are walked newest first), yet it must not push `older` out
  const auto after = rendered(reg, promcxx::exposition_format::openmetrics_1_0_0);
  CHECK(has_line(after, "jobs_waiting 1.0"));
  CHECK_FALSE(mentions(after, "jobs_waiting_total"));
  CHECK(has_line(after, "jobs_running 3.0"));
  CHECK(has_line(after, "promcxx_collect_errors_total 1.0"));
  reg.remove(newer);
  reg.remove(older);
}

TEST_CASE("robustness: gauge histogram names (_bucket, _gcount, _gsum) are held too") {
  promcxx::registry reg;
  promcxx::gauge_histogram<"queue_age_seconds", "Age of queued jobs.", promcxx::buckets<1, 10>> ages{reg};
  ages.add(3.5);
  families_collector c;
  c.families = {{"queue_age_seconds_gcount", promcxx::metric_type::gauge, 7},
                {"queue_age_seconds_gsum", promcxx::metric_type::gauge, 8},
                {"queue_age_seconds_bucket_total", promcxx::metric_type::counter, 9}};  // family queue_age_seconds_bucket
  reg.add(c);  // added after the gauge histogram, so collected before it: registration order still decides
  const auto om = rendered(reg, promcxx::exposition_format::openmetrics_1_0_0);
  CHECK(has_line(om, "queue_age_seconds_gcount 1"));
  CHECK(has_line(om, "# TYPE queue_age_seconds gaugehistogram"));
  CHECK_FALSE(has_line(om, "queue_age_seconds_gcount 7.0"));
  CHECK_FALSE(has_line(om, "queue_age_seconds_gsum 8.0"));
  CHECK_FALSE(mentions(om, "queue_age_seconds_bucket_total"));
  CHECK(has_line(om, "promcxx_collect_errors_total 3.0"));
  reg.remove(c);
}

TEST_CASE("robustness: a collector that renders another registry keeps both clash checks apart") {
  promcxx::registry inner_reg;
  families_collector inner;
  inner.families = {{"inner_value", promcxx::metric_type::gauge, 1}, {"inner_value", promcxx::metric_type::gauge, 2}};
  inner_reg.add(inner);
  struct rendering_collector : promcxx::collector {
    promcxx::registry* other = nullptr;
    mutable std::string seen;
    void collect(promcxx::collect_sink& sink) const override {
      if (sink.family("outer_first", "Before the inner scrape.", promcxx::metric_type::gauge)) sink.sample({}, 1);
      promcxx::render(*other, promcxx::exposition_format::text_0_0_4, seen);
      if (sink.family("outer_first", "Again, after it.", promcxx::metric_type::gauge)) sink.sample({}, 2);
    }
  } outer;
  outer.other = &inner_reg;
  families_collector last;
  last.families = {{"outer_last", promcxx::metric_type::gauge, 3}};
  promcxx::registry reg;
  reg.add(last);
  reg.add(outer);
  const auto text = rendered(reg, promcxx::exposition_format::text_0_0_4);
  CHECK(has_line(text, "outer_first 1"));
  CHECK_FALSE(has_line(text, "outer_first 2"));
  CHECK(has_line(text, "outer_last 3"));
  CHECK(has_line(text, "promcxx_collect_errors_total 1"));
  CHECK(has_line(outer.seen, "inner_value 1"));
  CHECK_FALSE(has_line(outer.seen, "inner_value 2"));
  reg.remove(outer);
  reg.remove(last);
  inner_reg.remove(inner);
}
