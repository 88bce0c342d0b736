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
// Cost: an observation is appended, without a lock, to a small ring owned by
// the observing thread; batches of 2048 are sorted (radix) and merged into
// each age bucket's stream gap by gap, not value by value (detail/ckms.hpp).
// bench/peers_bench.cpp measures it next to a histogram's observe (3-4x).
// None is ever lost: scrapes drain every ring first, and `_count` is exact.
// Memory per series: about 21 KB (the batch and 8 rings) plus the streams
// (typically under 100 tuples of 24 bytes each).
#ifndef PROMCXX_QUANTILE_SUMMARY_HPP
#define PROMCXX_QUANTILE_SUMMARY_HPP

#include <algorithm>
#include <array>
#include <atomic>
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
#include "options.hpp"  // max_series
#include "detail/ckms.hpp"
#include "detail/peer_options.hpp"
#include "detail/rules.hpp"  // default_max_series
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

/// A small number per live thread, reused after the thread exits, so that a
/// thread pool keeps finding the lanes it claimed (see quantile_series).
class thread_tokens {
 public:
  /// Given to observations made while the thread exits, after its token went
  /// back to the pool (from another thread_local's destructor): no lane is
  /// ever claimed with it, so they take the locked path.
  static constexpr std::uint32_t exited = 0xffff'ffffu;

  [[nodiscard]] static std::uint32_t current() {
    // Constant-initialized, so reading it costs no guard check on the hot path.
    static thread_local std::uint32_t token = 0;
    if (token == 0) [[unlikely]] token = claim(token);
    return token;
  }

 private:
  struct pool {
    std::mutex mutex;
    std::vector<std::uint32_t> free;
    std::uint32_t next = 1;
  };
  // Never destroyed: threads may exit after static destruction began.
  static pool& the_pool() {
    static pool* p = new pool;
    return *p;
  }
  struct returner {
    std::uint32_t* slot = nullptr;
    ~returner() {
      if (slot == nullptr) return;
      const std::uint32_t token = *slot;
      *slot = exited;
      auto& p = the_pool();
      std::lock_guard lock{p.mutex};
      p.free.push_back(token);  // the mutex orders this thread's last writes before the next owner's
    }
  };
  static std::uint32_t claim(std::uint32_t& slot) {
    auto& p = the_pool();
    std::uint32_t t = 0;
    {
      std::lock_guard lock{p.mutex};
      if (p.free.empty()) {
        t = p.next++;
      } else {
        t = p.free.back();
        p.free.pop_back();
      }
    }
    static thread_local returner r;
    r.slot = &slot;
    return t;
  }
};

