// promcxx: registries, the families they hold, and collectors.
#ifndef PROMCXX_REGISTRY_HPP
#define PROMCXX_REGISTRY_HPP

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <memory>  // std::shared_ptr: runtime-defined families owned by their registry
#include <mutex>
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
#include "snapshot.hpp"

namespace promcxx {

class registry;
class collect_sink;

/// Native buckets of one histogram series for collect_sink: dense counts of
/// consecutive bucket indices starting at `positive_first` / `negative_first`
/// (zeros allowed; the sink stores them as spans).
struct native_buckets {
  std::int32_t schema = 3;
  double zero_threshold = 0;
  std::uint64_t zero_count = 0;
  std::int32_t positive_first = 0;
  std::span<const std::uint64_t> positive;
  std::int32_t negative_first = 0;
  std::span<const std::uint64_t> negative;
};

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

 private:
  friend class registry;
  collector* next_ = nullptr;
  registry* owner_ = nullptr;
};

/// Receives the families of one scrape. Collectors describe what they expose
/// through it; it validates names and labels at run time and drops (and
/// counts, as promcxx_collect_errors_total) anything that would make the
/// exposition invalid, so one bad collector never breaks a scrape.
class collect_sink {
 public:
  collect_sink(snapshot& out, std::span<const std::pair<std::string, std::string>> const_labels)
      : out_(out), const_labels_(const_labels) {}

  /// Starts a family; false (and counted) when the name or type rules are broken.
  bool family(std::string_view name, std::string_view help, metric_type type, std::string_view unit = {}) {
    return begin(name, help, type, unit, {}, {});
  }
  bool histogram_family(std::string_view name, std::string_view help, std::span<const double> bounds,
                        std::string_view unit = {}) {
    return begin(name, help, metric_type::histogram, unit, bounds, {});
  }
  /// A histogram family whose series carry native buckets; `bounds` are the
  /// classic buckets exposed alongside and may be empty.
  bool native_histogram_family(std::string_view name, std::string_view help, std::span<const double> bounds = {},
                               std::string_view unit = {}) {
    return begin(name, help, metric_type::histogram, unit, bounds, {}, true);
  }
  bool stateset_family(std::string_view name, std::string_view help, std::span<const std::string_view> states) {
    return begin(name, help, metric_type::stateset, {}, {}, states);
  }

  /// A sample of the current counter, gauge or unknown family.
  void sample(std::initializer_list<label_pair> labels, double value, double created = 0) {
    sample(std::span<const label_pair>{labels.begin(), labels.size()}, value, created);
  }
  void sample(std::span<const label_pair> labels, double value, double created = 0) {
    if (!accepts({metric_type::counter, metric_type::gauge, metric_type::unknown})) return;
    if (current_type() == metric_type::counter && !(value >= 0)) return reject();
    if (!add_series(labels, created)) return;
    out_.values.push_back(value);
  }
  /// A histogram series: `cumulative` holds one count per bound then +Inf.
  void histogram_sample(std::span<const label_pair> labels, std::span<const std::uint64_t> cumulative, double sum,
                        double created = 0) {
    if (!accepts({metric_type::histogram})) return;
    const auto& f = out_.families.back();
    if (cumulative.size() != f.bound_count + 1 || !std::is_sorted(cumulative.begin(), cumulative.end()))
      return reject();
    if (!add_series(labels, created)) return;
    for (const auto c : cumulative) out_.values.push_back(static_cast<double>(c));
    out_.values.push_back(sum);
  }
  /// A histogram series with native buckets (any histogram family). Rejected
  /// unless schema is -4..8, the zero threshold finite and >= 0, and the zero,
  /// positive and negative buckets add up to the count, cumulative.back().
  void native_histogram_sample(std::span<const label_pair> labels, std::span<const std::uint64_t> cumulative,
                               double sum, const native_buckets& native, double created = 0) {
    if (!accepts({metric_type::histogram})) return;
    const auto& f = out_.families.back();
    if (cumulative.size() != f.bound_count + 1 || !std::is_sorted(cumulative.begin(), cumulative.end()))
      return reject();
    if (!native_fits(native, cumulative.back())) return reject();
    if (!add_series(labels, created)) return;
    for (const auto c : cumulative) out_.values.push_back(static_cast<double>(c));
    out_.values.push_back(sum);
    append_trusted_native(native);
  }
  void summary_sample(std::span<const label_pair> labels, std::uint64_t count, double sum, double created = 0) {
    if (!accepts({metric_type::summary})) return;
    if (!add_series(labels, created)) return;
    out_.values.push_back(sum);
    out_.values.push_back(static_cast<double>(count));
  }
  void info_sample(std::span<const label_pair> labels) {
    if (!accepts({metric_type::info})) return;
    add_series(labels, 0);
  }
  /// One flag per state of the stateset family.
  void stateset_sample(std::span<const label_pair> labels, std::span<const bool> states) {
    if (!accepts({metric_type::stateset})) return;
    if (states.size() != out_.families.back().bound_count) return reject();
    if (!add_series(labels, 0)) return;
    for (const bool on : states) out_.values.push_back(on ? 1.0 : 0.0);
  }

