// promcxx: registries, the families they hold, and collectors.
#ifndef PROMCXX_REGISTRY_HPP
#define PROMCXX_REGISTRY_HPP

#include <atomic>
#include <cstdint>
#include <initializer_list>
#include <new>  // std::nothrow: a family that cannot be allocated is reported, not thrown
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "detail/exemplar_slot.hpp"
#include "detail/rules.hpp"
#include "family.hpp"
#include "metrics.hpp"  // default_registry and attach_family are declared there
#include "names.hpp"

namespace promcxx {

class registry;
class collect_sink;
class snapshot;

/// Computes values at scrape time (for example from /proc). Register with
/// `registry::add(collector&)`; the collector must outlive its registration.
class collector {
 public:
  collector() = default;
  collector(const collector&) = delete;
  collector& operator=(const collector&) = delete;
  virtual ~collector();
  /// Called under the registry's lock during every scrape.
  virtual void collect(collect_sink& sink) const = 0;

 protected:
  /// Label sets a collector with its own series refused (past its series cap, or
  /// invalid), and the metric they were for: reported in
  /// promcxx_series_overflow_total as a registered family's are.
  struct series_refusals {
    std::string_view metric;
    std::uint64_t count = 0;
  };
  virtual series_refusals refused_series() const { return {}; }

 private:
  friend class registry;
  collector* next_ = nullptr;
  registry* owner_ = nullptr;
};

/// Thrown when a family breaks a rule at run time (runtime-defined families,
/// registration): `which()` names the rule, `what()` gives its message and the family.
class family_error : public std::invalid_argument {
 public:
  family_error(detail::rule which, const std::string& what) : std::invalid_argument(what), which_(which) {}
  [[nodiscard]] detail::rule which() const noexcept { return which_; }

 private:
  detail::rule which_;
};

/// Options of a runtime-defined family.
struct family_options {
  std::string_view unit;
  std::vector<double> buckets;      // histogram bounds; empty: the default buckets
  std::vector<std::string> states;  // stateset states
  std::size_t max_series = default_max_series;
  double expire_after_seconds = 0;  // remove series whose values did not change for this long; 0: never
};

namespace detail {

/// A runtime-defined family: its own copy of the description, then the core.
template <metric_type Type>
class runtime_family : private owned_spec, public family_core {
 public:
  static constexpr metric_type family_type = Type;

  runtime_family(const owned_spec& spec, const family_options& options)
      : owned_spec(spec), family_core(view(Type, options.max_series), false, options.expire_after_seconds) {}

  /// Removes the series with these label values; false when there is none.
  bool remove(std::initializer_list<std::string_view> values) { return family_core::remove(span_of(values)); }
  bool remove(std::span<const std::string_view> values) { return family_core::remove(values); }
  [[nodiscard]] std::span<const std::string_view> label_names() const noexcept { return label_views; }

 protected:
  static std::span<const std::string_view> span_of(std::initializer_list<std::string_view> values) noexcept {
    return {values.begin(), values.size()};
  }
};

} // namespace detail

/// A counter family defined at run time: `registry.counter_family("jobs_total", "Jobs.", {"queue"})`.
class counter_family final : public detail::runtime_family<metric_type::counter> {
 public:
  using runtime_family::runtime_family;
  /// Handle of the series with these label values (one per label name, in order).
  [[nodiscard]] counter_handle labels(std::initializer_list<std::string_view> values) { return labels(span_of(values)); }
  [[nodiscard]] counter_handle labels(std::span<const std::string_view> values) {
    auto& r = find_or_create(values);
    return counter_handle{r.first_cell, ref_of(r)};
  }
};

/// A gauge family defined at run time.
class gauge_family final : public detail::runtime_family<metric_type::gauge> {
 public:
  using runtime_family::runtime_family;
  [[nodiscard]] gauge_handle labels(std::initializer_list<std::string_view> values) { return labels(span_of(values)); }
  [[nodiscard]] gauge_handle labels(std::span<const std::string_view> values) {
    auto& r = find_or_create(values);
    return gauge_handle{&r.bits, &r.gauge_flags, r.first_cell, ref_of(r)};
  }
};

/// A histogram family defined at run time; bounds from `family_options::buckets`.
class histogram_family final : public detail::runtime_family<metric_type::histogram> {
 public:
  using runtime_family::runtime_family;
  [[nodiscard]] runtime_histogram_handle labels(std::initializer_list<std::string_view> values) {
    return labels(span_of(values));
  }
  [[nodiscard]] runtime_histogram_handle labels(std::span<const std::string_view> values) {
    auto& r = find_or_create(values);
    return runtime_histogram_handle{r.first_cell, spec().bounds, ref_of(r)};
  }
};

/// A summary family (count and sum) defined at run time.
class summary_family final : public detail::runtime_family<metric_type::summary> {
 public:
  using runtime_family::runtime_family;
  [[nodiscard]] summary_handle labels(std::initializer_list<std::string_view> values) { return labels(span_of(values)); }
  [[nodiscard]] summary_handle labels(std::span<const std::string_view> values) {
    auto& r = find_or_create(values);
    return summary_handle{r.first_cell, ref_of(r)};
  }
};

/// A set of metric families exposed together. Metrics declared without a
/// registry argument join `default_registry()`.
class registry {
 public:
  constexpr registry() noexcept = default;
  registry(const registry&) = delete;
  registry& operator=(const registry&) = delete;

