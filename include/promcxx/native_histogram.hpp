// promcxx: native (sparse exponential) histograms.
//
// A native histogram needs no bucket choice: bucket i of schema s covers
// (2^((i-1)/2^s), 2^(i/2^s)] in magnitude, negative values mirror it, and
// |v| <= zero_threshold goes to one zero bucket. Prometheus 2.42 ingests them
// with --enable-feature=native-histograms, over the protobuf format only
// (protobuf.hpp); text and OpenMetrics show the classic buckets (if any),
// _sum and _count.
//
// Storage, per series (the design of client_golang, with fixed arrays):
// - Two halves, hot and cold. An observer increments `count_and_hot_` (its
//   top bit names the hot half) and records into that half, the bucket (or
//   zero bucket) increment last. A scrape flips the bit and waits until the
//   old half's buckets add up to the observations started in it. Both halves accumulate; the
//   new hot half still holds what it held when it last went cold, which the
//   previous scrape copied, so a reading is the quiet half plus that copy:
//   _count, the zero bucket and every bucket add up exactly, with plain
//   loads. Observers never wait for a scrape; a scrape hands the quiet
//   half's span to the hot one, so repeated values stay lock-free.
// - Bucket counters of one sign live in a ring of `max_buckets` atomics
//   indexed by bucket index modulo the ring size, valid while the indices
//   seen span fewer than `max_buckets`. Growing the span within the ring is a
//   rare locked step that moves nothing, so once a series' range was seen an
//   observation takes no lock and allocates nothing.
// - An index outside the ring goes to a locked overflow list; then the schema
//   is reduced (bucket pairs merged, as client_golang's
//   NativeHistogramMaxBucketNumber does) until the span fits, or, with a
//   min_reset_interval, the series is reset once that interval has passed.
//   max_buckets therefore bounds the index span per sign, which is at least
//   the number of populated buckets client_golang counts.
// - NaN breaks the observe contract (PROMCXX_ASSERT) and is ignored, as for
//   classic histograms (client_golang counts it in _count but in no bucket).
#ifndef PROMCXX_NATIVE_HISTOGRAM_HPP
#define PROMCXX_NATIVE_HISTOGRAM_HPP

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>      // std::bit_cast
#include <chrono>
#include <cmath>    // std::frexp, std::exp2l, std::isnan, std::isinf
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>   // std::this_thread::yield while a scrape waits for observers
#include <type_traits>
#include <utility>
#include <vector>

#include "buckets.hpp"
#include "config.hpp"
#include "fixed_string.hpp"
#include "names.hpp"
#include "options.hpp"
#include "collect.hpp"  // collect_sink, registry::collect
#include "snapshot.hpp"

