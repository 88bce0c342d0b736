// promcxx: OpenMetrics gauge histograms: a distribution that goes up and
// down, such as the ages of the items now in a queue.
//
//     inline promcxx::gauge_histogram<"queue_item_age_seconds", "Age of queued items.",
//                                     promcxx::buckets<1, 10, 60>> ages;
//     ages.add(3.5);   // an item of age 3.5 s entered the distribution
//     ages.sub(3.5);   // ... and left it
//
// OpenMetrics exposes `x_bucket{le}`, `x_gcount` and `x_gsum`. Text 0.0.4
// has no such type: there the buckets are a `histogram` family without
// `_count`/`_sum`, and `x_gcount` and `x_gsum` are gauges of their own, so
// every series keeps the same name whichever format Prometheus negotiates
// and `promtool check metrics` finds nothing to lint (the Python client's
// choice of one histogram family holding `_gcount` leaves them without
// HELP). A bucket removed more often than added reads 0, never negative.
#ifndef PROMCXX_GAUGE_HISTOGRAM_HPP
#define PROMCXX_GAUGE_HISTOGRAM_HPP

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>

#include "config.hpp"  // PROMCXX_ASSERT
#include "detail/peer_options.hpp"
#include "fixed_string.hpp"
#include "names.hpp"
#include "collect.hpp"  // collect_sink, registry::collect

namespace promcxx {

namespace detail {

template <class Sink>
concept sink_with_gaugehistogram = requires(Sink& s, std::span<const double> b, std::span<const label_pair> l,
                                            std::span<const std::uint64_t> c) {
  s.gaugehistogram_family(std::string_view{}, std::string_view{}, b);
  s.gaugehistogram_sample(l, c, 0.0);
};

/// One series: a count per bucket (not cumulative) and the sum, all atomics.
template <std::size_t Bounds>
class gauge_histogram_series {
 public:
  void add(std::span<const double, Bounds> bounds, double v, std::int64_t n) noexcept {
    const auto it = std::lower_bound(bounds.begin(), bounds.end(), v);  // le: v <= bound
    counts_[static_cast<std::size_t>(it - bounds.begin())].fetch_add(n, std::memory_order_relaxed);
    double old = sum_.load(std::memory_order_relaxed);
    while (!sum_.compare_exchange_weak(old, old + v * static_cast<double>(n), std::memory_order_relaxed)) {
    }
  }
  /// Cumulative counts, each bucket clamped at 0; returns the sum.
  double read(std::span<std::uint64_t, Bounds + 1> cumulative) const noexcept {
    std::uint64_t running = 0;
    for (std::size_t i = 0; i <= Bounds; ++i) {
      const auto c = counts_[i].load(std::memory_order_relaxed);
      running += c > 0 ? static_cast<std::uint64_t>(c) : 0;
      cumulative[i] = running;
    }
    return sum_.load(std::memory_order_relaxed);
  }

 private:
  std::array<std::atomic<std::int64_t>, Bounds + 1> counts_{};
  std::atomic<double> sum_{0};
};

} // namespace detail

template <std::size_t Bounds>
class gauge_histogram_handle {
 public:
  gauge_histogram_handle(detail::gauge_histogram_series<Bounds>* s, const std::array<double, Bounds>* b) noexcept
      : series_(s), bounds_(b) {}
  /// `n` observations of value `v` enter the distribution.
  void add(double v, std::int64_t n = 1) {
    if (valid(v)) series_->add(*bounds_, v, n);
  }
  /// `n` observations of value `v` leave it.
  void sub(double v, std::int64_t n = 1) {
    if (valid(v)) series_->add(*bounds_, v, -n);
  }

