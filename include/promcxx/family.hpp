// promcxx: the family core. One non-template class does the work of every
// metric family, compile-time or runtime-defined: the label-set -> series
// index, storage of each series, series lifecycle (remove, clear, retain_if,
// idle expiry) and, in registry.hpp, collection. The compile-time descriptors
// only validate and describe (`static constexpr family_spec`) and keep the hot
// path inline on handles.
//
// Series index: open addressing over record ids, read lock-free. Records live
// in chunks that are never freed while the family lives, so a lookup may race
// a removal or re-creation and still only read live memory: label values are
// packed into atomic words under a per-record sequence lock, and a lookup that
// sees the sequence change retries through the locked slow path. Creating and
// removing series takes the family's mutex.
//
// Lifecycle: a removed record keeps its storage cells and goes to the back of
// a FIFO free list; a new series reuses the oldest free record, zeroing its
// cells first. Its generation changes on removal and on reuse, so handles of
// the removed series stop writing (see handles.hpp). Memory therefore stays
// at the family's high-water mark of live series, bounded by max_series.
#ifndef PROMCXX_FAMILY_HPP
#define PROMCXX_FAMILY_HPP

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>  // std::memcpy: label bytes <-> atomic words
#include <new>  // std::nothrow
#include <span>
#include <string>
#include <string_view>
#include <type_traits>  // std::conditional_t
#include <vector>

#include "config.hpp"
#include "detail/exemplar_slot.hpp"
#include "detail/rules.hpp"
#include "handles.hpp"
#include "names.hpp"
#include "storage.hpp"

namespace promcxx {

class registry;
class collect_sink;

/// The label value every label of the overflow series carries.
inline constexpr std::string_view overflow_label_value = "__promcxx_overflow__";

namespace detail {

__extension__ using hash_u128 = unsigned __int128;  // __extension__: -Wpedantic accepts it

constexpr std::uint64_t hash_mix(std::uint64_t a, std::uint64_t b) noexcept {
  const hash_u128 product = static_cast<hash_u128>(a) * b;
  return static_cast<std::uint64_t>(product) ^ static_cast<std::uint64_t>(product >> 64);
}

/// Little-endian value of `Bytes` bytes at `p`: one load (memcpy) on little-endian targets.
template <std::size_t Bytes>
inline std::uint64_t load_le(const char* p) noexcept {
  if constexpr (std::endian::native == std::endian::little) {
    std::conditional_t<Bytes == 8, std::uint64_t, std::uint32_t> v;
    std::memcpy(&v, p, Bytes);
    return v;
  } else {
    std::uint64_t v = 0;
    for (std::size_t k = 0; k < Bytes; ++k) v |= static_cast<std::uint64_t>(static_cast<unsigned char>(p[k])) << (8 * k);
    return v;
  }
}

/// Packed label values, as series records store them and lookups compare
/// them: the lengths two to a word (32 bits each), then each value's bytes
/// from a word boundary as little-endian words, zero-padded.
constexpr std::size_t length_words(std::size_t values) noexcept { return (values + 1) / 2; }

constexpr std::size_t words_for(std::span<const std::string_view> values) noexcept {
  std::size_t n = length_words(values.size());
  for (const auto v : values) n += (v.size() + 7) / 8;
  return n;
}

/// Bytes [at, at + 8) of `v` as a word, zero-padded past the end. A short
/// tail takes two overlapping loads (4 to 7 bytes) or three byte loads
/// (1 to 3): no loop, and no variable-length memcpy, which would be a call.
inline std::uint64_t word_of(std::string_view v, std::size_t at) noexcept {
  const char* p = v.data() + at;
  const std::size_t n = v.size() - at;
  if (n >= 8) return load_le<8>(p);
  if (n >= 4) return load_le<4>(p) | (load_le<4>(p + n - 4) << (8 * (n - 4)));
  if (n == 0) return 0;
  const auto byte = [p](std::size_t k) { return static_cast<std::uint64_t>(static_cast<unsigned char>(p[k])) << (8 * k); };
  return byte(0) | byte(n / 2) | byte(n - 1);
}

/// Hash of a label-value tuple, 8 bytes per multiply (multiply-fold mixing):
/// per value its words, the last one mixed with the value's length, so
/// ("ab","c") and ("a","bc") differ. Only speed depends on it: lookups
/// compare the values themselves.
inline constexpr std::uint64_t hash_seed = 0x243f6a8885a308d3ULL;
constexpr std::uint64_t hash_word(std::uint64_t h, std::uint64_t w) noexcept { return hash_mix(h ^ w, 0x9e3779b97f4a7c15ULL); }
constexpr std::uint64_t hash_last(std::uint64_t h, std::uint64_t w, std::size_t n) noexcept {
  return hash_mix(h ^ w, 0xbf58476d1ce4e5b9ULL ^ n);
}
constexpr std::uint64_t hash_finish(std::uint64_t h) noexcept { return h ^ (h >> 29); }

inline std::uint64_t hash_label_values(std::span<const std::string_view> values) noexcept {
  std::uint64_t h = hash_seed;
  for (const auto v : values) {
    std::size_t at = 0;
    for (; at + 8 < v.size(); at += 8) h = hash_word(h, load_le<8>(v.data() + at));
    h = hash_last(h, word_of(v, at), v.size());
  }
  return hash_finish(h);
}

/// The packed words (the layout records store) and hash of a lookup's label
/// values, built in one pass and then compared word by word with candidates.
struct packed_key {
  static constexpr std::size_t capacity = 16;  // longer tuples are hashed and compared as a stream
  std::uint64_t words[capacity];  // left uninitialized: pack() writes what lookups read
  std::size_t size;
  std::uint64_t hash;