namespace promcxx {

/// Runtime settings of a native histogram.
struct native_histogram_options {
  int schema = 3;                                  ///< resolution -4..8: 2^schema buckets per power of two
  double zero_threshold = 0x1p-128;                ///< |v| <= this counts in the zero bucket (client_golang's default)
  std::uint32_t max_buckets = 160;                 ///< most bucket indices one sign may span (>= 136)
  std::chrono::seconds min_reset_interval{0};      ///< 0: always reduce the schema; else reset when this old
  std::vector<double> classic_bounds{};            ///< classic buckets exposed alongside (may be empty)
};

namespace detail::native {

inline constexpr std::uint64_t hot_bit = std::uint64_t{1} << 63;
/// Schema -4 needs 134 indices for all doubles, so a span this wide always fits.
inline constexpr std::uint32_t min_ring = 136;

/// frac bounds of schema s > 0: 2^(j/2^s - 1), j = 0..2^s-1, correctly rounded
/// (computed in long double, whose extra bits make the one rounding exact here).
inline const double* frac_bounds(int schema) noexcept {
  struct tables {
    std::array<double, 510> all{};  // schema 1..8: 2 + 4 + ... + 256
    tables() noexcept {
      std::size_t at = 0;
      for (int s = 1; s <= 8; ++s) {
        const int n = 1 << s;
        for (int j = 0; j < n; ++j) all[at++] = static_cast<double>(std::exp2l(static_cast<long double>(j) / n - 1.0L));
      }
    }
  };
  static const tables t;
  return t.all.data() + ((1u << schema) - 2);
}

/// Bucket index of a magnitude m > 0 (finite) under `schema`, by Go's rules:
/// Frexp, then the frac table for schema > 0 or exponent arithmetic otherwise.
inline std::int32_t bucket_index_finite(double m, int schema) noexcept {
  int exp = 0;
  double frac = 0;
  const auto bits = std::bit_cast<std::uint64_t>(m);
  if (const auto biased = static_cast<int>(bits >> 52); biased != 0) [[likely]] {
    // Frexp of a normal number from its bits: a libm call costs more than the rest.
    exp = biased - 1022;
    frac = std::bit_cast<double>((bits & 0x000f'ffff'ffff'ffffULL) | 0x3fe0'0000'0000'0000ULL);
  } else {
    frac = std::frexp(m, &exp);  // subnormal
  }
  if (schema > 0) {
    const int n = 1 << schema;
    const double* b = frac_bounds(schema);
    int i = 0;  // first bound >= frac
    if (n <= 16) {
      for (int j = 0; j < n; ++j) i += static_cast<int>(b[j] < frac);  // branch-free for small tables
    } else {
      i = static_cast<int>(std::lower_bound(b, b + n, frac) - b);
    }
    return i + (exp - 1) * n;
  }
  int key = exp;
  if (frac == 0.5) --key;
  const int offset = (1 << -schema) - 1;
  return (key + offset) >> -schema;  // arithmetic shift: floor division
}

/// Index one schema lower: buckets 2k-1 and 2k merge into k.
constexpr std::int32_t halve_index(std::int32_t key) noexcept { return (key + 1) >> 1; }

inline void add_double(std::atomic<std::uint64_t>& bits, double v) noexcept {
  auto old = bits.load(std::memory_order_relaxed);
  while (!bits.compare_exchange_weak(old, std::bit_cast<std::uint64_t>(std::bit_cast<double>(old) + v),
                                     std::memory_order_relaxed)) {
  }
}

/// Bucket counters of one sign in one half.
struct side {
  std::atomic<std::int32_t> lo{std::numeric_limits<std::int32_t>::max()};  // empty while lo > hi
  std::atomic<std::int32_t> hi{std::numeric_limits<std::int32_t>::min()};
  std::atomic<std::atomic<std::uint64_t>*> ring{nullptr};
  std::atomic<std::int32_t> anchor{0};  // index of slot 0; set when the span starts, so no division is needed
  std::unique_ptr<std::atomic<std::uint64_t>[]> ring_owner;
  std::vector<std::pair<std::int32_t, std::uint64_t>> overflow;  // grow_mutex; indices outside the ring
};

struct half {
  std::atomic<std::uint64_t> sum_bits{0};
  std::atomic<std::uint64_t> zero{0};
  std::atomic<std::int32_t> schema{0};
  side positive, negative;
  std::unique_ptr<std::atomic<std::uint64_t>[]> classic;  // non-cumulative, bound count + 1
};

} // namespace detail::native

/// Bucket index of `v` under `schema` as client_golang computes it (sign
/// ignored; +-Inf lands one past the largest finite double's bucket). Not for
/// NaN or zero.
inline std::int32_t native_bucket_index(double v, int schema) noexcept {
  const double m = std::fabs(v);
  if (std::isinf(m)) return detail::native::bucket_index_finite(std::numeric_limits<double>::max(), schema) + 1;
  return detail::native::bucket_index_finite(m, schema);
}

/// One native histogram series: `observe` is lock-free and allocation-free
/// once the series has seen its bucket range. Obtain it from a family.
class native_histogram_series {
 public:
  explicit native_histogram_series(const native_histogram_options& options) : options_(&options) {
    for (auto& h : halves_) {
      h.schema.store(options.schema, std::memory_order_relaxed);
      if (!options.classic_bounds.empty())
        h.classic = std::make_unique<std::atomic<std::uint64_t>[]>(options.classic_bounds.size() + 1);
    }
    reset_time_ = std::chrono::steady_clock::now();
    created_ = detail::now_seconds();
    other_.classic.assign(options.classic_bounds.size() + 1, 0);
  }
  native_histogram_series(const native_histogram_series&) = delete;
  native_histogram_series& operator=(const native_histogram_series&) = delete;

  /// Records `v`. NaN breaks the contract (PROMCXX_ASSERT) and is otherwise ignored.
  void observe(double v) {
    if (std::isnan(v)) [[unlikely]] {
      PROMCXX_BAD_DATA(detail::bad_data::observation_nan, "native histogram observations must not be NaN");
      return;
    }
    const auto n = count_and_hot_.fetch_add(1, std::memory_order_acq_rel);
    record(halves_[n >> 63], v);
    if (needs_reduction_.load(std::memory_order_relaxed)) [[unlikely]] reduce();
  }

  /// Current schema (it only decreases, or returns to the configured one on reset).
  [[nodiscard]] int schema() const noexcept {
    return halves_[count_and_hot_.load(std::memory_order_acquire) >> 63].schema.load(std::memory_order_relaxed);
  }

  /// A consistent copy of the series: count == zero_count + all buckets.
  struct reading {
    std::uint64_t count = 0;
    double sum = 0;
    int schema = 0;
    std::uint64_t zero_count = 0;
    std::int32_t positive_first = 0;
    std::vector<std::uint64_t> positive;  // dense from positive_first
    std::int32_t negative_first = 0;
    std::vector<std::uint64_t> negative;
    std::vector<std::uint64_t> classic;  // cumulative, one per bound then +Inf
    double created = 0;
    std::vector<std::uint64_t> scratch;  // reused by read()
  };

