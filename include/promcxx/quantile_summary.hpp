// promcxx: summaries with quantiles over a sliding window (client_golang's
// Summary with Objectives, MaxAge and AgeBuckets).
//
//     inline promcxx::quantile_summary<"rpc_duration_seconds", "RPC latency.",
//                                      promcxx::objectives<0.5, 0.05, 0.9, 0.01, 0.99, 0.001>> rpc;
//     rpc.observe(0.042);        // rpc_duration_seconds{quantile="0.99"} ..., _sum, _count
//
// Objectives come in (quantile, allowed rank error) pairs: the reported
// 0.99-quantile is a value whose rank is within 0.001 * count of the exact
// 0.99 rank. Quantiles describe the last `max_age` (default 600 s), kept as
// `age_buckets` (default 5) overlapping streams of which the oldest is read
// and the oldest is reset every max_age / age_buckets; `_sum` and `_count`
// cover the whole lifetime, as in client_golang. With no observation in the
// window a quantile reads NaN.
//
// Quantiles from different instances cannot be aggregated; prefer a
// histogram unless you need exact-rank guarantees for one process.
//
// Cost: an observation takes a per-series mutex and appends to a fixed
// buffer; every 500 observations (and at each scrape) the buffer is sorted
// and merged into each age bucket's stream in one linear pass (see
// detail/ckms.hpp). Concurrent observations of one series serialize on the
// mutex, but none is ever lost: `_count` is exact.
#ifndef PROMCXX_QUANTILE_SUMMARY_HPP
#define PROMCXX_QUANTILE_SUMMARY_HPP

#include <algorithm>
#include <array>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "config.hpp"  // PROMCXX_ASSERT
#include "detail/ckms.hpp"
#include "detail/peer_options.hpp"
#include "fixed_string.hpp"
#include "names.hpp"
#include "collect.hpp"  // collect_sink, registry::collect

namespace promcxx {

/// One number of an `objectives<...>` list, carried as its bits (a double
/// template argument that clang 14 also accepts).
struct objective_value {
  std::uint64_t bits = 0;
  consteval objective_value(double v) noexcept : bits(std::bit_cast<std::uint64_t>(v)) {}
  [[nodiscard]] constexpr double value() const noexcept { return std::bit_cast<double>(bits); }
};

/// Target quantiles as (quantile, allowed rank error) pairs, quantiles ascending:
/// `promcxx::objectives<0.5, 0.05, 0.9, 0.01, 0.99, 0.001>`.
template <objective_value... Values>
struct objectives {
  static_assert(sizeof...(Values) >= 2 && sizeof...(Values) % 2 == 0,
                "promcxx::objectives: give (quantile, error) pairs, at least one");
  static constexpr std::size_t size = sizeof...(Values) / 2;
  static constexpr std::array<double, sizeof...(Values)> flat{Values.value()...};
  static constexpr std::array<detail::quantile_target, size> targets = [] {
    std::array<detail::quantile_target, size> out{};
    for (std::size_t i = 0; i < size; ++i) out[i] = {flat[2 * i], flat[2 * i + 1]};
    return out;
  }();
  static constexpr bool quantiles_ok = [] {
    for (std::size_t i = 0; i < size; ++i)
      if (!(targets[i].quantile > 0 && targets[i].quantile < 1)) return false;
    return true;
  }();
  static constexpr bool errors_ok = [] {
    for (const auto& t : targets)
      if (!(t.error > 0 && t.error < std::min(t.quantile, 1 - t.quantile) + 1e-12)) return false;
    return true;
  }();
  static constexpr bool ascending = [] {
    for (std::size_t i = 1; i < size; ++i)
      if (!(targets[i - 1].quantile < targets[i].quantile)) return false;
    return true;
  }();
  static_assert(quantiles_ok, "promcxx::objectives: each quantile must lie strictly between 0 and 1");
  static_assert(errors_ok, "promcxx::objectives: each error must be positive and at most min(q, 1 - q)");
  static_assert(ascending, "promcxx::objectives: quantiles must be strictly increasing");
  static constexpr std::array<double, size> quantiles = [] {
    std::array<double, size> out{};
    for (std::size_t i = 0; i < size; ++i) out[i] = targets[i].quantile;
    return out;
  }();
};

/// Length of the quantile window in seconds (default 600, as client_golang).
template <unsigned Seconds>
struct max_age {
  static_assert(Seconds >= 1, "promcxx::max_age: the window must be at least one second");
  static constexpr unsigned value = Seconds;
};
/// Streams the window is kept in (default 5): the window slides in steps of max_age / age_buckets.
template <unsigned N>
struct age_buckets {
  static_assert(N >= 1 && N <= 60, "promcxx::age_buckets: between 1 and 60 buckets");
  static constexpr unsigned value = N;
};

namespace detail {

/// One series: lifetime count and sum, and the windowed quantile streams.
class quantile_series {
 public:
  using clock = std::chrono::steady_clock;
  static constexpr std::size_t buffer_size = 500;

