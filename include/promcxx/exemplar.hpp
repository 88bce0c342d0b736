// promcxx: exemplars on counters and histogram buckets (OpenMetrics).
//
//     inline promcxx::histogram<"rpc_duration_seconds", "RPC latency.", promcxx::exemplars> rpc;
//     rpc.observe(0.042, {{"trace_id", trace_id}});
//     // OpenMetrics: rpc_duration_seconds_bucket{le="0.05"} 7 # {trace_id="4bf9..."} 0.042 1.7e+09
//
// `promcxx::exemplars` is opt-in: it adds one fixed-size slot per counter
// series, or per bucket of a histogram series, allocated when the series is
// created (288 bytes each), so a metric's unused series capacity costs only a
// pointer. Metrics without it keep their size. Recording is lock- and
// allocation-free: the
// labels are packed into the slot's words under a sequence lock, and the
// latest exemplar wins. A writer that finds another writer mid-copy skips its
// exemplar instead of waiting (exemplars are samples, not counts).
//
// OpenMetrics limits an exemplar's label names and values together to 128
// code points. Names written as literals are checked at compile time; the
// total is checked at run time, where a violation breaks the contract
// (PROMCXX_ASSERT), drops the exemplar (the value is still counted) and counts
// it in `promcxx_exemplars_dropped_total` (default registry).
#ifndef PROMCXX_EXEMPLAR_HPP
#define PROMCXX_EXEMPLAR_HPP

#include <array>
#include <atomic>
#include <bit>
#include <cmath>    // std::isnan
#include <cstddef>
#include <cstdint>
#include <cstring>  // std::memcpy: packing label bytes into the slot's words
#include <initializer_list>
#include <memory>  // std::unique_ptr: slots are allocated with their series
#include <new>     // std::nothrow
#include <span>
#include <string_view>
#include <vector>

#include "config.hpp"
#include "fixed_string.hpp"
#include "metrics.hpp"
#include "names.hpp"
#include "options.hpp"
#include "registry.hpp"
#include "snapshot.hpp"
#include "storage.hpp"

namespace promcxx {

/// Option for counters and histograms: keep the latest exemplar per series (per bucket).
struct exemplars {
  using option_kind = detail::exemplars_option;
};

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
    PROMCXX_ASSERT(false, problem);
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

/// Appends the exemplars of one series (the last one in `out`), one ref per slot.
inline void emit_exemplar_slots(std::span<const exemplar_slot> slots, snapshot& out) {
  const auto first_ref = static_cast<std::uint32_t>(out.exemplar_refs.size());
  bool any = false;
  packed_exemplar e;
  for (const auto& slot : slots) {
    double value = 0, timestamp = 0;
    if (!slot.load(e, value, timestamp)) {
      out.exemplar_refs.push_back(snapshot::none);
      continue;
    }
    snapshot::exemplar x;
    x.first_label = static_cast<std::uint32_t>(out.labels.size());
    x.value = value;
    x.timestamp = timestamp;
    x.has_timestamp = true;
    std::uint32_t at = 0;
    for (std::uint32_t i = 0; i < e.label_count; ++i) {
      const auto name_size = static_cast<unsigned char>(e.bytes[at++]);
      const auto name = out.store({e.bytes.data() + at, name_size});
      at += name_size;
      const auto value_size = static_cast<unsigned char>(e.bytes[at++]);
      const auto label_value = out.store({e.bytes.data() + at, value_size});
      at += value_size;
      out.labels.push_back({name, label_value});
    }
    x.label_count = e.label_count;
    out.exemplar_refs.push_back(static_cast<std::uint32_t>(out.exemplars.size()));
    out.exemplars.push_back(x);
    any = true;
  }
  if (any) out.all_series.back().first_exemplar = first_ref;
  else out.exemplar_refs.resize(first_ref);
}

struct exemplar_counter_payload {
  std::uint32_t first_cell = 0;
  std::unique_ptr<exemplar_slot> slot;  // null when allocation failed: no exemplars, values still count
};

template <std::size_t Slots>
struct exemplar_histogram_payload {
  static constexpr std::size_t slot_count = Slots;
  std::uint32_t first_cell = 0;
  std::unique_ptr<exemplar_slot[]> slots;  // one per bucket, +Inf last
};

template <class... Options>
inline constexpr bool wants_exemplars = count_kind<exemplars_option, Options...> > 0;

template <class T>
inline constexpr bool always_false = false;

/// Exposes `promcxx_exemplars_dropped_total` in the default registry once an exemplar was dropped.
class exemplar_drop_collector final : public collector {
 public:
  exemplar_drop_collector() { default_registry().add(*this); }
  void collect(collect_sink& sink) const override {
    const auto dropped = exemplars_dropped.load(std::memory_order_relaxed);
    if (dropped == 0) return;
    if (sink.family("promcxx_exemplars_dropped_total",
                    "Exemplars dropped because their labels broke the OpenMetrics rules (over 128 code points, "
                    "invalid names or UTF-8).",
                    metric_type::counter))
      sink.sample({}, static_cast<double>(dropped));
  }
};

inline exemplar_drop_collector exemplar_drop_collector_instance;

} // namespace detail

