// Observe cost of the peers features next to the histogram's, in one run:
// quantile_summary (CKMS, Go's default objectives and window; unlabelled and
// through a cached labelled handle), gauge_histogram add, and a scope timer
// around a histogram. Same values for every case. Issue 12's target is
// quantile_summary_observe <= 5x histogram_observe; compare CPU time on a
// busy machine. quantile_summary_read is one series' share of a scrape
// (drain, merge of the pending batch, three quantiles).
//
//   build-<dir>/bench/promcxx_bench_peers --benchmark_min_time=0.5
#include <benchmark/benchmark.h>

#include <array>
#include <cstddef>

#include <promcxx.hpp>
#include <promcxx/gauge_histogram.hpp>
#include <promcxx/quantile_summary.hpp>
#include <promcxx/timer.hpp>

namespace {

promcxx::registry reg;
promcxx::histogram<"peers_bench_histogram_seconds", "Histogram, default bounds."> hist{reg};
promcxx::quantile_summary<"peers_bench_summary_seconds", "Quantile summary, client_golang's usual objectives.",
                          promcxx::objectives<0.5, 0.05, 0.9, 0.01, 0.99, 0.001>>
    quantiles{reg};
promcxx::quantile_summary<"peers_bench_labelled_summary_seconds", "Quantile summary with a label.",
                          promcxx::objectives<0.5, 0.05, 0.9, 0.01, 0.99, 0.001>, promcxx::labels<"method">>
    labelled_quantiles{reg};
promcxx::gauge_histogram<"peers_bench_gauge_histogram_seconds", "Gauge histogram.",
                         promcxx::buckets<0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10>>
    gauge_hist{reg};

// A fixed spread of latencies, so every case sees the same values.
const std::array<double, 1024> values = [] {
  std::array<double, 1024> v{};
  std::uint64_t x = 88172645463325252ull;
  for (auto& d : v) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    d = static_cast<double>(x % 100000) / 10000.0;  // 0 .. 10 s
  }
  return v;
}();

void histogram_observe(benchmark::State& state) {
  std::size_t i = 0;
  for (auto _ : state) hist.observe(values[i++ & 1023]);
}
void quantile_summary_observe(benchmark::State& state) {
  std::size_t i = 0;
  for (auto _ : state) quantiles.observe(values[i++ & 1023]);
}
void quantile_summary_labelled_handle(benchmark::State& state) {
  auto handle = labelled_quantiles.labels("get");
  std::size_t i = 0;
  for (auto _ : state) handle.observe(values[i++ & 1023]);
}
void quantile_summary_read(benchmark::State& state) {
  std::size_t i = 0;
  for (auto _ : state) {
    state.PauseTiming();
    for (int k = 0; k < 1000; ++k) quantiles.observe(values[i++ & 1023]);  // a scrape interval's worth
    state.ResumeTiming();
    benchmark::DoNotOptimize(quantiles.read());
  }
}
void gauge_histogram_add(benchmark::State& state) {
  std::size_t i = 0;
  for (auto _ : state) gauge_hist.add(values[i++ & 1023]);
}
void timer_histogram(benchmark::State& state) {
  for (auto _ : state) {
    auto t = promcxx::start_timer(hist);
  }
}

} // namespace

BENCHMARK(histogram_observe)->ThreadRange(1, 2);
BENCHMARK(quantile_summary_observe)->ThreadRange(1, 2);
BENCHMARK(quantile_summary_labelled_handle);
BENCHMARK(quantile_summary_read);
BENCHMARK(gauge_histogram_add)->ThreadRange(1, 2);
BENCHMARK(timer_histogram);
BENCHMARK_MAIN();
