// promcxx: counter, gauge and histogram descriptors and the handles that update them.
#ifndef PROMCXX_METRICS_HPP
#define PROMCXX_METRICS_HPP

#include <array>
#include <atomic>
#include <bit>
#include <cmath>    // std::isnan
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <type_traits>

#include "buckets.hpp"
#include "config.hpp"
#include "fixed_string.hpp"
#include "names.hpp"
#include "options.hpp"
#include "registry.hpp"
#include "series_table.hpp"
#include "storage.hpp"

namespace promcxx {

/// Pass to a metric's constructor to keep it out of every registry.
struct unregistered_t {
  explicit constexpr unregistered_t() = default;
};
inline constexpr unregistered_t unregistered{};

/// Cacheable handle of one counter series. Costs the same as an unlabelled counter.
class counter_handle {
 public:
  constexpr counter_handle() noexcept = default;
  explicit constexpr counter_handle(std::uint32_t cell) noexcept : cell_(cell) {}

  void inc() noexcept { detail::add_to_cell(cell_, std::uint64_t{1}); }
  /// Adds `amount`, which must be >= 0 and not NaN; otherwise PROMCXX_ASSERT
  /// fires and, when it returns, the counter is left unchanged. (Not noexcept
  /// so that a PROMCXX_ASSERT that throws can be used.)
  void inc(double amount) {
    if (!(amount >= 0)) [[unlikely]] {
      PROMCXX_ASSERT(false, "counter increments must be non-negative and not NaN");
      return;
    }
    detail::counter_add(cell_, amount);
  }
  /// Current value, summed over every writer thread.
  [[nodiscard]] double value() const noexcept { return detail::counter_value(cell_); }

 private:
  std::uint32_t cell_ = 0;
};

/// Cacheable handle of one gauge series.
class gauge_handle {
 public:
  constexpr gauge_handle() noexcept = default;
  explicit constexpr gauge_handle(std::atomic<std::uint64_t>* bits) noexcept : bits_(bits) {}

  void set(double v) noexcept { bits_->store(std::bit_cast<std::uint64_t>(v), std::memory_order_relaxed); }
  void inc() noexcept { add(1.0); }
  void dec() noexcept { add(-1.0); }
  void add(double v) noexcept {
    std::uint64_t old = bits_->load(std::memory_order_relaxed);
    while (!bits_->compare_exchange_weak(old, std::bit_cast<std::uint64_t>(std::bit_cast<double>(old) + v),
                                         std::memory_order_relaxed)) {
    }
  }
  void sub(double v) noexcept { add(-v); }
  /// Seconds since the Unix epoch.
  void set_to_current_time() noexcept { set(detail::now_seconds()); }
  [[nodiscard]] double value() const noexcept {
    return std::bit_cast<double>(bits_->load(std::memory_order_relaxed));
  }

 private:
  std::atomic<std::uint64_t>* bits_ = nullptr;
};

/// Cacheable handle of one histogram series with bucket layout `Layout`.
template <class Layout>
class histogram_handle {
 public:
  static constexpr std::size_t bound_count = Layout::bounds.size();

  constexpr histogram_handle() noexcept = default;
  explicit constexpr histogram_handle(std::uint32_t first_cell) noexcept : first_cell_(first_cell) {}

  /// Records `v`. NaN breaks the contract (PROMCXX_ASSERT) and is otherwise ignored,
  /// since it would turn the sum into NaN forever.
  void observe(double v) {
    if (std::isnan(v)) [[unlikely]] {
      PROMCXX_ASSERT(false, "histogram observations must not be NaN");
      return;
    }
    detail::record_observation(first_cell_ + bucket_index(v), first_cell_ + static_cast<std::uint32_t>(bound_count) + 1, v);
  }

  /// Index of the first bucket whose bound is >= v (bound_count for +Inf).
  static constexpr std::uint32_t bucket_index(double v) noexcept {
    if constexpr (bound_count <= 16) {
      std::uint32_t index = 0;  // branch-free: count the bounds below v
      for (const double b : Layout::bounds) index += static_cast<std::uint32_t>(b < v);
      return index;
    } else {
      std::size_t lo = 0, hi = bound_count;
      while (lo < hi) {
        const std::size_t mid = (lo + hi) / 2;
        if (Layout::bounds[mid] < v) lo = mid + 1;
        else hi = mid;
      }
      return static_cast<std::uint32_t>(lo);
    }
  }

