// promcxx: cacheable handles of one series, the hot path of every metric kind.
//
// A handle is a few words copied by value: the series' first storage cell (or
// its value word) and the series' generation at the time the handle was made.
// Removing a series bumps its generation, so a handle kept past `remove()`,
// `clear()` or idle expiry writes nothing from then on: it never reaches the
// series that later reuses the storage. Series that cannot be removed (an
// unlabelled metric, `label_values<...>` combinations) compare against a
// generation that never changes, which the branch predictor learns at once.
#ifndef PROMCXX_HANDLES_HPP
#define PROMCXX_HANDLES_HPP

#include <array>
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <span>
#include <string_view>
#include <type_traits>  // std::is_constant_evaluated

#if defined(__SSE2__)
#  include <emmintrin.h>  // packed bound compares in bucket_index_in
#endif

#include "config.hpp"
#include "detail/exemplar_slot.hpp"
#include "fixed_string.hpp"
#include "storage.hpp"

namespace promcxx {
namespace detail {

/// The generation of series that are never removed.
inline constinit const std::atomic<std::uint32_t> permanent_generation{0};

/// Where a handle checks that its series still exists.
struct series_ref {
  const std::atomic<std::uint32_t>* generation = &permanent_generation;
  std::uint32_t expected = 0;

  [[nodiscard]] bool alive() const noexcept { return generation->load(std::memory_order_relaxed) == expected; }
};

/// Index of the first bound >= v (bounds.size() for +Inf); compile-time bounds
/// unroll into a branch-free count.
template <std::size_t N>
constexpr std::uint32_t bucket_index_in(const std::array<double, N>& bounds, double v) noexcept {
  if constexpr (N <= 16) {
#if defined(__SSE2__)
    if (!std::is_constant_evaluated()) {
      // Two bounds per compare: a default histogram's 11 scalar compares (and
      // their flag-to-integer moves) become 6 packed ones, most of an observation.
      const __m128d value = _mm_set1_pd(v);
      __m128i below = _mm_setzero_si128();  // -1 per lane whose bound is below v
      std::size_t i = 0;
      for (; i + 2 <= N; i += 2)
        below = _mm_add_epi64(below, _mm_castpd_si128(_mm_cmplt_pd(_mm_loadu_pd(bounds.data() + i), value)));
      if constexpr (N % 2 == 1)
        below = _mm_add_epi64(below, _mm_castpd_si128(_mm_cmplt_sd(_mm_load_sd(bounds.data() + N - 1), value)));
      below = _mm_add_epi64(below, _mm_unpackhi_epi64(below, below));
      return static_cast<std::uint32_t>(-_mm_cvtsi128_si64(below));
    }
#endif
    std::uint32_t index = 0;
    for (const double b : bounds) index += static_cast<std::uint32_t>(b < v);
    return index;
  } else {
    std::size_t lo = 0, hi = N;
    while (lo < hi) {
      const std::size_t mid = (lo + hi) / 2;
      if (bounds[mid] < v) lo = mid + 1;
      else hi = mid;
    }
    return static_cast<std::uint32_t>(lo);
  }
}

/// Bucket search by the value's sign and exponent (its top 12 bits): a table
/// gives the number of bounds below every value of that binade, and only the
/// few bounds inside the binade are compared. For the default buckets that is
/// one table load and one compare instead of eleven (issue: histogram observe).
template <std::size_t N>
struct binade_search {
  // The count of each top-12-bit pattern is one byte, kept 8 to a word. The table is
  // built by constant evaluation for every layout observed, and there each store
  // costs far more than the arithmetic: a byte-by-byte fill of 4096 entries took
  // ~25 ms a layout (g++ 12), zero words skipped and whole words stored ~2.
  // Plain arrays: a std::array's accessors would be instantiated per bound count.
  std::uint64_t below_words[512] = {};
  double bounds_then_inf[N + 1] = {};  // a trailing +Inf no value is above
  std::uint32_t steps = 0;                      // the most bounds inside one binade