  ~registry();

  /// Registers a family. Throws family_error (a std::invalid_argument) when it
  /// is registered already, its name or one of its exposed sample names
  /// (`_total`, `_created`, `_info`, `_bucket`, `_count`, `_sum`) clashes with a
  /// registered family, or a label clashes with a constant label of this registry.
  void add(detail::family_core& family);

  void remove(detail::family_core& family) noexcept;

  void add(collector& c);

  void remove(collector& c) noexcept;

  /// Defines a counter family at run time, owned by this registry. Checks every
  /// rule a compile-time descriptor checks (by the same code) and throws
  /// family_error naming the broken rule.
  promcxx::counter_family& counter_family(std::string_view name, std::string_view help,
                                          std::initializer_list<std::string_view> label_names = {},
                                          const family_options& options = {});
  promcxx::gauge_family& gauge_family(std::string_view name, std::string_view help,
                                      std::initializer_list<std::string_view> label_names = {},
                                      const family_options& options = {});
  promcxx::histogram_family& histogram_family(std::string_view name, std::string_view help,
                                              std::initializer_list<std::string_view> label_names = {},
                                              const family_options& options = {});
  promcxx::summary_family& summary_family(std::string_view name, std::string_view help,
                                          std::initializer_list<std::string_view> label_names = {},
                                          const family_options& options = {});

  /// The same without exceptions: nullptr and the broken rule in `error` (rule::none on success).
  template <class Family>
  Family* try_define(std::string_view name, std::string_view help, std::span<const std::string_view> label_names,
                     const family_options& options, detail::rule& error) noexcept {
#if defined(__cpp_exceptions)
    try {
      return define_or_report<Family>(name, help, label_names, options, error);
    } catch (...) {  // copying the names or constructing the family ran out of memory
      error = detail::rule::out_of_memory;
      return nullptr;
    }
#else
    return define_or_report<Family>(name, help, label_names, options, error);
#endif
  }

  /// Removes (and destroys) a runtime-defined family; its handles must not be used afterwards.
  bool erase(detail::family_core& family);

  /// Labels added to every series of this registry, such as `node_id`. Throws
  /// std::invalid_argument on an invalid or reserved name, invalid UTF-8, a
  /// duplicate, or a clash with a label a registered family declares.
  void set_const_labels(std::initializer_list<label_pair> labels);

  /// Collects every family into `out` (cleared first; its capacity is reused),
  /// families sorted by name, series by label values. Defined in collect.hpp
  /// (the scrape side), which exposition.hpp and the umbrella header include.
  void collect(snapshot& out) const;

 private:
  friend class collector;
  friend class detail::family_core;
  static constexpr std::string_view overflow_label_names[] = {"metric"};
  static constexpr std::string_view bad_data_label_names[] = {"kind"};

  static std::string message(detail::rule broken, std::string_view name);

  /// The first rule that keeps `family` out of this registry, or rule::none.
  detail::rule admits(const detail::family_core& family) const noexcept;

  void link(detail::family_core& family) noexcept;

