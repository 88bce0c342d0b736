// Hot-path costs: counter, gauge and histogram updates and label lookups,
// promcxx next to the baselines of baselines.hpp. Every case runs at 1 and 2
// threads on the same metric; times are CPU time per operation per thread.
#include <benchmark/benchmark.h>

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <promcxx/core.hpp>

#include "alloc_counter.hpp"  // tests/support
#include "baselines.hpp"
#include "pin_thread.hpp"

namespace {

// Every loop body ends with ClobberMemory so no case, baseline or ours, is
// folded into one add over all iterations: each operation really loads and
// stores, as it would between unrelated code in a program.
using benchmark::ClobberMemory;

promcxx::registry hot_registry;

promcxx::counter<"bench_plain_total", "Unlabelled counter."> plain_counter{hot_registry};
promcxx::counter<"bench_requests_total", "Counter with two runtime labels.", promcxx::labels<"method", "code">>
    requests{hot_registry};
promcxx::counter<"bench_known_total", "Counter whose label values are known at compile time.",
                 promcxx::labels<"method", "code">, promcxx::label_values<"method", "get", "post", "put", "delete">,
                 promcxx::label_values<"code", "200", "404", "500", "503">>
    known{hot_registry};
promcxx::gauge<"bench_level", "Unlabelled gauge, inc only (in-flight style)."> level{hot_registry};
// Separate gauges per use: cases run interleaved, and a gauge that ever took an
// add pays for an absorbing set (handles.hpp), one that is only set never does.
promcxx::gauge<"bench_temperature", "Unlabelled gauge, set only."> set_only{hot_registry};
promcxx::gauge<"bench_mixed", "Unlabelled gauge that takes adds and sets."> mixed{hot_registry};
promcxx::gauge<"bench_depth", "Gauge with one runtime label.", promcxx::labels<"queue">> depth{hot_registry};
promcxx::histogram<"bench_latency_seconds", "Histogram with the 11 default bounds.", promcxx::unit<"seconds">>
    latency{hot_registry};

// Baselines (static storage like the metrics; threads share them).
thread_local std::uint64_t floor_cell = 0;
std::atomic<std::uint64_t> go_counter{0};
bench::cas_double cas_counter;
std::atomic<double> stored_gauge{0};
bench::mutex_histogram mutex_hist{{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}};
bench::map_family map_requests;

// ---- counter inc ------------------------------------------------------------

void floor_thread_local(benchmark::State& state) {
  const bench::pin_thread pin{state};
  for (auto _ : state) {
    ++floor_cell;
    ClobberMemory();
  }
}

void counter_promcxx(benchmark::State& state) {
  const bench::pin_thread pin{state};
  for (auto _ : state) {
    plain_counter.inc();
    ClobberMemory();
  }
}

void counter_promcxx_labelled_handle(benchmark::State& state) {
  const bench::pin_thread pin{state};
  auto handle = requests.labels("get", "200");  // cached once, as the docs advise
  for (auto _ : state) {
    handle.inc();
    ClobberMemory();
  }
}

void counter_go_atomic(benchmark::State& state) {
  const bench::pin_thread pin{state};
  for (auto _ : state) {
    go_counter.fetch_add(1, std::memory_order_relaxed);
    ClobberMemory();
  }
}

void counter_cas_double(benchmark::State& state) {
  const bench::pin_thread pin{state};
  for (auto _ : state) {
    cas_counter.add(1.0);
    ClobberMemory();
  }
}

// ---- gauge ------------------------------------------------------------------

void gauge_set_promcxx(benchmark::State& state) {
  const bench::pin_thread pin{state};
  double v = 0;
  for (auto _ : state) {
    set_only.set(v);
    v += 1.0;
    ClobberMemory();
  }
}

// A set on a gauge that has taken adds: series lock, sum of its cells over the
// threads that wrote them, one store (context for the set-only number).
void gauge_set_promcxx_after_adds(benchmark::State& state) {
  const bench::pin_thread pin{state};
  mixed.inc();
  double v = 0;
  for (auto _ : state) {
    mixed.set(v);
    v += 1.0;
    ClobberMemory();
  }
}

void gauge_set_atomic_double(benchmark::State& state) {
  const bench::pin_thread pin{state};
  double v = 0;
  for (auto _ : state) {
    stored_gauge.store(v, std::memory_order_relaxed);
    v += 1.0;
    ClobberMemory();
  }
}

void gauge_inc_promcxx(benchmark::State& state) {
  const bench::pin_thread pin{state};
  for (auto _ : state) {
    level.inc();
    ClobberMemory();
  }
}

void gauge_inc_promcxx_labelled_handle(benchmark::State& state) {
  const bench::pin_thread pin{state};
  auto handle = depth.labels("default");  // cached once, as the docs advise
  for (auto _ : state) {
    handle.inc();
    ClobberMemory();
  }
}

void gauge_inc_cas_double(benchmark::State& state) {
  const bench::pin_thread pin{state};
  for (auto _ : state) {
    cas_counter.add(1.0);
    ClobberMemory();
  }
}

// inc then dec, the in-flight pattern (track_inprogress): two updates per iteration.
void gauge_inc_dec_promcxx(benchmark::State& state) {
  const bench::pin_thread pin{state};
  for (auto _ : state) {
    level.inc();
    ClobberMemory();
    level.dec();
    ClobberMemory();
  }
}

void gauge_inc_dec_cas_double(benchmark::State& state) {
  const bench::pin_thread pin{state};
  for (auto _ : state) {
    cas_counter.add(1.0);
    ClobberMemory();
    cas_counter.add(-1.0);
    ClobberMemory();
  }
}

// A fractional amount: per-thread double cells.
void gauge_add_fraction_promcxx(benchmark::State& state) {
  const bench::pin_thread pin{state};
  for (auto _ : state) {
    level.add(0.25);
    ClobberMemory();
  }
}

void gauge_add_fraction_cas_double(benchmark::State& state) {
  const bench::pin_thread pin{state};
  for (auto _ : state) {
    cas_counter.add(0.25);
    ClobberMemory();
  }
}

// ---- histogram ----------------------------------------------------------------

// 1024 pseudo-random values covering all 12 buckets (11 bounds and +Inf), so
// neither design profits from a branch pattern it could learn.
const std::array<double, 1024> observations = [] {
  constexpr std::array<double, 12> per_bucket{0.003, 0.007, 0.02, 0.04, 0.07, 0.2, 0.4, 0.7, 2, 4, 7, 20};
  std::array<double, 1024> values{};
  std::uint32_t x = 12345;
  for (auto& v : values) {
    x = x * 1664525U + 1013904223U;
    v = per_bucket[(x >> 16) % per_bucket.size()];
  }
  return values;
}();

void histogram_promcxx(benchmark::State& state) {
  const bench::pin_thread pin{state};
  std::size_t i = 0;
  for (auto _ : state) {
    latency.observe(observations[i++ & 1023]);
    ClobberMemory();
  }
}

void histogram_mutex(benchmark::State& state) {
  const bench::pin_thread pin{state};
  std::size_t i = 0;
  for (auto _ : state) {
    mutex_hist.observe(observations[i++ & 1023]);
    ClobberMemory();
  }
}

// ---- label lookup -------------------------------------------------------------

const std::vector<std::string> methods{"get", "post", "put", "delete"};
const std::vector<std::string> codes{"200", "404", "500", "503"};

const std::vector<bench::label_map> prebuilt_keys = [] {
  std::vector<bench::label_map> keys;
  for (const auto& m : methods)
    for (const auto& c : codes) keys.push_back({{"method", m}, {"code", c}});
  return keys;
}();

// The 16 series exist before any lookup is timed.
const bool series_created = [] {
  for (const auto& m : methods)
    for (const auto& c : codes) static_cast<void>(requests.labels(m, c));
  for (const auto& key : prebuilt_keys) map_requests.add(key);
  return true;
}();

void report_allocations(benchmark::State& state, std::uint64_t before) {
  state.counters["allocs_per_op"] = benchmark::Counter(static_cast<double>(promcxx_test::thread_allocations() - before),
                                                       benchmark::Counter::kAvgIterations);
}

void lookup_promcxx(benchmark::State& state) {
  const bench::pin_thread pin{state};
  const auto before = promcxx_test::thread_allocations();
  std::size_t i = 0;
  for (auto _ : state) {
    const std::size_t k = i++ & 15;
    auto handle = requests.labels(methods[k >> 2], codes[k & 3]);
    benchmark::DoNotOptimize(handle);
    ClobberMemory();
  }
  report_allocations(state, before);
}

void lookup_map_prebuilt_key(benchmark::State& state) {
  const bench::pin_thread pin{state};
  const auto before = promcxx_test::thread_allocations();
  std::size_t i = 0;
  for (auto _ : state) {
    auto& series = map_requests.add(prebuilt_keys[i++ & 15]);
    benchmark::DoNotOptimize(&series);
    ClobberMemory();
  }
  report_allocations(state, before);
}

void lookup_map_key_per_call(benchmark::State& state) {
  const bench::pin_thread pin{state};
  const auto before = promcxx_test::thread_allocations();
  std::size_t i = 0;
  for (auto _ : state) {
    const std::size_t k = i++ & 15;
    auto& series = map_requests.add({{"method", methods[k >> 2]}, {"code", codes[k & 3]}});
    benchmark::DoNotOptimize(&series);
    ClobberMemory();
  }
  report_allocations(state, before);
}

void lookup_inc_promcxx(benchmark::State& state) {
  const bench::pin_thread pin{state};
  const auto before = promcxx_test::thread_allocations();
  std::size_t i = 0;
  for (auto _ : state) {
    const std::size_t k = i++ & 15;
    requests.labels(methods[k >> 2], codes[k & 3]).inc();
    ClobberMemory();
  }
  report_allocations(state, before);
}

void lookup_inc_promcxx_with(benchmark::State& state) {
  const bench::pin_thread pin{state};
  const auto before = promcxx_test::thread_allocations();
  for (auto _ : state) {
    known.with<"post", "503">().inc();
    ClobberMemory();
  }
  report_allocations(state, before);
}

// The same two-label family defined at run time (registry::counter_family): same core, same handles.
promcxx::counter_family& runtime_requests =
    hot_registry.counter_family("bench_runtime_requests_total", "Runtime-defined counter with two labels.",
                                {"method", "code"});

void lookup_inc_promcxx_runtime(benchmark::State& state) {
  const bench::pin_thread pin{state};
  const auto before = promcxx_test::thread_allocations();
  std::size_t i = 0;
  for (auto _ : state) {
    const std::size_t k = i++ & 15;
    runtime_requests.labels({methods[k >> 2], codes[k & 3]}).inc();
    ClobberMemory();
  }
  report_allocations(state, before);
}

void lookup_inc_map_prebuilt_key(benchmark::State& state) {
  const bench::pin_thread pin{state};
  const auto before = promcxx_test::thread_allocations();
  std::size_t i = 0;
  for (auto _ : state) {
    map_requests.add(prebuilt_keys[i++ & 15]).add(1.0);
    ClobberMemory();
  }
  report_allocations(state, before);
}

// Names are "<case>/<implementation>"; bench/report.py groups by case.
const bool registered = [] {
  const auto add = [](const char* name, void (*fn)(benchmark::State&)) {
    benchmark::RegisterBenchmark(name, fn)->Threads(1)->Threads(2);
  };
  add("counter_inc/floor_thread_local", floor_thread_local);
  add("counter_inc/promcxx", counter_promcxx);
  add("counter_inc/promcxx_labelled_handle", counter_promcxx_labelled_handle);
  add("counter_inc/go_atomic_fetch_add", counter_go_atomic);
  add("counter_inc/cas_atomic_double", counter_cas_double);
  add("gauge_set/promcxx", gauge_set_promcxx);
  add("gauge_set/promcxx_after_adds", gauge_set_promcxx_after_adds);
  add("gauge_set/atomic_double_store", gauge_set_atomic_double);
  add("gauge_inc/promcxx", gauge_inc_promcxx);
  add("gauge_inc/promcxx_labelled_handle", gauge_inc_promcxx_labelled_handle);
  add("gauge_inc/cas_atomic_double", gauge_inc_cas_double);
  add("gauge_inc_dec/promcxx", gauge_inc_dec_promcxx);
  add("gauge_inc_dec/cas_atomic_double", gauge_inc_dec_cas_double);
  add("gauge_add_fraction/promcxx", gauge_add_fraction_promcxx);
  add("gauge_add_fraction/cas_atomic_double", gauge_add_fraction_cas_double);
  add("histogram_observe/promcxx", histogram_promcxx);
  add("histogram_observe/mutex_lower_bound", histogram_mutex);
  add("label_lookup/promcxx", lookup_promcxx);
  add("label_lookup/map_prebuilt_key", lookup_map_prebuilt_key);
  add("label_lookup/map_key_per_call", lookup_map_key_per_call);
  add("label_lookup_inc/promcxx", lookup_inc_promcxx);
  add("label_lookup_inc/promcxx_with", lookup_inc_promcxx_with);
  add("label_lookup_inc/promcxx_runtime_family", lookup_inc_promcxx_runtime);
  add("label_lookup_inc/map_prebuilt_key", lookup_inc_map_prebuilt_key);
  return series_created;
}();

} // namespace
