// Native histograms and the protobuf format, in one run next to what they
// replace: native observe vs classic observe vs the mutex baseline (1 and 2
// threads, the same values), heap bytes per native series at three spreads,
// and render cost per series in protobuf next to text and OpenMetrics.
#include <benchmark/benchmark.h>

#include <malloc.h>  // mallinfo2: heap bytes in use (glibc)

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <promcxx.hpp>
#include <promcxx/native_histogram.hpp>

#include "baselines.hpp"
#include "bench_registry.hpp"
#include "pin_thread.hpp"

namespace {

using benchmark::ClobberMemory;
using promcxx::exposition_format;

/// 4096 log-normal latencies around 50 ms (1 ms .. 10 s): what every observe case records.
const std::vector<double>& latencies() {
  static const std::vector<double> values = [] {
    std::mt19937_64 rng{7};
    std::lognormal_distribution<double> d{std::log(0.05), 1.2};
    std::vector<double> v(4096);
    for (auto& x : v) x = d(rng);
    return v;
  }();
  return values;
}

promcxx::registry observe_registry;
promcxx::native_histogram<"bench_native_seconds", "Native, schema 3."> native_plain{observe_registry};
promcxx::native_histogram<"bench_native_both_seconds", "Native plus the 11 default classic bounds.",
                          promcxx::buckets<0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10>>
    native_both{observe_registry};
promcxx::histogram<"bench_classic_seconds", "Classic, the 11 default bounds."> classic{observe_registry};
bench::mutex_histogram mutex_hist{{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}};

template <class Observe>
void observe_loop(benchmark::State& state, Observe&& observe) {
  const bench::pin_thread pin{state};
  const auto& v = latencies();
  std::size_t i = static_cast<std::size_t>(state.thread_index()) * 1024;
  for (auto _ : state) {
    observe(v[i++ & 4095]);
    ClobberMemory();
  }
}

void observe_native(benchmark::State& s) {
  auto& series = native_plain.family().labels(std::span<const std::string_view>{});
  observe_loop(s, [&](double v) { series.observe(v); });
}
void observe_native_with_classic(benchmark::State& s) {
  auto& series = native_both.family().labels(std::span<const std::string_view>{});
  observe_loop(s, [&](double v) { series.observe(v); });
}
void observe_classic(benchmark::State& s) {
  observe_loop(s, [](double v) { classic.observe(v); });
}
void observe_mutex_baseline(benchmark::State& s) {
  observe_loop(s, [](double v) { mutex_hist.observe(v); });
}

/// Heap bytes per native series after observing `spread` (1: one power of two,
/// 2: 1 ms .. 10 s, 3: both signs over 1e-6 .. 1e6) and one scrape (which gives
/// the cold half its rings too). Runs once; the numbers are the counters.
void memory_per_series(benchmark::State& state) {
  const int spread = static_cast<int>(state.range(0));
  constexpr std::size_t series = 1000;
  double bytes = 0;
  double buckets = 0;
  for (auto _ : state) {
    promcxx::registry reg;
    const auto before = mallinfo2().uordblks;
    auto family = std::make_unique<promcxx::native_histogram_family>(reg, "bench_memory_seconds", "Memory.",
                                                                     std::vector<std::string>{"id"});
    std::mt19937_64 rng{1};
    std::uniform_real_distribution<double> u{0, 1};
    for (std::size_t k = 0; k < series; ++k) {
      auto& s = family->labels({std::to_string(k)});
      for (int i = 0; i < 200; ++i) {
        const double x = u(rng);
        s.observe(spread == 1 ? 1 + x : spread == 2 ? std::pow(10.0, -3 + 4 * x)
                                                    : (i % 2 ? -1 : 1) * std::pow(10.0, -6 + 12 * x));
      }
    }
    promcxx::snapshot snap;
    reg.collect(snap);
    bytes = static_cast<double>(mallinfo2().uordblks - before) / series;
    buckets = static_cast<double>(snap.native_counts.size()) / series;
    benchmark::DoNotOptimize(snap.values.data());
  }
  state.counters["heap_bytes_per_series"] = bytes;
  state.counters["buckets_per_series"] = buckets;
}

// ---- render: protobuf next to text --------------------------------------------

using counters_10k = bench::big_registry<100, 0>;
using histograms_1k = bench::big_registry<0, 10>;

counters_10k& counter_registry() {
  static const auto r = std::make_unique<counters_10k>();
  return *r;
}
histograms_1k& histogram_registry() {
  static const auto r = std::make_unique<histograms_1k>();
  return *r;
}

/// 1,000 native series (10 families x 100 label values) over a typical spread.
struct native_registry {
  static constexpr std::size_t series = 1000;
  promcxx::registry registry;
  std::vector<std::unique_ptr<promcxx::native_histogram_family>> families;
  native_registry() {
    const auto& v = latencies();
    for (int f = 0; f < 10; ++f) {
      families.push_back(std::make_unique<promcxx::native_histogram_family>(
          registry, "bench_native_" + std::to_string(f) + "_seconds", "Native family.",
          std::vector<std::string>{"instance_id"}));
      for (std::size_t k = 0; k < 100; ++k) {
        auto& s = families.back()->labels({"instance-" + std::to_string(k)});
        for (std::size_t i = 0; i < 500; ++i) s.observe(v[(i * 7 + k) & 4095]);
      }
    }
  }
};
native_registry& natives() {
  static const auto r = std::make_unique<native_registry>();
  return *r;
}

template <class Registry>
void render(benchmark::State& state, Registry& (*get)(), exposition_format format) {
  const bench::pin_thread pin{state};
  auto& r = get();
  std::string out;
  for (auto _ : state) {
    promcxx::render(r.registry, format, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * out.size()));
  state.counters["series"] = static_cast<double>(Registry::series);
  state.counters["bytes_per_op"] = static_cast<double>(out.size());
  state.counters["ns_per_series"] = benchmark::Counter(static_cast<double>(Registry::series),
                                                       benchmark::Counter::kIsIterationInvariantRate |
                                                           benchmark::Counter::kInvert);
}

const bool registered = [] {
  const auto both = [](const char* name, auto fn) { benchmark::RegisterBenchmark(name, fn)->Threads(1)->Threads(2); };
  both("observe/native_schema3", observe_native);
  both("observe/native_schema3_plus_classic", observe_native_with_classic);
  both("observe/classic_promcxx", observe_classic);
  both("observe/mutex_baseline", observe_mutex_baseline);
  benchmark::RegisterBenchmark("memory/native_series", memory_per_series)->Arg(1)->Arg(2)->Arg(3)->Iterations(1);
  const auto once = [](const char* name, auto fn) { benchmark::RegisterBenchmark(name, fn); };
  for (const auto& [label, format] : {std::pair{"text_0_0_4", exposition_format::text_0_0_4},
                                      std::pair{"openmetrics_1_0_0", exposition_format::openmetrics_1_0_0},
                                      std::pair{"protobuf", exposition_format::protobuf_delimited}}) {
    const auto f = format;
    once((std::string("render_counters_10k/") + label).c_str(),
         [f](benchmark::State& s) { render(s, counter_registry, f); });
    once((std::string("render_histograms_1k/") + label).c_str(),
         [f](benchmark::State& s) { render(s, histogram_registry, f); });
    once((std::string("render_native_1k/") + label).c_str(), [f](benchmark::State& s) { render(s, natives, f); });
  }
  return true;
}();

} // namespace

BENCHMARK_MAIN();