  /// False (and nothing usable) when the values need more than `capacity` words.
  [[gnu::always_inline]] bool pack(std::span<const std::string_view> values) noexcept {
    const std::size_t count = values.size();
    std::size_t at = length_words(count);
    if (at + count > capacity) return pack_any(values);
    std::uint64_t h = hash_seed;
    for (std::size_t i = 0; i < count; ++i) {
      const std::string_view v = values[i];
      const std::size_t n = v.size();
      if (n > 8) [[unlikely]] return pack_any(values);
      h = put_last(i, at, h, word_of(v, 0), n);
    }
    return finish(at, h);
  }

 private:
  /// Stores value i's last (or only) word and its length; returns the hash so far.
  [[gnu::always_inline]] std::uint64_t put_last(std::size_t i, std::size_t& at, std::uint64_t h, std::uint64_t w,
                                                std::size_t n) noexcept {
    words[at] = w;
    at += n != 0;
    if (i % 2 == 0) words[i / 2] = n;
    else words[i / 2] |= static_cast<std::uint64_t>(n) << 32;
    return hash_last(h, w, n);
  }
  [[gnu::always_inline]] bool finish(std::size_t at, std::uint64_t h) noexcept {
    size = at;
    hash = hash_finish(h);
    return true;
  }
  /// Any values (pack() takes this path for values over 8 bytes): out of line, so the inlined lookup stays small.
  bool pack_any(std::span<const std::string_view> values) noexcept;
};

using word = std::atomic<std::uint64_t>;

/// One series of a family. Fields other than atomics change only under the family's mutex.
/// The fields a lookup and a new handle read come first.
struct series_record {
  std::atomic<std::uint32_t> seq{0};         // odd while the label words change (lookups retry)
  std::atomic<std::uint32_t> generation{1};  // changes on removal and on reuse (handles compare)
  std::atomic<word*> words{nullptr};   // packed label values: per value its length, then its bytes
  std::uint32_t first_cell = 0;
  std::atomic<bool> permanent{false};  // unlabelled or label_values<...>: never removed (read by lock-free lookups)
  bool live = false;
  bool has_cells = false;
  mutable std::atomic<std::uint8_t> gauge_flags{0};  // gauge: lock and flags (handles.hpp); reads lock it too
  std::atomic<std::uint64_t> bits{0};  // gauge value (its last set) / stateset states
  std::uint32_t word_capacity = 0;
  std::uint32_t next_free = 0;
  double created = 0;
  exemplar_slot* exemplars = nullptr;  // one per exemplar slot of the family, or null

  series_record() = default;
  series_record(const series_record&) = delete;
  series_record& operator=(const series_record&) = delete;
  ~series_record() {
    delete[] words.load(std::memory_order_relaxed);  // the record owns its current words
    delete[] exemplars;
  }
};

/// Value of a gauge series (value(), scrapes, idle expiry).
inline double gauge_value(const series_record& r) noexcept { return gauge_read(r.bits, r.gauge_flags, r.first_cell); }

/// Label values longer than this are refused (their length must fit the packed 32 bits).
inline constexpr std::size_t max_label_value_bytes = 0xffffffffU;

/// Runtime-owned copy of a family's description (runtime-defined families).
struct owned_spec {
  std::string name, help, unit;
  std::vector<std::string> labels;
  std::vector<std::string_view> label_views;
  std::vector<double> bounds;
  std::vector<std::string> states;
  std::vector<std::string_view> state_views;

  owned_spec() = default;
  owned_spec(const owned_spec& other);
  owned_spec& operator=(const owned_spec&) = delete;

  /// Makes the views refer to this object's strings.
  void point_views();

  [[nodiscard]] family_spec view(metric_type type, std::size_t max_series) const noexcept {
    return {type, name, help, unit, {label_views.data(), label_views.size()}, {bounds.data(), bounds.size()},
            {state_views.data(), state_views.size()}, max_series};
  }
};

class family_core {
 public:
  static constexpr std::uint32_t no_series = 0xffffffffU;

  /// `spec` must outlive the family (static data for descriptors, owned_spec otherwise).
  family_core(const family_spec& spec, bool exemplars, double expire_after_seconds);
  family_core(const family_core&) = delete;
  family_core& operator=(const family_core&) = delete;
  ~family_core();

