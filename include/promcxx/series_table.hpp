// promcxx: the label-set -> series map of a labelled metric.
//
// Fixed capacity chosen at compile time, stored inline in the metric (static
// storage for namespace-scope metrics). Lookups of existing series are
// lock-free and allocation-free: an open-addressing index of slot numbers,
// published with release stores. Creating a series takes a per-metric mutex
// and copies the label values once.
#ifndef PROMCXX_SERIES_TABLE_HPP
#define PROMCXX_SERIES_TABLE_HPP

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <span>
#include <string_view>
#include <type_traits>

#include "config.hpp"
#include "names.hpp"
#include "options.hpp"

namespace promcxx::detail {

__extension__ using hash_u128 = unsigned __int128;  // __extension__: -Wpedantic accepts it

constexpr std::uint64_t hash_mix(std::uint64_t a, std::uint64_t b) noexcept {
  const hash_u128 product = static_cast<hash_u128>(a) * b;
  return static_cast<std::uint64_t>(product) ^ static_cast<std::uint64_t>(product >> 64);
}

/// Little-endian load assembled from bytes so it stays constexpr; GCC and clang emit one mov.
template <std::size_t Bytes>
constexpr std::uint64_t hash_load(std::string_view s, std::size_t at) noexcept {
  std::uint64_t v = 0;
  for (std::size_t k = 0; k < Bytes; ++k) v |= static_cast<std::uint64_t>(static_cast<unsigned char>(s[at + k])) << (8 * k);
  return v;
}

/// Hash of a label-value tuple, 8 bytes per multiply (multiply-fold mixing);
/// each value's length is mixed in, so ("ab","c") and ("a","bc") differ.
/// Only speed depends on it: lookups compare the values themselves.
constexpr std::uint64_t hash_label_values(std::span<const std::string_view> values) noexcept {
  std::uint64_t h = 0x243f6a8885a308d3ULL;
  for (const auto v : values) {
    const std::size_t n = v.size();
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) h = hash_mix(h ^ hash_load<8>(v, i), 0x9e3779b97f4a7c15ULL);
    const std::size_t rest = n - i;
    std::uint64_t tail = 0;
    if (rest >= 4) {
      tail = hash_load<4>(v, i) | (hash_load<4>(v, n - 4) << 32);  // the two loads may overlap
    } else if (rest > 0) {
      tail = static_cast<unsigned char>(v[i]) | (static_cast<std::uint64_t>(static_cast<unsigned char>(v[i + rest / 2])) << 8) |
             (static_cast<std::uint64_t>(static_cast<unsigned char>(v[n - 1])) << 16);
    }
    h = hash_mix(h ^ tail, 0xbf58476d1ce4e5b9ULL ^ n);
  }
  return h ^ (h >> 29);
}

template <class Payload, std::size_t LabelCount, std::size_t Cap>
class series_table {
 public:
  static constexpr std::uint32_t overflow_slot = static_cast<std::uint32_t>(Cap);

  struct slot {
    std::uint64_t hash = 0;
    Payload payload{};
    std::array<std::string_view, LabelCount> values{};
    std::unique_ptr<char[]> storage;  // owns the values of runtime-created series
    double created = 0;
  };

  series_table() = default;
  series_table(const series_table&) = delete;
  series_table& operator=(const series_table&) = delete;

  /// Adds a series whose label values have static storage (known values).
  template <class Init>
  void add_static(std::span<const std::string_view, LabelCount> values, Init&& init) {
    std::lock_guard lock{mutex_};
    const auto n = size_.load(std::memory_order_relaxed);
    slot& s = slots_[n];
    std::copy(values.begin(), values.end(), s.values.begin());
    publish(n, std::forward<Init>(init));
  }

  /// Slot of the series with these label values, created on first use. Never
  /// fails: past the cap, or for invalid UTF-8, the overflow slot.
  template <class Init>
  std::uint32_t find_or_create(std::span<const std::string_view, LabelCount> values, Init&& init) {
    const std::uint64_t hash = hash_label_values(values);
    if (const auto found = find(values, hash); found != not_found) return found;
    return create(values, hash, std::forward<Init>(init));
  }

  [[nodiscard]] std::uint32_t size() const noexcept { return size_.load(std::memory_order_acquire); }
  [[nodiscard]] const slot& at(std::uint32_t index) const noexcept { return slots_[index]; }
  [[nodiscard]] slot& at(std::uint32_t index) noexcept { return slots_[index]; }
  [[nodiscard]] bool overflow_used() const noexcept { return overflow_used_.load(std::memory_order_acquire); }
  [[nodiscard]] std::uint64_t rejected() const noexcept { return rejected_.load(std::memory_order_relaxed); }

