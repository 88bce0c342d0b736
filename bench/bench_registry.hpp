// Large registries of real compile-time metrics for the encoding and HTTP
// benchmarks: `Families` counter families x 100 label values each, and 10
// histogram families (default bounds) x 100 label values each. The family
// types are generated from an index, whose digits become the metric name.
#ifndef PROMCXX_BENCH_REGISTRY_HPP
#define PROMCXX_BENCH_REGISTRY_HPP

#include <cstddef>
#include <cstdio>
#include <memory>
#include <utility>

#include <promcxx/core.hpp>

namespace bench {

inline constexpr std::size_t values_per_family = 100;

/// "bench_counter_NNN_total" / "bench_histogram_NN_seconds" as template arguments.
template <std::size_t I>
inline constexpr promcxx::fixed_string counter_name{
    {'b', 'e', 'n', 'c', 'h', '_', 'c', 'o', 'u', 'n', 't', 'e', 'r', '_', static_cast<char>('0' + I / 100 % 10),
     static_cast<char>('0' + I / 10 % 10), static_cast<char>('0' + I % 10), '_', 't', 'o', 't', 'a', 'l', '\0'}};
template <std::size_t I>
inline constexpr promcxx::fixed_string histogram_name{
    {'b', 'e', 'n', 'c', 'h', '_', 'h', 'i', 's', 't', 'o', 'g', 'r', 'a', 'm', '_',
     static_cast<char>('0' + I / 10 % 10), static_cast<char>('0' + I % 10), '_', 's', 'e', 'c', 'o', 'n', 'd', 's',
     '\0'}};

template <std::size_t I>
struct counter_family {
  promcxx::counter<counter_name<I>, "Benchmark counter family.", promcxx::labels<"instance_id">,
                   promcxx::max_series<values_per_family>>
      metric;
  explicit counter_family(promcxx::registry& r) : metric(r) {}
};

template <std::size_t I>
struct histogram_family {
  promcxx::histogram<histogram_name<I>, "Benchmark histogram family.", promcxx::labels<"instance_id">,
                     promcxx::max_series<values_per_family>, promcxx::unit<"seconds">>
      metric;
  explicit histogram_family(promcxx::registry& r) : metric(r) {}
};

template <class Indices>
struct counter_families;
template <std::size_t... Is>
struct counter_families<std::index_sequence<Is...>> : counter_family<Is>... {
  explicit counter_families(promcxx::registry& r) : counter_family<Is>(r)... {}
  /// Creates every series; counter v of each family counts to v + 1.
  void fill() {
    char value[16];
    for (std::size_t v = 0; v < values_per_family; ++v) {
      std::snprintf(value, sizeof value, "instance-%03zu", v);
      (counter_family<Is>::metric.labels(value).inc(static_cast<double>(v + 1)), ...);
    }
  }
};

template <class Indices>
struct histogram_families;
template <std::size_t... Is>
struct histogram_families<std::index_sequence<Is...>> : histogram_family<Is>... {
  explicit histogram_families(promcxx::registry& r) : histogram_family<Is>(r)... {}
  /// Creates every series with observations in several buckets.
  void fill() {
    char value[16];
    for (std::size_t v = 0; v < values_per_family; ++v) {
      std::snprintf(value, sizeof value, "instance-%03zu", v);
      for (const double x : {0.003, 0.07, 0.7, 7.0})
        (histogram_family<Is>::metric.labels(value).observe(x * static_cast<double>(v + 1) / 50), ...);
    }
  }
};

/// A registry holding `CounterFamilies` x 100 counter series (or histograms).
template <std::size_t CounterFamilies, std::size_t HistogramFamilies>
struct big_registry {
  promcxx::registry registry;
  counter_families<std::make_index_sequence<CounterFamilies>> counters{registry};
  histogram_families<std::make_index_sequence<HistogramFamilies>> histograms{registry};

  big_registry() {
    counters.fill();
    histograms.fill();
  }
  static constexpr std::size_t series = (CounterFamilies + HistogramFamilies) * values_per_family;
};

} // namespace bench

#endif // PROMCXX_BENCH_REGISTRY_HPP