  [[nodiscard]] const family_spec& spec() const noexcept { return spec_; }
  [[nodiscard]] std::uint32_t cells_per_series() const noexcept { return cells_per_series_; }
  [[nodiscard]] bool has_exemplars() const noexcept { return exemplar_slots_ > 0; }
  /// Label sets refused because the series cap was reached or their values were invalid.
  [[nodiscard]] std::uint64_t rejected() const noexcept { return rejected_.load(std::memory_order_relaxed); }
  /// Series currently exposed (the overflow series included once used).
  [[nodiscard]] std::size_t series_count() const noexcept {
    lock held{mutex_};
    return live_count_ + (overflow_used_ ? 1 : 0);
  }
  /// Records ever made: the family's memory high-water mark (bounded by max_series + 1).
  [[nodiscard]] std::uint32_t records_made() const noexcept {
    lock held{mutex_};
    return next_unused_ + (overflow_made_ ? 1 : 0);
  }

  /// The series with these label values (one per label), created on first use.
  /// Never fails: past the cap, or for invalid UTF-8, the overflow series.
  /// One lookup per usual label count: with the count fixed, packing the key is
  /// straight-line code (one lookup over any count measured ~25% slower). A count
  /// known at the call site calls one of them; runtime families' labels() keep all.
  [[gnu::always_inline]] series_record& find_or_create(std::span<const std::string_view> values) {
    switch (values.size()) {
      case 1: return find_or_create_n<1>(values);
      case 2: return find_or_create_n<2>(values);
      case 3: return find_or_create_n<3>(values);
      case 4: return find_or_create_n<4>(values);
      default: return find_or_create_n<0>(values);
    }
  }

  /// find_or_create for `Count` values (0: any count, 1 to max_fixed_count: exactly
  /// that many); compile-time front ends call it with their label count. Out of line,
  /// and in compiled mode compiled only in the library: at -O2 each count's lookup
  /// took a TU ~10 ms per labels(...) call site when inlined, and the call costs no
  /// measurable time next to the lookup (label_lookup bench, A/B).
  template <std::size_t Count>
  PROMCXX_NOINLINE series_record& find_or_create_n(std::span<const std::string_view> values);
  /// Label counts with a lookup of their own; more labels take find_or_create_n<0>.
  static constexpr std::size_t max_fixed_count = 4;

  /// The one series of an unlabelled family.
  [[nodiscard]] std::uint32_t single() const noexcept { return single_; }

  /// Adds a series that can never be removed (label_values<...> combinations).
  std::uint32_t add_permanent(std::span<const std::string_view> values);
  /// Adds every combination of the label_values<...> lists (one list per label) as
  /// a permanent series, the last label varying fastest, and stores its record in
  /// `out[slot]` (slot: the combination's index in that order).
  void add_known(std::span<const std::span<const std::string_view>> choices, series_record** out);

  [[nodiscard]] series_record& record(std::uint32_t id) const noexcept {
    return chunks_[id / chunk_size].load(std::memory_order_acquire)[id % chunk_size];
  }
  [[nodiscard]] static series_ref ref_of(const series_record& r) noexcept {
    if (r.permanent.load(std::memory_order_relaxed)) return {};
    return {&r.generation, r.generation.load(std::memory_order_relaxed)};
  }
  [[nodiscard]] series_ref ref_of(std::uint32_t id) const noexcept { return ref_of(record(id)); }

  /// Removes the series with these label values; false when there is none.
  /// Handles of the removed series write nothing from then on.
  bool remove(std::span<const std::string_view> values);

  /// Removes every removable series (and resets the overflow series).
  void clear();

  /// Replaces every removable series by one with these values, in one step (info).
  void replace_all(std::span<const std::string_view> values);

  /// Keeps the series for which `keep(label values)` is true; returns how many were removed.
  template <class Predicate>
  std::size_t retain_if(Predicate&& keep) {
    lock held{mutex_};
    std::size_t removed = 0;
    std::vector<std::string_view> views;
    for (std::uint32_t id = 0; id < next_unused_; ++id) {
      const series_record& r = record(id);
      if (!r.live || r.permanent) continue;
      unpack_locked(r, views);
      if (!keep(std::span<const std::string_view>{views})) {
        remove_locked(id);
        ++removed;
      }
    }
    return removed;
  }

  /// Removes series whose values did not change for the configured time;
  /// called by every scrape, callable directly. Returns how many were removed.
  std::size_t expire_idle(double now = now_seconds()) {
    if (expire_after_ <= 0) return 0;
    lock held{mutex_};
    return expire_idle_locked(now);
  }

  /// Collects this family into a scrape (defined in registry.hpp).
  void collect_into(collect_sink& sink) const;

 private:
  friend class promcxx::registry;
  static constexpr std::uint32_t chunk_size = 64;
  static constexpr std::uint32_t tombstone = 0xffffffffU;