  /// Takes a consistent reading (what a scrape exposes); `out`'s capacity is reused.
  //
  // Both halves accumulate. The half just made cold is quiet; the other one,
  // now hot, holds what it held when it went cold at the previous reading,
  // which `other_` copied then. So reading = cold + other_, with plain loads,
  // and other_ becomes a copy of cold for the next reading.
  void read(reading& out) const {
    std::lock_guard lock{mutex_};
    if (needs_reduction_.load(std::memory_order_relaxed)) reduce_locked();
    const half& cold = flip();
    copy& prev = other_;
    const double sum = std::bit_cast<double>(cold.sum_bits.load(std::memory_order_relaxed));
    const std::uint64_t zero = cold.zero.load(std::memory_order_relaxed);
    std::uint64_t count = zero;  // an observation's last step is its bucket's increment
    out.sum = sum + prev.sum;
    out.schema = cold.schema.load(std::memory_order_relaxed);
    out.zero_count = zero + prev.zero;
    prev.sum = sum;
    prev.zero = zero;
    const auto side_of = [&](const side& s, std::int32_t& first, std::vector<std::uint64_t>& combined,
                             std::int32_t& prev_first, std::vector<std::uint64_t>& prev_counts) {
      std::int32_t mine_first = 0;
      dense(s, mine_first, out.scratch);
      for (const auto c : out.scratch) count += c;
      add_dense(mine_first, out.scratch, prev_first, prev_counts, first, combined);
      prev_first = mine_first;
      prev_counts.assign(out.scratch.begin(), out.scratch.end());
    };
    side_of(cold.positive, out.positive_first, out.positive, prev.positive_first, prev.positive);
    side_of(cold.negative, out.negative_first, out.negative, prev.negative_first, prev.negative);
    out.count = count + prev.count;
    prev.count = count;
    {
      // The hot half takes over the cold one's span (and ring), so observers
      // stay on the lock-free path when values repeat after the flip.
      half& hot = halves_[count_and_hot_.load(std::memory_order_relaxed) >> 63];
      std::lock_guard grow{grow_mutex_};
      widen(hot.positive, cold.positive);
      widen(hot.negative, cold.negative);
    }
    out.classic.clear();
    if (cold.classic) {
      std::uint64_t running = 0;
      for (std::size_t i = 0; i <= options_->classic_bounds.size(); ++i) {
        const auto c = cold.classic[i].load(std::memory_order_relaxed);
        out.classic.push_back(running += c + prev.classic[i]);
        prev.classic[i] = c;
      }
    } else {
      out.classic.push_back(out.count);
    }
    out.created = created_;
  }

 private:
  using half = detail::native::half;
  using side = detail::native::side;

  /// Plain copy of a quiet half (see read()).
  struct copy {
    std::uint64_t count = 0;
    double sum = 0;
    std::uint64_t zero = 0;
    std::int32_t positive_first = 0;
    std::vector<std::uint64_t> positive;
    std::int32_t negative_first = 0;
    std::vector<std::uint64_t> negative;
    std::vector<std::uint64_t> classic;
    void clear() {
      count = zero = 0;
      sum = 0;
      positive.clear();
      negative.clear();
      std::fill(classic.begin(), classic.end(), 0);
    }
  };

  // out = a + b for dense runs starting at a_first and b_first.
  static void add_dense(std::int32_t a_first, const std::vector<std::uint64_t>& a, std::int32_t b_first,
                        const std::vector<std::uint64_t>& b, std::int32_t& first, std::vector<std::uint64_t>& out) {
    out.clear();
    if (a.empty() && b.empty()) return void(first = 0);
    if (a.empty() || b.empty()) {
      first = a.empty() ? b_first : a_first;
      return out.assign(a.empty() ? b.begin() : a.begin(), a.empty() ? b.end() : a.end());
    }
    const std::int64_t lo = std::min(a_first, b_first);
    const std::int64_t hi = std::max<std::int64_t>(a_first + static_cast<std::int64_t>(a.size()),
                                                   b_first + static_cast<std::int64_t>(b.size()));
    first = static_cast<std::int32_t>(lo);
    out.assign(static_cast<std::size_t>(hi - lo), 0);
    for (std::size_t i = 0; i < a.size(); ++i) out[static_cast<std::size_t>(a_first - lo) + i] += a[i];
    for (std::size_t i = 0; i < b.size(); ++i) out[static_cast<std::size_t>(b_first - lo) + i] += b[i];
  }

  [[nodiscard]] std::uint32_t ring_size() const noexcept { return options_->max_buckets; }
  [[nodiscard]] std::size_t slot(const side& s, std::int32_t key) const noexcept {
    const auto w = static_cast<std::int64_t>(ring_size());
    const std::int64_t d = static_cast<std::int64_t>(key) - s.anchor.load(std::memory_order_relaxed);
    if (static_cast<std::uint64_t>(d) < static_cast<std::uint64_t>(w)) [[likely]] return static_cast<std::size_t>(d);
    return static_cast<std::size_t>(((d % w) + w) % w);
  }

