// Series lifecycle (remove, clear, retain_if, idle expiry), runtime-defined
// families, and registration clashes over exposed sample names.
#include "test_config.hpp"
#if PROMCXX_TEST_COUNTS_ALLOCATIONS
#  include "alloc_counter.hpp"
#endif

#include <promcxx/core.hpp>
#include <promcxx/exposition.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "exposition_text.hpp"

using namespace test_support;

TEST_CASE("remove: the series disappears from the exposition and comes back from zero") {
  promcxx::registry reg;
  promcxx::counter<"conn_total", "Connections.", promcxx::labels<"peer">> conn{reg};
  conn.labels("a").inc(3);
  conn.labels("b").inc(5);
  CHECK(conn.remove("a"));
  CHECK_FALSE(conn.remove("a"));  // already gone
  CHECK_FALSE(conn.remove("never"));
  const auto text = text_of(reg);
  CHECK_FALSE(contains(text, "peer=\"a\""));
  CHECK(contains(text, "conn_total{peer=\"b\"} 5\n"));
  conn.labels("a").inc();
  CHECK(contains(text_of(reg), "conn_total{peer=\"a\"} 1\n"));
}

TEST_CASE("remove: a handle kept past remove() never writes into another series") {
  promcxx::registry reg;
  promcxx::counter<"conn_total", "Connections.", promcxx::labels<"peer">, promcxx::max_series<1>> conn{reg};
  auto stale = conn.labels("a");
  stale.inc(2);
  CHECK(conn.remove("a"));
  stale.inc(100);  // series gone: dropped
  auto fresh = conn.labels("b");  // reuses the removed series' record and cells (cap 1)
  CHECK(fresh.value() == 0);
  stale.inc(100);
  CHECK(fresh.value() == 0);
  fresh.inc();
  CHECK(contains(text_of(reg), "conn_total{peer=\"b\"} 1\n"));
  CHECK(conn.series_count() == 1);

  promcxx::gauge<"depth", "Depth.", promcxx::labels<"q">, promcxx::max_series<1>> depth{reg};
  auto old_gauge = depth.labels("x");
  old_gauge.set(7);
  depth.clear();
  auto new_gauge = depth.labels("y");
  old_gauge.set(99);
  old_gauge.inc();
  CHECK(new_gauge.value() == 0);
}

TEST_CASE("clear and retain_if remove exactly the series they say") {
  promcxx::registry reg;
  promcxx::histogram<"rpc_seconds", "RPC.", promcxx::labels<"peer">, promcxx::buckets<"1">> rpc{reg};
  for (const char* peer : {"a", "b", "c", "d"}) rpc.labels(peer).observe(0.5);
  const auto removed = rpc.retain_if([](std::span<const std::string_view> values) { return values[0] < "c"; });
  CHECK(removed == 2);
  auto text = text_of(reg);
  CHECK(contains(text, "peer=\"a\""));
  CHECK(contains(text, "peer=\"b\""));
  CHECK_FALSE(contains(text, "peer=\"c\""));
  rpc.clear();
  CHECK(rpc.series_count() == 0);
  CHECK_FALSE(contains(text_of(reg), "rpc_seconds_bucket"));
}

TEST_CASE("cap: removing series frees room under max_series instead of overflowing") {
  promcxx::registry reg;
  promcxx::counter<"tenant_total", "Tenants.", promcxx::labels<"tenant">, promcxx::max_series<4>> tenants{reg};
  for (int round = 0; round < 100; ++round) {
    const std::string name = "t" + std::to_string(round);
    tenants.labels(name).inc();
    if (round >= 3) CHECK(tenants.remove("t" + std::to_string(round - 3)));
  }
  CHECK(tenants.core().rejected() == 0);
  CHECK(tenants.core().records_made() <= 4);
  CHECK_FALSE(contains(text_of(reg), "__promcxx_overflow__"));
}

TEST_CASE("lifecycle: 1,000,000 create/remove cycles return to a steady state with no allocation") {
  promcxx::registry reg;
  promcxx::counter<"churn_total", "Churn.", promcxx::labels<"conn">, promcxx::max_series<64>> churn{reg};
  std::vector<std::string> names;
  for (int i = 0; i < 64; ++i) names.push_back("connection-" + std::to_string(i));
  for (int i = 0; i < 64; ++i) churn.labels(names[static_cast<std::size_t>(i)]).inc();
  for (int i = 0; i < 64; ++i) churn.remove(names[static_cast<std::size_t>(i)]);  // warm-up: every record made once
  const auto records = churn.core().records_made();
  const auto cells = promcxx::detail::global_cells.high_water();
#if PROMCXX_TEST_COUNTS_ALLOCATIONS
  const auto before = promcxx_test::allocations();
#endif
  for (int cycle = 0; cycle < 1'000'000; ++cycle) {
    const auto& name = names[static_cast<std::size_t>(cycle % 64)];
    churn.labels(name).inc();
    churn.remove(name);
  }
#if PROMCXX_TEST_COUNTS_ALLOCATIONS
  CHECK(promcxx_test::allocations() == before);
#endif
  CHECK(churn.core().records_made() == records);
  CHECK(promcxx::detail::global_cells.high_water() == cells);
  CHECK(churn.series_count() == 0);
}

