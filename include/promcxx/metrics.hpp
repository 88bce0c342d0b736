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

/// What every compile-time front end shares: the family core and the lookups
/// from label values to series. `Descriptor` is a `detail::descriptor`.
template <class Descriptor>
class family_front {
 public:
  using descriptor_type = Descriptor;
  static constexpr std::size_t label_count = Descriptor::label_count;

  family_front(const family_front&) = delete;
  family_front& operator=(const family_front&) = delete;

  /// Removes the series with these label values (one per label); false when
  /// there is none. Handles of a removed series write nothing from then on.
  template <class... Values>
    requires(std::is_convertible_v<const Values&, std::string_view> && ...)
  bool remove(const Values&... values) {
    static_assert(!Descriptor::all_known, "promcxx: series of label_values<...> cannot be removed");
    static_assert(sizeof...(Values) == label_count, "promcxx: remove(...) takes exactly one value per declared label name");
    const std::array<std::string_view, label_count> v{std::string_view{values}...};
    return core_.remove({v.data(), v.size()});
  }
  /// Removes every series created through labels(...).
  void clear() {
    static_assert(!Descriptor::all_known, "promcxx: series of label_values<...> cannot be removed");
    core_.clear();
  }
  /// Keeps the series for which `keep(std::span<const std::string_view> label_values)` is true.
  template <class Predicate>
  std::size_t retain_if(Predicate&& keep) {
    static_assert(!Descriptor::all_known, "promcxx: series of label_values<...> cannot be removed");
    return core_.retain_if(std::forward<Predicate>(keep));
  }
  /// Series exposed now (the overflow series included once used).
  [[nodiscard]] std::size_t series_count() const noexcept { return core_.series_count(); }
  /// The runtime family this metric is a front end of.
  [[nodiscard]] const family_core& core() const noexcept { return core_; }

 protected:
  // Thin on purpose: the work is in non-template family_core code (compiled once in
  // compiled mode), so each further metric costs little to compile.
  explicit family_front(registry* r) : core_(Descriptor::spec, Descriptor::exemplars, 0) {
    if constexpr (Descriptor::all_known)
      core_.add_known({known_choices.data(), label_count}, known_.data());  // with<...>() indexes known_
    if (r != nullptr) attach_family(*r, core_);
  }
  ~family_front() = default;

  template <class... Values>
  series_record& series_of(const Values&... values) {
    static_assert(sizeof...(Values) == label_count,
                  "promcxx: labels(...) takes exactly one value per declared label name");
    const std::array<std::string_view, label_count> v{std::string_view{values}...};
    return core_.template find_or_create_n<label_count>(v);  // one lookup for this label count
  }

  template <fixed_string... Values>
  static constexpr std::uint32_t known_series() noexcept {
    static_assert(Descriptor::all_known, "promcxx: with<...>() needs label_values<...> for every label");
    static_assert(sizeof...(Values) == label_count, "promcxx: with<...>() takes exactly one value per label");
    constexpr long long slot = Descriptor::template known_slot<Values...>();
    static_assert(slot >= 0, "promcxx: with<...>(): a value is not among its label's label_values<...>");
    return static_cast<std::uint32_t>(slot);
  }

  /// The record of a label_values<...> combination, found without a lookup.
  [[nodiscard]] series_record& known(std::uint32_t slot) noexcept { return *known_[slot]; }

  family_core core_;

 private:
  static constexpr auto known_choices = [] {
    std::array<std::span<const std::string_view>, label_count> choices{};
    if constexpr (Descriptor::all_known)
      for (std::size_t i = 0; i < label_count; ++i) choices[i] = Descriptor::known_values(i);
    return choices;
  }();
  std::array<series_record*, Descriptor::known_combinations> known_{};
};

} // namespace detail

/// A monotonically increasing count, sharded per writer thread.
///
///     inline promcxx::counter<"jobs_total", "Jobs run.", promcxx::labels<"queue">> jobs;
///     jobs.labels("default").inc();
template <fixed_string Name, fixed_string Help, class... Options>
class counter final : public detail::family_front<detail::descriptor<metric_type::counter, Name, Help, Options...>> {
  using base = detail::family_front<detail::descriptor<metric_type::counter, Name, Help, Options...>>;

 public:
  static constexpr metric_type type = metric_type::counter;
  using handle = basic_counter_handle<base::descriptor_type::exemplars>;
  using handle_type = handle;