  void record(half& h, double v) {
    detail::native::add_double(h.sum_bits, v);
    if (h.classic) {
      const auto& b = options_->classic_bounds;
      h.classic[static_cast<std::size_t>(std::lower_bound(b.begin(), b.end(), v) - b.begin())].fetch_add(
          1, std::memory_order_relaxed);
    }
    const double threshold = options_->zero_threshold;
    // +-Inf act as +-max for the zero test (as in client_golang); v is not NaN here.
    // The bucket (or zero) increment comes last and releases the rest: a
    // scrape counts an observation as complete when it sees this increment.
    if (v <= threshold && v >= -threshold) {
      h.zero.fetch_add(1, std::memory_order_release);
      return;
    }
    const int schema = h.schema.load(std::memory_order_relaxed);
    const std::int32_t key = native_bucket_index(v, schema);
    side& s = v > 0 ? h.positive : h.negative;
    // lo/hi are published after the ring, so a key inside them has a ring slot.
    if (key >= s.lo.load(std::memory_order_acquire) && key <= s.hi.load(std::memory_order_acquire)) [[likely]] {
      s.ring.load(std::memory_order_relaxed)[slot(s, key)].fetch_add(1, std::memory_order_release);
      return;
    }
    std::lock_guard lock{grow_mutex_};
    add_locked(s, key, 1);
  }

  // Under grow_mutex_: counts `n` at `key`, widening the ring's span if it still
  // fits, else parking the count in the overflow list and asking for a reduction.
  void add_locked(side& s, std::int32_t key, std::uint64_t n) const {
    auto* ring = s.ring.load(std::memory_order_relaxed);
    if (ring == nullptr) {
      s.ring_owner = std::make_unique<std::atomic<std::uint64_t>[]>(ring_size());
      ring = s.ring_owner.get();
      s.ring.store(ring, std::memory_order_release);
    }
    const auto lo = s.lo.load(std::memory_order_relaxed);
    const auto hi = s.hi.load(std::memory_order_relaxed);
    if (lo > hi) s.anchor.store(key - static_cast<std::int32_t>(ring_size() / 2), std::memory_order_relaxed);
    const std::int64_t new_lo = lo > hi ? key : std::min(lo, key);
    const std::int64_t new_hi = lo > hi ? key : std::max(hi, key);
    if (new_hi - new_lo < static_cast<std::int64_t>(ring_size())) {
      // The new indices' slots were used by no index of the old span: nothing moves.
      ring[slot(s, key)].fetch_add(n, std::memory_order_release);
      s.lo.store(static_cast<std::int32_t>(new_lo), std::memory_order_release);
      s.hi.store(static_cast<std::int32_t>(new_hi), std::memory_order_release);
      return;
    }
    for (auto& [k, c] : s.overflow)
      if (k == key) return void(c += n);
    s.overflow.emplace_back(key, n);
    needs_reduction_.store(true, std::memory_order_relaxed);
  }

  // Under grow_mutex_: extends `to`'s span by `from`'s where the ring allows.
  void widen(side& to, const side& from) const {
    const auto from_lo = from.lo.load(std::memory_order_relaxed), from_hi = from.hi.load(std::memory_order_relaxed);
    if (from_lo > from_hi) return;
    if (to.ring.load(std::memory_order_relaxed) == nullptr) {
      to.ring_owner = std::make_unique<std::atomic<std::uint64_t>[]>(ring_size());
      to.ring.store(to.ring_owner.get(), std::memory_order_release);
    }
    const auto lo = to.lo.load(std::memory_order_relaxed), hi = to.hi.load(std::memory_order_relaxed);
    if (lo > hi) to.anchor.store(from_lo - static_cast<std::int32_t>(ring_size() / 2), std::memory_order_relaxed);
    const std::int64_t new_lo = lo > hi ? from_lo : std::min(lo, from_lo);
    const std::int64_t new_hi = lo > hi ? from_hi : std::max(hi, from_hi);
    if (new_hi - new_lo >= static_cast<std::int64_t>(ring_size())) return;  // the slow path sorts it out
    // Slots of the new indices were used by no index of the old span: they hold 0.
    to.lo.store(static_cast<std::int32_t>(new_lo), std::memory_order_release);
    to.hi.store(static_cast<std::int32_t>(new_hi), std::memory_order_release);
  }

  // Completed observations of a half: each one ends by incrementing exactly
  // one counter (zero, ring or overflow), and they only grow.
  std::uint64_t completed(const half& h) const {
    std::uint64_t total = h.zero.load(std::memory_order_acquire);
    for (const side* s : {&h.positive, &h.negative}) {
      std::lock_guard lock{grow_mutex_};  // lo/hi and overflow settle together
      const auto* ring = s->ring.load(std::memory_order_acquire);
      const auto lo = s->lo.load(std::memory_order_acquire), hi = s->hi.load(std::memory_order_acquire);
      for (std::int64_t k = lo; ring != nullptr && k <= hi; ++k)
        total += ring[slot(*s, static_cast<std::int32_t>(k))].load(std::memory_order_acquire);
      for (const auto& e : s->overflow) total += e.second;
    }
    return total;
  }

  void wait_for(const half& h, std::uint64_t started) const {
    while (completed(h) != started) std::this_thread::yield();
  }