  [[nodiscard]] std::uint64_t count() const noexcept {
    std::uint64_t total = 0;
    for (std::uint32_t i = 0; i <= bound_count; ++i) total += detail::sum_cells_u64(first_cell_ + i);
    return total;
  }
  [[nodiscard]] double sum() const noexcept {
    return detail::sum_cells_double(first_cell_ + static_cast<std::uint32_t>(bound_count) + 1);
  }

 private:
  std::uint32_t first_cell_ = 0;
};

namespace detail {

struct cell_payload {
  std::uint32_t first_cell = 0;
};
struct gauge_payload {
  std::atomic<std::uint64_t> bits{0};
};

template <class... Options>
constexpr void match_values(std::string_view label, std::span<const std::string_view>& out) noexcept {
  (
      [&] {
        if constexpr (is_kind<Options, label_values_option>()) {
          if (Options::label == label) out = Options::values;
        }
      }(),
      ...);
}

template <class... Options>
constexpr std::span<const std::string_view> values_for(std::string_view label) noexcept {
  std::span<const std::string_view> out{};
  match_values<Options...>(label, out);
  return out;
}

template <class... Options>
constexpr bool label_values_name_declared([[maybe_unused]] std::span<const std::string_view> names) noexcept {
  bool ok = true;
  (
      [&] {
        if constexpr (is_kind<Options, label_values_option>()) {
          bool found = false;
          for (const auto n : names) found = found || n == Options::label;
          ok = ok && found;
        }
      }(),
      ...);
  return ok;
}

template <class... Options>
constexpr bool label_values_distinct() noexcept {
  bool ok = true;
  (
      [&] {
        if constexpr (is_kind<Options, label_values_option>()) ok = ok && all_distinct(Options::values);
      }(),
      ...);
  return ok;
}

constexpr bool unit_is_suffix(std::string_view name, std::string_view unit, bool counter) noexcept {
  if (counter) name.remove_suffix(name.ends_with("_total") ? 6 : 0);
  return name.size() > unit.size() + 1 && name.ends_with(unit) && name[name.size() - unit.size() - 1] == '_';
}

/// Everything a descriptor states, checked once with messages that name the rule.
template <metric_type Type, fixed_string Name, fixed_string Help, class... Options>
struct descriptor {
  static_assert((metric_option<Options> && ...),
                "promcxx: unknown option; expected labels<...>, label_values<...>, buckets<...>, max_series<N> or "
                "unit<...>");
  static_assert(count_kind<labels_option, Options...> <= 1, "promcxx: labels<...> may be given once");
  static_assert(count_kind<max_series_option, Options...> <= 1, "promcxx: max_series<N> may be given once");
  static_assert(count_kind<unit_option, Options...> <= 1, "promcxx: unit<...> may be given once");
  static_assert(count_buckets<Options...> <= 1, "promcxx: a bucket layout may be given once");
  static_assert(Type == metric_type::histogram || count_buckets<Options...> == 0,
                "promcxx: only histograms take a bucket layout");

  using label_list = typename pick_option<labels_option, labels<>, Options...>::type;
  static constexpr std::string_view name = Name.view();
  static constexpr std::string_view help = Help.view();
  static constexpr std::size_t label_count = label_list::size;
  static constexpr auto label_names = label_list::names;
  static constexpr std::size_t cap = pick_option<max_series_option, max_series<default_max_series>, Options...>::type::value;
  static constexpr std::string_view unit_name = [] {
    using u = typename pick_option<unit_option, void, Options...>::type;
    if constexpr (std::is_void_v<u>) return std::string_view{};
    else return u::value;
  }();

  static_assert(is_metric_name(name), "promcxx: metric name must match [a-zA-Z_:][a-zA-Z0-9_:]*");
  static_assert(!help.empty(), "promcxx: help text must not be empty");
  static_assert(is_valid_utf8(help), "promcxx: help text must be valid UTF-8");
  static_assert(Type != metric_type::counter || has_suffix(name, "_total"), "promcxx::counter: name must end in _total");
  static_assert(Type == metric_type::counter || !has_suffix(name, "_total"),
                "promcxx: only counter names may end in _total");
  static_assert(!has_reserved_suffix(name),
                "promcxx: names ending in _bucket, _count or _sum are reserved for histogram and summary series");
  static_assert(labels_valid(label_names), "promcxx::labels: label name must match [a-zA-Z_][a-zA-Z0-9_]*");
  static_assert(labels_unreserved(label_names), "promcxx::labels: label names starting with __ are reserved");
  static_assert(all_distinct(label_names), "promcxx::labels: label names must be unique");
  static_assert(Type != metric_type::histogram || !contains(label_names, "le"),
                "promcxx::histogram: label name \"le\" is reserved for bucket bounds");
  static_assert(Type != metric_type::summary || !contains(label_names, "quantile"),
                "promcxx::summary: label name \"quantile\" is reserved");
  static_assert(unit_name.empty() || unit_is_suffix(name, unit_name, Type == metric_type::counter),
                "promcxx::unit: the metric name must end in _<unit> (before _total for counters)");
  static_assert(unit_name.empty() || (Type != metric_type::info && Type != metric_type::stateset),
                "promcxx::unit: info and stateset metrics take no unit");
  static_assert(label_values_name_declared<Options...>(label_names),
                "promcxx::label_values: names a label the metric does not declare");
  static_assert(label_values_distinct<Options...>(), "promcxx::label_values: values must be unique");

