// Behaviour of counters, gauges, histograms, labels and registries.
#include "test_config.hpp"

#include <promcxx.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "exposition_text.hpp"

using namespace test_support;

TEST_CASE("counter: inc and inc(v) add up; value survives a scrape") {
  promcxx::registry reg;
  promcxx::counter<"jobs_total", "Jobs."> jobs{reg};
  CHECK(jobs.value() == 0);
  jobs.inc();
  jobs.inc(2.5);
  CHECK(jobs.value() == 3.5);
  CHECK(contains(text_of(reg), "jobs_total 3.5\n"));
}

TEST_CASE("counter: whole and fractional increments from several threads add up exactly") {
  promcxx::registry reg;
  promcxx::counter<"busy_seconds_total", "Busy time."> busy{reg};
  std::vector<std::thread> workers;
  for (int t = 0; t < 4; ++t)
    workers.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) {
        busy.inc();      // integer cell of this thread
        busy.inc(0.25);  // shared fractional cell (exact in binary)
        busy.inc(3);     // whole amounts stay integers
      }
    });
  for (auto& w : workers) w.join();
  CHECK(busy.value() == 4 * 1000 * 4.25);
  CHECK(contains(text_of(reg), "busy_seconds_total 17000\n"));
}

TEST_CASE("counter: a negative or NaN increment breaks the contract and leaves the counter unchanged") {
  promcxx::registry reg;
  promcxx::counter<"jobs_total", "Jobs."> jobs{reg};
  jobs.inc(4);
  CHECK_THROWS_AS(jobs.inc(-1), promcxx_test::contract_violation);
  CHECK_THROWS_AS(jobs.inc(std::numeric_limits<double>::quiet_NaN()), promcxx_test::contract_violation);
  CHECK(jobs.value() == 4);
}

TEST_CASE("gauge: set, inc, dec, add, sub, set_to_current_time") {
  promcxx::registry reg;
  promcxx::gauge<"queue_size", "Queue."> queue{reg};
  queue.set(10);
  queue.inc();
  queue.dec();
  queue.dec();
  queue.add(2.5);
  queue.sub(0.5);
  CHECK(queue.value() == 11.0);
  const double before = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  queue.set_to_current_time();
  // A double holds epoch seconds to about 0.24 us, and the two clocks round differently:
  // a reading taken within the same quarter microsecond can come out one step lower.
  CHECK(queue.value() >= before - 1e-6);
  CHECK(queue.value() < before + 60);
}

TEST_CASE("histogram: observations land in the first bucket whose bound is >= value") {
  promcxx::registry reg;
  promcxx::histogram<"latency_seconds", "Latency.", promcxx::buckets<"0.1", "1", "10">> latency{reg};
  for (const double v : {0.05, 0.1, 0.5, 1.0, 5.0, 50.0, -3.0}) latency.observe(v);
  CHECK(latency.count() == 7);
  CHECK(latency.sum() == doctest::Approx(53.65));
  const auto text = text_of(reg);
  CHECK(contains(text, "latency_seconds_bucket{le=\"0.1\"} 3\n"));
  CHECK(contains(text, "latency_seconds_bucket{le=\"1\"} 5\n"));
  CHECK(contains(text, "latency_seconds_bucket{le=\"10\"} 6\n"));
  CHECK(contains(text, "latency_seconds_bucket{le=\"+Inf\"} 7\n"));
  CHECK(contains(text, "latency_seconds_count 7\n"));
}

TEST_CASE("histogram: NaN breaks the contract and is not recorded; infinities are") {
  promcxx::registry reg;
  promcxx::histogram<"latency_seconds", "Latency.", promcxx::buckets<1>> latency{reg};
  CHECK_THROWS_AS(latency.observe(std::numeric_limits<double>::quiet_NaN()), promcxx_test::contract_violation);
  latency.observe(std::numeric_limits<double>::infinity());
  latency.observe(-std::numeric_limits<double>::infinity());
  CHECK(latency.count() == 2);
  const auto text = text_of(reg);
  CHECK(contains(text, "latency_seconds_bucket{le=\"1\"} 1\n"));
  CHECK(contains(text, "latency_seconds_bucket{le=\"+Inf\"} 2\n"));
}

