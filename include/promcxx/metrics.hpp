// promcxx: the compile-time metric front ends: counter, gauge, histogram.
//
// Each is a thin class over one `detail::family_core` (family.hpp): the
// descriptor checks and describes at compile time, the core does the work at
// run time, and the update calls stay inline on handles (handles.hpp).
#ifndef PROMCXX_METRICS_HPP
#define PROMCXX_METRICS_HPP

#include <array>
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string_view>
#include <type_traits>

#include "buckets.hpp"
#include "config.hpp"
#include "descriptor.hpp"
#include "family.hpp"
#include "fixed_string.hpp"
#include "handles.hpp"
#include "options.hpp"
#include "storage.hpp"

namespace promcxx {

/// Pass to a metric's constructor to keep it out of every registry.
struct unregistered_t {
  explicit constexpr unregistered_t() = default;
};
inline constexpr unregistered_t unregistered{};

/// The registry metrics join when declared without one (registry.hpp).
inline registry& default_registry() noexcept;

namespace detail {

/// Adds `family` to `r` (registry.hpp); throws std::invalid_argument on a clash.
inline void attach_family(registry& r, family_core& family);

/// What a front end's shared base needs of its descriptor, as run-time values.
struct front_description {
  const family_spec* spec;
  bool exemplars;
  const std::span<const std::string_view>* known_lists;  // label_values<...> per label (all known), else null
};

/// The cells of an unlabelled gauge (null for a labelled one).
struct unlabelled_gauge {
  std::atomic<std::uint64_t>* bits = nullptr;
  std::atomic<std::uint8_t>* flags = nullptr;
  std::uint32_t cell = 0;

  explicit unlabelled_gauge(series_record* r) noexcept {
    if (r == nullptr) return;
    bits = &r->bits;
    flags = &r->gauge_flags;
    cell = r->first_cell;
  }
};

/// The label_values<...> lists of a metric whose labels all have them.
template <class Descriptor>
inline constexpr auto known_lists_of = Descriptor::known_value_lists();

template <class Descriptor>
constexpr const std::span<const std::string_view>* known_lists_pointer() noexcept {
  if constexpr (Descriptor::all_known) return known_lists_of<Descriptor>.data();
  else return nullptr;
}

/// The description of `Descriptor`, one constant per descriptor.
template <class Descriptor>
inline constexpr front_description front_description_of{&Descriptor::spec, Descriptor::exemplars,
                                                        known_lists_pointer<Descriptor>()};

/// What every compile-time front end shares: the family core, the lookups from
/// label values to series, and the unlabelled series. Templated on the label
/// count and the label_values<...> combinations only, so metrics alike in those
/// share one instance: each metric adds a constructor and a destructor of its own
/// to a translation unit, not a family's (compile time, issue 11).
template <std::size_t LabelCount, bool AllKnown, std::size_t KnownCombinations>
class family_front {
 public:
  static constexpr std::size_t label_count = LabelCount;

  family_front(const family_front&) = delete;
  family_front& operator=(const family_front&) = delete;

  /// Removes the series with these label values (one per label); false when
  /// there is none. Handles of a removed series write nothing from then on.
  template <class... Values>
    requires(std::is_convertible_v<const Values&, std::string_view> && ...)
  bool remove(const Values&... values) {
    static_assert(!AllKnown, "promcxx: series of label_values<...> cannot be removed");
    static_assert(sizeof...(Values) == label_count, "promcxx: remove(...) takes exactly one value per declared label name");
    const std::array<std::string_view, label_count> v{std::string_view{values}...};
    return core_.remove({v.data(), v.size()});
  }
  /// Removes every series created through labels(...).
  void clear() {
    static_assert(!AllKnown, "promcxx: series of label_values<...> cannot be removed");
    core_.clear();
  }
  /// Keeps the series for which `keep(std::span<const std::string_view> label_values)` is true.
  template <class Predicate>
  std::size_t retain_if(Predicate&& keep) {
    static_assert(!AllKnown, "promcxx: series of label_values<...> cannot be removed");
    return core_.retain_if(std::forward<Predicate>(keep));
  }
  /// Series exposed now (the overflow series included once used).
  [[nodiscard]] std::size_t series_count() const noexcept { return core_.series_count(); }
  /// The runtime family this metric is a front end of.
  [[nodiscard]] const family_core& core() const noexcept { return core_; }