TEST_CASE("remove: the unlabelled series of a family is permanent") {
  promcxx::registry reg;
  promcxx::counter_family& runtime = reg.counter_family("runtime_total", "Runtime.");
  runtime.labels({}).inc();
  CHECK_FALSE(runtime.remove({}));  // the unlabelled series is permanent
  CHECK(contains(text_of(reg), "runtime_total 1\n"));
}

TEST_CASE("idle expiry: a series whose values stop moving disappears after the configured time") {
  promcxx::registry reg;
  promcxx::family_options options;
  options.expire_after_seconds = 60;
  auto& peers = reg.gauge_family("peer_lag_seconds", "Lag by peer.", {"peer"}, options);
  peers.labels({"a"}).set(1);
  peers.labels({"b"}).set(1);
  const double t0 = promcxx::detail::now_seconds() - 70;  // the scrape below runs expiry at the real time
  CHECK(peers.expire_idle(t0) == 0);           // first look: both just changed
  peers.labels({"b"}).set(2);                  // b moves, a does not
  CHECK(peers.expire_idle(t0 + 30) == 0);
  CHECK(peers.expire_idle(t0 + 61) == 1);      // a: unchanged for 61 s
  const auto text = text_of(reg);
  CHECK_FALSE(contains(text, "peer=\"a\""));
  CHECK(contains(text, "peer_lag_seconds{peer=\"b\"} 2\n"));
}

TEST_CASE("runtime family: same handles and values as a compile-time family") {
  promcxx::registry reg;
  auto& jobs = reg.counter_family("jobs_total", "Jobs.", {"queue", "result"});
  promcxx::counter_handle h = jobs.labels({"default", "ok"});
  h.inc();
  h.inc(2);
  const std::vector<std::string_view> values{"default", "ok"};
  jobs.labels(values).inc();
  promcxx::family_options bounds;
  bounds.buckets = {0.1, 1};
  auto& latency = reg.histogram_family("latency_seconds", "Latency.", {"peer"}, bounds);
  latency.labels({"p"}).observe(0.5);
  latency.labels({"p"}).observe(5);
  auto& depth = reg.gauge_family("depth", "Depth.");
  depth.labels({}).set(3);
  promcxx::family_options bytes;
  bytes.unit = "bytes";
  auto& sizes = reg.summary_family("size_bytes", "Sizes.", {}, bytes);
  sizes.labels({}).observe(10);
  const auto text = text_of(reg);
  CHECK(contains(text, "jobs_total{queue=\"default\",result=\"ok\"} 4\n"));
  CHECK(contains(text, "latency_seconds_bucket{peer=\"p\",le=\"0.1\"} 0\n"));
  CHECK(contains(text, "latency_seconds_bucket{peer=\"p\",le=\"1\"} 1\n"));
  CHECK(contains(text, "latency_seconds_bucket{peer=\"p\",le=\"+Inf\"} 2\n"));
  CHECK(contains(text, "depth 3\n"));
  CHECK(contains(text, "size_bytes_count 1\n"));
  CHECK(jobs.remove({"default", "ok"}));
  CHECK_FALSE(contains(text_of(reg), "jobs_total{"));
}