  // Index entries hold record id + 1 (0 empty); 16 bits below 65534 series, 4 bytes a series less.
  [[nodiscard]] std::uint32_t index_load(std::size_t pos, std::memory_order order) const noexcept {
    if (narrow_) {
      const std::uint16_t e = static_cast<const std::atomic<std::uint16_t>*>(index_)[pos].load(order);
      return e == 0xffffU ? tombstone : e;
    }
    return static_cast<const std::atomic<std::uint32_t>*>(index_)[pos].load(order);
  }
  void index_store(std::size_t pos, std::uint32_t entry, std::memory_order order) noexcept {
    if (narrow_) static_cast<std::atomic<std::uint16_t>*>(index_)[pos].store(static_cast<std::uint16_t>(entry), order);
    else static_cast<std::atomic<std::uint32_t>*>(index_)[pos].store(entry, order);
  }
  static constexpr std::uint32_t max_cap = (1U << 28);

  static std::uint32_t cells_for(const family_spec& spec) noexcept {
    switch (spec.type) {
      case metric_type::counter: return 1;
      case metric_type::histogram:  // buckets, +Inf, the sum's lanes
        return histogram_cell_count(static_cast<std::uint32_t>(spec.bounds.size()) + 1);
      case metric_type::summary: return 2;                                                     // count, sum
      case metric_type::gauge: return gauge_cells;  // whole deltas, fractional deltas, absorbed fraction
      default: return 0;  // stateset: the record's value word; info: nothing
    }
  }
  static std::uint32_t exemplar_slots_for(const family_spec& spec) noexcept {
    if (spec.type == metric_type::counter) return 1;
    if (spec.type == metric_type::histogram) return static_cast<std::uint32_t>(spec.bounds.size() + 1);
    return 0;
  }
  [[nodiscard]] std::size_t chunk_count() const noexcept { return (std::size_t{cap_} + 1 + chunk_size - 1) / chunk_size; }

  // Out of line: find_or_create_n inlines the common path only, and these are rare.
  series_record& wrong_count();
  /// Values too long for a packed_key.
  series_record& find_or_create_long(std::span<const std::string_view> values);

  /// The lock-free lookup: the live record with these packed values, or null
  /// (also when a racing change was seen: the caller then takes the locked path).
  [[gnu::always_inline]] series_record* find_packed(const packed_key& key, std::size_t lengths) const noexcept {
    return probe(key.hash, [&](const series_record& r, std::uint32_t seq) { return same_words(r, key, lengths, seq); })
        .record;
  }

  struct probe_hit {
    series_record* record = nullptr;
    std::uint32_t id = no_series;
  };
  /// Walks the index from `hash` to the live record that `same(record, seq)` accepts and that did not
  /// change while it was compared (a sequence lock); none found: {nullptr, no_series}.
  template <class Same>
  [[gnu::always_inline]] probe_hit probe(std::uint64_t hash, Same&& same) const noexcept {
    const std::size_t mask = index_size_ - 1;
    for (std::size_t pos = hash & mask, probes = 0; probes <= mask; pos = (pos + 1) & mask, ++probes) {
      const std::uint32_t entry = index_load(pos, std::memory_order_acquire);
      if (entry == 0) return {};
      if (entry == tombstone) continue;
      series_record& r = record(entry - 1);
      const std::uint32_t seq = r.seq.load(std::memory_order_acquire);
      if ((seq & 1U) != 0) continue;
      if (same(r, seq) && unchanged(r, seq)) return {&r, entry - 1};
    }
    return {};
  }

  /// Whether record `r` (read under sequence `seq`) holds exactly `key`.
  [[gnu::always_inline]] static bool same_words(const series_record& r, const packed_key& key, std::size_t lengths,
                                                std::uint32_t seq) noexcept {
    const word* w = r.words.load(std::memory_order_acquire);
    if (w == nullptr) return key.size == 0;
    for (std::size_t i = 0; i < lengths; ++i)
      if (w[i].load(std::memory_order_relaxed) != key.words[i]) return false;
    // Lengths from two writes could together exceed the words' capacity: read on only if they are one write's.
    if (lengths > 1 && !unchanged(r, seq)) return false;
    for (std::size_t i = lengths; i < key.size; ++i)
      if (w[i].load(std::memory_order_relaxed) != key.words[i]) return false;
    return true;
  }

  static bool unchanged(const series_record& r, std::uint32_t seq) noexcept {
    std::atomic_thread_fence(std::memory_order_acquire);
    return r.seq.load(std::memory_order_relaxed) == seq;
  }

  /// The lookup for label values too long for a packed_key: the same, streaming.
  series_record* find_record(std::span<const std::string_view> values, std::uint64_t hash) const noexcept {
    return probe_values(values, hash).record;
  }
  std::uint32_t find(std::span<const std::string_view> values, std::uint64_t hash) const noexcept {
    return probe_values(values, hash).id;
  }
  probe_hit probe_values(std::span<const std::string_view> values, std::uint64_t hash) const noexcept {
    return probe(hash, [&](const series_record& r, std::uint32_t seq) { return same_values(r, values, seq); });
  }