  template <class Family>
  Family& define(std::string_view name, std::string_view help, std::span<const std::string_view> label_names,
                 const family_options& options) {
    detail::rule broken = detail::rule::none;
    Family* family = define_or_report<Family>(name, help, label_names, options, broken);
    if (family == nullptr) PROMCXX_THROW(family_error(broken, message(broken, name)));
    return *family;
  }
  /// The family, or nullptr and the broken rule in `error`: every rule and the
  /// registry's admission are checked before anything is linked, so both the
  /// throwing and the non-throwing entry points report instead of aborting.
  template <class Family>
  Family* define_or_report(std::string_view name, std::string_view help, std::span<const std::string_view> label_names,
                           const family_options& options, detail::rule& error) {
    constexpr metric_type type = Family::family_type;
    detail::owned_spec owned;
    owned.name = name;
    owned.help = help;
    owned.unit = options.unit;
    owned.labels.assign(label_names.begin(), label_names.end());
    if (type == metric_type::histogram) {
      if (options.buckets.empty()) owned.bounds.assign(default_buckets::bounds.begin(), default_buckets::bounds.end());
      else owned.bounds = options.buckets;
    } else {
      owned.bounds = options.buckets;
    }
    owned.states = options.states;
    owned.point_views();
    error = detail::first_broken_rule(owned.view(type, options.max_series));
    if (error != detail::rule::none) return nullptr;
    auto* family = new (std::nothrow) Family(owned, options);
    if (family == nullptr) {
      error = detail::rule::out_of_memory;
      return nullptr;
    }
    const owned_family entry{family, [](detail::family_core* f) { delete static_cast<Family*>(f); }};
    detail::lock held{mutex_};
    error = admits(*family);
    if (error == detail::rule::none) {
      PROMCXX_TRY {
        owned_.push_back(entry);
      } PROMCXX_CATCH_ALL {
        error = detail::rule::out_of_memory;
      }
    }
    if (error != detail::rule::none) {
      entry.destroy(family);
      return nullptr;
    }
    link(*family);
    return family;
  }
  template <class Family>
  Family& define(std::string_view name, std::string_view help, std::initializer_list<std::string_view> label_names,
                 const family_options& options) {
    return define<Family>(name, help, std::span<const std::string_view>{label_names.begin(), label_names.size()},
                          options);
  }

  void sort_and_dedupe(snapshot& out) const;