TEST_CASE("labels: the same values give the same series; handles are cacheable") {
  promcxx::registry reg;
  promcxx::counter<"signatures_total", "Signatures.", promcxx::labels<"protocol", "result">> sigs{reg};
  auto ok = sigs.labels("cggmp24", "success");
  ok.inc();
  sigs.labels("cggmp24", "success").inc();
  sigs.labels(std::string("cggmp24"), std::string_view("failure")).inc(3);
  ok.inc();
  CHECK(sigs.labels("cggmp24", "success").value() == 3);
  CHECK(sigs.labels("cggmp24", "failure").value() == 3);
  // ("ab","c") and ("a","bc") are different label sets.
  sigs.labels("ab", "c").inc();
  CHECK(sigs.labels("a", "bc").value() == 0);
  const auto text = text_of(reg);
  CHECK(contains(text, "signatures_total{protocol=\"cggmp24\",result=\"failure\"} 3\n"));
  CHECK(contains(text, "signatures_total{protocol=\"cggmp24\",result=\"success\"} 3\n"));
}

TEST_CASE("label_values: known series exist from the start and with<> finds them at compile time") {
  promcxx::registry reg;
  promcxx::counter<"tx_total", "Transactions.", promcxx::labels<"state">,
                   promcxx::label_values<"state", "pending", "signed", "failed">>
      tx{reg};
  const auto before = text_of(reg);
  CHECK(contains(before, "tx_total{state=\"failed\"} 0\n"));
  CHECK(contains(before, "tx_total{state=\"pending\"} 0\n"));
  CHECK(contains(before, "tx_total{state=\"signed\"} 0\n"));
  tx.with<"signed">().inc();
  CHECK(tx.labels("signed").value() == 1);  // runtime lookup finds the same series
  tx.labels("other").inc();                 // values outside the list still work, within the cap
  CHECK(contains(text_of(reg), "tx_total{state=\"other\"} 1\n"));
}

TEST_CASE("max_series: past the cap writes go to the overflow series and are counted") {
  promcxx::registry reg;
  promcxx::counter<"requests_total", "Requests.", promcxx::labels<"path">, promcxx::max_series<2>> requests{reg};
  requests.labels("/a").inc();
  requests.labels("/b").inc();
  requests.labels("/c").inc();
  requests.labels("/d").inc(2);
  requests.labels("/a").inc();  // existing series still found
  CHECK(requests.labels("/a").value() == 2);
  const auto text = text_of(reg);
  CHECK(contains(text, "requests_total{path=\"__promcxx_overflow__\"} 3\n"));
  CHECK(contains(text, "promcxx_series_overflow_total{metric=\"requests_total\"} 2\n"));
  CHECK_FALSE(contains(text, "path=\"/c\""));
  // Asking for the overflow values directly gives the overflow series, not a duplicate, and is not a rejection.
  requests.labels(promcxx::overflow_label_value).inc();
  const auto after = text_of(reg);
  CHECK(contains(after, "requests_total{path=\"__promcxx_overflow__\"} 4\n"));
  CHECK(contains(after, "promcxx_series_overflow_total{metric=\"requests_total\"} 2\n"));
}

TEST_CASE("labels: invalid UTF-8 breaks the contract; without a throwing assert it lands in overflow") {
  promcxx::registry reg;
  promcxx::counter<"requests_total", "Requests.", promcxx::labels<"path">> requests{reg};
  CHECK_THROWS_AS(requests.labels("bad\xff").inc(), promcxx_test::contract_violation);
  CHECK_FALSE(contains(text_of(reg), "bad"));
}

TEST_CASE("registry: duplicate names are refused with a message naming the metric") {
  promcxx::registry reg;
  promcxx::counter<"dup_total", "First."> first{reg};
  try {
    promcxx::counter<"dup_total", "Second."> second{reg};
    FAIL("a duplicate registration must throw");
  } catch (const std::invalid_argument& e) {
    CHECK(contains(e.what(), "dup_total"));
  }
  first.inc();
  CHECK(contains(text_of(reg), "dup_total 1\n"));  // the first one is untouched
}