 protected:
  // Thin on purpose: the work is in non-template family_core code (compiled once in
  // compiled mode), so each further metric costs little to compile.
  family_front(const front_description& description, registry* r)
      : core_(*description.spec, description.exemplars, 0) {
    if constexpr (AllKnown)  // with<...>() indexes known_
      core_.add_known({description.known_lists, label_count}, known_.data());
    if constexpr (label_count == 0) {
      single_ = &core_.record(core_.single());
      single_cell_ = single_->first_cell;
    }
    if (r != nullptr) attach_family(*r, core_);
  }
  ~family_front() = default;

  template <class... Values>
  series_record& series_of(const Values&... values) {
    static_assert(sizeof...(Values) == label_count,
                  "promcxx: labels(...) takes exactly one value per declared label name");
    const std::array<std::string_view, label_count> v{std::string_view{values}...};
    constexpr std::size_t count = label_count <= family_core::max_fixed_count ? label_count : 0;
    return core_.template find_or_create_n<count>(v);  // one lookup for this label count
  }

  /// The record of a label_values<...> combination, found without a lookup.
  [[nodiscard]] series_record& known(std::uint32_t slot) noexcept { return *known_[slot]; }

  family_core core_;
  series_record* single_ = nullptr;  // the unlabelled series (label_count 0)
  std::uint32_t single_cell_ = 0;    // its first cell, read by the update calls

 private:
  std::array<series_record*, KnownCombinations> known_{};
};

/// The shared front end of metrics described by `Descriptor`.
template <class Descriptor>
using front_of = family_front<Descriptor::label_count, Descriptor::all_known, Descriptor::known_combinations>;

/// The slot of the label_values<...> combination `Values...` (with<...>()).
template <class Descriptor, fixed_string... Values>
constexpr std::uint32_t known_series() noexcept {
  static_assert(Descriptor::all_known, "promcxx: with<...>() needs label_values<...> for every label");
  static_assert(sizeof...(Values) == Descriptor::label_count, "promcxx: with<...>() takes exactly one value per label");
  constexpr long long slot = Descriptor::template known_slot<Values...>();
  static_assert(slot >= 0, "promcxx: with<...>(): a value is not among its label's label_values<...>");
  return static_cast<std::uint32_t>(slot);
}

} // namespace detail

/// A monotonically increasing count, sharded per writer thread.
///
///     inline promcxx::counter<"jobs_total", "Jobs run.", promcxx::labels<"queue">> jobs;
///     jobs.labels("default").inc();
template <fixed_string Name, fixed_string Help, class... Options>
class counter final : public detail::front_of<detail::descriptor<metric_type::counter, Name, Help, Options...>> {
 public:
  using descriptor_type = detail::descriptor<metric_type::counter, Name, Help, Options...>;

 private:
  using base = detail::front_of<descriptor_type>;
  static constexpr const detail::front_description& description = detail::front_description_of<descriptor_type>;

 public:
  static constexpr metric_type type = metric_type::counter;
  using handle = basic_counter_handle<descriptor_type::exemplars>;
  using handle_type = handle;

  counter() : base(description, &default_registry()) {}
  explicit counter(registry& r) : base(description, &r) {}
  explicit counter(unregistered_t) : base(description, nullptr) {}

  /// Handle of the series with these label values (one per label, in
  /// declaration order). Lock- and allocation-free once the series exists.
  template <class... Values>
    requires(std::is_convertible_v<const Values&, std::string_view> && ...)
  [[nodiscard]] handle labels(const Values&... values) {
    return handle_of(this->series_of(values...));
  }
  /// Handle of a series whose values are listed in label_values<...>, found at compile time.
  template <fixed_string... Values>
  [[nodiscard]] handle with() noexcept {
    return handle_of(this->known(detail::known_series<descriptor_type, Values...>()), detail::series_ref{});  // permanent
  }