  mutable detail::mutex mutex_;
  detail::family_core* head_ = nullptr;  // sorted by name
  collector* collectors_ = nullptr;
  std::vector<std::pair<std::string, std::string>> const_labels_;
  struct owned_family {
    detail::family_core* family;
    void (*destroy)(detail::family_core*);
  };
  std::vector<owned_family> owned_;  // runtime-defined families
  mutable std::atomic<std::uint64_t> collect_errors_{0};
};

PROMCXX_GLOBAL registry default_registry_instance;

/// The registry metrics join when declared without one.
inline registry& default_registry() noexcept { return default_registry_instance; }

namespace detail {

inline void attach_family(registry& r, family_core& family) { r.add(family); }

} // namespace detail

#if PROMCXX_DEFINE_SLOW_PATHS
// Registration and runtime definitions: compiled once in src/promcxx.cpp under
// PROMCXX_SEPARATE_COMPILATION (config.hpp).

PROMCXX_SLOW_PATH registry::~registry() {
  detail::lock held{mutex_};
  for (auto* f = head_; f != nullptr; f = f->next_) f->owner_ = nullptr;
  for (auto* c = collectors_; c != nullptr; c = c->next_) c->owner_ = nullptr;
  head_ = nullptr;
  for (const auto& o : owned_) o.destroy(o.family);  // runtime families detach from nobody now
}

PROMCXX_SLOW_PATH void registry::add(detail::family_core& family) {
  detail::lock held{mutex_};
  if (const auto broken = admits(family); broken != detail::rule::none) PROMCXX_THROW(family_error(broken, message(broken, family.spec().name)));
  link(family);
}

PROMCXX_SLOW_PATH void registry::remove(detail::family_core& family) noexcept {
  detail::lock held{mutex_};
  for (detail::family_core** at = &head_; *at != nullptr; at = &(*at)->next_) {
    if (*at == &family) {
      *at = family.next_;
      family.next_ = nullptr;
      family.owner_ = nullptr;
      return;
    }
  }
}

PROMCXX_SLOW_PATH void registry::add(collector& c) {
  detail::lock held{mutex_};
  if (c.owner_ != nullptr) PROMCXX_THROW(std::invalid_argument("promcxx::registry: collector is already registered"));
  c.next_ = collectors_;
  c.owner_ = this;
  collectors_ = &c;
}

PROMCXX_SLOW_PATH void registry::remove(collector& c) noexcept {
  detail::lock held{mutex_};
  for (collector** at = &collectors_; *at != nullptr; at = &(*at)->next_) {
    if (*at == &c) {
      *at = c.next_;
      c.next_ = nullptr;
      c.owner_ = nullptr;
      return;
    }
  }
}

PROMCXX_SLOW_PATH bool registry::erase(detail::family_core& family) {
  remove(family);
  detail::lock held{mutex_};
  for (auto it = owned_.begin(); it != owned_.end(); ++it) {
    if (it->family == &family) {
      const auto o = *it;
      owned_.erase(it);
      o.destroy(o.family);
      return true;
    }
  }
  return false;
}

PROMCXX_SLOW_PATH void registry::set_const_labels(std::initializer_list<label_pair> labels) {
  std::vector<std::pair<std::string, std::string>> checked;
  for (const auto& l : labels) {
    if (!detail::is_label_name(l.name) || detail::is_reserved_label_name(l.name) || l.name == "le" ||
        l.name == "quantile")
      PROMCXX_THROW(std::invalid_argument("promcxx::registry: invalid constant label name \"" + std::string(l.name) + "\""));
    if (!detail::is_valid_utf8(l.value))
      PROMCXX_THROW(std::invalid_argument("promcxx::registry: constant label \"" + std::string(l.name) +
                                  "\" has a value that is not valid UTF-8"));
    for (const auto& c : checked)
      if (c.first == l.name)
        PROMCXX_THROW(std::invalid_argument("promcxx::registry: constant label \"" + std::string(l.name) + "\" given twice"));
    checked.emplace_back(l.name, l.value);
  }
  detail::lock held{mutex_};
  for (auto* f = head_; f != nullptr; f = f->next_)
    for (const auto& name : f->spec().label_names)
      for (const auto& c : checked)
        if (c.first == name)
          PROMCXX_THROW(std::invalid_argument("promcxx::registry: metric \"" + std::string(f->spec().name) +
                                      "\" already declares constant label \"" + c.first + "\""));
  const_labels_ = std::move(checked);
}

PROMCXX_SLOW_PATH std::string registry::message(detail::rule broken, std::string_view name) {
  return std::string(detail::rule_message(broken)) + " (metric \"" + std::string(name) + "\")";
}

PROMCXX_SLOW_PATH detail::rule registry::admits(const detail::family_core& family) const noexcept {
  if (family.owner_ != nullptr) return detail::rule::already_registered;
  const auto& spec = family.spec();
  for (const auto& label : spec.label_names)
    for (const auto& c : const_labels_)
      if (c.first == label) return detail::rule::const_label_clash;
  for (const auto* f = head_; f != nullptr; f = f->next_) {
    if (f->spec().name == spec.name) return detail::rule::duplicate_name;
    if (detail::families_clash(f->spec().type, f->spec().name, spec.type, spec.name))
      return detail::rule::exposed_name_clash;
  }
  return detail::rule::none;
}

PROMCXX_SLOW_PATH void registry::link(detail::family_core& family) noexcept {
  detail::family_core** at = &head_;
  while (*at != nullptr && (*at)->spec().name < family.spec().name) at = &(*at)->next_;
  family.next_ = *at;
  family.owner_ = this;
  *at = &family;
}

PROMCXX_SLOW_PATH promcxx::counter_family& registry::counter_family(std::string_view name, std::string_view help,
    std::initializer_list<std::string_view> label_names, const family_options& options) {
  return define<promcxx::counter_family>(name, help, label_names, options);
}

PROMCXX_SLOW_PATH promcxx::gauge_family& registry::gauge_family(std::string_view name, std::string_view help,
    std::initializer_list<std::string_view> label_names, const family_options& options) {
  return define<promcxx::gauge_family>(name, help, label_names, options);
}

PROMCXX_SLOW_PATH promcxx::histogram_family& registry::histogram_family(std::string_view name, std::string_view help,
    std::initializer_list<std::string_view> label_names, const family_options& options) {
  return define<promcxx::histogram_family>(name, help, label_names, options);
}

PROMCXX_SLOW_PATH promcxx::summary_family& registry::summary_family(std::string_view name, std::string_view help,
    std::initializer_list<std::string_view> label_names, const family_options& options) {
  return define<promcxx::summary_family>(name, help, label_names, options);
}

PROMCXX_SLOW_PATH collector::~collector() {
  if (owner_ != nullptr) owner_->remove(*this);
}

PROMCXX_SLOW_PATH void detail::family_core::detach() noexcept {
  if (owner_ != nullptr) owner_->remove(*this);
}

#endif // PROMCXX_DEFINE_SLOW_PATHS

} // namespace promcxx

#endif // PROMCXX_REGISTRY_HPP