TEST_CASE("registry: families sorted by name; a destroyed metric leaves the registry") {
  promcxx::registry reg;
  promcxx::gauge<"zeta", "Z."> zeta{reg};
  promcxx::gauge<"alpha", "A."> alpha{reg};
  {
    promcxx::gauge<"mid", "M."> mid{reg};
    const auto text = text_of(reg);
    CHECK(text.find("# HELP alpha") < text.find("# HELP mid"));
    CHECK(text.find("# HELP mid") < text.find("# HELP zeta"));
  }
  CHECK_FALSE(contains(text_of(reg), "mid"));
}

TEST_CASE("registry: constant labels go on every series and are validated") {
  promcxx::registry reg;
  promcxx::counter<"votes_total", "Votes.", promcxx::labels<"result">> votes{reg};
  reg.set_const_labels({{"node_id", "node-1"}});
  votes.labels("approve").inc();
  CHECK(contains(text_of(reg), "votes_total{node_id=\"node-1\",result=\"approve\"} 1\n"));
  CHECK_THROWS_AS(reg.set_const_labels({{"__reserved", "x"}}), std::invalid_argument);
  CHECK_THROWS_AS(reg.set_const_labels({{"bad-name", "x"}}), std::invalid_argument);
  CHECK_THROWS_AS(reg.set_const_labels({{"result", "x"}}), std::invalid_argument);  // clashes with a family label
  CHECK_THROWS_AS(reg.set_const_labels({{"a", "1"}, {"a", "2"}}), std::invalid_argument);
  CHECK_THROWS_AS(reg.set_const_labels({{"a", "\xff"}}), std::invalid_argument);
  // A failed call leaves the previous constant labels in force.
  CHECK(contains(text_of(reg), "node_id=\"node-1\""));
  // A family whose label clashes with a constant label cannot join.
  CHECK_THROWS_AS((promcxx::counter<"other_total", "O.", promcxx::labels<"node_id">>{reg}), std::invalid_argument);
}

namespace {

struct temperature_collector : promcxx::collector {
  double celsius = 21.5;
  void collect(promcxx::collect_sink& sink) const override {
    if (sink.family("room_temperature_celsius", "Temperature by room.", promcxx::metric_type::gauge)) {
      sink.sample({{"room", "kitchen"}}, celsius);
      sink.sample({{"room", "bad\xff"}}, 1);        // invalid UTF-8: dropped, counted
      sink.sample({{"__room", "x"}}, 1);            // reserved label: dropped, counted
    }
    sink.family("bad name", "Invalid.", promcxx::metric_type::gauge);  // dropped, counted
    sink.sample({}, 1);                                                 // no open family: dropped, counted
    if (sink.family("boots_total", "Boots.", promcxx::metric_type::counter)) sink.sample({}, -1);  // negative: dropped
  }
};

} // namespace

TEST_CASE("collector: values computed at scrape time; invalid input dropped and counted, never fatal") {
  promcxx::registry reg;
  temperature_collector temperatures;
  reg.add(temperatures);
  auto text = text_of(reg);
  CHECK(contains(text, "room_temperature_celsius{room=\"kitchen\"} 21.5\n"));
  CHECK(contains(text, "promcxx_collect_errors_total 5\n"));
  CHECK_FALSE(contains(text, "bad name"));
  temperatures.celsius = 19;
  text = text_of(reg);
  CHECK(contains(text, "room_temperature_celsius{room=\"kitchen\"} 19\n"));
  CHECK(contains(text, "promcxx_collect_errors_total 10\n"));
  reg.remove(temperatures);
  CHECK_FALSE(contains(text_of(reg), "room_temperature"));
}

TEST_CASE("collector: a family named like a registered metric is dropped, the metric wins") {
  struct clash : promcxx::collector {
    void collect(promcxx::collect_sink& sink) const override {
      if (sink.family("jobs_total", "Clash.", promcxx::metric_type::counter)) sink.sample({}, 99);
    }
  };
  promcxx::registry reg;
  promcxx::counter<"jobs_total", "Jobs."> jobs{reg};
  clash c;
  reg.add(c);
  jobs.inc();
  const auto text = text_of(reg);
  CHECK(contains(text, "jobs_total 1\n"));
  CHECK_FALSE(contains(text, "99"));
  CHECK(contains(text, "promcxx_collect_errors_total 1\n"));
}