  // Buckets of a quiesced side as (index, count), ring and overflow.
  void entries(const side& s, std::vector<std::pair<std::int32_t, std::uint64_t>>& out) const {
    out.clear();
    const auto* ring = s.ring.load(std::memory_order_relaxed);
    const auto lo = s.lo.load(std::memory_order_relaxed), hi = s.hi.load(std::memory_order_relaxed);
    for (std::int64_t k = lo; ring != nullptr && k <= hi; ++k)
      if (const auto c = ring[slot(s, static_cast<std::int32_t>(k))].load(std::memory_order_relaxed); c != 0)
        out.emplace_back(static_cast<std::int32_t>(k), c);
    std::lock_guard lock{grow_mutex_};
    out.insert(out.end(), s.overflow.begin(), s.overflow.end());
  }

  void dense(const side& s, std::int32_t& first, std::vector<std::uint64_t>& out) const {
    entries(s, scratch_);
    out.clear();
    first = 0;
    if (scratch_.empty()) return;
    std::int32_t lo = scratch_.front().first, hi = lo;
    for (const auto& [k, c] : scratch_) lo = std::min(lo, k), hi = std::max(hi, k);
    first = lo;
    out.assign(static_cast<std::size_t>(static_cast<std::int64_t>(hi) - lo + 1), 0);
    for (const auto& [k, c] : scratch_) out[static_cast<std::size_t>(k - lo)] += c;
  }

  // Zeroes a quiesced half (it keeps its rings).
  void clear(half& h) const {
    h.sum_bits.store(0, std::memory_order_relaxed);
    h.zero.store(0, std::memory_order_relaxed);
    for (side* s : {&h.positive, &h.negative}) {
      if (auto* ring = s->ring.load(std::memory_order_relaxed))  // only the span in use holds counts
        for (std::int64_t k = s->lo.load(std::memory_order_relaxed); k <= s->hi.load(std::memory_order_relaxed); ++k)
          ring[slot(*s, static_cast<std::int32_t>(k))].store(0, std::memory_order_relaxed);
      s->lo.store(std::numeric_limits<std::int32_t>::max(), std::memory_order_relaxed);
      s->hi.store(std::numeric_limits<std::int32_t>::min(), std::memory_order_relaxed);
      std::lock_guard lock{grow_mutex_};
      s->overflow.clear();
    }
    if (h.classic)
      for (std::size_t i = 0; i <= options_->classic_bounds.size(); ++i) h.classic[i].store(0, std::memory_order_relaxed);
  }

  // Adds quiesced `from` (same schema) into live `to`, then zeroes `from`.
  void merge_into(half& from, half& to) const {
    to.zero.fetch_add(from.zero.load(std::memory_order_relaxed), std::memory_order_relaxed);
    detail::native::add_double(to.sum_bits, std::bit_cast<double>(from.sum_bits.load(std::memory_order_relaxed)));
    if (from.classic)
      for (std::size_t i = 0; i <= options_->classic_bounds.size(); ++i)
        to.classic[i].fetch_add(from.classic[i].load(std::memory_order_relaxed), std::memory_order_relaxed);
    for (const auto which : {&half::positive, &half::negative}) {
      entries(from.*which, scratch_);
      if (scratch_.empty()) continue;
      side& target = to.*which;
      std::lock_guard lock{grow_mutex_};
      for (const auto& [k, c] : scratch_) {
        if (k >= target.lo.load(std::memory_order_relaxed) && k <= target.hi.load(std::memory_order_relaxed))
          target.ring.load(std::memory_order_relaxed)[slot(target, k)].fetch_add(c, std::memory_order_relaxed);
        else
          add_locked(target, k, c);
      }
    }
    clear(from);
  }

  // Re-buckets a quiesced half at a lower schema until each sign spans fewer than max_buckets.
  void reduce_half(half& h, int target) const {
    int schema = h.schema.load(std::memory_order_relaxed);
    std::vector<std::pair<std::int32_t, std::uint64_t>> kept[2];
    const side* sides[2] = {&h.positive, &h.negative};
    for (int i = 0; i < 2; ++i) {
      entries(*sides[i], scratch_);
      kept[i] = scratch_;
    }
    const auto span = [](const std::vector<std::pair<std::int32_t, std::uint64_t>>& v) {
      if (v.empty()) return std::int64_t{0};
      auto [lo, hi] = std::minmax_element(v.begin(), v.end());
      return static_cast<std::int64_t>(hi->first) - lo->first;
    };
    while (schema > target || (schema > -4 && (span(kept[0]) >= ring_size() || span(kept[1]) >= ring_size()))) {
      --schema;
      for (auto& v : kept)
        for (auto& e : v) e.first = detail::native::halve_index(e.first);
    }
    const auto sum = h.sum_bits.load(std::memory_order_relaxed);
    const auto zero = h.zero.load(std::memory_order_relaxed);
    std::vector<std::uint64_t> classic;
    if (h.classic)
      for (std::size_t i = 0; i <= options_->classic_bounds.size(); ++i)
        classic.push_back(h.classic[i].load(std::memory_order_relaxed));
    clear(h);
    h.sum_bits.store(sum, std::memory_order_relaxed);
    h.zero.store(zero, std::memory_order_relaxed);
    for (std::size_t i = 0; i < classic.size(); ++i) h.classic[i].store(classic[i], std::memory_order_relaxed);
    h.schema.store(schema, std::memory_order_relaxed);
    std::lock_guard lock{grow_mutex_};
    for (int i = 0; i < 2; ++i)
      for (const auto& [k, c] : kept[i]) add_locked(i == 0 ? h.positive : h.negative, k, c);
  }