  void inc() noexcept {
    static_assert(base::label_count == 0, "promcxx::counter: a labelled counter is updated through labels(...) or with<...>()");
    detail::add_to_cell(this->single_cell_, std::uint64_t{1});
  }
  void inc(double amount) {
    static_assert(base::label_count == 0, "promcxx::counter: a labelled counter is updated through labels(...) or with<...>()");
    if (!(amount >= 0)) [[unlikely]] {
      PROMCXX_BAD_DATA(detail::bad_data::counter_decrease, "counter increments must be non-negative and not NaN");
      return;
    }
    detail::counter_add(this->single_cell_, amount);
  }
  void inc(double amount, std::initializer_list<exemplar_label> exemplar)
    requires(descriptor_type::exemplars)
  {
    handle_of(*this->single_).inc(amount, exemplar);
  }
  void inc(double amount, std::span<const label_pair> exemplar)
    requires(descriptor_type::exemplars)
  {
    handle_of(*this->single_).inc(amount, exemplar);
  }
  [[nodiscard]] double value() const noexcept { return detail::counter_value(this->single_cell_); }

 private:
  static handle handle_of(const detail::series_record& r) noexcept { return handle_of(r, detail::family_core::ref_of(r)); }
  static handle handle_of(const detail::series_record& r, detail::series_ref ref) noexcept {
    return handle{r.first_cell, ref, r.exemplars};
  }
};

/// A value that goes up and down. inc/dec/add/sub go to per-thread cells like a
/// counter's; `set` overwrites every add that happened before it (handles.hpp
/// says how, and what a concurrent add and set do).
///
///     inline promcxx::gauge<"in_flight", "Requests being served."> in_flight;
///     in_flight.inc();  /* ... */  in_flight.dec();
template <fixed_string Name, fixed_string Help, class... Options>
class gauge final : public detail::front_of<detail::descriptor<metric_type::gauge, Name, Help, Options...>> {
 public:
  using descriptor_type = detail::descriptor<metric_type::gauge, Name, Help, Options...>;

 private:
  using base = detail::front_of<descriptor_type>;
  static constexpr const detail::front_description& description = detail::front_description_of<descriptor_type>;

 public:
  static constexpr metric_type type = metric_type::gauge;
  using handle = gauge_handle;
  using handle_type = handle;

  gauge() : base(description, &default_registry()), unlabelled_(this->single_) {}
  explicit gauge(registry& r) : base(description, &r), unlabelled_(this->single_) {}
  explicit gauge(unregistered_t) : base(description, nullptr), unlabelled_(this->single_) {}

  template <class... Values>
    requires(std::is_convertible_v<const Values&, std::string_view> && ...)
  [[nodiscard]] handle labels(const Values&... values) {
    return handle_of(this->series_of(values...));
  }
  template <fixed_string... Values>
  [[nodiscard]] handle with() noexcept {
    return handle_of(this->known(detail::known_series<descriptor_type, Values...>()), detail::series_ref{});  // permanent
  }

  // The unlabelled series is never removed: no generation check, as for counter.
  void set(double v) noexcept {
    unlabelled();
    detail::gauge_set(*unlabelled_.bits, *unlabelled_.flags, unlabelled_.cell, v);
  }
  void inc() noexcept {
    unlabelled();
    detail::gauge_add_whole(*unlabelled_.bits, *unlabelled_.flags, unlabelled_.cell, 1);
  }
  void dec() noexcept {
    unlabelled();
    detail::gauge_add_whole(*unlabelled_.bits, *unlabelled_.flags, unlabelled_.cell, ~std::uint64_t{0});  // -1 in two's complement
  }
  void add(double v) noexcept {
    unlabelled();
    detail::gauge_add(*unlabelled_.bits, *unlabelled_.flags, unlabelled_.cell, v);
  }
  void sub(double v) noexcept { add(-v); }
  void set_to_current_time() noexcept { set(detail::now_seconds()); }
  [[nodiscard]] double value() const noexcept {
    static_assert(base::label_count == 0, "promcxx::gauge: a labelled gauge is read through labels(...) or with<...>()");
    return detail::gauge_read(*unlabelled_.bits, *unlabelled_.flags, unlabelled_.cell);
  }