  [[nodiscard]] std::uint64_t errors() const noexcept { return errors_; }
  /// Counts a value a collector dropped itself (for example a callback that threw).
  void count_error() noexcept { ++errors_; }
  [[nodiscard]] snapshot& out() noexcept { return out_; }

  // Fast path for the library's own metrics: their names and labels were
  // checked at compile time and their label values when the series was made.
  void begin_trusted_family(std::string_view name, std::string_view help, metric_type type, std::string_view unit,
                            std::span<const double> bounds, std::span<const std::string_view> states,
                            std::span<const std::string_view> label_names = {}) {
    end_family();
    snapshot::family f;
    f.name = out_.store(name);
    f.help = out_.store(help);
    f.unit = out_.store(unit);
    f.type = type;
    f.first_series = static_cast<std::uint32_t>(out_.all_series.size());
    f.first_bound = static_cast<std::uint32_t>(type == metric_type::stateset ? out_.states.size() : out_.bounds.size());
    f.bound_count = static_cast<std::uint32_t>(type == metric_type::stateset ? states.size() : bounds.size());
    out_.bounds.insert(out_.bounds.end(), bounds.begin(), bounds.end());
    for (const auto s : states) out_.states.push_back(out_.store(s));
    out_.families.push_back(f);
    open_ = true;
    out_.scratch_const_labels.clear();
    for (const auto& [n, v] : const_labels_) out_.scratch_const_labels.push_back({out_.store(n), out_.store(v)});
    out_.scratch_label_names.clear();
    for (const auto n : label_names) out_.scratch_label_names.push_back(out_.store(n));
  }
  /// Appends a series with the family's label names; its values follow in `out().values`.
  void begin_trusted_series(std::span<const std::string_view> label_values, double created) {
    snapshot::series s;
    s.first_label = static_cast<std::uint32_t>(out_.labels.size());
    s.label_count = static_cast<std::uint32_t>(out_.scratch_const_labels.size() + out_.scratch_label_names.size());
    s.first_value = static_cast<std::uint32_t>(out_.values.size());
    s.created = created;
    out_.labels.insert(out_.labels.end(), out_.scratch_const_labels.begin(), out_.scratch_const_labels.end());
    for (std::size_t i = 0; i < out_.scratch_label_names.size(); ++i)
      out_.labels.push_back({out_.scratch_label_names[i], out_.store(label_values[i])});
    out_.all_series.push_back(s);
    ++out_.families.back().series_count;
  }

  /// Attaches native buckets to the series begun last (trusted: not validated).
  void append_trusted_native(const native_buckets& n) {
    snapshot::native_histogram h;
    h.schema = n.schema;
    h.zero_threshold = n.zero_threshold;
    h.zero_count = n.zero_count;
    h.first_span = static_cast<std::uint32_t>(out_.native_spans.size());
    h.first_count = static_cast<std::uint32_t>(out_.native_counts.size());
    h.positive_span_count = append_spans(n.positive_first, n.positive, h.positive_count);
    h.negative_span_count = append_spans(n.negative_first, n.negative, h.negative_count);
    out_.all_series.back().native = static_cast<std::uint32_t>(out_.natives.size());
    out_.natives.push_back(h);
  }

