// promcxx: where exemplars live: one fixed-size slot per counter series or
// histogram bucket, written lock-free (the latest exemplar wins).
//
// OpenMetrics limits an exemplar's label names and values together to 128
// code points. Names written as literals are checked at compile time; the
// total is checked at run time, where a violation breaks the contract
// (PROMCXX_ASSERT), drops the exemplar (the value is still counted) and counts
// it in `promcxx_exemplars_dropped_total`.
#ifndef PROMCXX_DETAIL_EXEMPLAR_SLOT_HPP
#define PROMCXX_DETAIL_EXEMPLAR_SLOT_HPP

#include <array>
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>  // std::memcpy: packing label bytes into the slot's words
#include <span>
#include <string_view>

#include "../config.hpp"
#include "../names.hpp"
#include "rules.hpp"  // label_pair

namespace promcxx {

namespace detail {

/// OpenMetrics: label names and values of one exemplar, together, in code points.
inline constexpr std::size_t exemplar_max_code_points = 128;
/// Bytes of packed labels a slot holds: each label costs its name and value
/// plus two length bytes, so any ASCII exemplar within the 128-code-point
/// limit fits; non-ASCII values that need more bytes are dropped like over-long ones.
inline constexpr std::size_t exemplar_slot_bytes = 256;

// Called only when a literal exemplar label name is invalid, to stop constant
// evaluation; the compiler shows the function's name as the reason.
void exemplar_label_name_must_match_a_label_name_and_not_start_with_two_underscores();
void exemplar_label_name_is_longer_than_128_code_points();

/// A label name checked at compile time (the fmt::format_string technique).
class exemplar_label_name {
 public:
  template <std::size_t N>
  consteval exemplar_label_name(const char (&text)[N]) : name_(text, N - 1) {
    if (!is_label_name(name_) || is_reserved_label_name(name_))
      exemplar_label_name_must_match_a_label_name_and_not_start_with_two_underscores();
    if (name_.size() > exemplar_max_code_points) exemplar_label_name_is_longer_than_128_code_points();
  }
  [[nodiscard]] constexpr std::string_view view() const noexcept { return name_; }

 private:
  std::string_view name_;
};

/// Counts exemplars dropped for breaking the rules, process-wide.
inline constinit std::atomic<std::uint64_t> exemplars_dropped{0};

} // namespace detail

/// One exemplar label: a literal name (checked at compile time) and any value.
struct exemplar_label {
  detail::exemplar_label_name name;
  std::string_view value;
};

/// Exemplars recorded process-wide that were dropped for breaking the OpenMetrics rules.
[[nodiscard]] inline std::uint64_t exemplars_dropped() noexcept {
  return detail::exemplars_dropped.load(std::memory_order_relaxed);
}

namespace detail {

/// Labels packed for a slot: per label, name length, name, value length, value.
struct packed_exemplar {
  std::array<char, exemplar_slot_bytes> bytes{};
  std::uint32_t size = 0;
  std::uint32_t label_count = 0;
};

inline std::string_view label_name_of(const exemplar_label& l) noexcept { return l.name.view(); }
inline std::string_view label_name_of(const label_pair& l) noexcept { return l.name; }

/// Validates and packs; on a broken rule counts the drop, reports it through
/// PROMCXX_ASSERT and returns false.
template <class Label>
bool pack_exemplar(std::span<const Label> labels, packed_exemplar& out, bool names_checked) {
  const char* problem = nullptr;
  std::size_t code_points = 0;
  for (std::size_t i = 0; i < labels.size() && problem == nullptr; ++i) {
    const std::string_view name = label_name_of(labels[i]);
    const std::string_view value = labels[i].value;
    if (!names_checked && (!is_label_name(name) || is_reserved_label_name(name)))
      problem = "exemplar label names must match [a-zA-Z_][a-zA-Z0-9_]* and not start with __";
    else if (!is_valid_utf8(value))
      problem = "exemplar label values must be valid UTF-8";
    for (std::size_t k = 0; k < i && problem == nullptr; ++k)
      if (label_name_of(labels[k]) == name) problem = "exemplar label names must be unique";
    code_points += name.size() + utf8_code_points(value);
    if (problem == nullptr && code_points > exemplar_max_code_points)
      problem = "exemplar labels exceed 128 code points (names and values together, OpenMetrics limit)";
    if (problem == nullptr && out.size + 2 + name.size() + value.size() > exemplar_slot_bytes)
      problem = "exemplar labels exceed the 256-byte exemplar slot";
    if (problem != nullptr) break;
    out.bytes[out.size++] = static_cast<char>(name.size());
    std::memcpy(out.bytes.data() + out.size, name.data(), name.size());
    out.size += static_cast<std::uint32_t>(name.size());
    out.bytes[out.size++] = static_cast<char>(value.size());
    if (!value.empty()) std::memcpy(out.bytes.data() + out.size, value.data(), value.size());
    out.size += static_cast<std::uint32_t>(value.size());
    ++out.label_count;
  }
  if (problem != nullptr) [[unlikely]] {
    exemplars_dropped.fetch_add(1, std::memory_order_relaxed);
    PROMCXX_BAD_DATA(bad_data::exemplar, problem);
    return false;
  }
  return true;
}

/// The latest exemplar of one value slot. Every field is an atomic word, so
/// readers racing a writer are well defined (and clean under TSan); the
/// sequence number tells a reader whether its copy is torn. Release stores and
/// acquire loads of the words stand in for fences (which TSan cannot model): a
/// reader that sees any word of a newer write also sees that write's odd sequence.
class exemplar_slot {
 public:
  static constexpr std::size_t words = exemplar_slot_bytes / 8;