/// One series: lifetime count and sum, and the windowed quantile streams.
///
/// An observation goes to a lane: a small single-producer ring that belongs
/// to one thread (the first to find it free), so the common observe is a
/// plain store and a release store, no lock and no read-modify-write. A thread
/// whose lane is full or taken takes the series mutex, drains every lane into
/// the batch and adds its value there. Every batch_size values, and at each
/// read, the batch is sorted and merged into each age bucket's stream
/// (detail/ckms.hpp). Reads drain the lanes first: nothing observed before a
/// scrape is missing from it, and `_count` is exact.
class quantile_series {
 public:
  using clock = std::chrono::steady_clock;
  static constexpr std::size_t lane_count = 8;
  static constexpr std::uint32_t lane_size = 64;
  static constexpr std::size_t batch_size = 2048;

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
    const std::uint32_t token = thread_tokens::current();
    lane& l = lanes_[token % lane_count];
    if (l.owner.load(std::memory_order_relaxed) == token) {
      const std::uint32_t head = l.head.load(std::memory_order_relaxed);
      // acquire: the drainer has read the slots it released
      if (head - l.tail.load(std::memory_order_acquire) < lane_size) {
        l.ring[head % lane_size] = v;
        l.head.store(head + 1, std::memory_order_release);  // publishes the slot to the drainer
        return;
      }
    }
    observe_locked(v, token, l);
  }

  /// Writes the quantiles of the window (NaN when it is empty) and the lifetime totals.
  void read(std::span<const double> quantiles, std::span<double> values, std::uint64_t& count, double& sum,
            clock::time_point now = clock::now()) {
    std::lock_guard lock{mutex_};
    drain(now);
    flush(now);
    const auto& head = streams_[head_];
    for (std::size_t i = 0; i < quantiles.size(); ++i) values[i] = head.query(quantiles[i]);
    count = count_;
    sum = sum_;
  }

  /// For tests: an observation at a chosen time (steady clock).
  void observe_at(double v, clock::time_point now) {
    std::lock_guard lock{mutex_};
    drain(now);
    append(&v, 1, now);
    flush(now);
  }

 private:
  struct alignas(64) lane {
    std::atomic<std::uint32_t> owner{0};  // thread token, 0 while unclaimed; never changes once set
    std::atomic<std::uint32_t> head{0};   // written by the owner only
    alignas(64) std::atomic<std::uint32_t> tail{0};  // written by drainers only, under the series mutex
    std::array<double, lane_size> ring{};
  };

  void observe_locked(double v, std::uint32_t token, lane& l) {
    std::uint32_t unclaimed = 0;
    if (token != thread_tokens::exited && l.owner.load(std::memory_order_relaxed) == 0)
      l.owner.compare_exchange_strong(unclaimed, token, std::memory_order_relaxed);
    std::lock_guard lock{mutex_};
    drain(read_clock);
    append(&v, 1, read_clock);
  }

  /// Stands for "the clock's time when it is needed": most drains never flush.
  static constexpr clock::time_point read_clock = clock::time_point::min();

  void drain(clock::time_point now) {
    for (auto& l : lanes_) {
      const std::uint32_t head = l.head.load(std::memory_order_acquire);
      std::uint32_t tail = l.tail.load(std::memory_order_relaxed);
      while (tail != head) {
        // The contiguous part of the ring, as far as the batch has room.
        const std::uint32_t at = tail % lane_size;
        const auto n = std::min<std::size_t>(std::min(head - tail, lane_size - at), batch_size - batched_);
        append(&l.ring[at], n, now);
        tail += static_cast<std::uint32_t>(n);
      }
      l.tail.store(tail, std::memory_order_release);  // the owner may reuse the slots
    }
  }

  /// Adds values[0, n), n <= batch_size - batched_.
  void append(const double* values, std::size_t n, clock::time_point now) {
    // One running sum in observation order: a thread's values sum as they would one by one.
    double sum = sum_;
    std::uint64_t* out = batch_.data() + batched_;
    for (std::size_t i = 0; i < n; ++i) {
      sum += values[i];
      out[i] = order_key(values[i]);
    }
    sum_ = sum;
    count_ += n;
    batched_ += n;
    if (batched_ == batch_size) flush(now);
  }

  void flush(clock::time_point now) {
    if (now == read_clock) now = clock::now();
    rotate(now);
    merge_batch();
  }

  void merge_batch() {
    if (batched_ == 0) return;
    // The sort's scratch is per thread, not per series: labelled summaries keep many series.
    static thread_local std::vector<std::uint64_t> scratch;
    if (scratch.size() < batch_size) scratch.resize(batch_size);  // once per flushing thread
    const std::span<std::uint64_t> batch{batch_.data(), batched_};
    sort_keys(batch, {scratch.data(), batched_});
    for (auto& s : streams_) s.insert_sorted(batch);
    batched_ = 0;
  }

  /// Resets the oldest stream each time a step has passed; after a long
  /// pause every stream is reset once and the schedule restarts from `now`.
  void rotate(clock::time_point now) {
    if (now < head_expires_) return;
    merge_batch();  // values still batched belong to the window that is ending
    for (std::size_t i = 0; i < streams_.size() && now >= head_expires_; ++i) {
      streams_[head_].reset();
      head_ = (head_ + 1) % streams_.size();
      head_expires_ += step_;
    }
    if (now >= head_expires_) head_expires_ = now + step_;
  }

  std::array<lane, lane_count> lanes_{};
  std::mutex mutex_;
  std::uint64_t count_ = 0;
  double sum_ = 0;
  std::array<std::uint64_t, batch_size> batch_{};  // order keys
  std::size_t batched_ = 0;
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

namespace detail {

/// The cap of `max_series<N>` among Options, else the metric core's default.
template <class... Options>
struct find_max_series {
  static constexpr std::size_t value = default_max_series;
};
template <std::size_t N, class... Rest>
struct find_max_series<max_series<N>, Rest...> {
  static constexpr std::size_t value = N;
};
template <class First, class... Rest>
struct find_max_series<First, Rest...> : find_max_series<Rest...> {};

/// Orders label-value keys and looks them up by string_view without building strings.
struct label_key_less {
  using is_transparent = void;
  template <class A, class B>
  bool operator()(const A& a, const B& b) const noexcept {
    return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(),
                                        [](const auto& x, const auto& y) { return std::string_view(x) < std::string_view(y); });
  }
};

} // namespace detail

/// A handle to one series of a quantile_summary (cacheable). After the series
/// is removed its handles still work but write to a series no scrape shows.
class quantile_summary_handle {
 public:
  explicit quantile_summary_handle(std::shared_ptr<detail::quantile_series> s) noexcept : series_(std::move(s)) {}
  void observe(double v) { series_->observe(v); }

 private:
  std::shared_ptr<detail::quantile_series> series_;
};