  /// Closes the current family: sorts its series by label values and drops it if empty.
  void end_family() {
    if (!open_) return;
    open_ = false;
    auto& f = out_.families.back();
    if (f.series_count == 0) {
      out_.families.pop_back();
      return;
    }
    const auto first = out_.all_series.begin() + f.first_series;
    std::sort(first, first + f.series_count, [this](const snapshot::series& a, const snapshot::series& b) {
      const std::uint32_t n = std::min(a.label_count, b.label_count);
      for (std::uint32_t i = 0; i < n; ++i) {
        const auto va = out_.view(out_.labels[a.first_label + i].value);
        const auto vb = out_.view(out_.labels[b.first_label + i].value);
        if (va != vb) return va < vb;
      }
      return a.label_count < b.label_count;
    });
  }

 private:
  [[nodiscard]] metric_type current_type() const noexcept { return out_.families.back().type; }

  bool accepts(std::initializer_list<metric_type> types) {
    if (!open_) return reject(), false;
    if (std::find(types.begin(), types.end(), current_type()) == types.end()) return reject(), false;
    return true;
  }

  void reject() noexcept { ++errors_; }

  bool begin(std::string_view name, std::string_view help, metric_type type, std::string_view unit,
             std::span<const double> bounds, std::span<const std::string_view> states, bool native = false) {
    end_family();
    // The same rules as compile-time descriptors and runtime families (detail/rules.hpp).
    const detail::family_spec spec{type, name, help, unit, {}, bounds, states, 1};
    auto broken = detail::first_broken_rule(spec);
    if (native && broken == detail::rule::buckets_empty) broken = detail::rule::none;  // native-only histogram
    if (type == metric_type::unknown && broken == detail::rule::total_suffix) broken = detail::rule::none;
    if (broken != detail::rule::none) {
      reject();
      return false;
    }
    begin_trusted_family(name, help, type, unit, bounds, states);
    return true;
  }

  static bool native_fits(const native_buckets& n, std::uint64_t count) noexcept {
    if (n.schema < -4 || n.schema > 8 || !detail::is_finite(n.zero_threshold) || n.zero_threshold < 0) return false;
    std::uint64_t total = n.zero_count;
    for (const auto span : {n.positive, n.negative})
      for (const auto c : span) {
        if (total + c < total) return false;  // overflow
        total += c;
      }
    return total == count;
  }

  // Runs of up to two empty buckets stay inside a span: a new span costs about
  // as much as two zero deltas (client_golang makes the same choice).
  std::uint32_t append_spans(std::int32_t first, std::span<const std::uint64_t> counts, std::uint32_t& stored) {
    std::size_t i = 0, end = counts.size();
    while (i < end && counts[i] == 0) ++i;
    while (end > i && counts[end - 1] == 0) --end;
    std::uint32_t spans = 0;
    std::int64_t previous_end = 0;
    while (i < end) {
      std::size_t j = i + 1;
      while (j < end) {
        if (counts[j] != 0) {
          ++j;
          continue;
        }
        std::size_t k = j;
        while (counts[k] == 0) ++k;  // ends before `end`: trailing zeros were trimmed
        if (k - j > 2) break;
        j = k;
      }
      const std::int64_t index = first + static_cast<std::int64_t>(i);
      out_.native_spans.push_back({static_cast<std::int32_t>(spans == 0 ? index : index - previous_end),
                                   static_cast<std::uint32_t>(j - i)});
      out_.native_counts.insert(out_.native_counts.end(), counts.begin() + static_cast<std::ptrdiff_t>(i),
                                counts.begin() + static_cast<std::ptrdiff_t>(j));
      stored += static_cast<std::uint32_t>(j - i);
      previous_end = index + static_cast<std::int64_t>(j - i);
      ++spans;
      i = j;
      while (i < end && counts[i] == 0) ++i;
    }
    return spans;
  }