  quantile_series(std::span<const quantile_target> targets, clock::duration max_age, unsigned age_buckets,
                  clock::time_point now = clock::now())
      : step_(max_age / age_buckets), head_expires_(now + step_) {
    streams_.reserve(age_buckets);
    for (unsigned i = 0; i < age_buckets; ++i) streams_.emplace_back(targets);
  }

  void observe(double v) {
    if (std::isnan(v)) [[unlikely]] {
      PROMCXX_BAD_DATA(detail::bad_data::observation_nan, "quantile_summary observations must not be NaN");
      return;
    }
    std::lock_guard lock{mutex_};
    ++count_;
    sum_ += v;
    buffer_[buffered_++] = v;
    if (buffered_ == buffer_size) flush(clock::now());
  }

  /// Writes the quantiles of the window (NaN when it is empty) and the lifetime totals.
  void read(std::span<const double> quantiles, std::span<double> values, std::uint64_t& count, double& sum,
            clock::time_point now = clock::now()) {
    std::lock_guard lock{mutex_};
    flush(now);
    const auto& head = streams_[head_];
    for (std::size_t i = 0; i < quantiles.size(); ++i) values[i] = head.query(quantiles[i]);
    count = count_;
    sum = sum_;
  }

  /// For tests: an observation at a chosen time (steady clock).
  void observe_at(double v, clock::time_point now) {
    std::lock_guard lock{mutex_};
    ++count_;
    sum_ += v;
    buffer_[buffered_++] = v;
    flush(now);
  }

 private:
  void flush(clock::time_point now) {
    rotate(now);
    if (buffered_ == 0) return;
    std::sort(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(buffered_));
    const std::span<const double> batch{buffer_.data(), buffered_};
    for (auto& s : streams_) s.insert_sorted(batch);
    buffered_ = 0;
  }

  /// Resets the oldest stream each time a step has passed; after a long
  /// pause every stream is reset once and the schedule restarts from `now`.
  void rotate(clock::time_point now) {
    if (now < head_expires_) return;
    // Samples still buffered belong to the window that is ending.
    if (buffered_ > 0) {
      const auto pending = buffered_;
      buffered_ = 0;
      std::sort(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(pending));
      for (auto& s : streams_) s.insert_sorted({buffer_.data(), pending});
    }
    for (std::size_t i = 0; i < streams_.size() && now >= head_expires_; ++i) {
      streams_[head_].reset();
      head_ = (head_ + 1) % streams_.size();
      head_expires_ += step_;
    }
    if (now >= head_expires_) head_expires_ = now + step_;
  }

  std::mutex mutex_;
  std::uint64_t count_ = 0;
  double sum_ = 0;
  std::array<double, buffer_size> buffer_{};
  std::size_t buffered_ = 0;
  std::vector<ckms_stream> streams_;
  std::size_t head_ = 0;  // the oldest stream, the one queried
  clock::duration step_;
  clock::time_point head_expires_;
};

template <class Sink>
concept sink_with_quantiles = requires(Sink& s, std::span<const double> q, std::span<const label_pair> l) {
  s.summary_family(std::string_view{}, std::string_view{}, q);
  s.summary_sample(l, std::uint64_t{}, 0.0, q);
};

} // namespace detail

/// A handle to one series of a quantile_summary (cacheable; valid while the summary lives).
class quantile_summary_handle {
 public:
  explicit quantile_summary_handle(detail::quantile_series* s) noexcept : series_(s) {}
  void observe(double v) { series_->observe(v); }