  counter() : counter(&default_registry()) {}
  explicit counter(registry& r) : counter(&r) {}
  explicit counter(unregistered_t) : counter(static_cast<registry*>(nullptr)) {}

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
    return handle_of(this->known(base::template known_series<Values...>()), detail::series_ref{});  // permanent
  }

  void inc() noexcept {
    static_assert(base::label_count == 0, "promcxx::counter: a labelled counter is updated through labels(...) or with<...>()");
    detail::add_to_cell(cell_, std::uint64_t{1});
  }
  void inc(double amount) {
    static_assert(base::label_count == 0, "promcxx::counter: a labelled counter is updated through labels(...) or with<...>()");
    if (!(amount >= 0)) [[unlikely]] {
      PROMCXX_BAD_DATA(detail::bad_data::counter_decrease, "counter increments must be non-negative and not NaN");
      return;
    }
    detail::counter_add(cell_, amount);
  }
  void inc(double amount, std::initializer_list<exemplar_label> exemplar)
    requires(base::descriptor_type::exemplars)
  {
    handle_of(this->core_.record(this->core_.single())).inc(amount, exemplar);
  }
  void inc(double amount, std::span<const label_pair> exemplar)
    requires(base::descriptor_type::exemplars)
  {
    handle_of(this->core_.record(this->core_.single())).inc(amount, exemplar);
  }
  [[nodiscard]] double value() const noexcept { return detail::counter_value(cell_); }

 private:
  explicit counter(registry* r) : base(r) {
    if constexpr (base::label_count == 0) cell_ = this->core_.record(this->core_.single()).first_cell;
  }
  static handle handle_of(const detail::series_record& r) noexcept { return handle_of(r, detail::family_core::ref_of(r)); }
  static handle handle_of(const detail::series_record& r, detail::series_ref ref) noexcept {
    return handle{r.first_cell, ref, r.exemplars};
  }
  std::uint32_t cell_ = 0;  // the unlabelled series' cell
};

/// A value that goes up and down. inc/dec/add/sub go to per-thread cells like a
/// counter's; `set` overwrites every add that happened before it (handles.hpp
/// says how, and what a concurrent add and set do).
///
///     inline promcxx::gauge<"in_flight", "Requests being served."> in_flight;
///     in_flight.inc();  /* ... */  in_flight.dec();
template <fixed_string Name, fixed_string Help, class... Options>
class gauge final : public detail::family_front<detail::descriptor<metric_type::gauge, Name, Help, Options...>> {
  using base = detail::family_front<detail::descriptor<metric_type::gauge, Name, Help, Options...>>;

 public:
  static constexpr metric_type type = metric_type::gauge;
  using handle = gauge_handle;
  using handle_type = handle;

  gauge() : gauge(&default_registry()) {}
  explicit gauge(registry& r) : gauge(&r) {}
  explicit gauge(unregistered_t) : gauge(static_cast<registry*>(nullptr)) {}

  template <class... Values>
    requires(std::is_convertible_v<const Values&, std::string_view> && ...)
  [[nodiscard]] handle labels(const Values&... values) {
    return handle_of(this->series_of(values...));
  }
  template <fixed_string... Values>
  [[nodiscard]] handle with() noexcept {
    return handle_of(this->known(base::template known_series<Values...>()), detail::series_ref{});  // permanent
  }

  // The unlabelled series is never removed: no generation check, as for counter.
  void set(double v) noexcept {
    unlabelled();
    detail::gauge_set(*bits_, *flags_, cell_, v);
  }
  void inc() noexcept {
    unlabelled();
    detail::gauge_add_whole(*bits_, *flags_, cell_, 1);
  }
  void dec() noexcept {
    unlabelled();
    detail::gauge_add_whole(*bits_, *flags_, cell_, ~std::uint64_t{0});  // -1 in two's complement
  }
  void add(double v) noexcept {
    unlabelled();
    detail::gauge_add(*bits_, *flags_, cell_, v);
  }
  void sub(double v) noexcept { add(-v); }
  void set_to_current_time() noexcept { set(detail::now_seconds()); }
  [[nodiscard]] double value() const noexcept {
    static_assert(base::label_count == 0, "promcxx::gauge: a labelled gauge is read through labels(...) or with<...>()");
    return detail::gauge_read(*bits_, *flags_, cell_);
  }