 private:
  /// NaN is bad data: dropped and counted (promcxx_bad_data_total), never added.
  static bool valid(double v) {
    if (!std::isnan(v)) [[likely]] return true;
    PROMCXX_BAD_DATA(detail::bad_data::observation_nan, "gauge_histogram values must not be NaN");
    return false;
  }
  detail::gauge_histogram_series<Bounds>* series_;
  const std::array<double, Bounds>* bounds_;
};

/// A gauge histogram. `Buckets` is `promcxx::buckets<...>` (or another
/// layout with a static `bounds` array); options: `labels<...>` (never `le`).
template <fixed_string Name, fixed_string Help, class Buckets, class... Options>
class gauge_histogram final : public collector {
  static constexpr auto bounds = Buckets::bounds;
  static constexpr std::size_t bound_count = bounds.size();
  using series_type = detail::gauge_histogram_series<bound_count>;
  using label_list = detail::find_labels_t<Options...>;
  static constexpr auto& label_names = detail::label_names_of<label_list>::names;
  static_assert(bound_count > 0, "promcxx::gauge_histogram: give at least one bucket bound");
  static_assert(detail::is_metric_name(Name.view()) && !detail::has_suffix(Name.view(), "_total") &&
                    !detail::has_reserved_suffix(Name.view()),
                "promcxx::gauge_histogram: invalid name (or one ending in _total, _bucket, _count, _sum)");
  static_assert(!Help.view().empty() && detail::is_valid_utf8(Help.view()),
                "promcxx::gauge_histogram: help text must be non-empty valid UTF-8");
  static_assert(detail::label_names_ok(label_names), "promcxx::labels: label names must be valid, unreserved, distinct");
  static_assert(!detail::contains_name(label_names, "le"), "promcxx::gauge_histogram: the label name le is reserved");

 public:
  using handle = gauge_histogram_handle<bound_count>;
  static constexpr std::size_t label_count = label_names.size();

  explicit gauge_histogram(registry& reg = default_registry()) { reg.add(*this); }

  void add(double v, std::int64_t n = 1) { self().add(v, n); }
  void sub(double v, std::int64_t n = 1) { self().sub(v, n); }

  /// The series for these label values, created on first use; cache the handle.
  template <class... Values>
    requires(sizeof...(Values) == label_count && (std::is_convertible_v<const Values&, std::string_view> && ...))
  [[nodiscard]] handle labels(const Values&... values) {
    std::array<std::string, label_count> key{std::string(std::string_view(values))...};
    for (const auto& v : key)
      if (!detail::is_valid_utf8(v)) PROMCXX_THROW(std::invalid_argument("promcxx::gauge_histogram: label value is not valid UTF-8"));
    std::lock_guard lock{mutex_};
    auto& slot = series_[key];
    if (!slot) slot = std::make_unique<series_type>();
    return handle{slot.get(), &bounds};
  }

  /// Cumulative bucket counts (the last is the gcount) and the sum of the unlabelled series.
  [[nodiscard]] std::pair<std::array<std::uint64_t, bound_count + 1>, double> read() const noexcept {
    static_assert(label_count == 0, "promcxx::gauge_histogram: read() is for unlabelled gauge histograms");
    std::pair<std::array<std::uint64_t, bound_count + 1>, double> out{};
    out.second = unlabelled_.read(out.first);
    return out;
  }

  void collect(collect_sink& sink) const override { emit(sink); }

 private:
  handle self() noexcept {
    static_assert(label_count == 0, "promcxx::gauge_histogram: a labelled gauge histogram is updated through labels(...)");
    return handle{&unlabelled_, &bounds};
  }

  template <class Sink>
  void emit(Sink& sink) const {
    if constexpr (detail::sink_with_gaugehistogram<Sink>) {
      if (!sink.gaugehistogram_family(Name.view(), Help.view(), bounds)) return;
      std::array<std::uint64_t, bound_count + 1> cumulative{};
      std::array<label_pair, label_count> pairs{};
      if constexpr (label_count == 0) {
        const double sum = unlabelled_.read(cumulative);
        sink.gaugehistogram_sample(pairs, cumulative, sum);
      } else {
        std::lock_guard lock{mutex_};
        for (const auto& [key, series] : series_) {
          for (std::size_t i = 0; i < label_count; ++i) pairs[i] = {label_names[i], key[i]};
          const double sum = series->read(cumulative);
          sink.gaugehistogram_sample(pairs, cumulative, sum);
        }
      }
    } else {
      static_cast<void>(sink);  // no gaugehistogram type in this snapshot yet: nothing to expose
    }
  }

  series_type unlabelled_;
  mutable std::mutex mutex_;
  std::map<std::array<std::string, label_count>, std::unique_ptr<series_type>> series_;
};

} // namespace promcxx

#endif // PROMCXX_GAUGE_HISTOGRAM_HPP