  static constexpr std::size_t known_label_count = count_kind<label_values_option, Options...>;
  static constexpr bool all_known = label_count > 0 && known_label_count == label_count;
  static constexpr std::size_t known_combinations = [] {
    if constexpr (!all_known) {
      return std::size_t{0};
    } else {
      std::size_t product = 1;
      for (const auto n : label_names) product *= values_for<Options...>(n).size();
      return product;
    }
  }();
  static_assert(known_label_count == 0 || all_known,
                "promcxx::label_values: list the values of every label of the metric, or of none");
  static_assert(known_combinations <= cap, "promcxx::label_values: the known label combinations exceed max_series");

  static constexpr std::span<const std::string_view> known_values(std::size_t label) noexcept {
    return values_for<Options...>(label_names[label]);
  }

  /// Slot of the known combination (Values...), or the position of the first
  /// value that is not among its label's values, negated minus one.
  template <fixed_string... Values>
  static constexpr long long known_slot() noexcept {
    constexpr std::array<std::string_view, sizeof...(Values)> wanted{Values.view()...};
    if constexpr (sizeof...(Values) != label_count) return -1;
    long long slot = 0;
    for (std::size_t i = 0; i < label_count; ++i) {
      const auto choices = values_for<Options...>(label_names[i]);
      long long position = -1;
      for (std::size_t k = 0; k < choices.size(); ++k)
        if (choices[k] == wanted[i]) position = static_cast<long long>(k);
      if (position < 0) return -static_cast<long long>(i) - 1;
      slot = slot * static_cast<long long>(choices.size()) + position;
    }
    return slot;
  }
};

/// Shared machinery of every compile-time metric: registration, the series
/// table and the walk over series at scrape time. `Derived` supplies payload
/// set-up, tear-down and value emission.
template <class Derived, class Descriptor, class Payload, class Handle>
class metric_base : public family_base {
 public:
  using descriptor_type = Descriptor;
  using handle_type = Handle;
  static constexpr std::size_t label_count = Descriptor::label_count;

  metric_base(const metric_base&) = delete;
  metric_base& operator=(const metric_base&) = delete;

  /// Handle of the series with these runtime label values (one per label, in
  /// declaration order). Lock- and allocation-free once the series exists.
  template <class... Values>
    requires(std::is_convertible_v<const Values&, std::string_view> && ...)
  [[nodiscard]] Handle labels(const Values&... values) {
    static_assert(sizeof...(Values) == label_count,
                  "promcxx: labels(...) takes exactly one value per declared label name");
    const std::array<std::string_view, label_count> v{std::string_view{values}...};
    return handle_at(find_or_create(v));
  }

  /// Handle of a series whose values are listed in label_values<...>, found at compile time.
  template <fixed_string... Values>
  [[nodiscard]] Handle with() noexcept {
    static_assert(Descriptor::all_known, "promcxx: with<...>() needs label_values<...> for every label");
    static_assert(sizeof...(Values) == label_count, "promcxx: with<...>() takes exactly one value per label");
    constexpr long long slot = Descriptor::template known_slot<Values...>();
    static_assert(slot >= 0, "promcxx: with<...>(): a value is not among its label's label_values<...>");
    return handle_at(static_cast<std::uint32_t>(slot));
  }

  [[nodiscard]] std::string_view family_name() const noexcept final { return Descriptor::name; }
  [[nodiscard]] std::span<const std::string_view> family_label_names() const noexcept final {
    return Descriptor::label_names;
  }
  [[nodiscard]] std::uint64_t rejected_label_sets() const noexcept final {
    if constexpr (label_count == 0) return 0;
    else return table_.rejected();
  }