TEST_CASE("unregistered: a metric can live outside every registry") {
  promcxx::counter<"solo_total", "Solo."> solo{promcxx::unregistered};
  solo.inc();
  CHECK(solo.value() == 1);
}

TEST_CASE("storage: a new metric reusing freed cells starts from zero") {
  promcxx::registry reg;
  for (int round = 0; round < 3; ++round) {
    promcxx::counter<"reuse_total", "Reuse.", promcxx::labels<"k">> c{reg};
    CHECK(c.labels("x").value() == 0);
    c.labels("x").inc(5);
    std::thread([&] { c.labels("x").inc(); }).join();
    CHECK(c.labels("x").value() == 6);
  }
}

TEST_CASE("negotiate: the Go client's rules") {
  using promcxx::exposition_format;
  using promcxx::negotiate;
  CHECK(negotiate("") == exposition_format::text_0_0_4);
  CHECK(negotiate("application/openmetrics-text;version=1.0.0;q=0.75,application/openmetrics-text;q=0.6,"
                  "text/plain;version=0.0.4;q=0.5,*/*;q=0.1") == exposition_format::openmetrics_1_0_0);
  CHECK(negotiate("text/plain;version=0.0.4;q=0.9,application/openmetrics-text;q=0.5") == exposition_format::text_0_0_4);
  CHECK(negotiate("application/openmetrics-text;version=1.0.0;q=0") == exposition_format::text_0_0_4);
  CHECK(negotiate("application/openmetrics-text;version=2.0.0") == exposition_format::text_0_0_4);
  CHECK(negotiate("*/*") == exposition_format::text_0_0_4);
  CHECK(negotiate(";;;,,,=q") == exposition_format::text_0_0_4);
  CHECK(promcxx::content_type(exposition_format::openmetrics_1_0_0) ==
        "application/openmetrics-text; version=1.0.0; charset=utf-8");
  CHECK(promcxx::content_type(exposition_format::text_0_0_4) == "text/plain; version=0.0.4; charset=utf-8");
}

namespace {

/// Renders a registry from inside a scrape, as a bridging collector might.
struct rendering_collector final : promcxx::collector {
  promcxx::registry* target = nullptr;
  mutable std::string inner;
  void collect(promcxx::collect_sink& sink) const override {
    promcxx::render(*target, promcxx::exposition_format::text_0_0_4, inner);
    if (sink.family("bridge_inner_bytes", "Bytes the inner render produced.", promcxx::metric_type::gauge))
      sink.sample({}, static_cast<double>(inner.size()));
  }
};

} // namespace

TEST_CASE("regression: a collector that renders another registry no longer corrupts the outer scrape") {
  promcxx::registry outer;
  promcxx::registry other;
  promcxx::counter<"outer_total", "Outer.", promcxx::labels<"k">> outer_counter{outer};
  promcxx::gauge<"other_level", "Other."> other_gauge{other};
  outer_counter.labels("a").inc(2);
  other_gauge.set(7);
  rendering_collector bridge;
  bridge.target = &other;
  outer.add(bridge);
  const auto text = text_of(outer);
  CHECK(contains(text, "outer_total{k=\"a\"} 2\n"));
  CHECK(contains(bridge.inner, "other_level 7\n"));
  CHECK(contains(text, "bridge_inner_bytes " + std::to_string(bridge.inner.size()) + "\n"));
  outer.remove(bridge);
}

TEST_CASE("regression: a collector that renders its own registry gets an empty page and a counted error, no deadlock") {
  promcxx::registry reg;
  promcxx::counter<"self_total", "Self."> self{reg};
  self.inc();
  rendering_collector loop;
  loop.target = &reg;
  reg.add(loop);
  const auto text = text_of(reg);
  CHECK(loop.inner.empty());
  CHECK(contains(text, "self_total 1\n"));
  CHECK(contains(text, "promcxx_collect_errors_total 1\n"));
  reg.remove(loop);
}