 private:
  static constexpr void unlabelled() noexcept {
    static_assert(base::label_count == 0, "promcxx::gauge: a labelled gauge is updated through labels(...) or with<...>()");
  }
  static handle handle_of(detail::series_record& r) noexcept { return handle_of(r, detail::family_core::ref_of(r)); }
  static handle handle_of(detail::series_record& r, detail::series_ref ref) noexcept {
    return handle{&r.bits, &r.gauge_flags, r.first_cell, ref};
  }
  detail::unlabelled_gauge unlabelled_;  // copied out of the record: an update loads no record
};

/// Observations counted into fixed buckets. Every scrape is self-consistent:
/// the count is the sum of the buckets, so `+Inf` equals `_count` and buckets
/// are cumulative even while other threads observe.
template <fixed_string Name, fixed_string Help, class... Options>
class histogram final : public detail::front_of<detail::descriptor<metric_type::histogram, Name, Help, Options...>> {
 public:
  using descriptor_type = detail::descriptor<metric_type::histogram, Name, Help, Options...>;

 private:
  using base = detail::front_of<descriptor_type>;
  static constexpr const detail::front_description& description = detail::front_description_of<descriptor_type>;

 public:
  static constexpr metric_type type = metric_type::histogram;
  using layout = typename descriptor_type::layout;
  using handle = basic_histogram_handle<layout, descriptor_type::exemplars>;
  using handle_type = handle;

  histogram() : base(description, &default_registry()) {}
  explicit histogram(registry& r) : base(description, &r) {}
  explicit histogram(unregistered_t) : base(description, nullptr) {}

  template <class... Values>
    requires(std::is_convertible_v<const Values&, std::string_view> && ...)
  [[nodiscard]] handle labels(const Values&... values) {
    return handle_of(this->series_of(values...));
  }
  template <fixed_string... Values>
  [[nodiscard]] handle with() noexcept {
    return handle_of(this->known(detail::known_series<descriptor_type, Values...>()), detail::series_ref{});  // permanent
  }

  /// Records `v`. NaN breaks the contract (PROMCXX_ASSERT) and is otherwise ignored.
  void observe(double v) {
    static_assert(base::label_count == 0,
                  "promcxx::histogram: a labelled histogram is updated through labels(...) or with<...>()");
    if (detail::is_nan(v)) [[unlikely]] {
      PROMCXX_BAD_DATA(detail::bad_data::observation_nan, "histogram observations must not be NaN");
      return;
    }
    handle::record(this->single_cell_, handle::bucket_index(v), v);
  }
  void observe(double v, std::initializer_list<exemplar_label> exemplar)
    requires(descriptor_type::exemplars)
  {
    self().observe(v, exemplar);
  }
  void observe(double v, std::span<const label_pair> exemplar)
    requires(descriptor_type::exemplars)
  {
    self().observe(v, exemplar);
  }
  [[nodiscard]] std::uint64_t count() const noexcept { return const_cast<histogram*>(this)->self().count(); }
  [[nodiscard]] double sum() const noexcept { return const_cast<histogram*>(this)->self().sum(); }

 private:
  handle self() noexcept {
    static_assert(base::label_count == 0,
                  "promcxx::histogram: a labelled histogram is updated through labels(...) or with<...>()");
    return handle_of(*this->single_);
  }
  static handle handle_of(const detail::series_record& r) noexcept { return handle_of(r, detail::family_core::ref_of(r)); }
  static handle handle_of(const detail::series_record& r, detail::series_ref ref) noexcept {
    return handle{r.first_cell, ref, r.exemplars};
  }
};

} // namespace promcxx

#endif // PROMCXX_METRICS_HPP