  bool add_series(std::span<const label_pair> labels, double created) {
    for (std::size_t i = 0; i < labels.size(); ++i) {
      const auto& l = labels[i];
      bool ok = detail::check_label_name(current_type(), out_.view(out_.families.back().name), l.name) ==
                    detail::rule::none &&
                detail::is_valid_utf8(l.value);
      for (std::size_t k = 0; k < i; ++k) ok = ok && labels[k].name != l.name;
      for (const auto& c : const_labels_) ok = ok && c.first != l.name;
      if (!ok) {
        reject();
        return false;
      }
    }
    snapshot::series s;
    s.first_label = static_cast<std::uint32_t>(out_.labels.size());
    s.label_count = static_cast<std::uint32_t>(out_.scratch_const_labels.size() + labels.size());
    s.first_value = static_cast<std::uint32_t>(out_.values.size());
    s.created = created;
    out_.labels.insert(out_.labels.end(), out_.scratch_const_labels.begin(), out_.scratch_const_labels.end());
    for (const auto& l : labels) out_.labels.push_back({out_.store(l.name), out_.store(l.value)});
    out_.all_series.push_back(s);
    ++out_.families.back().series_count;
    return true;
  }

  snapshot& out_;
  std::span<const std::pair<std::string, std::string>> const_labels_;
  std::uint64_t errors_ = 0;
  bool open_ = false;
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
    const auto id = find_or_create(values);
    return counter_handle{record(id).first_cell, ref_of(id)};
  }
};

/// A gauge family defined at run time.
class gauge_family final : public detail::runtime_family<metric_type::gauge> {
 public:
  using runtime_family::runtime_family;
  [[nodiscard]] gauge_handle labels(std::initializer_list<std::string_view> values) { return labels(span_of(values)); }
  [[nodiscard]] gauge_handle labels(std::span<const std::string_view> values) {
    const auto id = find_or_create(values);
    return gauge_handle{&record(id).bits, ref_of(id)};
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
    const auto id = find_or_create(values);
    return runtime_histogram_handle{record(id).first_cell, spec().bounds, ref_of(id)};
  }
};

/// A summary family (count and sum) defined at run time.
class summary_family final : public detail::runtime_family<metric_type::summary> {
 public:
  using runtime_family::runtime_family;
  [[nodiscard]] summary_handle labels(std::initializer_list<std::string_view> values) { return labels(span_of(values)); }
  [[nodiscard]] summary_handle labels(std::span<const std::string_view> values) {
    const auto id = find_or_create(values);
    return summary_handle{record(id).first_cell, ref_of(id)};
  }
};

/// A set of metric families exposed together. Metrics declared without a
/// registry argument join `default_registry()`.
class registry {
 public:
  constexpr registry() noexcept = default;
  registry(const registry&) = delete;
  registry& operator=(const registry&) = delete;

  ~registry() {
    std::lock_guard lock{mutex_};
    for (auto* f = head_; f != nullptr; f = f->next_) f->owner_ = nullptr;
    for (auto* c = collectors_; c != nullptr; c = c->next_) c->owner_ = nullptr;
    head_ = nullptr;
    owned_.clear();  // runtime families detach from nobody now
  }

  /// Registers a family. Throws family_error (a std::invalid_argument) when it
  /// is registered already, its name or one of its exposed sample names
  /// (`_total`, `_created`, `_info`, `_bucket`, `_count`, `_sum`) clashes with a
  /// registered family, or a label clashes with a constant label of this registry.
  void add(detail::family_core& family) {
    std::lock_guard lock{mutex_};
    if (const auto broken = admits(family); broken != detail::rule::none) throw family_error(broken, message(broken, family.spec().name));
    link(family);
  }

  void remove(detail::family_core& family) noexcept {
    std::lock_guard lock{mutex_};
    for (detail::family_core** at = &head_; *at != nullptr; at = &(*at)->next_) {
      if (*at == &family) {
        *at = family.next_;
        family.next_ = nullptr;
        family.owner_ = nullptr;
        return;
      }
    }
  }