  // Flips hot and cold; returns the new cold half once its observers are done.
  // Observations started so far are in the two halves; the cold one (quiet:
  // only we write it, under mutex_) holds `idle` of them, usually none.
  half& flip() const {
    const auto idle = completed(halves_[(count_and_hot_.load(std::memory_order_relaxed) >> 63) ^ 1]);
    const auto n = count_and_hot_.fetch_add(detail::native::hot_bit, std::memory_order_acq_rel);
    half& cold = halves_[n >> 63];
    wait_for(cold, (n & ~detail::native::hot_bit) - idle);
    return cold;
  }

  void reduce() {
    std::lock_guard lock{mutex_};
    if (needs_reduction_.load(std::memory_order_relaxed)) reduce_locked();
  }

  // Under mutex_. Both halves share one schema between calls; the cold one is
  // quiet but holds counts (read() keeps a copy of it in other_).
  void reduce_locked() const {
    {
      // Fold the cold half into the hot one: the steps below want it empty.
      half& hot = halves_[count_and_hot_.load(std::memory_order_relaxed) >> 63];
      merge_into(halves_[(count_and_hot_.load(std::memory_order_relaxed) >> 63) ^ 1], hot);
      other_.clear();  // the cold half is now empty, and so is its copy
    }
    const auto now = std::chrono::steady_clock::now();
    if (options_->min_reset_interval.count() > 0 && now - reset_time_ >= options_->min_reset_interval) {
      for (int round = 0; round < 2; ++round) {
        half& cold = flip();  // every observation so far is in `cold`; forget them
        count_and_hot_.fetch_sub(completed(cold), std::memory_order_acq_rel);
        clear(cold);
        cold.schema.store(options_->schema, std::memory_order_relaxed);
      }
      needs_reduction_.store(false, std::memory_order_relaxed);
      reset_time_ = now;
      created_ = detail::now_seconds();
      return;
    }
    for (int guard = 0; guard < 64 && needs_reduction_.load(std::memory_order_relaxed); ++guard) {
      needs_reduction_.store(false, std::memory_order_relaxed);
      const auto n = count_and_hot_.load(std::memory_order_relaxed);
      half* hot = &halves_[(n >> 63) ^ 1];  // zero: receives new observations one schema lower
      hot->schema.store(std::max(-4, hot->schema.load(std::memory_order_relaxed) - 1), std::memory_order_relaxed);
      half* cold = &flip();
      for (;;) {
        reduce_half(*cold, hot->schema.load(std::memory_order_relaxed));
        if (cold->schema.load(std::memory_order_relaxed) == hot->schema.load(std::memory_order_relaxed)) break;
        // The cold data needed a lower schema still: it becomes hot, the other follows it down.
        flip();
        std::swap(cold, hot);
      }
      merge_into(*cold, *hot);
      cold->schema.store(hot->schema.load(std::memory_order_relaxed), std::memory_order_relaxed);
    }
  }

  const native_histogram_options* options_;
  mutable std::atomic<std::uint64_t> count_and_hot_{0};
  mutable std::array<half, 2> halves_;
  mutable std::mutex mutex_;       // scrapes, reductions, resets (waits for observers while held)
  mutable std::mutex grow_mutex_;  // ring spans and overflow (never held while waiting)
  mutable std::atomic<bool> needs_reduction_{false};
  mutable std::chrono::steady_clock::time_point reset_time_;
  mutable double created_ = 0;
  mutable std::vector<std::pair<std::int32_t, std::uint64_t>> scratch_;  // mutex_
  mutable copy other_;                                                     // mutex_: see read()
};

/// A native histogram family with names given at run time (a collector).
/// ```
/// promcxx::native_histogram_family latency{reg, "rpc_latency_seconds", "RPC latency.", {"method"}};
/// latency.labels({"sign"}).observe(0.042);
/// ```
class native_histogram_family final : public collector {
 public:
  native_histogram_family(registry& reg, std::string name, std::string help, std::vector<std::string> label_names = {},
                          native_histogram_options options = {}, std::string unit = {})
      : name_(std::move(name)), help_(std::move(help)), unit_(std::move(unit)), label_names_(std::move(label_names)),
        options_(std::move(options)) {
    check();
    if (label_names_.empty()) unlabelled_ = &labels(std::span<const std::string_view>{});
    reg.add(*this);
  }
  ~native_histogram_family() override = default;