 private:
  detail::quantile_series* series_;
};

/// Summary with quantile objectives. Options: `labels<...>` (never
/// `quantile`), `max_age<seconds>`, `age_buckets<n>`. Registers in the
/// constructor (default registry without an argument).
template <fixed_string Name, fixed_string Help, class Objectives, class... Options>
class quantile_summary final : public collector {
  using label_list = detail::find_labels_t<Options...>;
  static constexpr auto& label_names = detail::label_names_of<label_list>::names;
  static constexpr unsigned window_seconds = detail::find_value<max_age<600>, max_age, Options...>::value;
  static constexpr unsigned window_buckets = detail::find_value<age_buckets<5>, age_buckets, Options...>::value;
  static_assert(detail::is_metric_name(Name.view()) && !detail::has_suffix(Name.view(), "_total") &&
                    !detail::has_reserved_suffix(Name.view()),
                "promcxx::quantile_summary: invalid name (or one ending in _total, _bucket, _count, _sum)");
  static_assert(!Help.view().empty() && detail::is_valid_utf8(Help.view()),
                "promcxx::quantile_summary: help text must be non-empty valid UTF-8");
  static_assert(detail::label_names_ok(label_names), "promcxx::labels: label names must be valid, unreserved, distinct");
  static_assert(!detail::contains_name(label_names, "quantile"),
                "promcxx::quantile_summary: the label name quantile is reserved for the quantiles");
  static_assert(Objectives::size > 0, "promcxx::quantile_summary: the third argument is promcxx::objectives<...>");

 public:
  static constexpr std::size_t label_count = label_names.size();

  explicit quantile_summary(registry& reg = default_registry()) {
    if constexpr (label_count == 0) unlabelled_ = make_series();
    reg.add(*this);
  }

  /// Records `v` (unlabelled summaries). NaN breaks the contract and is ignored.
  void observe(double v) {
    static_assert(label_count == 0, "promcxx::quantile_summary: a labelled summary is observed through labels(...)");
    unlabelled_->observe(v);
  }

  /// The series for these label values, created on first use (allocates
  /// then); cache the handle on hot paths.
  template <class... Values>
    requires(sizeof...(Values) == label_count && (std::is_convertible_v<const Values&, std::string_view> && ...))
  [[nodiscard]] quantile_summary_handle labels(const Values&... values) {
    std::array<std::string, label_count> key{std::string(std::string_view(values))...};
    for (const auto& v : key)
      if (!detail::is_valid_utf8(v)) PROMCXX_THROW(std::invalid_argument("promcxx::quantile_summary: label value is not valid UTF-8"));
    std::lock_guard lock{series_mutex_};
    auto& slot = series_[key];
    if (!slot) slot = make_series();
    return quantile_summary_handle{slot.get()};
  }

  /// The current quantiles of the unlabelled series, in objective order, then count and sum.
  struct reading {
    std::array<double, Objectives::size> quantiles;
    std::uint64_t count;
    double sum;
  };
  [[nodiscard]] reading read() {
    static_assert(label_count == 0, "promcxx::quantile_summary: read() is for unlabelled summaries");
    reading r{};
    unlabelled_->read(Objectives::quantiles, r.quantiles, r.count, r.sum);
    return r;
  }

  void collect(collect_sink& sink) const override { emit(sink); }

 private:
  static std::unique_ptr<detail::quantile_series> make_series() {
    return std::make_unique<detail::quantile_series>(Objectives::targets, std::chrono::seconds(window_seconds),
                                                     window_buckets);
  }

  template <class Sink>
  void emit(Sink& sink) const {
    std::array<double, Objectives::size> values{};
    std::uint64_t count = 0;
    double sum = 0;
    std::array<label_pair, label_count> pairs{};
    const auto one = [&](detail::quantile_series& s) {
      s.read(Objectives::quantiles, values, count, sum);
      if constexpr (detail::sink_with_quantiles<Sink>) sink.summary_sample(pairs, count, sum, values);
      else sink.summary_sample(pairs, count, sum);  // hook missing: _sum and _count only
    };
    bool open = false;
    if constexpr (detail::sink_with_quantiles<Sink>) {
      open = sink.summary_family(Name.view(), Help.view(), Objectives::quantiles);
    } else {
      open = sink.family(Name.view(), Help.view(), metric_type::summary);
    }
    if (!open) return;
    if constexpr (label_count == 0) {
      one(*unlabelled_);
    } else {
      std::lock_guard lock{series_mutex_};
      for (const auto& [key, series] : series_) {
        for (std::size_t i = 0; i < label_count; ++i) pairs[i] = {label_names[i], key[i]};
        one(*series);
      }
    }
  }

  std::unique_ptr<detail::quantile_series> unlabelled_;
  mutable std::mutex series_mutex_;
  std::map<std::array<std::string, label_count>, std::unique_ptr<detail::quantile_series>> series_;
};

} // namespace promcxx

#endif // PROMCXX_QUANTILE_SUMMARY_HPP