  static bool same_values(const series_record& r, std::span<const std::string_view> values, std::uint32_t seq) noexcept {
    const word* w = r.words.load(std::memory_order_acquire);
    if (w == nullptr) return values.empty();
    for (std::size_t i = 0; i < values.size(); ++i)
      if (((w[i / 2].load(std::memory_order_relaxed) >> (32 * (i % 2))) & 0xffffffffU) != values[i].size()) return false;
    if (values.size() > 2 && !unchanged(r, seq)) return false;  // as in same_words
    std::size_t at = length_words(values.size());
    for (const auto v : values)
      for (std::size_t i = 0; i < v.size(); i += 8)
        if (w[at++].load(std::memory_order_relaxed) != word_of(v, i)) return false;
    return true;
  }

  /// The hash of a record's values, from its packed words (records do not keep it: 8 bytes a series).
  [[nodiscard]] std::uint64_t hash_of_locked(const series_record& r) const noexcept {
    const word* w = r.words.load(std::memory_order_relaxed);
    const std::size_t labels = spec_.label_names.size();
    std::size_t at = length_words(labels);
    std::uint64_t h = hash_seed;
    for (std::size_t label = 0; label < labels; ++label) {
      const std::size_t n = (w[label / 2].load(std::memory_order_relaxed) >> (32 * (label % 2))) & 0xffffffffU;
      const std::size_t words = (n + 7) / 8;
      for (std::size_t k = 1; k < words; ++k) h = hash_word(h, w[at++].load(std::memory_order_relaxed));
      h = hash_last(h, words == 0 ? 0 : w[at++].load(std::memory_order_relaxed), n);
    }
    return hash_finish(h);
  }

  void unpack_locked(const series_record& r, std::vector<std::string_view>& views) const;

  std::uint32_t create(std::span<const std::string_view> values, std::uint64_t hash);

  std::uint32_t overflow_locked_entry();

  series_record* ensure_record(std::uint32_t id);

  /// Gives the record fresh storage: new cells on first use, zeroed cells on reuse.
  void prepare_storage(series_record& r);

  void write_words(series_record& r, std::span<const std::string_view> values);

  std::uint32_t create_locked(std::span<const std::string_view> values, std::uint64_t hash, bool permanent);

  void remove_locked(std::uint32_t id);

  /// Drops tombstones. Lookups racing the rebuild may miss and take the locked path, which waits for it.
  void rebuild_index_locked();

  std::uint32_t overflow_locked(bool requested);

  /// Sum of a series' values, to tell whether it moved since the last scrape.
  [[nodiscard]] double fingerprint_of(const series_record& r) const noexcept;

  std::size_t expire_idle_locked(double now);

  void detach() noexcept;  // defined in registry.hpp

  const family_spec spec_;
  const std::uint32_t cap_;
  const std::uint32_t cells_per_series_;
  const std::uint32_t exemplar_slots_;
  const double expire_after_;
  const std::size_t index_size_;
  const bool narrow_;
  void* index_;  // atomic uint16 or uint32 entries: 0 empty, all ones a tombstone, else record id + 1
  std::atomic<series_record*>* chunks_;  // records by id / chunk_size; id cap_ = overflow
  struct expiry_state {
    double fingerprint = 0;  // sum of the series' values at the last scrape
    double last_change = 0;  // when a scrape last saw them move
  };
  expiry_state* expiry_;  // by record id; only for families with idle expiry
  mutable mutex mutex_;
  std::uint32_t single_ = no_series;
  std::uint32_t next_unused_ = 0;
  std::uint32_t live_count_ = 0;
  std::uint32_t free_head_ = 0, free_tail_ = 0, free_count_ = 0;
  std::size_t tombstones_ = 0;
  bool overflow_made_ = false;
  bool overflow_used_ = false;
  std::atomic<std::uint64_t> rejected_{0};
  std::vector<word*> retired_;
  mutable std::string scratch_;
  mutable std::vector<std::size_t> scratch_sizes_;
  mutable std::vector<std::string_view> scratch_views_;