  void collect_into(collect_sink& sink) const final {
    sink.begin_trusted_family(Descriptor::name, Descriptor::help, Derived::type, Descriptor::unit_name,
                              Derived::family_bounds(), add_on_states(), Descriptor::label_names);
    if constexpr (label_count == 0) {
      sink.begin_trusted_series({}, created_);
      emit_series(single_, sink.out());
    } else {
      table_.for_each([&](const auto& slot) {
        sink.begin_trusted_series(slot.values, slot.created);
        emit_series(slot.payload, sink.out());
      });
    }
  }

 protected:
  metric_base() { init(&default_registry()); }
  explicit metric_base(registry& r) { init(&r); }
  explicit metric_base(unregistered_t) { init(nullptr); }
  ~metric_base() {
    detach();
    if constexpr (label_count == 0) {
      Derived::destroy(single_);
    } else {
      table_.for_each_mut([](auto& slot) { Derived::destroy(slot.payload); });
    }
  }

  [[nodiscard]] Handle unlabelled() noexcept { return Derived::make_handle(single_); }

 private:
  void init(registry* r) {
    if constexpr (label_count == 0) {
      Derived::create(single_);
      created_ = now_seconds();
    } else if constexpr (Descriptor::all_known) {
      for (std::size_t slot = 0; slot < Descriptor::known_combinations; ++slot) {
        std::array<std::string_view, label_count> v{};
        std::size_t rest = slot;
        for (std::size_t i = label_count; i-- > 0;) {
          const auto choices = values_for_label(i);
          v[i] = choices[rest % choices.size()];
          rest /= choices.size();
        }
        table_.add_static(v, [](Payload& p) { Derived::create(p); });
      }
    }
    if (r != nullptr) {
      try {
        r->add(*this);
      } catch (...) {
        release_all();
        throw;
      }
    }
  }

  void release_all() noexcept {
    if constexpr (label_count == 0) Derived::destroy(single_);
    else table_.for_each_mut([](auto& slot) { Derived::destroy(slot.payload); });
  }

  static constexpr std::span<const std::string_view> values_for_label(std::size_t i) noexcept {
    return Descriptor::known_values(i);
  }

  // Hooks for the add-on types: stateset.hpp supplies state names, exemplar.hpp
  // appends exemplars after a series' values.
  static constexpr std::span<const std::string_view> add_on_states() noexcept {
    if constexpr (requires { Derived::family_states(); }) return Derived::family_states();
    else return {};
  }
  static void emit_series(const Payload& p, snapshot& out) {
    Derived::emit(p, out.values);
    if constexpr (requires { Derived::emit_exemplars(p, out); }) Derived::emit_exemplars(p, out);
  }

  std::uint32_t find_or_create(std::span<const std::string_view, label_count> values) {
    return table_.find_or_create(values, [](Payload& p) { Derived::create(p); });
  }

  Handle handle_at(std::uint32_t slot) noexcept { return Derived::make_handle(table_.at(slot).payload); }