  void add(collector& c) {
    std::lock_guard lock{mutex_};
    if (c.owner_ != nullptr) throw std::invalid_argument("promcxx::registry: collector is already registered");
    c.next_ = collectors_;
    c.owner_ = this;
    collectors_ = &c;
  }

  void remove(collector& c) noexcept {
    std::lock_guard lock{mutex_};
    for (collector** at = &collectors_; *at != nullptr; at = &(*at)->next_) {
      if (*at == &c) {
        *at = c.next_;
        c.next_ = nullptr;
        c.owner_ = nullptr;
        return;
      }
    }
  }

  /// Defines a counter family at run time, owned by this registry. Checks every
  /// rule a compile-time descriptor checks (by the same code) and throws
  /// family_error naming the broken rule.
  promcxx::counter_family& counter_family(std::string_view name, std::string_view help,
                                          std::initializer_list<std::string_view> label_names = {},
                                          const family_options& options = {}) {
    return define<promcxx::counter_family>(name, help, label_names, options);
  }
  promcxx::gauge_family& gauge_family(std::string_view name, std::string_view help,
                                      std::initializer_list<std::string_view> label_names = {},
                                      const family_options& options = {}) {
    return define<promcxx::gauge_family>(name, help, label_names, options);
  }
  promcxx::histogram_family& histogram_family(std::string_view name, std::string_view help,
                                              std::initializer_list<std::string_view> label_names = {},
                                              const family_options& options = {}) {
    return define<promcxx::histogram_family>(name, help, label_names, options);
  }
  promcxx::summary_family& summary_family(std::string_view name, std::string_view help,
                                          std::initializer_list<std::string_view> label_names = {},
                                          const family_options& options = {}) {
    return define<promcxx::summary_family>(name, help, label_names, options);
  }

  /// The same without exceptions: nullptr and the broken rule in `error` (rule::none on success).
  template <class Family>
  Family* try_define(std::string_view name, std::string_view help, std::span<const std::string_view> label_names,
                     const family_options& options, detail::rule& error) noexcept {
    try {
      error = detail::rule::none;
      return &define<Family>(name, help, label_names, options);
    } catch (const family_error& e) {
      error = e.which();
    } catch (...) {
      error = detail::rule::out_of_memory;
    }
    return nullptr;
  }

  /// Removes (and destroys) a runtime-defined family; its handles must not be used afterwards.
  bool erase(detail::family_core& family) {
    remove(family);
    std::lock_guard lock{mutex_};
    for (auto it = owned_.begin(); it != owned_.end(); ++it) {
      if (it->get() == static_cast<void*>(&family)) {
        owned_.erase(it);
        return true;
      }
    }
    return false;
  }

  /// Labels added to every series of this registry, such as `node_id`. Throws
  /// std::invalid_argument on an invalid or reserved name, invalid UTF-8, a
  /// duplicate, or a clash with a label a registered family declares.
  void set_const_labels(std::initializer_list<label_pair> labels) {
    std::vector<std::pair<std::string, std::string>> checked;
    for (const auto& l : labels) {
      if (!detail::is_label_name(l.name) || detail::is_reserved_label_name(l.name) || l.name == "le" ||
          l.name == "quantile")
        throw std::invalid_argument("promcxx::registry: invalid constant label name \"" + std::string(l.name) + "\"");
      if (!detail::is_valid_utf8(l.value))
        throw std::invalid_argument("promcxx::registry: constant label \"" + std::string(l.name) +
                                    "\" has a value that is not valid UTF-8");
      for (const auto& c : checked)
        if (c.first == l.name)
          throw std::invalid_argument("promcxx::registry: constant label \"" + std::string(l.name) + "\" given twice");
      checked.emplace_back(l.name, l.value);
    }
    std::lock_guard lock{mutex_};
    for (auto* f = head_; f != nullptr; f = f->next_)
      for (const auto& name : f->spec().label_names)
        for (const auto& c : checked)
          if (c.first == name)
            throw std::invalid_argument("promcxx::registry: metric \"" + std::string(f->spec().name) +
                                        "\" already declares constant label \"" + c.first + "\"");
    const_labels_ = std::move(checked);
  }