  exemplar_slot() = default;
  exemplar_slot(const exemplar_slot&) = delete;
  exemplar_slot& operator=(const exemplar_slot&) = delete;

  /// Publishes an exemplar unless another writer holds the slot (then false).
  bool store(const packed_exemplar& e, double value, double timestamp) noexcept {
    std::uint64_t seq = seq_.load(std::memory_order_relaxed);
    if ((seq & 1U) != 0 || !seq_.compare_exchange_strong(seq, seq + 1, std::memory_order_acquire,
                                                         std::memory_order_relaxed))
      return false;
    value_.store(std::bit_cast<std::uint64_t>(value), std::memory_order_release);
    timestamp_.store(std::bit_cast<std::uint64_t>(timestamp), std::memory_order_release);
    shape_.store(std::uint64_t{e.size} | std::uint64_t{e.label_count} << 32, std::memory_order_release);
    for (std::size_t w = 0; w * 8 < e.size; ++w) {
      std::uint64_t word = 0;
      std::memcpy(&word, e.bytes.data() + w * 8, 8);
      data_[w].store(word, std::memory_order_release);
    }
    seq_.store(seq + 2, std::memory_order_release);
    return true;
  }

  /// A consistent copy, or false when the slot is empty or stayed busy.
  bool load(packed_exemplar& e, double& value, double& timestamp) const noexcept {
    for (int attempt = 0; attempt < 64; ++attempt) {  // bounded: a scrape never spins on a hot slot
      const std::uint64_t before = seq_.load(std::memory_order_acquire);
      if (before == 0) return false;
      if ((before & 1U) != 0) continue;
      value = std::bit_cast<double>(value_.load(std::memory_order_acquire));
      timestamp = std::bit_cast<double>(timestamp_.load(std::memory_order_acquire));
      const std::uint64_t shape = shape_.load(std::memory_order_acquire);
      e.size = static_cast<std::uint32_t>(shape & 0xffffffffU);
      e.label_count = static_cast<std::uint32_t>(shape >> 32);
      if (e.size > exemplar_slot_bytes) continue;
      for (std::size_t w = 0; w * 8 < e.size; ++w) {
        const std::uint64_t word = data_[w].load(std::memory_order_acquire);
        std::memcpy(e.bytes.data() + w * 8, &word, 8);
      }
      if (seq_.load(std::memory_order_relaxed) == before) return true;
    }
    return false;
  }

  void reset() noexcept { seq_.store(0, std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> seq_{0};  // 0: never written; odd: a writer is copying
  std::atomic<std::uint64_t> value_{0};
  std::atomic<std::uint64_t> timestamp_{0};
  std::atomic<std::uint64_t> shape_{0};  // byte size | label count << 32
  std::array<std::atomic<std::uint64_t>, words> data_{};
};

template <class Label>
void record_exemplar(exemplar_slot* slot, std::span<const Label> labels, double value, bool names_checked) {
  packed_exemplar packed;
  if (!pack_exemplar(labels, packed, names_checked)) return;
  if (slot == nullptr) [[unlikely]] {  // the series' slots could not be allocated
    exemplars_dropped.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  slot->store(packed, value, now_seconds());
}


} // namespace detail
} // namespace promcxx

#endif // PROMCXX_DETAIL_EXEMPLAR_SLOT_HPP
