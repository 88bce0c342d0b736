// Exposition cost: rendering (collect + encode) a registry of 10,000 counter
// series (100 families x 100 label values) and of 1,000 histogram series, in
// both text formats. Reported per series and in bytes per CPU second.
#include <benchmark/benchmark.h>

#include <cstddef>
#include <memory>
#include <string>

#include <promcxx.hpp>

#include "bench_registry.hpp"
#include "pin_thread.hpp"

namespace {

using counters_10k = bench::big_registry<100, 0>;
using histograms_1k = bench::big_registry<0, 10>;

// Built on first use (about 8 MB of metrics), shared by both threads of a case.
counters_10k& counter_registry() {
  static const auto r = std::make_unique<counters_10k>();
  return *r;
}
histograms_1k& histogram_registry() {
  static const auto r = std::make_unique<histograms_1k>();
  return *r;
}

void report(benchmark::State& state, std::size_t series, std::size_t bytes) {
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
  state.counters["series"] = benchmark::Counter(static_cast<double>(series), benchmark::Counter::kAvgThreads);
  state.counters["bytes_per_op"] = benchmark::Counter(static_cast<double>(bytes), benchmark::Counter::kAvgThreads);
}

template <class Registry>
void render(benchmark::State& state, Registry& (*get)(), promcxx::exposition_format format) {
  const bench::pin_thread pin{state};
  auto& r = get();
  std::string out;
  for (auto _ : state) {
    promcxx::render(r.registry, format, out);
    benchmark::DoNotOptimize(out.data());
  }
  report(state, Registry::series, out.size());
}

template <class Registry>
void encode_only(benchmark::State& state, Registry& (*get)(), promcxx::exposition_format format) {
  const bench::pin_thread pin{state};
  auto& r = get();
  promcxx::snapshot snap;
  r.registry.collect(snap);
  std::string out;
  for (auto _ : state) {
    out.clear();
    promcxx::encode(snap, format, out);
    benchmark::DoNotOptimize(out.data());
  }
  report(state, Registry::series, out.size());
}

/// Collect alone (registry -> snapshot): what render costs besides encoding.
template <class Registry>
void collect_only(benchmark::State& state, Registry& (*get)()) {
  const bench::pin_thread pin{state};
  auto& r = get();
  promcxx::snapshot snap;
  for (auto _ : state) {
    r.registry.collect(snap);
    benchmark::DoNotOptimize(snap.values.data());
  }
  report(state, Registry::series, 0);
}

const bool registered = [] {
  using promcxx::exposition_format;
  const auto add = [](const char* name, auto fn) {
    benchmark::RegisterBenchmark(name, fn)->Threads(1)->Threads(2);
  };
  add("render_counters_10k/text_0_0_4",
      [](benchmark::State& s) { render(s, counter_registry, exposition_format::text_0_0_4); });
  add("render_counters_10k/openmetrics_1_0_0",
      [](benchmark::State& s) { render(s, counter_registry, exposition_format::openmetrics_1_0_0); });
  add("render_histograms_1k/text_0_0_4",
      [](benchmark::State& s) { render(s, histogram_registry, exposition_format::text_0_0_4); });
  add("render_histograms_1k/openmetrics_1_0_0",
      [](benchmark::State& s) { render(s, histogram_registry, exposition_format::openmetrics_1_0_0); });
  add("collect_only_counters_10k", [](benchmark::State& s) { collect_only(s, counter_registry); });
  add("collect_only_histograms_1k", [](benchmark::State& s) { collect_only(s, histogram_registry); });
  add("encode_only_histograms_1k/text_0_0_4",
      [](benchmark::State& s) { encode_only(s, histogram_registry, exposition_format::text_0_0_4); });
  add("encode_only_histograms_1k/openmetrics_1_0_0",
      [](benchmark::State& s) { encode_only(s, histogram_registry, exposition_format::openmetrics_1_0_0); });
  add("encode_only_counters_10k/text_0_0_4",
      [](benchmark::State& s) { encode_only(s, counter_registry, exposition_format::text_0_0_4); });
  add("encode_only_counters_10k/openmetrics_1_0_0",
      [](benchmark::State& s) { encode_only(s, counter_registry, exposition_format::openmetrics_1_0_0); });
  return true;
}();

} // namespace

BENCHMARK_MAIN();