  /// The series for `values` (one per label name), created on first use. Keep
  /// the reference: it stays valid as long as the family.
  native_histogram_series& labels(std::initializer_list<std::string_view> values) {
    return labels(std::span<const std::string_view>{values.begin(), values.size()});
  }
  native_histogram_series& labels(std::span<const std::string_view> values) {
    if (values.size() != label_names_.size())
      PROMCXX_THROW(std::invalid_argument("promcxx::native_histogram: \"" + name_ + "\" takes " +
                                  std::to_string(label_names_.size()) + " label values"));
    std::string key;
    for (const auto v : values) {
      if (!detail::is_valid_utf8(v))
        PROMCXX_THROW(std::invalid_argument("promcxx::native_histogram: label values must be valid UTF-8"));
      key.append(v);
      key.push_back('\xff');  // never in UTF-8: separates values unambiguously
    }
    std::lock_guard lock{series_mutex_};
    auto it = series_.find(key);
    if (it == series_.end()) {
      it = series_.emplace(std::move(key), std::make_unique<entry>(options_)).first;
      it->second->values.assign(values.begin(), values.end());
    }
    return it->second->series;
  }
  /// The unlabelled series (only for families without label names).
  void observe(double v) {
    if (unlabelled_ == nullptr)
      PROMCXX_THROW(std::invalid_argument("promcxx::native_histogram: \"" + name_ + "\" has labels; use labels(...)"));
    unlabelled_->observe(v);
  }

  [[nodiscard]] const native_histogram_options& options() const noexcept { return options_; }

  void collect(collect_sink& sink) const override {
    if (!sink.native_histogram_family(name_, help_, options_.classic_bounds, unit_)) return;
    std::lock_guard lock{series_mutex_};
    std::vector<label_pair> pairs;
    for (const auto& [key, e] : series_) {
      e->series.read(reading_);
      pairs.clear();
      for (std::size_t i = 0; i < label_names_.size(); ++i) pairs.push_back({label_names_[i], e->values[i]});
      native_buckets n;
      n.schema = reading_.schema;
      n.zero_threshold = options_.zero_threshold;
      n.zero_count = reading_.zero_count;
      n.positive_first = reading_.positive_first;
      n.positive = reading_.positive;
      n.negative_first = reading_.negative_first;
      n.negative = reading_.negative;
      sink.native_histogram_sample(pairs, reading_.classic, reading_.sum, n, reading_.created);
    }
  }

 private:
  struct entry {
    explicit entry(const native_histogram_options& o) : series(o) {}
    native_histogram_series series;
    std::vector<std::string> values;
  };

  void check() const {
    const auto fail = [this](const std::string& rule) {
      PROMCXX_THROW(std::invalid_argument("promcxx::native_histogram: \"" + name_ + "\": " + rule));
    };
    if (!detail::is_metric_name(name_) || detail::has_reserved_suffix(name_) || detail::has_suffix(name_, "_total"))
      fail("invalid metric name");
    if (help_.empty() || !detail::is_valid_utf8(help_)) fail("help must be non-empty UTF-8");
    for (const auto& l : label_names_)
      if (!detail::is_label_name(l) || detail::is_reserved_label_name(l) || l == "le")
        fail("invalid label name \"" + l + "\"");
    if (options_.schema < -4 || options_.schema > 8) fail("schema must be in -4..8");
    if (!(options_.zero_threshold >= 0) || std::isinf(options_.zero_threshold))
      fail("zero threshold must be finite and >= 0");
    if (options_.max_buckets < detail::native::min_ring || options_.max_buckets > (1u << 20))
      fail("max_buckets must be in 136..1048576");
    const auto& b = options_.classic_bounds;
    for (std::size_t i = 0; i < b.size(); ++i)
      if (!detail::is_finite(b[i]) || (i > 0 && !(b[i - 1] < b[i])))
        fail("classic bounds must be finite and strictly increasing");
  }

