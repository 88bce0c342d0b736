// Quantile summaries: rank accuracy on a million samples from three
// distributions, the sliding window, exact counts under concurrency, and the
// exposition in both formats.
#include "test_config.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <promcxx.hpp>
#include <promcxx/quantile_summary.hpp>
#include <promcxx/timer.hpp>

#include "live_process.hpp"  // value_of

namespace {

using accuracy_objectives = promcxx::objectives<0.01, 0.001, 0.5, 0.05, 0.9, 0.01, 0.99, 0.001>;

std::string scrape(promcxx::registry& reg, promcxx::exposition_format f = promcxx::exposition_format::text_0_0_4) {
  std::string out;
  promcxx::render(reg, f, out);
  return out;
}

constexpr bool exposes_quantiles = promcxx::detail::sink_with_quantiles<promcxx::collect_sink>;

} // namespace

TEST_CASE("quantile_summary: every quantile's rank is within its declared error on 1,000,000 samples") {
  const char* names[] = {"normal(10, 3)", "exponential(2)", "discrete: floor(10 * lognormal(0, 1.5))", "sorted ramp",
                         "a shift: uniform(0, 1), then 100 + uniform(0, 1)"};
  for (int dist = 0; dist < 5; ++dist) {
    CAPTURE(names[dist]);
    promcxx::registry reg;
    promcxx::quantile_summary<"peers_accuracy_seconds", "Accuracy check.", accuracy_objectives> s{reg};
    std::mt19937_64 rng(20261130 + static_cast<unsigned>(dist));
    std::normal_distribution<double> normal(10, 3);
    std::exponential_distribution<double> exponential(2);
    std::lognormal_distribution<double> lognormal(0, 1.5);
    std::uniform_real_distribution<double> uniform(0, 1);
    constexpr int n = 1'000'000;
    std::vector<double> all;
    all.reserve(n);
    for (int i = 0; i < n; ++i) {
      const double v = dist == 0   ? normal(rng)
                       : dist == 1 ? exponential(rng)
                       : dist == 2 ? std::floor(10 * lognormal(rng))
                       : dist == 3 ? static_cast<double>(i)
                                   : (i < n / 2 ? 0 : 100) + uniform(rng);
      all.push_back(v);
      s.observe(v);
    }
    std::sort(all.begin(), all.end());
    const auto r = s.read();
    CHECK(r.count == static_cast<std::uint64_t>(n));
    for (std::size_t k = 0; k < accuracy_objectives::size; ++k) {
      const auto target = accuracy_objectives::targets[k];
      const double v = r.quantiles[k];
      // With ties a value covers a range of ranks: [lo, hi].
      const auto lo = static_cast<double>(std::lower_bound(all.begin(), all.end(), v) - all.begin());
      const auto hi = static_cast<double>(std::upper_bound(all.begin(), all.end(), v) - all.begin());
      const double wanted = target.quantile * n;
      const double slack = target.error * n;
      CAPTURE(target.quantile);
      CAPTURE(v);
      CHECK(hi >= wanted - slack);
      CHECK(lo <= wanted + slack);
    }
  }
}