/// Counter handle of a series declared with `promcxx::exemplars`.
class exemplar_counter_handle {
 public:
  constexpr exemplar_counter_handle() noexcept = default;
  constexpr exemplar_counter_handle(std::uint32_t cell, detail::exemplar_slot* slot) noexcept
      : cell_(cell), slot_(slot) {}

  void inc() noexcept { detail::add_to_cell(cell_, std::uint64_t{1}); }
  void inc(double amount) { counter_handle{cell_}.inc(amount); }
  /// Adds `amount` and makes `exemplar` (with the amount as its value) the series' exemplar.
  void inc(double amount, std::initializer_list<exemplar_label> exemplar) {
    inc_with(amount, std::span<const exemplar_label>{exemplar.begin(), exemplar.size()}, true);
  }
  /// As above with label names chosen at run time (checked at run time).
  void inc(double amount, std::span<const label_pair> exemplar) { inc_with(amount, exemplar, false); }
  [[nodiscard]] double value() const noexcept { return detail::counter_value(cell_); }

 private:
  template <class Label>
  void inc_with(double amount, std::span<const Label> exemplar, bool names_checked) {
    if (!(amount >= 0)) [[unlikely]] {
      PROMCXX_ASSERT(false, "counter increments must be non-negative and not NaN");
      return;
    }
    detail::counter_add(cell_, amount);
    detail::record_exemplar(slot_, exemplar, amount, names_checked);
  }

  std::uint32_t cell_ = 0;
  detail::exemplar_slot* slot_ = nullptr;
};

/// Histogram handle of a series declared with `promcxx::exemplars`.
template <class Layout>
class exemplar_histogram_handle {
  using plain = histogram_handle<Layout>;

 public:
  static constexpr std::size_t bound_count = plain::bound_count;

  constexpr exemplar_histogram_handle() noexcept = default;
  constexpr exemplar_histogram_handle(std::uint32_t first_cell, detail::exemplar_slot* slots) noexcept
      : first_cell_(first_cell), slots_(slots) {}

  void observe(double v) { plain{first_cell_}.observe(v); }
  /// Records `v` and makes `exemplar` (with value `v`) the exemplar of v's bucket,
  /// so the exemplar always lies inside the bucket it is shown on.
  void observe(double v, std::initializer_list<exemplar_label> exemplar) {
    observe_with(v, std::span<const exemplar_label>{exemplar.begin(), exemplar.size()}, true);
  }
  void observe(double v, std::span<const label_pair> exemplar) { observe_with(v, exemplar, false); }
  [[nodiscard]] std::uint64_t count() const noexcept { return plain{first_cell_}.count(); }
  [[nodiscard]] double sum() const noexcept { return plain{first_cell_}.sum(); }

 private:
  template <class Label>
  void observe_with(double v, std::span<const Label> exemplar, bool names_checked) {
    if (std::isnan(v)) [[unlikely]] {
      PROMCXX_ASSERT(false, "histogram observations must not be NaN");
      return;
    }
    plain{first_cell_}.observe(v);
    detail::record_exemplar(slots_ == nullptr ? nullptr : slots_ + plain::bucket_index(v), exemplar, v,
                            names_checked);
  }

  std::uint32_t first_cell_ = 0;
  detail::exemplar_slot* slots_ = nullptr;
};

/// A counter declared with `promcxx::exemplars`.
template <fixed_string Name, fixed_string Help, class... Options>
  requires detail::wants_exemplars<Options...>
class counter<Name, Help, Options...> final
    : public detail::metric_base<counter<Name, Help, Options...>,
                                 detail::descriptor<metric_type::counter, Name, Help, Options...>,
                                 detail::exemplar_counter_payload, exemplar_counter_handle> {
  using base = detail::metric_base<counter, detail::descriptor<metric_type::counter, Name, Help, Options...>,
                                   detail::exemplar_counter_payload, exemplar_counter_handle>;
  friend base;
  static_assert(detail::count_kind<detail::exemplars_option, Options...> == 1,
                "promcxx::exemplars may be given once");

 public:
  static constexpr metric_type type = metric_type::counter;
  using handle = exemplar_counter_handle;

  counter() = default;
  explicit counter(registry& r) : base(r) {}
  explicit counter(unregistered_t u) : base(u) {}

  void inc() noexcept { self().inc(); }
  void inc(double amount) { self().inc(amount); }
  void inc(double amount, std::initializer_list<exemplar_label> exemplar) { self().inc(amount, exemplar); }
  void inc(double amount, std::span<const label_pair> exemplar) { self().inc(amount, exemplar); }
  [[nodiscard]] double value() const noexcept { return const_cast<counter*>(this)->self().value(); }

 private:
  handle self() noexcept {
    static_assert(base::label_count == 0,
                  "promcxx::counter: a labelled counter is updated through labels(...) or with<...>()");
    return this->unlabelled();
  }
  static constexpr std::span<const double> family_bounds() noexcept { return {}; }
  static void create(detail::exemplar_counter_payload& p) noexcept {
    p.first_cell = detail::global_cells.allocate(1);
    p.slot.reset(new (std::nothrow) detail::exemplar_slot{});
  }
  static void destroy(detail::exemplar_counter_payload& p) noexcept {
    detail::global_cells.release(p.first_cell, 1);
    p.first_cell = 0;
    p.slot.reset();
  }
  static handle make_handle(detail::exemplar_counter_payload& p) noexcept {
    return handle{p.first_cell, p.slot.get()};
  }
  static void emit(const detail::exemplar_counter_payload& p, std::vector<double>& out) {
    out.push_back(detail::counter_value(p.first_cell));
  }
  static void emit_exemplars(const detail::exemplar_counter_payload& p, snapshot& out) {
    if (p.slot) detail::emit_exemplar_slots({p.slot.get(), 1}, out);
  }
};