  /// Visits every slot that exists (published ones and the overflow slot if used).
  template <class F>
  void for_each(F&& f) const {
    const auto n = size();
    for (std::uint32_t i = 0; i < n; ++i) f(slots_[i]);
    if (overflow_used()) f(slots_[overflow_slot]);
  }
  template <class F>
  void for_each_mut(F&& f) {
    const auto n = size();
    for (std::uint32_t i = 0; i < n; ++i) f(slots_[i]);
    if (overflow_used()) f(slots_[overflow_slot]);
  }

 private:
  static constexpr std::uint32_t not_found = 0xffffffffU;
  static constexpr std::size_t index_size = std::bit_ceil(2 * (Cap + 1));

  std::uint32_t find(std::span<const std::string_view, LabelCount> values, std::uint64_t hash) const noexcept {
    for (std::size_t pos = hash & (index_size - 1);; pos = (pos + 1) & (index_size - 1)) {
      const auto entry = index_[pos].load(std::memory_order_acquire);
      if (entry == 0) return not_found;
      const slot& s = slots_[entry - 1];
      if (s.hash == hash && std::equal(values.begin(), values.end(), s.values.begin())) return entry - 1;
    }
  }

  template <class Init>
  PROMCXX_NOINLINE std::uint32_t create(std::span<const std::string_view, LabelCount> values, std::uint64_t hash,
                                        Init&& init) {
    bool valid = true;
    bool all_overflow = LabelCount > 0;
    std::size_t bytes = 0;
    for (const auto v : values) {
      valid = valid && is_valid_utf8(v);
      all_overflow = all_overflow && v == overflow_label_value;
      bytes += v.size();
    }
    PROMCXX_ASSERT(valid, "label values must be valid UTF-8");
    std::lock_guard lock{mutex_};
    if (const auto found = find(values, hash); found != not_found) return found;
    const auto n = size_.load(std::memory_order_relaxed);
    if (!valid || all_overflow || n >= Cap) return overflow(init, all_overflow);
    slot& s = slots_[n];
    s.storage.reset(new (std::nothrow) char[bytes == 0 ? 1 : bytes]);
    if (!s.storage) return overflow(init, false);
    char* p = s.storage.get();
    for (std::size_t i = 0; i < LabelCount; ++i) {
      if (!values[i].empty()) std::memcpy(p, values[i].data(), values[i].size());
      s.values[i] = {p, values[i].size()};
      p += values[i].size();
    }
    publish(n, std::forward<Init>(init));
    return n;
  }

  template <class Init>
  void publish(std::uint32_t n, Init&& init) {
    slot& s = slots_[n];
    s.hash = hash_label_values(s.values);
    s.created = now_seconds_for_series();
    init(s.payload);
    for (std::size_t pos = s.hash & (index_size - 1);; pos = (pos + 1) & (index_size - 1)) {
      if (index_[pos].load(std::memory_order_relaxed) == 0) {
        index_[pos].store(static_cast<index_entry>(n + 1), std::memory_order_release);
        break;
      }
    }
    size_.store(n + 1, std::memory_order_release);
  }

  template <class Init>
  std::uint32_t overflow(Init& init, bool requested) noexcept {
    if (!requested) rejected_.fetch_add(1, std::memory_order_relaxed);
    if (!overflow_used_.load(std::memory_order_relaxed)) {
      slot& s = slots_[overflow_slot];
      s.values.fill(overflow_label_value);
      s.created = now_seconds_for_series();
      init(s.payload);
      overflow_used_.store(true, std::memory_order_release);
    }
    return overflow_slot;
  }

  static double now_seconds_for_series() noexcept {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  }

  std::array<slot, Cap + 1> slots_{};
  // Index entries hold slot + 1 (0 = empty); 16 bits suffice below 65535 series, saving 8 bytes per series.
  using index_entry = std::conditional_t<(Cap < 65535), std::uint16_t, std::uint32_t>;
  std::array<std::atomic<index_entry>, index_size> index_{};
  std::atomic<std::uint32_t> size_{0};
  std::atomic<bool> overflow_used_{false};
  std::atomic<std::uint64_t> rejected_{0};
  std::mutex mutex_;
};

} // namespace promcxx::detail

#endif // PROMCXX_SERIES_TABLE_HPP