TEST_CASE("quantile_summary: the window slides; count and sum cover the lifetime") {
  using clock = promcxx::detail::quantile_series::clock;
  const promcxx::detail::quantile_target targets[] = {{0.5, 0.05}};
  const auto t0 = clock::now();
  promcxx::detail::quantile_series s{targets, std::chrono::seconds(600), 5, t0};
  const double q[] = {0.5};
  double value[1];
  std::uint64_t count = 0;
  double sum = 0;
  s.read(q, value, count, sum, t0);
  CHECK(std::isnan(value[0]));  // nothing observed yet
  for (int i = 0; i < 100; ++i) s.observe_at(1.0, t0 + std::chrono::seconds(1));
  s.read(q, value, count, sum, t0 + std::chrono::seconds(130));
  CHECK(value[0] == 1.0);  // one step later the oldest stream still holds them
  for (int i = 0; i < 300; ++i) s.observe_at(5.0, t0 + std::chrono::seconds(300));
  s.read(q, value, count, sum, t0 + std::chrono::seconds(301));
  CHECK(value[0] == 5.0);  // 400 samples in the window, 300 of them 5
  s.read(q, value, count, sum, t0 + std::chrono::seconds(605));
  CHECK(value[0] == 5.0);  // the 1.0s fell out after max_age
  CHECK(count == 400);
  CHECK(sum == 1600);
  s.read(q, value, count, sum, t0 + std::chrono::seconds(5000));
  CHECK(std::isnan(value[0]));  // a long pause empties the window
  CHECK(count == 400);
  s.observe_at(2.0, t0 + std::chrono::seconds(5001));
  s.read(q, value, count, sum, t0 + std::chrono::seconds(5002));
  CHECK(value[0] == 2.0);
}

TEST_CASE("quantile_summary: concurrent observers never lose a sample") {
  promcxx::registry reg;
  promcxx::quantile_summary<"peers_concurrent_seconds", "Concurrency check.", promcxx::objectives<0.5, 0.05>> s{reg};
  constexpr int threads = 4;
  constexpr int per_thread = 100'000;
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t)
    workers.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) s.observe(t + 1);
    });
  // Scrapes while observers run must neither block them forever nor lose samples.
  for (int i = 0; i < 20; ++i) (void)scrape(reg);
  for (auto& w : workers) w.join();
  const auto r = s.read();
  CHECK(r.count == threads * per_thread);
  CHECK(r.sum == per_thread * (1 + 2 + 3 + 4));
  CHECK(r.quantiles[0] >= 2);
  CHECK(r.quantiles[0] <= 3);
  const auto text = scrape(reg);
  CHECK(text.find("peers_concurrent_seconds_count 400000\n") != std::string::npos);
  CHECK(peers_test::value_of(text, "peers_concurrent_seconds_sum") == 1e6);
}

TEST_CASE("quantile_summary: exposition in text 0.0.4 and OpenMetrics, labelled and not") {
  promcxx::registry reg;
  promcxx::quantile_summary<"peers_rpc_duration_seconds", "RPC latency.", promcxx::objectives<0.5, 0.05, 0.99, 0.001>,
                            promcxx::labels<"method">, promcxx::max_age<60>, promcxx::age_buckets<3>>
      rpc{reg};
  promcxx::quantile_summary<"peers_job_seconds", "Job time.", promcxx::objectives<0.9, 0.01>> job{reg};
  auto get = rpc.labels("get");
  for (int i = 1; i <= 100; ++i) get.observe(i);
  rpc.labels("put").observe(7);
  {
    auto t = promcxx::start_timer(job);  // timers work on quantile summaries too
  }
  for (const auto format : {promcxx::exposition_format::text_0_0_4, promcxx::exposition_format::openmetrics_1_0_0}) {
    const auto text = scrape(reg, format);
    CAPTURE(text);
    CHECK(text.find("# TYPE peers_rpc_duration_seconds summary\n") != std::string::npos);
    CHECK(peers_test::value_of(text, "peers_rpc_duration_seconds_count{method=\"get\"}") == 100);
    CHECK(peers_test::value_of(text, "peers_rpc_duration_seconds_sum{method=\"get\"}") == 5050);
    CHECK(peers_test::value_of(text, "peers_rpc_duration_seconds_count{method=\"put\"}") == 1);
    CHECK(peers_test::value_of(text, "peers_job_seconds_count") == 1);
    if constexpr (exposes_quantiles) {
      const bool om = format == promcxx::exposition_format::openmetrics_1_0_0;
      const double median = peers_test::value_of(
          text, om ? "peers_rpc_duration_seconds{method=\"get\",quantile=\"0.5\"}"
                   : "peers_rpc_duration_seconds{method=\"get\",quantile=\"0.5\"}");
      CHECK(median >= 45);
      CHECK(median <= 56);
      CHECK(peers_test::value_of(text, "peers_rpc_duration_seconds{method=\"get\",quantile=\"0.99\"}") >= 99);
      CHECK(peers_test::value_of(text, "peers_rpc_duration_seconds{method=\"put\",quantile=\"0.99\"}") == 7);
    } else {
      MESSAGE("collect_sink has no quantile hook yet: quantile lines are not exposed");
      CHECK(text.find("quantile=") == std::string::npos);
    }
  }
}