  std::string name_, help_, unit_;
  std::vector<std::string> label_names_;
  native_histogram_options options_;
  mutable std::mutex series_mutex_;
  std::map<std::string, std::unique_ptr<entry>> series_;
  native_histogram_series* unlabelled_ = nullptr;
  mutable native_histogram_series::reading reading_;  // series_mutex_
};

// Compile-time options of promcxx::native_histogram.

/// Resolution: 2^S buckets per power of two, -4..8 (default 3).
template <int S>
struct schema {
  static_assert(S >= -4 && S <= 8, "promcxx::schema: the native histogram schema must be in -4..8");
  using native_option_kind = schema;
  static constexpr int value = S;
};
/// Magnitudes up to this value count in the zero bucket (default 2^-128).
template <bound Threshold>
struct zero_threshold {
  static_assert(Threshold.error == bound_error::none && Threshold.value() >= 0,
                "promcxx::zero_threshold: the threshold must be a finite number >= 0");
  static constexpr double value = Threshold.value();
};
/// Most bucket indices one sign may span before the schema is reduced (default 160).
template <std::uint32_t N>
struct max_buckets {
  static_assert(N >= 136, "promcxx::max_buckets: at least 136, so that schema -4 holds every double");
  static constexpr std::uint32_t value = N;
};
/// Reset the series instead of reducing its schema once it is this many seconds old.
template <std::uint32_t Seconds>
struct min_reset_interval {
  static constexpr std::uint32_t value = Seconds;
};

namespace detail::native {

template <class T> struct is_schema : std::false_type {};
template <int S> struct is_schema<schema<S>> : std::true_type {};
template <class T> struct is_zero_threshold : std::false_type {};
template <bound B> struct is_zero_threshold<zero_threshold<B>> : std::true_type {};
template <class T> struct is_max_buckets : std::false_type {};
template <std::uint32_t N> struct is_max_buckets<max_buckets<N>> : std::true_type {};
template <class T> struct is_min_reset : std::false_type {};
template <std::uint32_t N> struct is_min_reset<min_reset_interval<N>> : std::true_type {};
template <class T> struct is_labels : std::false_type {};
template <fixed_string... N> struct is_labels<promcxx::labels<N...>> : std::true_type {};
template <class T> struct is_unit : std::false_type {};
template <fixed_string U> struct is_unit<promcxx::unit<U>> : std::true_type {};
template <class T> inline constexpr bool is_classic = std::is_base_of_v<bucket_layout_tag, T>;

template <template <class> class Is, class Default, class... Options>
struct pick {
  using type = Default;
};
template <template <class> class Is, class Default, class First, class... Rest>
struct pick<Is, Default, First, Rest...> {
  using type = std::conditional_t<Is<First>::value, First, typename pick<Is, Default, Rest...>::type>;
};
template <class T> struct is_classic_t : std::bool_constant<is_classic<T>> {};
struct no_classic : bucket_layout_tag {
  static constexpr std::array<double, 0> bounds{};
};

template <class T>
inline constexpr bool known_option = is_schema<T>::value || is_zero_threshold<T>::value || is_max_buckets<T>::value ||
                                     is_min_reset<T>::value || is_labels<T>::value || is_unit<T>::value ||
                                     is_classic<T>;

} // namespace detail::native

/// A native histogram declared at compile time, registered with `reg`
/// (default: default_registry()):
/// ```
/// promcxx::native_histogram<"sign_latency_seconds", "Signing latency.", promcxx::labels<"curve">,
///                           promcxx::schema<3>, promcxx::buckets<0.01, 0.1, 1>> sign_latency;
/// sign_latency.labels({"secp256k1"}).observe(0.042);
/// ```
/// Options: labels<...>, schema<S>, zero_threshold<T>, max_buckets<N>,
/// min_reset_interval<Seconds>, unit<...>, and a classic bucket layout
/// (buckets<...>) to expose classic buckets at the same time.
template <fixed_string Name, fixed_string Help, class... Options>
class native_histogram {
  static_assert((detail::native::known_option<Options> && ...),
                "promcxx::native_histogram: options are labels, schema, zero_threshold, max_buckets, "
                "min_reset_interval, unit and a classic bucket layout");
  static_assert(detail::is_metric_name(Name.view()) && !detail::has_reserved_suffix(Name.view()) &&
                    !detail::has_suffix(Name.view(), "_total"),
                "promcxx::native_histogram: invalid metric name");
  static_assert(Help.size() > 0, "promcxx::native_histogram: help must not be empty");

  using schema_t = typename detail::native::pick<detail::native::is_schema, schema<3>, Options...>::type;
  using zero_t = typename detail::native::pick<detail::native::is_zero_threshold, zero_threshold<0x1p-128>,
                                               Options...>::type;
  using max_t = typename detail::native::pick<detail::native::is_max_buckets, max_buckets<160>, Options...>::type;
  using reset_t = typename detail::native::pick<detail::native::is_min_reset, min_reset_interval<0>, Options...>::type;
  using labels_t = typename detail::native::pick<detail::native::is_labels, promcxx::labels<>, Options...>::type;
  using unit_t = typename detail::native::pick<detail::native::is_unit, void, Options...>::type;
  using classic_t = typename detail::native::pick<detail::native::is_classic_t, detail::native::no_classic,
                                                  Options...>::type;

  static native_histogram_options make_options() {
    native_histogram_options o;
    o.schema = schema_t::value;
    o.zero_threshold = zero_t::value;
    o.max_buckets = max_t::value;
    o.min_reset_interval = std::chrono::seconds{reset_t::value};
    o.classic_bounds.assign(classic_t::bounds.begin(), classic_t::bounds.end());
    return o;
  }
  static std::vector<std::string> label_names() { return {labels_t::names.begin(), labels_t::names.end()}; }
  static std::string unit_name() {
    if constexpr (std::is_void_v<unit_t>) return {};
    else return std::string{unit_t::value};
  }

 public:
  explicit native_histogram(registry& reg = default_registry())
      : family_(reg, std::string{Name.view()}, std::string{Help.view()}, label_names(), make_options(), unit_name()) {}

  /// The series for the label values (one per declared label name).
  template <class... Values>
  native_histogram_series& labels(const Values&... values) {
    static_assert(sizeof...(Values) == labels_t::size, "promcxx::native_histogram: one value per label name");
    const std::string_view v[] = {std::string_view{values}..., std::string_view{}};
    return family_.labels(std::span<const std::string_view>{v, sizeof...(Values)});
  }
  native_histogram_series& labels(std::initializer_list<std::string_view> values) { return family_.labels(values); }
  /// Observes on the unlabelled series.
  void observe(double v)
    requires(labels_t::size == 0)
  {
    family_.observe(v);
  }
  [[nodiscard]] native_histogram_family& family() noexcept { return family_; }

 private:
  native_histogram_family family_;
};

} // namespace promcxx

#endif // PROMCXX_NATIVE_HISTOGRAM_HPP