 private:
  explicit gauge(registry* r) : base(r) {
    if constexpr (base::label_count == 0) {
      detail::series_record& single = this->core_.record(this->core_.single());
      bits_ = &single.bits;
      flags_ = &single.gauge_flags;
      cell_ = single.first_cell;
    }
  }
  static constexpr void unlabelled() noexcept {
    static_assert(base::label_count == 0, "promcxx::gauge: a labelled gauge is updated through labels(...) or with<...>()");
  }
  static handle handle_of(detail::series_record& r) noexcept { return handle_of(r, detail::family_core::ref_of(r)); }
  static handle handle_of(detail::series_record& r, detail::series_ref ref) noexcept {
    return handle{&r.bits, &r.gauge_flags, r.first_cell, ref};
  }
  // The unlabelled series.
  std::atomic<std::uint64_t>* bits_ = nullptr;
  std::atomic<std::uint8_t>* flags_ = nullptr;
  std::uint32_t cell_ = 0;
};

/// Observations counted into fixed buckets. Every scrape is self-consistent:
/// the count is the sum of the buckets, so `+Inf` equals `_count` and buckets
/// are cumulative even while other threads observe.
template <fixed_string Name, fixed_string Help, class... Options>
class histogram final
    : public detail::family_front<detail::descriptor<metric_type::histogram, Name, Help, Options...>> {
  using base = detail::family_front<detail::descriptor<metric_type::histogram, Name, Help, Options...>>;

 public:
  static constexpr metric_type type = metric_type::histogram;
  using layout = typename base::descriptor_type::layout;
  using handle = basic_histogram_handle<layout, base::descriptor_type::exemplars>;
  using handle_type = handle;

  histogram() : histogram(&default_registry()) {}
  explicit histogram(registry& r) : histogram(&r) {}
  explicit histogram(unregistered_t) : histogram(static_cast<registry*>(nullptr)) {}

  template <class... Values>
    requires(std::is_convertible_v<const Values&, std::string_view> && ...)
  [[nodiscard]] handle labels(const Values&... values) {
    return handle_of(this->series_of(values...));
  }
  template <fixed_string... Values>
  [[nodiscard]] handle with() noexcept {
    return handle_of(this->known(base::template known_series<Values...>()), detail::series_ref{});  // permanent
  }

  /// Records `v`. NaN breaks the contract (PROMCXX_ASSERT) and is otherwise ignored.
  void observe(double v) {
    static_assert(base::label_count == 0,
                  "promcxx::histogram: a labelled histogram is updated through labels(...) or with<...>()");
    if (detail::is_nan(v)) [[unlikely]] {
      PROMCXX_BAD_DATA(detail::bad_data::observation_nan, "histogram observations must not be NaN");
      return;
    }
    handle::record(first_cell_, handle::bucket_index(v), v);
  }
  void observe(double v, std::initializer_list<exemplar_label> exemplar)
    requires(base::descriptor_type::exemplars)
  {
    self().observe(v, exemplar);
  }
  void observe(double v, std::span<const label_pair> exemplar)
    requires(base::descriptor_type::exemplars)
  {
    self().observe(v, exemplar);
  }
  [[nodiscard]] std::uint64_t count() const noexcept { return const_cast<histogram*>(this)->self().count(); }
  [[nodiscard]] double sum() const noexcept { return const_cast<histogram*>(this)->self().sum(); }

 private:
  static constexpr auto bound_count = static_cast<std::uint32_t>(layout::bounds.size());
  explicit histogram(registry* r) : base(r) {
    if constexpr (base::label_count == 0) first_cell_ = this->core_.record(this->core_.single()).first_cell;
  }
  handle self() noexcept {
    static_assert(base::label_count == 0,
                  "promcxx::histogram: a labelled histogram is updated through labels(...) or with<...>()");
    return handle_of(this->core_.record(this->core_.single()));
  }
  static handle handle_of(const detail::series_record& r) noexcept { return handle_of(r, detail::family_core::ref_of(r)); }
  static handle handle_of(const detail::series_record& r, detail::series_ref ref) noexcept {
    return handle{r.first_cell, ref, r.exemplars};
  }
  std::uint32_t first_cell_ = 0;  // the unlabelled series' first cell
};

} // namespace promcxx

#endif // PROMCXX_METRICS_HPP