TEST_CASE("quantile_summary: NaN observations break the contract and are not recorded") {
  promcxx::registry reg;
  promcxx::quantile_summary<"peers_nan_seconds", "NaN check.", promcxx::objectives<0.5, 0.05>> s{reg};
  CHECK_THROWS_AS(s.observe(std::nan("")), promcxx_test::contract_violation);
  s.observe(1);
  CHECK(s.read().count == 1);
  CHECK(s.read().sum == 1);
}

TEST_CASE("quantile_summary: batches sort like std::sort (negatives, -0, ties, values apart in the last bits)") {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> wide(0, 1e3);
  std::lognormal_distribution<double> skewed(0, 3);
  for (int kind = 0; kind < 4; ++kind) {
    for (const std::size_t n : {std::size_t{1}, std::size_t{2}, std::size_t{17}, std::size_t{100}, std::size_t{2048}}) {
      CAPTURE(kind);
      CAPTURE(n);
      std::vector<double> values(n);
      std::vector<std::uint64_t> keys(n), scratch(n);
      for (std::size_t i = 0; i < n; ++i) {
        values[i] = kind == 0   ? wide(rng)
                    : kind == 1 ? skewed(rng)
                    : kind == 2 ? (i % 3 == 0 ? -0.0 : std::floor(wide(rng) / 300))
                                : 1.0 + static_cast<double>(rng() % 1000) * 1e-15;  // equal in the radix bits
        keys[i] = promcxx::detail::order_key(values[i]);
      }
      promcxx::detail::sort_keys(keys, scratch);
      std::sort(values.begin(), values.end());
      bool same = true;
      for (std::size_t i = 0; i < n; ++i) same = same && promcxx::detail::from_order_key(keys[i]) == values[i];
      CHECK(same);
    }
  }
}

TEST_CASE("quantile_summary: exact count with more threads than lanes, threads coming and going, scrapes meanwhile") {
  promcxx::registry reg;
  promcxx::quantile_summary<"peers_churn_seconds", "Thread churn check.", promcxx::objectives<0.5, 0.05>> s{reg};
  constexpr int rounds = 3;
  constexpr int threads = 3 * static_cast<int>(promcxx::detail::quantile_series::lane_count) / 2;
  constexpr int per_thread = 20'000;
  for (int round = 0; round < rounds; ++round) {
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t)
      workers.emplace_back([&] {
        for (int i = 0; i < per_thread; ++i) s.observe(2);
      });
    for (int i = 0; i < 5; ++i) (void)scrape(reg);
    for (auto& w : workers) w.join();
  }
  const auto r = s.read();
  CHECK(r.count == std::uint64_t{rounds} * threads * per_thread);
  CHECK(r.sum == 2.0 * rounds * threads * per_thread);
  CHECK(r.quantiles[0] == 2);
}

TEST_CASE("quantile_summary: an observation is in the next scrape, not held back in its thread's lane") {
  promcxx::registry reg;
  promcxx::quantile_summary<"peers_prompt_seconds", "Promptness check.", promcxx::objectives<0.99, 0.001>> s{reg};
  for (int i = 1; i <= 3; ++i) {
    s.observe(i);
    const auto r = s.read();
    CHECK(r.count == static_cast<std::uint64_t>(i));
    CHECK(r.quantiles[0] == i);  // the largest so far
  }
  std::thread other{[&] { s.observe(10); }};
  other.join();
  CHECK(peers_test::value_of(scrape(reg), "peers_prompt_seconds_count") == 4);
}