  // Registry membership (an intrusive list: registering never allocates).
  family_core* next_ = nullptr;
  registry* owner_ = nullptr;
};


#if PROMCXX_DEFINE_SLOW_PATHS

// The lookup of label values (src/promcxx.cpp instantiates Count 0 to max_fixed_count).
template <std::size_t Count>
series_record& family_core::find_or_create_n(std::span<const std::string_view> values) {
  const std::size_t count = Count != 0 ? Count : values.size();
  if (count != spec_.label_names.size()) [[unlikely]] return wrong_count();
  packed_key key;
  if (!key.pack(values.first(count))) [[unlikely]] return find_or_create_long(values);
  if (series_record* found = find_packed(key, length_words(count))) [[likely]] return *found;
  return record(create(values, key.hash));
}

// The slow paths: series creation and removal, index upkeep,
// lookups of values too long for a packed key. Compiled once in
// src/promcxx.cpp under PROMCXX_SEPARATE_COMPILATION (config.hpp).

PROMCXX_SLOW_PATH PROMCXX_NOINLINE bool packed_key::pack_any(std::span<const std::string_view> values) noexcept {
  const std::size_t count = values.size();
  std::size_t at = length_words(count);
  if (at > capacity) return false;
  std::uint64_t h = hash_seed;
  for (std::size_t i = 0; i < count; ++i) {
    const std::string_view v = values[i];
    const std::size_t n = v.size();
    if (at + (n + 7) / 8 > capacity) return false;
    std::size_t off = 0;
    for (; off + 8 < n; off += 8) {
      const std::uint64_t w = load_le<8>(v.data() + off);
      words[at++] = w;
      h = hash_word(h, w);
    }
    h = put_last(i, at, h, word_of(v, off), n);
  }
  return finish(at, h);
}

PROMCXX_SLOW_PATH PROMCXX_NOINLINE series_record& family_core::wrong_count() {
  PROMCXX_BAD_DATA(bad_data::label_value, "labels(...) takes exactly one value per declared label name");
  return record(overflow_locked_entry());
}

PROMCXX_SLOW_PATH PROMCXX_NOINLINE series_record& family_core::find_or_create_long(
    std::span<const std::string_view> values) {
  const std::uint64_t hash = hash_label_values(values);
  if (series_record* found = find_record(values, hash)) return *found;
  return record(create(values, hash));
}

PROMCXX_SLOW_PATH owned_spec::owned_spec(const owned_spec& other)
    : name(other.name), help(other.help), unit(other.unit), labels(other.labels), bounds(other.bounds),
      states(other.states) {
  point_views();
}

PROMCXX_SLOW_PATH void owned_spec::point_views() {
  label_views.assign(labels.begin(), labels.end());
  state_views.assign(states.begin(), states.end());
}

PROMCXX_SLOW_PATH PROMCXX_NOINLINE family_core::family_core(const family_spec& spec, bool exemplars,
                                                         double expire_after_seconds)
    : spec_(spec),
      cap_(spec.label_names.empty() ? 1 : static_cast<std::uint32_t>(spec.max_series < max_cap ? spec.max_series : max_cap)),
      cells_per_series_(cells_for(spec)), exemplar_slots_(exemplars ? exemplar_slots_for(spec) : 0),
      expire_after_(expire_after_seconds),
      index_size_(std::bit_ceil(std::size_t{2} * cap_)),  // the overflow series is never indexed
      narrow_(cap_ < 0xfffeU),
      index_(narrow_ ? static_cast<void*>(new std::atomic<std::uint16_t>[index_size_]())
                     : static_cast<void*>(new std::atomic<std::uint32_t>[index_size_]())),
      chunks_(new std::atomic<series_record*>[chunk_count()]()),
      expiry_(expire_after_seconds > 0 ? new expiry_state[std::size_t{cap_} + 1]() : nullptr) {
  if (spec.label_names.empty()) {
    lock held{mutex_};
    single_ = create_locked({}, hash_label_values({}), true);
  }
}

PROMCXX_SLOW_PATH PROMCXX_NOINLINE family_core::~family_core() {
  detach();
  for (std::size_t c = 0; c < chunk_count(); ++c) {
    series_record* chunk = chunks_[c].load(std::memory_order_relaxed);
    if (chunk == nullptr) continue;
    for (std::uint32_t i = 0; i < chunk_size; ++i)
      if (chunk[i].has_cells) global_cells.release(chunk[i].first_cell, cells_per_series_);
    delete[] chunk;
  }
  for (word* w : retired_) delete[] w;
  delete[] chunks_;
  if (narrow_) delete[] static_cast<std::atomic<std::uint16_t>*>(index_);
  else delete[] static_cast<std::atomic<std::uint32_t>*>(index_);
  delete[] expiry_;
}

PROMCXX_SLOW_PATH std::uint32_t family_core::add_permanent(std::span<const std::string_view> values) {
  lock held{mutex_};
  return create_locked(values, hash_label_values(values), true);
}

PROMCXX_SLOW_PATH void family_core::add_known(std::span<const std::span<const std::string_view>> choices,
                                               series_record** out) {
  std::size_t combinations = 1;
  for (const auto c : choices) combinations *= c.size();
  std::vector<std::string_view> values(choices.size());
  for (std::size_t slot = 0; slot < combinations; ++slot) {
    std::size_t rest = slot;
    for (std::size_t i = choices.size(); i-- > 0;) {
      values[i] = choices[i][rest % choices[i].size()];
      rest /= choices[i].size();
    }
    out[slot] = &record(add_permanent(values));
  }
}

PROMCXX_SLOW_PATH bool family_core::remove(std::span<const std::string_view> values) {
  if (values.size() != spec_.label_names.size()) return false;
  const std::uint64_t hash = hash_label_values(values);
  lock held{mutex_};
  const auto id = find(values, hash);
  if (id == no_series || record(id).permanent) return false;
  remove_locked(id);
  return true;
}

PROMCXX_SLOW_PATH void family_core::clear() {
  lock held{mutex_};
  for (std::uint32_t id = 0; id < next_unused_; ++id) {
    const series_record& r = record(id);
    if (r.live && !r.permanent) remove_locked(id);
  }
  overflow_used_ = false;
}

PROMCXX_SLOW_PATH void family_core::replace_all(std::span<const std::string_view> values) {
  const std::uint64_t hash = hash_label_values(values);
  lock held{mutex_};
  for (std::uint32_t id = 0; id < next_unused_; ++id) {
    const series_record& r = record(id);
    if (r.live && !r.permanent) remove_locked(id);
  }
  create_locked(values, hash, false);
}

PROMCXX_SLOW_PATH void family_core::unpack_locked(const series_record& r, std::vector<std::string_view>& views) const {
  views.clear();
  scratch_.clear();
  const word* w = r.words.load(std::memory_order_relaxed);
  const std::size_t labels = spec_.label_names.size();
  std::size_t at = length_words(labels);
  std::vector<std::size_t>& sizes = scratch_sizes_;
  sizes.clear();
  for (std::size_t label = 0; label < labels; ++label) {
    const auto n = static_cast<std::size_t>((w[label / 2].load(std::memory_order_relaxed) >> (32 * (label % 2))) & 0xffffffffU);
    const std::size_t start = scratch_.size();
    scratch_.resize(start + n);
    for (std::size_t i = 0; i < n; i += 8) {
      const std::uint64_t x = w[at++].load(std::memory_order_relaxed);
      std::memcpy(scratch_.data() + start + i, &x, n - i < 8 ? n - i : 8);
    }
    sizes.push_back(n);
  }
  std::size_t offset = 0;
  for (const auto n : sizes) {
    views.emplace_back(scratch_.data() + offset, n);
    offset += n;
  }
}

PROMCXX_SLOW_PATH PROMCXX_NOINLINE std::uint32_t family_core::create(std::span<const std::string_view> values,
                                                                    std::uint64_t hash) {
  bool valid = true;
  bool all_overflow = !values.empty();
  for (const auto v : values) {
    valid = valid && v.size() <= max_label_value_bytes && is_valid_utf8(v);
    all_overflow = all_overflow && v == overflow_label_value;
  }
  if (!valid) PROMCXX_BAD_DATA(bad_data::label_value, "label values must be valid UTF-8");
  lock held{mutex_};
  if (const auto found = find(values, hash); found != no_series) return found;
  if (!valid || all_overflow || live_count_ >= cap_) return overflow_locked(all_overflow);
  return create_locked(values, hash, false);
}

PROMCXX_SLOW_PATH std::uint32_t family_core::overflow_locked_entry() {
  lock held{mutex_};
  return overflow_locked(false);
}

PROMCXX_SLOW_PATH series_record* family_core::ensure_record(std::uint32_t id) {
  std::atomic<series_record*>& slot = chunks_[id / chunk_size];
  series_record* chunk = slot.load(std::memory_order_relaxed);
  if (chunk == nullptr) {
    chunk = new series_record[chunk_size];
    slot.store(chunk, std::memory_order_release);
  }
  return &chunk[id % chunk_size];
}

PROMCXX_SLOW_PATH void family_core::prepare_storage(series_record& r) {
  if (!r.has_cells) {
    r.has_cells = true;
    r.first_cell = cells_per_series_ == 0 ? 0 : global_cells.allocate(cells_per_series_);
    if (exemplar_slots_ > 0) r.exemplars = new (std::nothrow) exemplar_slot[exemplar_slots_];
  } else {
    if (cells_per_series_ > 0 && r.first_cell != 0) zero_cells(r.first_cell, cells_per_series_);
    if (r.exemplars)
      for (std::uint32_t i = 0; i < exemplar_slots_; ++i) r.exemplars[i].reset();
  }
  r.bits.store(0, std::memory_order_relaxed);
  r.gauge_flags.store(0, std::memory_order_relaxed);  // cells zeroed above: a gauge starts set-only again
}

PROMCXX_SLOW_PATH void family_core::write_words(series_record& r, std::span<const std::string_view> values) {
  const std::size_t needed = words_for(values);
  word* w = r.words.load(std::memory_order_relaxed);
  if (needed > r.word_capacity) {
    // A racing lookup may still read the old words: keep them until the family goes.
    if (w != nullptr) retired_.push_back(w);
    const std::size_t doubled = std::size_t{r.word_capacity} * 2;
    const std::size_t capacity = needed > doubled ? needed : doubled;
    w = new word[capacity]();
    r.word_capacity = static_cast<std::uint32_t>(capacity);
  }
  for (std::size_t i = 0; i < length_words(values.size()); ++i) {
    std::uint64_t lengths = values[2 * i].size();
    if (2 * i + 1 < values.size()) lengths |= static_cast<std::uint64_t>(values[2 * i + 1].size()) << 32;
    w[i].store(lengths, std::memory_order_relaxed);
  }
  std::size_t at = length_words(values.size());
  for (const auto v : values)
    for (std::size_t i = 0; i < v.size(); i += 8) w[at++].store(word_of(v, i), std::memory_order_relaxed);
  r.words.store(w, std::memory_order_release);
}

PROMCXX_SLOW_PATH std::uint32_t family_core::create_locked(std::span<const std::string_view> values, std::uint64_t hash,
                                                           bool permanent) {
  std::uint32_t id;
  if (free_count_ > 0) {
    id = free_head_;
    free_head_ = record(id).next_free;
    --free_count_;
  } else {
    id = next_unused_++;
  }
  series_record& r = *ensure_record(id);
  const std::uint32_t seq = r.seq.load(std::memory_order_relaxed);
  r.seq.store(seq + 1, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_release);
  prepare_storage(r);
  write_words(r, values);
  r.generation.fetch_add(1, std::memory_order_relaxed);
  r.live = true;
  if (r.permanent.load(std::memory_order_relaxed) != permanent) r.permanent.store(permanent, std::memory_order_relaxed);
  r.created = now_seconds();
  if (expiry_ != nullptr) expiry_[id] = {0, r.created};
  r.seq.store(seq + 2, std::memory_order_release);
  const std::size_t mask = index_size_ - 1;
  for (std::size_t pos = hash & mask;; pos = (pos + 1) & mask) {
    const std::uint32_t entry = index_load(pos, std::memory_order_relaxed);
    if (entry == 0 || entry == tombstone) {
      if (entry == tombstone) --tombstones_;
      index_store(pos, id + 1, std::memory_order_release);
      break;
    }
  }
  ++live_count_;
  return id;
}

PROMCXX_SLOW_PATH void family_core::remove_locked(std::uint32_t id) {
  series_record& r = record(id);
  const std::uint32_t seq = r.seq.load(std::memory_order_relaxed);
  r.seq.store(seq + 1, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_release);
  r.generation.fetch_add(1, std::memory_order_relaxed);
  r.live = false;
  r.seq.store(seq + 2, std::memory_order_release);
  const std::size_t mask = index_size_ - 1;
  for (std::size_t pos = hash_of_locked(r) & mask;; pos = (pos + 1) & mask) {
    const std::uint32_t entry = index_load(pos, std::memory_order_relaxed);
    if (entry == id + 1) {
      index_store(pos, tombstone, std::memory_order_release);
      ++tombstones_;
      break;
    }
    if (entry == 0) break;  // not indexed (cannot happen for a live record)
  }
  r.next_free = 0;
  if (free_count_ == 0) free_head_ = id;
  else record(free_tail_).next_free = id;
  free_tail_ = id;
  ++free_count_;
  --live_count_;
  if (tombstones_ > index_size_ / 4) rebuild_index_locked();
}

PROMCXX_SLOW_PATH void family_core::rebuild_index_locked() {
  for (std::size_t pos = 0; pos < index_size_; ++pos) index_store(pos, 0, std::memory_order_relaxed);
  const std::size_t mask = index_size_ - 1;
  for (std::uint32_t id = 0; id < next_unused_; ++id) {
    const series_record& r = record(id);
    if (!r.live) continue;
    for (std::size_t pos = hash_of_locked(r) & mask;; pos = (pos + 1) & mask) {
      if (index_load(pos, std::memory_order_relaxed) == 0) {
        index_store(pos, id + 1, std::memory_order_release);
        break;
      }
    }
  }
  tombstones_ = 0;
}

PROMCXX_SLOW_PATH std::uint32_t family_core::overflow_locked(bool requested) {
  if (!requested) rejected_.fetch_add(1, std::memory_order_relaxed);
  const std::uint32_t id = cap_;
  if (!overflow_made_) {
    series_record& r = *ensure_record(id);
    prepare_storage(r);
    std::vector<std::string_view> values(spec_.label_names.size(), overflow_label_value);
    write_words(r, values);
    r.permanent = true;
    r.created = now_seconds();
    overflow_made_ = true;
  }
  if (!overflow_used_) {
    series_record& r = record(id);
    if (r.has_cells && r.first_cell != 0 && cells_per_series_ > 0) zero_cells(r.first_cell, cells_per_series_);
    r.bits.store(0, std::memory_order_relaxed);
    r.gauge_flags.store(0, std::memory_order_relaxed);
    r.live = true;
    overflow_used_ = true;
  }
  return id;
}

PROMCXX_SLOW_PATH double family_core::fingerprint_of(const series_record& r) const noexcept {
  if (spec_.type == metric_type::gauge) return gauge_value(r);  // its cells hold deltas and an absorbed bit pattern
  double f = std::bit_cast<double>(r.bits.load(std::memory_order_relaxed));
  for (std::uint32_t i = 0; i < cells_per_series_; ++i) {
    f += static_cast<double>(sum_cells_u64(r.first_cell + i));
    f += global_fractions.read(r.first_cell + i);
  }
  return f;
}

PROMCXX_SLOW_PATH std::size_t family_core::expire_idle_locked(double now) {
  std::size_t removed = 0;
  for (std::uint32_t id = 0; id < next_unused_; ++id) {
    series_record& r = record(id);
    if (!r.live || r.permanent) continue;
    const double f = fingerprint_of(r);
    expiry_state& e = expiry_[id];
    if (f != e.fingerprint) {
      e.fingerprint = f;
      e.last_change = now;
    } else if (now - e.last_change >= expire_after_) {
      remove_locked(id);
      ++removed;
    }
  }
  return removed;
}

#endif // PROMCXX_DEFINE_SLOW_PATHS

} // namespace detail
} // namespace promcxx

#endif // PROMCXX_FAMILY_HPP