TEST_CASE("runtime family: every rule is checked, with the compile-time message") {
  promcxx::registry reg;
  auto rule_of = [&](auto&& define) -> promcxx::detail::rule {
    try {
      define();
    } catch (const promcxx::family_error& e) {
      CHECK(std::string(e.what()).starts_with(promcxx::detail::rule_message(e.which())));
      return e.which();
    }
    return promcxx::detail::rule::none;
  };
  using promcxx::detail::rule;
  auto with = [](auto&& set) {
    promcxx::family_options o;
    set(o);
    return o;
  };
  CHECK(rule_of([&] { reg.counter_family("jobs", "Jobs."); }) == rule::counter_suffix);
  CHECK(rule_of([&] { reg.gauge_family("bad name", "X."); }) == rule::metric_name);
  CHECK(rule_of([&] { reg.gauge_family("x", ""); }) == rule::help_empty);
  CHECK(rule_of([&] { reg.gauge_family("x_total", "X."); }) == rule::total_suffix);
  CHECK(rule_of([&] { reg.gauge_family("x_sum", "X."); }) == rule::reserved_suffix);
  CHECK(rule_of([&] { reg.gauge_family("x", "X.", {"a", "a"}); }) == rule::label_duplicate);
  CHECK(rule_of([&] { reg.gauge_family("x", "X.", {"__a"}); }) == rule::label_reserved);
  CHECK(rule_of([&] { reg.gauge_family("x", "X.", {"a-b"}); }) == rule::label_name);
  CHECK(rule_of([&] { reg.histogram_family("x", "X.", {"le"}); }) == rule::histogram_le);
  CHECK(rule_of([&] { reg.summary_family("x", "X.", {"quantile"}); }) == rule::summary_quantile);
  CHECK(rule_of([&] { reg.histogram_family("x", "X.", {}, with([](auto& o) { o.buckets = {2, 1}; })); }) == rule::buckets_increasing);
  CHECK(rule_of([&] { reg.gauge_family("x", "X.", {}, with([](auto& o) { o.unit = "seconds"; })); }) == rule::unit_suffix);
  CHECK(rule_of([&] { reg.gauge_family("x", "X.", {}, with([](auto& o) { o.buckets = {1}; })); }) == rule::bounds_kind);
  CHECK(rule_of([&] { reg.gauge_family("x", "X.", {}, with([](auto& o) { o.max_series = 0; })); }) == rule::max_series_zero);
  reg.gauge_family("ok", "Ok.");
  CHECK(rule_of([&] { reg.gauge_family("ok", "Again."); }) == rule::duplicate_name);

  promcxx::detail::rule why = rule::none;
  const std::string_view labels[] = {"a", "a"};
  CHECK(reg.try_define<promcxx::gauge_family>("y", "Y.", labels, {}, why) == nullptr);
  CHECK(why == rule::label_duplicate);
  CHECK(reg.try_define<promcxx::gauge_family>("y", "Y.", {}, {}, why) != nullptr);
  CHECK(why == rule::none);
}

TEST_CASE("registration: families whose exposed sample names clash are refused") {
  promcxx::registry reg;
  promcxx::info<"build", "Build."> build{reg};
  CHECK_THROWS_AS((promcxx::gauge<"build_info", "Clash.">{reg}), promcxx::family_error);
  promcxx::counter<"x_total", "X."> x{reg};
  CHECK_THROWS_AS((promcxx::gauge<"x_created", "Clash.">{reg}), promcxx::family_error);
  CHECK_THROWS_AS((promcxx::gauge<"x", "Clash.">{reg}), promcxx::family_error);  // one OpenMetrics family name
  CHECK_THROWS_AS(reg.gauge_family("x_created", "Clash."), promcxx::family_error);
  promcxx::histogram<"h_seconds", "H."> h{reg};
  CHECK_THROWS_AS((promcxx::gauge<"h_seconds_created", "Clash.">{reg}), promcxx::family_error);
  CHECK_NOTHROW((promcxx::gauge<"h_seconds_max", "No clash.">{reg}));
  // The exposition stays valid: the first family of each clash is the one shown.
  CHECK(contains(text_of(reg), "build_info 1\n"));
}

TEST_CASE("max_series: a huge cap on a local metric does not live on the stack") {
  promcxx::registry reg;
  promcxx::counter<"wide_total", "Wide.", promcxx::labels<"k">, promcxx::max_series<200000>> wide{reg};
  CHECK(sizeof(wide) < 1024);
  for (int i = 0; i < 1000; ++i) wide.labels(std::to_string(i)).inc();
  CHECK(wide.series_count() == 1000);
}

TEST_CASE("lifecycle: writers, removers and scrapers together (TSan), no count lost on live series") {
  promcxx::registry reg;
  promcxx::counter<"live_total", "Live.", promcxx::labels<"peer">, promcxx::max_series<32>> live{reg};
  promcxx::counter<"stable_total", "Stable.", promcxx::labels<"peer">> stable{reg};
  std::atomic<bool> stop{false};
  constexpr int writers = 3;
  constexpr int per_writer = 20000;
  std::vector<std::thread> threads;
  for (int w = 0; w < writers; ++w)
    threads.emplace_back([&, w] {
      const std::string mine = "w" + std::to_string(w);
      for (int i = 0; i < per_writer; ++i) {
        stable.labels(mine).inc();
        auto h = live.labels("churn-" + std::to_string(i % 8));
        h.inc();
        h.inc(0.5);
      }
    });
  threads.emplace_back([&] {
    while (!stop.load()) {
      for (int i = 0; i < 8; ++i) live.remove("churn-" + std::to_string(i));
      live.retain_if([](std::span<const std::string_view>) { return true; });
    }
  });
  threads.emplace_back([&] {
    while (!stop.load()) (void)text_of(reg);
  });
  for (int w = 0; w < writers; ++w) threads[static_cast<std::size_t>(w)].join();
  stop = true;
  for (std::size_t t = writers; t < threads.size(); ++t) threads[t].join();
  for (int w = 0; w < writers; ++w) CHECK(stable.labels("w" + std::to_string(w)).value() == per_writer);
  CHECK(live.core().rejected() == 0);
  CHECK(live.core().records_made() <= 32);
}