TEST_CASE("quantile_summary: remove, clear, retain_if; a cap sends further label sets to the overflow series") {
  promcxx::registry reg;
  promcxx::quantile_summary<"peers_removal_seconds", "Removal check.", promcxx::objectives<0.5, 0.05>,
                            promcxx::labels<"method">, promcxx::max_series<2>>
      s{reg};
  auto get = s.labels("get");
  get.observe(1);
  s.labels("put").observe(2);
  CHECK(s.series_count() == 2);
  s.labels("post").observe(3);  // past the cap
  s.labels("head").observe(4);
  CHECK(s.rejected() == 2);
  CHECK(s.series_count() == 3);
  auto text = scrape(reg);
  CAPTURE(text);
  CHECK(peers_test::value_of(text, "peers_removal_seconds_count{method=\"__promcxx_overflow__\"}") == 2);
  CHECK(peers_test::value_of(text, "peers_removal_seconds_sum{method=\"__promcxx_overflow__\"}") == 7);
  // Refused label sets count in the registry's overflow self-metric, as a registered family's do.
  CHECK(peers_test::value_of(text, "promcxx_series_overflow_total{metric=\"peers_removal_seconds\"}") == 2);

  CHECK(s.remove("get"));
  CHECK_FALSE(s.remove("get"));
  get.observe(5);  // a removed series' handle still works and shows nowhere
  text = scrape(reg);
  CHECK(text.find("method=\"get\"") == std::string::npos);
  s.labels("get").observe(6);  // a new series, from zero
  text = scrape(reg);
  CHECK(peers_test::value_of(text, "peers_removal_seconds_count{method=\"get\"}") == 1);
  CHECK(peers_test::value_of(text, "peers_removal_seconds_sum{method=\"get\"}") == 6);

  CHECK(s.retain_if([](std::span<const std::string_view> v) { return v[0] == "put"; }) == 1);
  CHECK(s.series_count() == 2);  // put and the overflow series
  s.clear();
  CHECK(s.series_count() == 0);
  text = scrape(reg);
  // The refusals stay counted (a counter), in the registry's self-metric; nothing else names the summary.
  const std::string overflow_line = "promcxx_series_overflow_total{metric=\"peers_removal_seconds\"} 2\n";
  const auto at = text.find(overflow_line);
  REQUIRE(at != std::string::npos);
  text.erase(at, overflow_line.size());
  CHECK(text.find("peers_removal_seconds") == std::string::npos);
}

TEST_CASE("quantile_summary: a label value that is not valid UTF-8 is bad data") {
  promcxx::registry reg;
  promcxx::quantile_summary<"peers_utf8_seconds", "UTF-8 check.", promcxx::objectives<0.5, 0.05>, promcxx::labels<"k">> s{reg};
  CHECK_THROWS_AS((void)s.labels("\xff"), promcxx_test::contract_violation);  // tests make PROMCXX_ASSERT throw
  CHECK(s.rejected() == 1);
}

namespace {
// Observes from a thread_local destructor, which may run after the thread's lane token went back to the pool.
struct observe_at_exit {
  promcxx::quantile_summary<"peers_exit_seconds", "Exit check.", promcxx::objectives<0.5, 0.05>>* s = nullptr;
  ~observe_at_exit() {
    if (s != nullptr) s->observe(1);
  }
};
} // namespace

TEST_CASE("quantile_summary: observations made while a thread exits are counted, and its lane passes to the next thread") {
  promcxx::registry reg;
  promcxx::quantile_summary<"peers_exit_seconds", "Exit check.", promcxx::objectives<0.5, 0.05>> s{reg};
  constexpr int threads = 6;
  for (int t = 0; t < threads; ++t) {
    std::thread worker{[&] {
      thread_local observe_at_exit guard;
      guard.s = &s;
      for (int i = 0; i < 100; ++i) s.observe(1);
    }};
    worker.join();
  }
  CHECK(s.read().count == threads * 101);
}