/// Summary with quantile objectives. Options: `labels<...>` (never
/// `quantile`), `max_age<seconds>`, `age_buckets<n>`, `max_series<n>` (as for
/// the other metrics: label sets past the cap, or with a label value that is
/// not valid UTF-8, share one series whose label values are
/// `__promcxx_overflow__`; default 1024). Registers in the constructor
/// (default registry without an argument).
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
  /// Most distinct label sets kept (max_series<n>, default 1024).
  static constexpr std::size_t max_series_count = detail::find_max_series<Options...>::value;

  explicit quantile_summary(registry& reg = default_registry()) {
    if constexpr (label_count == 0) unlabelled_ = make_series();
    reg.add(*this);
  }

  /// Records `v` (unlabelled summaries). NaN is bad data: counted, not recorded.
  void observe(double v) {
    static_assert(label_count == 0, "promcxx::quantile_summary: a labelled summary is observed through labels(...)");
    unlabelled_->observe(v);
  }

  /// The series for these label values, created on first use (allocates
  /// then; a lookup of an existing series does not); cache the handle on hot
  /// paths. Past max_series, or for a value that is not valid UTF-8, the
  /// overflow series.
  template <class... Values>
    requires(sizeof...(Values) == label_count && (std::is_convertible_v<const Values&, std::string_view> && ...))
  [[nodiscard]] quantile_summary_handle labels(const Values&... values) {
    const std::array<std::string_view, label_count> key{std::string_view(values)...};
    bool valid = true;
    bool all_overflow = label_count > 0;
    for (const auto v : key) {
      valid = valid && detail::is_valid_utf8(v);
      all_overflow = all_overflow && v == overflow_label_value;
    }
    std::lock_guard lock{series_mutex_};
    if (!valid || all_overflow) [[unlikely]] {
      if (!valid) {
        ++rejected_;
        PROMCXX_BAD_DATA(detail::bad_data::label_value, "quantile_summary: label values must be valid UTF-8");
      }
      return quantile_summary_handle{overflow_locked()};
    }
    if (const auto it = series_.find(key); it != series_.end()) return quantile_summary_handle{it->second};
    if (series_.size() >= max_series_count) {
      ++rejected_;
      return quantile_summary_handle{overflow_locked()};
    }
    std::array<std::string, label_count> owned;
    for (std::size_t i = 0; i < label_count; ++i) owned[i] = std::string(key[i]);
    auto series = make_series();
    series_.emplace(std::move(owned), series);
    return quantile_summary_handle{std::move(series)};
  }

  /// Removes the series with these label values; false when there is none.
  /// Its handles still work but what they record is shown nowhere.
  template <class... Values>
    requires(std::is_convertible_v<const Values&, std::string_view> && ...)
  bool remove(const Values&... values) {
    static_assert(label_count > 0, "promcxx::quantile_summary: an unlabelled summary has no series to remove");
    static_assert(sizeof...(Values) == label_count,
                  "promcxx::quantile_summary: remove(...) takes exactly one value per declared label name");
    const std::array<std::string_view, label_count> key{std::string_view(values)...};
    std::lock_guard lock{series_mutex_};
    const auto it = series_.find(key);
    if (it == series_.end()) return false;
    series_.erase(it);
    return true;
  }

  /// Removes every series (and resets the overflow series).
  void clear() {
    static_assert(label_count > 0, "promcxx::quantile_summary: an unlabelled summary has no series to remove");
    std::lock_guard lock{series_mutex_};
    series_.clear();
    overflow_.reset();
  }

  /// Keeps the series for which `keep(std::span<const std::string_view> label_values)`
  /// is true; returns how many were removed. `keep` must not call back into this summary.
  template <class Predicate>
  std::size_t retain_if(Predicate&& keep) {
    static_assert(label_count > 0, "promcxx::quantile_summary: an unlabelled summary has no series to remove");
    std::lock_guard lock{series_mutex_};
    std::size_t removed = 0;
    std::array<std::string_view, label_count> values{};
    for (auto it = series_.begin(); it != series_.end();) {
      for (std::size_t i = 0; i < label_count; ++i) values[i] = it->first[i];
      if (keep(std::span<const std::string_view>(values))) {
        ++it;
      } else {
        it = series_.erase(it);
        ++removed;
      }
    }
    return removed;
  }

  /// Series exposed now (the overflow series included once used).
  [[nodiscard]] std::size_t series_count() const {
    if constexpr (label_count == 0) {
      return 1;
    } else {
      std::lock_guard lock{series_mutex_};
      return series_.size() + (overflow_ ? 1 : 0);
    }
  }
  /// Label sets refused so far (past the cap, or not valid UTF-8).
  [[nodiscard]] std::uint64_t rejected() const {
    std::lock_guard lock{series_mutex_};
    return rejected_;
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

 protected:
  series_refusals refused_series() const override { return {Name.view(), rejected()}; }

 private:
  static std::shared_ptr<detail::quantile_series> make_series() {
    return std::make_shared<detail::quantile_series>(Objectives::targets, std::chrono::seconds(window_seconds),
                                                     window_buckets);
  }

  std::shared_ptr<detail::quantile_series> overflow_locked() {
    if (!overflow_) overflow_ = make_series();
    return overflow_;
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
      if (overflow_) {
        for (std::size_t i = 0; i < label_count; ++i) pairs[i] = {label_names[i], overflow_label_value};
        one(*overflow_);
      }
    }
  }

  std::shared_ptr<detail::quantile_series> unlabelled_;
  mutable std::mutex series_mutex_;
  std::map<std::array<std::string, label_count>, std::shared_ptr<detail::quantile_series>, detail::label_key_less> series_;
  std::shared_ptr<detail::quantile_series> overflow_;  // made on first use
  std::uint64_t rejected_ = 0;
};

} // namespace promcxx

#endif // PROMCXX_QUANTILE_SUMMARY_HPP