  /// Collects every family into `out` (cleared first; its capacity is reused),
  /// families sorted by name, series by label values.
  void collect(snapshot& out) const {
    out.clear();
    std::lock_guard lock{mutex_};
    collect_sink sink{out, const_labels_};
    std::uint64_t rejected_total = 0;
    for (const auto* f = head_; f != nullptr; f = f->next_) {
      f->collect_into(sink);
      sink.end_family();
      rejected_total += f->rejected();
    }
    const std::size_t registered_families = out.families.size();
    for (const auto* c = collectors_; c != nullptr; c = c->next_) {
      c->collect(sink);
      sink.end_family();
    }
    if (rejected_total > 0) {
      sink.begin_trusted_family("promcxx_series_overflow_total",
                                "Label sets refused because a metric reached its series cap, by metric.",
                                metric_type::counter, {}, {}, {}, overflow_label_names);
      for (const auto* f = head_; f != nullptr; f = f->next_) {
        if (const auto n = f->rejected(); n > 0) {
          const std::string_view value[] = {f->spec().name};
          sink.begin_trusted_series(value, 0);
          out.values.push_back(static_cast<double>(n));
        }
      }
      sink.end_family();
    }
    // Exemplars are dropped process-wide; the default registry reports them once there are any.
    if (const auto dropped = detail::exemplars_dropped.load(std::memory_order_relaxed);
        dropped > 0 && this == &default_registry()) {
      sink.begin_trusted_family("promcxx_exemplars_dropped_total",
                                "Exemplars dropped because their labels broke the OpenMetrics rules (over 128 code "
                                "points, invalid names or UTF-8).",
                                metric_type::counter, {}, {}, {});
      sink.begin_trusted_series({}, 0);
      out.values.push_back(static_cast<double>(dropped));
      sink.end_family();
    }
    if (out.families.size() != registered_families) sort_and_dedupe(out, sink);
    collect_errors_.fetch_add(sink.errors(), std::memory_order_relaxed);
    if (const auto errors = collect_errors_.load(std::memory_order_relaxed); errors > 0) {
      sink.begin_trusted_family("promcxx_collect_errors_total",
                                "Families and samples that collectors produced and the registry dropped as invalid.",
                                metric_type::counter, {}, {}, {});
      sink.begin_trusted_series({}, 0);
      out.values.push_back(static_cast<double>(errors));
      sink.end_family();
      sort_and_dedupe(out, sink);
    }
  }

 private:
  friend class collector;
  friend class detail::family_core;
  static constexpr std::string_view overflow_label_names[] = {"metric"};

  static std::string message(detail::rule broken, std::string_view name) {
    return std::string(detail::rule_message(broken)) + " (metric \"" + std::string(name) + "\")";
  }