  /// Bounds below every value whose top 12 bits are `top`.
  [[nodiscard]] constexpr std::uint32_t bounds_below(std::uint64_t top) const noexcept {
    if (std::is_constant_evaluated())
      return static_cast<std::uint32_t>(below_words[top / 8] >> byte_shift(top % 8) & 0xff);
    return reinterpret_cast<const unsigned char*>(below_words)[top];  // one byte load
  }
  /// Where byte `byte` of a word sits, so that bounds_below's byte load reads it.
  static constexpr unsigned byte_shift(std::uint64_t byte) noexcept {
    return static_cast<unsigned>(std::endian::native == std::endian::little ? byte * 8 : (7 - byte) * 8);
  }
  /// Sets the count of tops [begin, end) to `count`.
  constexpr void fill(std::uint64_t begin, std::uint64_t end, std::uint64_t count) noexcept {
    if (count == 0) return;  // already zero
    for (; begin < end && begin % 8 != 0; ++begin) set_byte(begin, count);
    for (; begin + 8 <= end; begin += 8) below_words[begin / 8] = count * 0x0101010101010101ULL;
    for (; begin < end; ++begin) set_byte(begin, count);
  }
  /// Sets the count of `top` (a count fits a byte: layouts here have fewer than 255 bounds).
  constexpr void set_byte(std::uint64_t top, std::uint64_t count) noexcept {
    std::uint64_t& w = below_words[top / 8];
    const unsigned shift = byte_shift(top % 8);
    w = (w & ~(std::uint64_t{0xff} << shift)) | count << shift;
  }
};

/// Value edge of the binade at `step` (steps in increasing value order: negative
/// binades from -Inf up to -0, then +0 up to +Inf): its lowest or its highest value.
constexpr double binade_edge(std::uint64_t step, bool highest) noexcept {
  constexpr std::uint64_t mantissa = (std::uint64_t{1} << 52) - 1;
  const std::uint64_t top = step < 2048 ? 4095 - step : step - 2048;
  const bool negative = top >= 2048;
  const bool infinite = (top & 0x7ff) == 0x7ff;  // +-Inf (NaN never gets here)
  const double smallest_magnitude = std::bit_cast<double>(top << 52);  // (not "near"/"far": macros on Windows)
  const double largest_magnitude = infinite ? smallest_magnitude : std::bit_cast<double>(top << 52 | mantissa);
  return negative == highest ? smallest_magnitude : largest_magnitude;
}

/// The first step whose lowest (or highest) value is above `bound`. Both edges grow
/// with the step, so the answer is found by walking from the step of the bound's own
/// binade (at most a step or two; -0 == +0 is why the walk compares values).
constexpr std::uint64_t first_step_above(double bound, bool highest) noexcept {
  const std::uint64_t top = std::bit_cast<std::uint64_t>(bound) >> 52;
  std::uint64_t step = top >= 2048 ? 4095 - top : top + 2048;
  while (step > 0 && bound < binade_edge(step - 1, highest)) --step;
  while (step < 4096 && !(bound < binade_edge(step, highest))) ++step;
  return step;
}

template <std::size_t N>
  requires(N < 255)  // bound indexes are bytes; bucket_index_of uses the table below that only
consteval binade_search<N> make_binade_search(const std::array<double, N>& bounds) {
  binade_search<N> s;
  for (std::size_t i = 0; i < N; ++i) s.bounds_then_inf[i] = bounds[i];
  s.bounds_then_inf[N] = std::numeric_limits<double>::infinity();
  // bounds_below at a step counts the bounds below the binade's lowest value, and the
  // bounds below its highest value exceed them by the bounds inside it. Bounds are
  // sorted, so each count grows by one at the step where its next bound drops below
  // (first_step_above), and the table is filled run by run.
  std::array<std::uint64_t, N + 1> below_from{}, inside_from{};  // step where count i+1 starts
  for (std::size_t i = 0; i < N; ++i) {
    below_from[i] = first_step_above(bounds[i], false);
    inside_from[i] = first_step_above(bounds[i], true);
  }
  below_from[N] = 4096;
  // Steps below 2048 are the negative binades, whose tops run down from 4095.
  std::uint64_t step = 0;
  for (std::size_t count = 0; count <= N; ++count) {
    const std::uint64_t run_end = below_from[count];
    if (step < run_end && step < 2048) {
      const std::uint64_t negative_end = run_end < 2048 ? run_end : 2048;
      s.fill(4096 - negative_end, 4096 - step, count);
      step = negative_end;
    }
    if (step < run_end) {
      s.fill(step - 2048, run_end - 2048, count);
      step = run_end;
    }
  }
  // steps: the most bounds b with lowest <= b < highest in one binade. That count only
  // grows where a bound drops below a highest value, so it is checked there.
  std::size_t below = 0, not_above = 0;
  for (std::size_t i = 0; i < N; ++i) {
    const std::uint64_t at = inside_from[i];
    if (at >= 4096) break;
    while (not_above < N && inside_from[not_above] <= at) ++not_above;
    while (below < N && below_from[below] <= at) ++below;
    if (not_above - below > s.steps) s.steps = static_cast<std::uint32_t>(not_above - below);
  }
  return s;
}

/// The search table of a compile-time layout; built only where observe() is used.
template <class Layout>
inline constexpr auto binade_search_of = make_binade_search(Layout::bounds);

template <class Layout>
constexpr std::uint32_t bucket_index_of(double v) noexcept {
  constexpr std::size_t n = Layout::bounds.size();
  // Decided at compile time, so a layout that takes the table never instantiates
  // the compare loop (and one that cannot never builds the table). The table path
  // works in constant evaluation too.
  if constexpr (n > 0 && n < 255) {
    if constexpr (binade_search_of<Layout>.steps <= 2) {
      const auto& s = binade_search_of<Layout>;
      std::uint32_t index = s.bounds_below(std::bit_cast<std::uint64_t>(v) >> 52);
      for (std::uint32_t k = 0; k < s.steps; ++k) index += static_cast<std::uint32_t>(s.bounds_then_inf[index] < v);
      return index;
    } else {
      return bucket_index_in(Layout::bounds, v);
    }
  } else {
    return bucket_index_in(Layout::bounds, v);
  }
}

inline std::uint32_t bucket_index_in(std::span<const double> bounds, double v) noexcept {
  std::size_t lo = 0, hi = bounds.size();
  while (lo < hi) {
    const std::size_t mid = (lo + hi) / 2;
    if (bounds[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return static_cast<std::uint32_t>(lo);
}

} // namespace detail

/// Cacheable handle of one counter series; `Exemplars` when the metric was
/// declared with `promcxx::exemplars`.
template <bool Exemplars>
class basic_counter_handle {
 public:
  constexpr basic_counter_handle() noexcept = default;
  explicit constexpr basic_counter_handle(std::uint32_t cell, detail::series_ref ref = {},
                                          detail::exemplar_slot* exemplar = nullptr) noexcept
      : cell_(cell), ref_(ref), exemplar_(exemplar) {}

  void inc() noexcept {
    if (ref_.alive()) [[likely]] detail::add_to_cell(cell_, std::uint64_t{1});
  }
  /// Adds `amount`, which must be >= 0 and not NaN; otherwise PROMCXX_ASSERT
  /// fires and, when it returns, the counter is left unchanged. (Not noexcept
  /// so that a PROMCXX_ASSERT that throws can be used.)
  void inc(double amount) {
    if (!(amount >= 0)) [[unlikely]] {
      PROMCXX_BAD_DATA(detail::bad_data::counter_decrease, "counter increments must be non-negative and not NaN");
      return;
    }
    if (ref_.alive()) [[likely]] detail::counter_add(cell_, amount);
  }
  /// Adds `amount` and makes `exemplar` (with the amount as its value) the
  /// series' exemplar (metrics declared with `promcxx::exemplars`).
  void inc(double amount, std::initializer_list<exemplar_label> exemplar)
    requires Exemplars
  {
    inc_with(amount, std::span<const exemplar_label>{exemplar.begin(), exemplar.size()}, true);
  }
  /// As above with label names chosen at run time (checked at run time).
  void inc(double amount, std::span<const label_pair> exemplar)
    requires Exemplars
  {
    inc_with(amount, exemplar, false);
  }

  /// Current value, summed over every writer thread.
  [[nodiscard]] double value() const noexcept { return detail::counter_value(cell_); }

 private:
  template <class Label>
  void inc_with(double amount, std::span<const Label> exemplar, bool names_checked) {
    if (!(amount >= 0)) [[unlikely]] {
      PROMCXX_BAD_DATA(detail::bad_data::counter_decrease, "counter increments must be non-negative and not NaN");
      return;
    }
    if (!ref_.alive()) [[unlikely]] return;
    detail::counter_add(cell_, amount);
    detail::record_exemplar(exemplar_, exemplar, amount, names_checked);
  }

  std::uint32_t cell_ = 0;
  detail::series_ref ref_;
  detail::exemplar_slot* exemplar_ = nullptr;
};

using counter_handle = basic_counter_handle<false>;
using exemplar_counter_handle = basic_counter_handle<true>;

namespace detail {

// Gauges: sets are rare, inc/dec are as frequent as counter increments.
//
// Storage of a gauge series: the record's `bits` holds the value of the last
// set() (the *base*), its `gauge_flags` a small lock and two flags, and three
// per-thread cells (storage.hpp) take the deltas:
//   cell + 0: whole deltas as int64 two's complement (the sum wraps correctly),
//   cell + 1: fractional deltas as doubles,
//   cell + 2: the fractional sum the last set() absorbed (double bits; only
//             the lock holder writes it, so the u64 sum over threads is exact).
// value = base + int64(sum of cell 0) + (sum of cell 1 - absorbed).
//
// - inc/dec/add/sub: a plain add into the calling thread's own cell, as a
//   counter (no lock prefix, no shared cache line written).
// - set(v) on a gauge that never took an add: one store of `bits`, as before.
// - set(v) once adds happened: under the series' lock, sum cell 0 and subtract
//   it from the setter's own cell 0 (the sum over threads restarts at 0,
//   exactly), record cell 1's sum as absorbed, store v. Cost: O(writer threads).
// - value() and scrapes of such a gauge take the same lock (never a torn mix
//   of one set and another's absorption); adds never take it.
//
// Semantics (tests/core/gauge_set_add_test.cpp): every add that happens-before
// a set (same thread earlier, or ordered by a join, a mutex, ...) is
// overwritten by it; every add that happens-after it counts. An add concurrent
// with a set lands wholly on one side: applied after the set, or overwritten.
// Of concurrent sets, one wins. Whole deltas (inc, dec, add of whole numbers
// below 2^53) are exact in int64, where a double CAS would round past 2^53.
// Non-finite deltas (NaN, +-Inf) are folded into the base under the lock, so
// the value becomes NaN/Inf until the next set, as with a plain double.
// Memory: 3 cells (24 B) of cell index space per gauge series. A thread pays
// for its storage page of them (storage.hpp) only once it adds to the series or
// sets it after adds; a gauge that is only set costs no cell memory at all.
inline constexpr std::uint8_t gauge_added = 1;      // an add reached the cells: reads and sets must sum them
inline constexpr std::uint8_t gauge_fractional = 2;  // a fractional add happened: cells 1 and 2 are in use
inline constexpr std::uint8_t gauge_locked = 4;      // a set or a read holds the series
inline constexpr std::uint8_t gauge_waiting = 8;     // someone sleeps on the lock: the holder wakes them
inline constexpr std::uint32_t gauge_cells = 3;

/// The series lock of a gauge that takes adds (a byte in its record, so the record stays one line).
class gauge_lock {
 public:
  explicit gauge_lock(std::atomic<std::uint8_t>& flags) noexcept : flags_(flags) {
    std::uint8_t seen = flags_.load(std::memory_order_relaxed);
    for (;;) {
      if ((seen & gauge_locked) == 0) {
        if (flags_.compare_exchange_weak(seen, static_cast<std::uint8_t>(seen | gauge_locked), std::memory_order_acquire,
                                         std::memory_order_relaxed))
          break;
        continue;
      }
      // Held (the holder sums cells: short, but may be preempted): announce the sleeper, then sleep.
      if ((seen & gauge_waiting) == 0 &&
          !flags_.compare_exchange_weak(seen, static_cast<std::uint8_t>(seen | gauge_waiting), std::memory_order_relaxed))
        continue;
      flags_.wait(static_cast<std::uint8_t>(seen | gauge_waiting), std::memory_order_relaxed);
      seen = flags_.load(std::memory_order_relaxed);
    }
    seen_ = seen;
  }
  gauge_lock(const gauge_lock&) = delete;
  gauge_lock& operator=(const gauge_lock&) = delete;
  ~gauge_lock() {
    // Waking costs a shared wait-pool update: only when someone announced it sleeps.
    constexpr auto held = static_cast<std::uint8_t>(gauge_locked | gauge_waiting);
    if ((flags_.fetch_and(static_cast<std::uint8_t>(~held), std::memory_order_release) & gauge_waiting) != 0)
      flags_.notify_all();
  }
  /// The flags when the lock was taken (gauge_added and gauge_fractional are never cleared while the series lives).
  [[nodiscard]] std::uint8_t seen() const noexcept { return seen_; }

 private:
  std::atomic<std::uint8_t>& flags_;
  std::uint8_t seen_ = 0;
};

/// Gauge value with the lock held: base plus the deltas not absorbed by the last set.
inline double gauge_read_locked(const std::atomic<std::uint64_t>& bits, std::uint8_t flags, std::uint32_t cell) noexcept {
  double v = std::bit_cast<double>(bits.load(std::memory_order_relaxed));
  if ((flags & gauge_added) == 0) return v;
  const auto whole = static_cast<std::int64_t>(sum_cells_u64(cell));
  if (whole != 0) v += static_cast<double>(whole);
  if ((flags & gauge_fractional) != 0) {
    // Same cells, same order: with no fractional add since the set the difference is exactly 0.
    const double fraction = sum_cells_double(cell + 1) - std::bit_cast<double>(sum_cells_u64(cell + 2));
    if (fraction != 0) v += fraction;
  }
  return v;
}

/// Gauge set with the lock held: absorbs every delta summed so far, then stores the base.
inline void gauge_set_locked(std::atomic<std::uint64_t>& bits, std::uint8_t flags, std::uint32_t cell, double v) noexcept {
  if ((flags & gauge_added) != 0) {
    add_to_cell(cell, std::uint64_t{0} - sum_cells_u64(cell));  // own cell: the sum over threads restarts at 0
    if ((flags & gauge_fractional) != 0) {
      const auto absorbed = std::bit_cast<std::uint64_t>(sum_cells_double(cell + 1));
      add_to_cell(cell + 2, absorbed - sum_cells_u64(cell + 2));  // cell 2 now sums to `absorbed`
    }
  }
  bits.store(std::bit_cast<std::uint64_t>(v), std::memory_order_relaxed);
}

/// Current value of a gauge series (handles, metrics and scrapes). A series
/// without cells (their allocation failed) never gets gauge_added: its adds CAS `bits`.
inline double gauge_read(const std::atomic<std::uint64_t>& bits, std::atomic<std::uint8_t>& flags, std::uint32_t cell) noexcept {
  if ((flags.load(std::memory_order_relaxed) & gauge_added) == 0) [[likely]]
    return std::bit_cast<double>(bits.load(std::memory_order_relaxed));
  const gauge_lock held{flags};
  return gauge_read_locked(bits, held.seen(), cell);
}

inline void gauge_cas_add(std::atomic<std::uint64_t>& bits, double v) noexcept {
  std::uint64_t old = bits.load(std::memory_order_relaxed);
  while (!bits.compare_exchange_weak(old, std::bit_cast<std::uint64_t>(std::bit_cast<double>(old) + v),
                                     std::memory_order_relaxed)) {
  }
}

/// The first add of a series (or any add of one without cells).
void gauge_first_add(std::atomic<std::uint64_t>& bits, std::atomic<std::uint8_t>& flags,
                     std::uint32_t cell, std::uint64_t delta) noexcept;  // compiled once in compiled mode (config.hpp)
#if PROMCXX_DEFINE_SLOW_PATHS
PROMCXX_SLOW_PATH PROMCXX_NOINLINE void gauge_first_add(std::atomic<std::uint64_t>& bits, std::atomic<std::uint8_t>& flags,
                                                        std::uint32_t cell, std::uint64_t delta) noexcept {
  if (cell == 0) return gauge_cas_add(bits, static_cast<double>(static_cast<std::int64_t>(delta)));
  // Flag first, then the cell: a set that happens after this add sees the flag and absorbs the cell.
  flags.fetch_or(gauge_added, std::memory_order_relaxed);
  add_to_cell(cell, delta);
}
#endif

/// Adds a whole delta (int64 as two's complement): the hot path of inc/dec.
inline void gauge_add_whole(std::atomic<std::uint64_t>& bits, std::atomic<std::uint8_t>& flags, std::uint32_t cell,
                            std::uint64_t delta) noexcept {
  if ((flags.load(std::memory_order_relaxed) & gauge_added) == 0) [[unlikely]]
    return gauge_first_add(bits, flags, cell, delta);
  add_to_cell(cell, delta);
}

/// Adds a fractional or non-finite delta.
void gauge_add_other(std::atomic<std::uint64_t>& bits, std::atomic<std::uint8_t>& flags,
                     std::uint32_t cell, double v) noexcept;  // compiled once in compiled mode (config.hpp)
#if PROMCXX_DEFINE_SLOW_PATHS
PROMCXX_SLOW_PATH PROMCXX_NOINLINE void gauge_add_other(std::atomic<std::uint64_t>& bits, std::atomic<std::uint8_t>& flags,
                                                        std::uint32_t cell, double v) noexcept {
  if (cell == 0) return gauge_cas_add(bits, v);
  if (v - v != 0) {  // NaN or +-Inf would poison the cells for good, so it goes into the base
    const gauge_lock held{flags};
    gauge_set_locked(bits, held.seen(), cell, gauge_read_locked(bits, held.seen(), cell) + v);
    return;
  }
  constexpr std::uint8_t both = gauge_added | gauge_fractional;
  if ((flags.load(std::memory_order_relaxed) & both) != both) flags.fetch_or(both, std::memory_order_relaxed);
  add_to_cell(cell + 1, v);
}
#endif

inline void gauge_add(std::atomic<std::uint64_t>& bits, std::atomic<std::uint8_t>& flags, std::uint32_t cell, double v) noexcept {
  constexpr double two_53 = 9007199254740992.0;  // whole doubles below it convert to int64 exactly
  if (v > -two_53 && v < two_53 && v == static_cast<double>(static_cast<std::int64_t>(v))) [[likely]]
    gauge_add_whole(bits, flags, cell, static_cast<std::uint64_t>(static_cast<std::int64_t>(v)));
  else
    gauge_add_other(bits, flags, cell, v);
}

void gauge_set_absorbing(std::atomic<std::uint64_t>& bits, std::atomic<std::uint8_t>& flags,
                         std::uint32_t cell, double v) noexcept;  // compiled once in compiled mode (config.hpp)
#if PROMCXX_DEFINE_SLOW_PATHS
PROMCXX_SLOW_PATH PROMCXX_NOINLINE void gauge_set_absorbing(std::atomic<std::uint64_t>& bits, std::atomic<std::uint8_t>& flags,
                                                            std::uint32_t cell, double v) noexcept {
  const gauge_lock held{flags};
  gauge_set_locked(bits, held.seen(), cell, v);
}
#endif

/// set(): one store while the gauge never took an add.
inline void gauge_set(std::atomic<std::uint64_t>& bits, std::atomic<std::uint8_t>& flags, std::uint32_t cell, double v) noexcept {
  if ((flags.load(std::memory_order_relaxed) & gauge_added) == 0) [[likely]]
    bits.store(std::bit_cast<std::uint64_t>(v), std::memory_order_relaxed);
  else
    gauge_set_absorbing(bits, flags, cell, v);
}

} // namespace detail

/// Cacheable handle of one gauge series; see the design note above for how
/// set() and concurrent adds combine.
class gauge_handle {
 public:
  constexpr gauge_handle() noexcept = default;
  /// `first_cell` 0: a series without cells (their allocation failed); adds then CAS the value word.
  constexpr gauge_handle(std::atomic<std::uint64_t>* bits, std::atomic<std::uint8_t>* flags, std::uint32_t first_cell,
                         detail::series_ref ref = {}) noexcept
      : bits_(bits), flags_(flags), ref_(ref), cell_(first_cell) {}

  /// Replaces the value; adds that happened before it are overwritten.
  void set(double v) noexcept {
    if (ref_.alive()) [[likely]] detail::gauge_set(*bits_, *flags_, cell_, v);
  }
  void inc() noexcept {
    if (ref_.alive()) [[likely]] detail::gauge_add_whole(*bits_, *flags_, cell_, 1);
  }
  void dec() noexcept {
    if (ref_.alive()) [[likely]] detail::gauge_add_whole(*bits_, *flags_, cell_, ~std::uint64_t{0});  // -1
  }
  void add(double v) noexcept {
    if (ref_.alive()) [[likely]] detail::gauge_add(*bits_, *flags_, cell_, v);
  }
  void sub(double v) noexcept { add(-v); }
  /// Seconds since the Unix epoch.
  void set_to_current_time() noexcept { set(detail::now_seconds()); }
  /// The value: the last set plus the adds after it, summed over every writer thread.
  [[nodiscard]] double value() const noexcept { return detail::gauge_read(*bits_, *flags_, cell_); }

 private:
  std::atomic<std::uint64_t>* bits_ = nullptr;
  std::atomic<std::uint8_t>* flags_ = nullptr;
  detail::series_ref ref_;
  std::uint32_t cell_ = 0;
};

/// Cacheable handle of one histogram series with bucket layout `Layout`.
template <class Layout, bool Exemplars>
class basic_histogram_handle {
 public:
  static constexpr std::size_t bound_count = Layout::bounds.size();

  constexpr basic_histogram_handle() noexcept = default;
  explicit constexpr basic_histogram_handle(std::uint32_t first_cell, detail::series_ref ref = {},
                                      detail::exemplar_slot* exemplars = nullptr) noexcept
      : first_cell_(first_cell), ref_(ref), exemplars_(exemplars) {}

  /// Records `v`. NaN breaks the contract (PROMCXX_ASSERT) and is otherwise ignored,
  /// since it would turn the sum into NaN forever.
  void observe(double v) {
    if (detail::is_nan(v)) [[unlikely]] {
      PROMCXX_BAD_DATA(detail::bad_data::observation_nan, "histogram observations must not be NaN");
      return;
    }
    if (ref_.alive()) [[likely]] record(first_cell_, bucket_index(v), v);
  }
  /// Records `v` and makes `exemplar` (with value `v`) the exemplar of v's bucket,
  /// so the exemplar always lies inside the bucket it is shown on.
  void observe(double v, std::initializer_list<exemplar_label> exemplar)
    requires Exemplars
  {
    observe_with(v, std::span<const exemplar_label>{exemplar.begin(), exemplar.size()}, true);
  }
  void observe(double v, std::span<const label_pair> exemplar)
    requires Exemplars
  {
    observe_with(v, exemplar, false);
  }

  /// Index of the first bucket whose bound is >= v (bound_count for +Inf).
  static constexpr std::uint32_t bucket_index(double v) noexcept { return detail::bucket_index_of<Layout>(v); }

  /// +1 in `bucket`, +v in the sum, for a live series (no checks here).
  static void record(std::uint32_t first_cell, std::uint32_t bucket, double v) noexcept {
    constexpr auto buckets = static_cast<std::uint32_t>(bound_count) + 1;
    const std::uint32_t sum_offset = detail::histogram_sum_offset(buckets, bucket);
    if constexpr (detail::histogram_cell_count(buckets) <= detail::cells_per_page)
      detail::record_observation_in_page(first_cell, bucket, sum_offset, v);
    else
      detail::record_observation(first_cell + bucket, first_cell + sum_offset, v);
  }

  [[nodiscard]] std::uint64_t count() const noexcept {
    std::uint64_t total = 0;
    for (std::uint32_t i = 0; i <= bound_count; ++i) total += detail::sum_cells_u64(first_cell_ + i);
    return total;
  }
  [[nodiscard]] double sum() const noexcept {
    return detail::histogram_sum(first_cell_, static_cast<std::uint32_t>(bound_count) + 1);
  }

 private:
  template <class Label>
  void observe_with(double v, std::span<const Label> exemplar, bool names_checked) {
    if (detail::is_nan(v)) [[unlikely]] {
      PROMCXX_BAD_DATA(detail::bad_data::observation_nan, "histogram observations must not be NaN");
      return;
    }
    if (!ref_.alive()) [[unlikely]] return;
    const auto bucket = bucket_index(v);
    record(first_cell_, bucket, v);
    detail::record_exemplar(exemplars_ == nullptr ? nullptr : exemplars_ + bucket, exemplar, v, names_checked);
  }

  std::uint32_t first_cell_ = 0;
  detail::series_ref ref_;
  detail::exemplar_slot* exemplars_ = nullptr;
};

template <class Layout>
using histogram_handle = basic_histogram_handle<Layout, false>;
template <class Layout>
using exemplar_histogram_handle = basic_histogram_handle<Layout, true>;

/// Histogram handle of a runtime-defined family: the bounds are read through a span.
/// Exemplars need the family's `exemplars` option; without it they are dropped and counted.
class runtime_histogram_handle {
 public:
  constexpr runtime_histogram_handle() noexcept = default;
  constexpr runtime_histogram_handle(std::uint32_t first_cell, std::span<const double> bounds, detail::series_ref ref = {},
                             detail::exemplar_slot* exemplars = nullptr) noexcept
      : first_cell_(first_cell), bounds_(bounds), ref_(ref), exemplars_(exemplars) {}

  void observe(double v) {
    if (detail::is_nan(v)) [[unlikely]] {
      PROMCXX_BAD_DATA(detail::bad_data::observation_nan, "histogram observations must not be NaN");
      return;
    }
    if (ref_.alive()) [[likely]] record(detail::bucket_index_in(bounds_, v), v);
  }
  void observe(double v, std::span<const label_pair> exemplar) {
    if (detail::is_nan(v)) [[unlikely]] {
      PROMCXX_BAD_DATA(detail::bad_data::observation_nan, "histogram observations must not be NaN");
      return;
    }
    if (!ref_.alive()) [[unlikely]] return;
    const auto bucket = detail::bucket_index_in(bounds_, v);
    record(bucket, v);
    detail::record_exemplar(exemplars_ == nullptr ? nullptr : exemplars_ + bucket, exemplar, v, false);
  }
  [[nodiscard]] std::uint64_t count() const noexcept {
    std::uint64_t total = 0;
    for (std::uint32_t i = 0; i <= bounds_.size(); ++i) total += detail::sum_cells_u64(first_cell_ + i);
    return total;
  }
  [[nodiscard]] double sum() const noexcept { return detail::histogram_sum(first_cell_, buckets()); }

 private:
  [[nodiscard]] std::uint32_t buckets() const noexcept { return static_cast<std::uint32_t>(bounds_.size()) + 1; }
  void record(std::uint32_t bucket, double v) noexcept {
    detail::record_observation(first_cell_ + bucket, first_cell_ + detail::histogram_sum_offset(buckets(), bucket), v);
  }

  std::uint32_t first_cell_ = 0;
  std::span<const double> bounds_;
  detail::series_ref ref_;
  detail::exemplar_slot* exemplars_ = nullptr;
};

/// Cacheable handle of one summary series: two per-thread cells, count then sum.
class summary_handle {
 public:
  constexpr summary_handle() noexcept = default;
  explicit constexpr summary_handle(std::uint32_t first_cell, detail::series_ref ref = {}) noexcept
      : first_cell_(first_cell), ref_(ref) {}

  /// Records `v`. NaN breaks the contract (PROMCXX_ASSERT) and is otherwise
  /// ignored, since it would turn the sum into NaN forever.
  void observe(double v) {
    if (detail::is_nan(v)) [[unlikely]] {
      PROMCXX_BAD_DATA(detail::bad_data::observation_nan, "summary observations must not be NaN");
      return;
    }
    if (!ref_.alive()) [[unlikely]] return;
    detail::add_to_cell(first_cell_, std::uint64_t{1});
    detail::add_to_cell(first_cell_ + 1, v);
  }
  [[nodiscard]] std::uint64_t count() const noexcept { return detail::sum_cells_u64(first_cell_); }
  [[nodiscard]] double sum() const noexcept { return detail::sum_cells_double(first_cell_ + 1); }

 private:
  std::uint32_t first_cell_ = 0;
  detail::series_ref ref_;
};

namespace detail {

/// Position of `state` in the list, or the list's size when absent.
constexpr std::size_t state_index(std::span<const std::string_view> states, std::string_view state) noexcept {
  for (std::size_t i = 0; i < states.size(); ++i)
    if (states[i] == state) return i;
  return states.size();
}

} // namespace detail

/// Cacheable handle of one stateset series; `States` is the `states<...>` list.
/// All states of a series live in one 64-bit word, so an enum transition is a
/// single store and a scrape never sees two states on at once.
template <class States>
class stateset_handle {
 public:
  static constexpr std::size_t state_count = States::size;

  constexpr stateset_handle() noexcept = default;
  explicit constexpr stateset_handle(std::atomic<std::uint64_t>* bits, detail::series_ref ref = {}) noexcept
      : bits_(bits), ref_(ref) {}

  /// Enum semantics: `State` becomes 1 and every other state 0, atomically.
  template <fixed_string State>
  void set_state() noexcept {
    constexpr std::size_t i = detail::state_index(States::values, State.view());
    static_assert(i < state_count, "promcxx::stateset: set_state<...>(): not one of the declared states<...>");
    if (ref_.alive()) [[likely]] bits_->store(std::uint64_t{1} << i, std::memory_order_relaxed);
  }
  /// Enum semantics with a state chosen at run time; an undeclared state breaks
  /// the contract (PROMCXX_ASSERT) and leaves the series unchanged.
  void set_state(std::string_view state) {
    const std::size_t i = detail::state_index(States::values, state);
    if (i == state_count) [[unlikely]] {
      PROMCXX_BAD_DATA(detail::bad_data::unknown_state, "stateset: set_state() got a state that is not among the declared states");
      return;
    }
    if (ref_.alive()) [[likely]] bits_->store(std::uint64_t{1} << i, std::memory_order_relaxed);
  }

  /// Flag-set semantics: turns `State` on or off and keeps the other states.
  template <fixed_string State>
  void set(bool on) noexcept {
    constexpr std::size_t i = detail::state_index(States::values, State.view());
    static_assert(i < state_count, "promcxx::stateset: set<...>(bool): not one of the declared states<...>");
    flip(i, on);
  }
  /// Flag-set semantics with a state chosen at run time (PROMCXX_ASSERT on an undeclared state).
  void set(std::string_view state, bool on) {
    const std::size_t i = detail::state_index(States::values, state);
    if (i == state_count) [[unlikely]] {
      PROMCXX_BAD_DATA(detail::bad_data::unknown_state, "stateset: set() got a state that is not among the declared states");
      return;
    }
    flip(i, on);
  }

  /// Whether `state` is currently 1 (false for an undeclared state).
  [[nodiscard]] bool is_set(std::string_view state) const noexcept {
    const std::size_t i = detail::state_index(States::values, state);
    return i < state_count && (bits_->load(std::memory_order_relaxed) >> i & 1U) != 0;
  }

 private:
  void flip(std::size_t i, bool on) noexcept {
    if (!ref_.alive()) [[unlikely]] return;
    const std::uint64_t bit = std::uint64_t{1} << i;
    if (on) bits_->fetch_or(bit, std::memory_order_relaxed);
    else bits_->fetch_and(~bit, std::memory_order_relaxed);
  }

  std::atomic<std::uint64_t>* bits_ = nullptr;
  detail::series_ref ref_;
};

} // namespace promcxx

#endif // PROMCXX_HANDLES_HPP
