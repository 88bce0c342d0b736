// promcxx: registries, the families they hold, and collectors.
#ifndef PROMCXX_REGISTRY_HPP
#define PROMCXX_REGISTRY_HPP

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <mutex>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "buckets.hpp"  // detail::is_finite
#include "names.hpp"
#include "snapshot.hpp"

namespace promcxx {

class registry;
class collect_sink;

struct label_pair {
  std::string_view name;
  std::string_view value;
};

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

namespace detail {

/// Base of every compile-time metric: an intrusive node in one registry's list,
/// so registering never allocates.
class family_base {
 public:
  family_base(const family_base&) = delete;
  family_base& operator=(const family_base&) = delete;

  [[nodiscard]] virtual std::string_view family_name() const noexcept = 0;
  [[nodiscard]] virtual std::span<const std::string_view> family_label_names() const noexcept = 0;
  virtual void collect_into(collect_sink& sink) const = 0;
  /// Label sets refused because the series cap was reached (self-metric).
  [[nodiscard]] virtual std::uint64_t rejected_label_sets() const noexcept { return 0; }

 protected:
  family_base() = default;
  ~family_base() = default;
  /// Derived destructors call this first, so no scrape reads a half-destroyed metric.
  void detach() noexcept;

 private:
  friend class promcxx::registry;
  family_base* next_ = nullptr;
  registry* owner_ = nullptr;
};

inline double now_seconds() noexcept {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

} // namespace detail

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
    const bool name_ok = detail::is_metric_name(name) && !help.empty() && detail::is_valid_utf8(help) &&
                         (type == metric_type::counter) == detail::has_suffix(name, "_total") &&
                         !detail::has_reserved_suffix(name) && unit_fits(name, type, unit);
    bool shape_ok = true;
    for (std::size_t i = 0; i < bounds.size(); ++i)
      shape_ok = shape_ok && detail::is_finite(bounds[i]) && (i == 0 || bounds[i - 1] < bounds[i]);
    if (type == metric_type::histogram && bounds.empty() && !native) shape_ok = false;
    for (const auto s : states) shape_ok = shape_ok && !s.empty() && detail::is_valid_utf8(s);
    if (!name_ok || !shape_ok) {
      reject();
      return false;
    }
    begin_trusted_family(name, help, type, unit, bounds, states);
    return true;
  }

  /// OpenMetrics: the unit ends the family name after a '_' (counters: before
  /// _total), and info and stateset take none.
  static bool unit_fits(std::string_view name, metric_type type, std::string_view unit) noexcept {
    if (unit.empty()) return true;
    if (type == metric_type::info || type == metric_type::stateset) return false;
    if (type == metric_type::counter && name.ends_with("_total")) name.remove_suffix(6);
    return name.size() > unit.size() + 1 && name.ends_with(unit) && name[name.size() - unit.size() - 1] == '_';
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
      bool ok = detail::is_label_name(l.name) && !detail::is_reserved_label_name(l.name) &&
                detail::is_valid_utf8(l.value);
      const auto type = current_type();
      if ((type == metric_type::histogram && l.name == "le") || (type == metric_type::summary && l.name == "quantile"))
        ok = false;
      if (type == metric_type::stateset && l.name == out_.view(out_.families.back().name)) ok = false;
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
  }

  /// Registers a family. Throws std::invalid_argument when the name is taken
  /// or a label clashes with a constant label of this registry.
  void add(detail::family_base& family) {
    std::lock_guard lock{mutex_};
    if (family.owner_ != nullptr) throw std::invalid_argument(message("is already registered", family.family_name()));
    for (const auto& label : family.family_label_names())
      for (const auto& c : const_labels_)
        if (c.first == label)
          throw std::invalid_argument(message("declares a label that is a constant label of the registry",
                                              family.family_name()));
    detail::family_base** link = &head_;
    while (*link != nullptr && (*link)->family_name() < family.family_name()) link = &(*link)->next_;
    if (*link != nullptr && (*link)->family_name() == family.family_name())
      throw std::invalid_argument(message("is already registered in this registry", family.family_name()));
    family.next_ = *link;
    family.owner_ = this;
    *link = &family;
  }

  void remove(detail::family_base& family) noexcept {
    std::lock_guard lock{mutex_};
    for (detail::family_base** link = &head_; *link != nullptr; link = &(*link)->next_) {
      if (*link == &family) {
        *link = family.next_;
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
    for (collector** link = &collectors_; *link != nullptr; link = &(*link)->next_) {
      if (*link == &c) {
        *link = c.next_;
        c.next_ = nullptr;
        c.owner_ = nullptr;
        return;
      }
    }
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
      for (const auto& name : f->family_label_names())
        for (const auto& c : checked)
          if (c.first == name)
            throw std::invalid_argument(message("already declares constant label \"" + c.first + "\"", f->family_name()));
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
      rejected_total += f->rejected_label_sets();
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
        if (const auto n = f->rejected_label_sets(); n > 0) {
          const std::string_view value[] = {f->family_name()};
          sink.begin_trusted_series(value, 0);
          out.values.push_back(static_cast<double>(n));
        }
      }
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
  static std::string message(std::string_view what, std::string_view name) {
    return "promcxx::registry: metric \"" + std::string(name) + "\" " + std::string(what);
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

  friend class detail::family_base;
  friend class collector;
  static constexpr std::string_view overflow_label_names[] = {"metric"};

  mutable std::mutex mutex_;
  detail::family_base* head_ = nullptr;  // sorted by name
  collector* collectors_ = nullptr;
  std::vector<std::pair<std::string, std::string>> const_labels_;
  mutable std::atomic<std::uint64_t> collect_errors_{0};
};

inline constinit registry default_registry_instance;

/// The registry metrics join when declared without one.
inline registry& default_registry() noexcept { return default_registry_instance; }

inline collector::~collector() {
  if (owner_ != nullptr) owner_->remove(*this);
}

namespace detail {

inline void family_base::detach() noexcept {
  if (owner_ != nullptr) owner_->remove(*this);
}

} // namespace detail

} // namespace promcxx

#endif // PROMCXX_REGISTRY_HPP