  /// The first rule that keeps `family` out of this registry, or rule::none.
  detail::rule admits(const detail::family_core& family) const noexcept {
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

  void link(detail::family_core& family) noexcept {
    detail::family_core** at = &head_;
    while (*at != nullptr && (*at)->spec().name < family.spec().name) at = &(*at)->next_;
    family.next_ = *at;
    family.owner_ = this;
    *at = &family;
  }

  template <class Family>
  Family& define(std::string_view name, std::string_view help, std::span<const std::string_view> label_names,
                 const family_options& options) {
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
    if (const auto broken = detail::first_broken_rule(owned.view(type, options.max_series)); broken != detail::rule::none)
      throw family_error(broken, message(broken, name));
    auto family = std::make_shared<Family>(owned, options);
    std::lock_guard lock{mutex_};
    if (const auto broken = admits(*family); broken != detail::rule::none) throw family_error(broken, message(broken, name));
    owned_.push_back(family);
    link(*family);
    return *family;
  }
  template <class Family>
  Family& define(std::string_view name, std::string_view help, std::initializer_list<std::string_view> label_names,
                 const family_options& options) {
    return define<Family>(name, help, std::span<const std::string_view>{label_names.begin(), label_names.size()},
                          options);
  }

  void sort_and_dedupe(snapshot& out, collect_sink&) const {
    // In-place sort (stable_sort would allocate every scrape); ties keep collection
    // order, which first_series records, so a registered metric wins over a collector.
    std::sort(out.families.begin(), out.families.end(), [&out](const snapshot::family& a, const snapshot::family& b) {
      const auto na = out.view(a.name);
      const auto nb = out.view(b.name);
      return na != nb ? na < nb : a.first_series < b.first_series;
    });
    // Two families with one name would make the exposition invalid: keep the first.
    const auto last = std::unique(out.families.begin(), out.families.end(),
                                  [&out](const snapshot::family& a, const snapshot::family& b) {
                                    return out.view(a.name) == out.view(b.name);
                                  });
    const auto dropped = static_cast<std::uint64_t>(out.families.end() - last);
    out.families.erase(last, out.families.end());
    collect_errors_.fetch_add(dropped, std::memory_order_relaxed);
  }

  mutable std::mutex mutex_;
  detail::family_core* head_ = nullptr;  // sorted by name
  collector* collectors_ = nullptr;
  std::vector<std::pair<std::string, std::string>> const_labels_;
  std::vector<std::shared_ptr<void>> owned_;  // runtime-defined families
  mutable std::atomic<std::uint64_t> collect_errors_{0};
};

inline constinit registry default_registry_instance;

/// The registry metrics join when declared without one.
inline registry& default_registry() noexcept { return default_registry_instance; }

inline collector::~collector() {
  if (owner_ != nullptr) owner_->remove(*this);
}

namespace detail {

inline void attach_family(registry& r, family_core& family) { r.add(family); }

inline void family_core::detach() noexcept {
  if (owner_ != nullptr) owner_->remove(*this);
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

inline void family_core::collect_into(collect_sink& sink) const {
  std::lock_guard lock{mutex_};  // creations and removals wait for this family's scrape
  if (expire_after_ > 0) const_cast<family_core*>(this)->expire_idle_locked(now_seconds());
  sink.begin_trusted_family(spec_.name, spec_.help, spec_.type, spec_.unit, spec_.bounds, spec_.states,
                            spec_.label_names);
  snapshot& out = sink.out();
  auto emit = [&](const series_record& r) {
    unpack_locked(r, scratch_views_);
    sink.begin_trusted_series(scratch_views_, r.created);
    switch (spec_.type) {
      case metric_type::counter: out.values.push_back(counter_value(r.first_cell)); break;
      case metric_type::gauge: out.values.push_back(std::bit_cast<double>(r.bits.load(std::memory_order_relaxed))); break;
      case metric_type::histogram: {
        const auto bounds = static_cast<std::uint32_t>(spec_.bounds.size());
        std::uint64_t cumulative = 0;
        for (std::uint32_t i = 0; i <= bounds; ++i) {
          cumulative += sum_cells_u64(r.first_cell + i);
          out.values.push_back(static_cast<double>(cumulative));
        }
        out.values.push_back(sum_cells_double(r.first_cell + bounds + 1));
        break;
      }
      case metric_type::summary:
        out.values.push_back(sum_cells_double(r.first_cell + 1));  // snapshot order: sum,
        out.values.push_back(static_cast<double>(sum_cells_u64(r.first_cell)));  // then count
        break;
      case metric_type::stateset: {
        const std::uint64_t bits = r.bits.load(std::memory_order_relaxed);  // one load: a consistent set
        for (std::size_t i = 0; i < spec_.states.size(); ++i) out.values.push_back(static_cast<double>(bits >> i & 1U));
        break;
      }
      default: break;  // info: no value
    }
    if (r.exemplars) emit_exemplar_slots({r.exemplars.get(), exemplar_slots_}, out);
  };
  for (std::uint32_t id = 0; id < next_unused_; ++id) {
    const series_record& r = record(id);
    if (r.live) emit(r);
  }
  if (overflow_used_) emit(record(cap_));
}

} // namespace detail

} // namespace promcxx

#endif // PROMCXX_REGISTRY_HPP