  struct no_table {};
  using table_type =
      std::conditional_t<label_count == 0, no_table, series_table<Payload, label_count, Descriptor::cap>>;
  [[no_unique_address]] table_type table_;
  Payload single_{};
  double created_ = 0;
};

} // namespace detail

/// A monotonically increasing count, sharded per writer thread.
///
///     inline promcxx::counter<"jobs_total", "Jobs run.", promcxx::labels<"queue">> jobs;
///     jobs.labels("default").inc();
template <fixed_string Name, fixed_string Help, class... Options>
class counter final : public detail::metric_base<counter<Name, Help, Options...>,
                                           detail::descriptor<metric_type::counter, Name, Help, Options...>,
                                           detail::cell_payload, counter_handle> {
  using base = detail::metric_base<counter, detail::descriptor<metric_type::counter, Name, Help, Options...>,
                                   detail::cell_payload, counter_handle>;
  friend base;

 public:
  static constexpr metric_type type = metric_type::counter;

  counter() = default;
  explicit counter(registry& r) : base(r) {}
  explicit counter(unregistered_t u) : base(u) {}

  void inc() noexcept { self().inc(); }
  void inc(double amount) { self().inc(amount); }
  [[nodiscard]] double value() const noexcept { return const_cast<counter*>(this)->self().value(); }

 private:
  counter_handle self() noexcept {
    static_assert(base::label_count == 0, "promcxx::counter: a labelled counter is updated through labels(...) or with<...>()");
    return this->unlabelled();
  }
  static constexpr std::span<const double> family_bounds() noexcept { return {}; }
  static void create(detail::cell_payload& p) noexcept { p.first_cell = detail::global_cells.allocate(1); }
  static void destroy(detail::cell_payload& p) noexcept {
    detail::global_cells.release(p.first_cell, 1);
    p.first_cell = 0;
  }
  static counter_handle make_handle(detail::cell_payload& p) noexcept { return counter_handle{p.first_cell}; }
  static void emit(const detail::cell_payload& p, std::vector<double>& out) {
    out.push_back(detail::counter_value(p.first_cell));
  }
};

/// A value that goes up and down. Not sharded: `set` must win over earlier writes.
template <fixed_string Name, fixed_string Help, class... Options>
class gauge final : public detail::metric_base<gauge<Name, Help, Options...>,
                                         detail::descriptor<metric_type::gauge, Name, Help, Options...>,
                                         detail::gauge_payload, gauge_handle> {
  using base = detail::metric_base<gauge, detail::descriptor<metric_type::gauge, Name, Help, Options...>,
                                   detail::gauge_payload, gauge_handle>;
  friend base;

 public:
  static constexpr metric_type type = metric_type::gauge;

  gauge() = default;
  explicit gauge(registry& r) : base(r) {}
  explicit gauge(unregistered_t u) : base(u) {}

  void set(double v) noexcept { self().set(v); }
  void inc() noexcept { self().inc(); }
  void dec() noexcept { self().dec(); }
  void add(double v) noexcept { self().add(v); }
  void sub(double v) noexcept { self().sub(v); }
  void set_to_current_time() noexcept { self().set_to_current_time(); }
  [[nodiscard]] double value() const noexcept { return const_cast<gauge*>(this)->self().value(); }

 private:
  gauge_handle self() noexcept {
    static_assert(base::label_count == 0, "promcxx::gauge: a labelled gauge is updated through labels(...) or with<...>()");
    return this->unlabelled();
  }
  static constexpr std::span<const double> family_bounds() noexcept { return {}; }
  static void create(detail::gauge_payload& p) noexcept { p.bits.store(0, std::memory_order_relaxed); }
  static void destroy(detail::gauge_payload&) noexcept {}
  static gauge_handle make_handle(detail::gauge_payload& p) noexcept { return gauge_handle{&p.bits}; }
  static void emit(const detail::gauge_payload& p, std::vector<double>& out) {
    out.push_back(std::bit_cast<double>(p.bits.load(std::memory_order_relaxed)));
  }
};

/// Observations counted into fixed buckets. Every scrape is self-consistent:
/// the count is the sum of the buckets, so `+Inf` equals `_count` and buckets
/// are cumulative even while other threads observe.
template <fixed_string Name, fixed_string Help, class... Options>
class histogram final
    : public detail::metric_base<
          histogram<Name, Help, Options...>, detail::descriptor<metric_type::histogram, Name, Help, Options...>,
          detail::cell_payload,
          histogram_handle<typename detail::pick_buckets<default_buckets, Options...>::type>> {
 public:
  using layout = typename detail::pick_buckets<default_buckets, Options...>::type;
  using handle = histogram_handle<layout>;

 private:
  using base = detail::metric_base<histogram, detail::descriptor<metric_type::histogram, Name, Help, Options...>,
                                   detail::cell_payload, handle>;
  friend base;
  static constexpr std::size_t bound_count = layout::bounds.size();
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
  [[nodiscard]] std::uint64_t count() const noexcept { return const_cast<histogram*>(this)->self().count(); }
  [[nodiscard]] double sum() const noexcept { return const_cast<histogram*>(this)->self().sum(); }

 private:
  handle self() noexcept {
    static_assert(base::label_count == 0,
                  "promcxx::histogram: a labelled histogram is updated through labels(...) or with<...>()");
    return this->unlabelled();
  }
  static constexpr std::span<const double> family_bounds() noexcept { return layout::bounds; }
  static void create(detail::cell_payload& p) noexcept { p.first_cell = detail::global_cells.allocate(cells_per_series); }
  static void destroy(detail::cell_payload& p) noexcept {
    detail::global_cells.release(p.first_cell, cells_per_series);
    p.first_cell = 0;
  }
  static handle make_handle(detail::cell_payload& p) noexcept { return handle{p.first_cell}; }
  static void emit(const detail::cell_payload& p, std::vector<double>& out) {
    std::uint64_t cumulative = 0;
    for (std::uint32_t i = 0; i <= bound_count; ++i) {
      cumulative += detail::sum_cells_u64(p.first_cell + i);
      out.push_back(static_cast<double>(cumulative));
    }
    out.push_back(detail::sum_cells_double(p.first_cell + static_cast<std::uint32_t>(bound_count) + 1));
  }
};

} // namespace promcxx

#endif // PROMCXX_METRICS_HPP