/// A histogram declared with `promcxx::exemplars`: one exemplar per bucket.
template <fixed_string Name, fixed_string Help, class... Options>
  requires detail::wants_exemplars<Options...>
class histogram<Name, Help, Options...> final
    : public detail::metric_base<
          histogram<Name, Help, Options...>, detail::descriptor<metric_type::histogram, Name, Help, Options...>,
          detail::exemplar_histogram_payload<
              detail::pick_buckets<default_buckets, Options...>::type::bounds.size() + 1>,
          exemplar_histogram_handle<typename detail::pick_buckets<default_buckets, Options...>::type>> {
 public:
  using layout = typename detail::pick_buckets<default_buckets, Options...>::type;
  using handle = exemplar_histogram_handle<layout>;

 private:
  static constexpr std::size_t bound_count = layout::bounds.size();
  using payload = detail::exemplar_histogram_payload<bound_count + 1>;
  using base = detail::metric_base<histogram, detail::descriptor<metric_type::histogram, Name, Help, Options...>,
                                   payload, handle>;
  friend base;
  static_assert(detail::count_kind<detail::exemplars_option, Options...> == 1,
                "promcxx::exemplars may be given once");
  static_assert(bound_count > 0, "promcxx::buckets: at least one bound is required (the +Inf bucket is implicit)");
  static_assert(detail::all_finite(layout::bounds), "promcxx::buckets: bounds must be finite (the +Inf bucket is implicit)");
  static_assert(detail::strictly_increasing(layout::bounds), "promcxx::buckets: bounds must be strictly increasing");
  static constexpr auto cells_per_series = static_cast<std::uint32_t>(bound_count + 2);  // buckets, +Inf, sum

 public:
  static constexpr metric_type type = metric_type::histogram;

  histogram() = default;
  explicit histogram(registry& r) : base(r) {}
  explicit histogram(unregistered_t u) : base(u) {}

  void observe(double v) { self().observe(v); }
  void observe(double v, std::initializer_list<exemplar_label> exemplar) { self().observe(v, exemplar); }
  void observe(double v, std::span<const label_pair> exemplar) { self().observe(v, exemplar); }
  [[nodiscard]] std::uint64_t count() const noexcept { return const_cast<histogram*>(this)->self().count(); }
  [[nodiscard]] double sum() const noexcept { return const_cast<histogram*>(this)->self().sum(); }

 private:
  handle self() noexcept {
    static_assert(base::label_count == 0,
                  "promcxx::histogram: a labelled histogram is updated through labels(...) or with<...>()");
    return this->unlabelled();
  }
  static constexpr std::span<const double> family_bounds() noexcept { return layout::bounds; }
  static void create(payload& p) noexcept {
    p.first_cell = detail::global_cells.allocate(cells_per_series);
    p.slots.reset(new (std::nothrow) detail::exemplar_slot[payload::slot_count]{});
  }
  static void destroy(payload& p) noexcept {
    detail::global_cells.release(p.first_cell, cells_per_series);
    p.first_cell = 0;
    p.slots.reset();
  }
  static handle make_handle(payload& p) noexcept { return handle{p.first_cell, p.slots.get()}; }
  static void emit(const payload& p, std::vector<double>& out) {
    std::uint64_t cumulative = 0;
    for (std::uint32_t i = 0; i <= bound_count; ++i) {
      cumulative += detail::sum_cells_u64(p.first_cell + i);
      out.push_back(static_cast<double>(cumulative));
    }
    out.push_back(detail::sum_cells_double(p.first_cell + static_cast<std::uint32_t>(bound_count) + 1));
  }
  static void emit_exemplars(const payload& p, snapshot& out) {
    if (p.slots) detail::emit_exemplar_slots({p.slots.get(), payload::slot_count}, out);
  }
};

/// Gauges (and the other types) cannot carry exemplars in OpenMetrics.
template <fixed_string Name, fixed_string Help, class... Options>
  requires detail::wants_exemplars<Options...>
class gauge<Name, Help, Options...> {
  static_assert(detail::always_false<gauge>, "promcxx::exemplars: only counters and histograms carry exemplars");
};

} // namespace promcxx

#endif // PROMCXX_EXEMPLAR_HPP
