// promcxx: the scrape side of a registry. `registry::collect` walks the
// families and collectors into a `snapshot`; `collect_sink` validates what
// collectors describe (by the rules of detail/rules.hpp) and drops and counts
// what would make the exposition invalid. Kept apart from registry.hpp so a
// translation unit that only declares and updates metrics does not compile it.
#ifndef PROMCXX_COLLECT_HPP
#define PROMCXX_COLLECT_HPP

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstdint>
#include <cstring>  // std::memcpy
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "detail/exemplar_slot.hpp"
#include "detail/rules.hpp"
#include "family.hpp"
#include "names.hpp"
#include "registry.hpp"
#include "snapshot.hpp"

namespace promcxx {

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

/// Per-thread scratch of the scrape-time checks below, kept so that a
/// steady-state scrape allocates nothing. No user code runs while it is in use,
/// so a collector that renders another registry cannot disturb it.
struct collect_scratch {
  std::vector<std::pair<std::uint64_t, std::uint32_t>> keyed;  // series key, position in its family
  std::vector<std::uint8_t> flags;
  std::vector<snapshot::label> sorted_a, sorted_b;
  std::string joined;  // exposed names of collector families, back to back
  struct name {
    std::uint32_t offset, size, family;
  };
  std::vector<name> names;
  std::vector<std::uint32_t> order, run;
  std::vector<std::uint8_t> taken;
  // First family of each collector, per registry::collect on this thread's stack (a collector may
  // render another registry: the inner collect appends after the outer's entries and trims back).
  std::vector<std::uint32_t> collector_starts;
  std::uint64_t filter[16];  // 1024-bit Bloom filter of the collector names: length and first 8 bytes
  std::uint64_t prefix_filter[16];  // ... and of their first 8 bytes alone (names of 8 bytes or more)

  static collect_scratch& get() {
    thread_local collect_scratch s;
    return s;
  }
};

/// Orders `base + suffix` against `s` as strings, without joining them.
inline int compare_joined(std::string_view base, std::string_view suffix, std::string_view s) noexcept {
  if (const int c = base.compare(s.substr(0, base.size())); c != 0) return c;
  return suffix.compare(s.substr(base.size()));
}

inline std::uint32_t prefix_filter_bit(const char* first8) noexcept {
  std::uint64_t head;
  std::memcpy(&head, first8, 8);
  return static_cast<std::uint32_t>((head * 0xbf58476d1ce4e5b9ULL) >> 54);  // 10 bits
}

/// Filter key of the name `base + suffix`: its length and first 8 bytes, mixed.
inline std::uint32_t name_filter_bit(std::string_view base, std::string_view suffix) noexcept {
  char bytes[8] = {};
  if (base.size() >= 8) {
    std::memcpy(bytes, base.data(), 8);
  } else {  // no memcpy from an empty view: its data() may be null
    if (!base.empty()) std::memcpy(bytes, base.data(), base.size());
    if (!suffix.empty()) std::memcpy(bytes + base.size(), suffix.data(), std::min(suffix.size(), 8 - base.size()));
  }
  std::uint64_t head;
  std::memcpy(&head, bytes, 8);
  std::uint64_t h = (head ^ (base.size() + suffix.size()) * 0x9e3779b97f4a7c15ULL) * 0xbf58476d1ce4e5b9ULL;
  return static_cast<std::uint32_t>(h >> 54);  // 10 bits
}

/// Order-independent key of a label set (equal sets, equal keys): a mixed hash per pair, summed.
inline std::uint64_t label_set_key(const snapshot& out, std::span<const snapshot::label> labels) noexcept {
  auto fnv = [](std::string_view s, std::uint64_t h) noexcept {
    for (const char c : s) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
    return h;
  };
  std::uint64_t key = 0;
  for (const auto& l : labels) {
    std::uint64_t h = fnv(out.view(l.value), fnv(out.view(l.name), 0xcbf29ce484222325ULL) ^ 0xff);
    h ^= h >> 31;  // splitmix64 finaliser: sums of unmixed FNV values collide too easily
    h *= 0x7fb5d329728ea185ULL;
    h ^= h >> 27;
    key += h;
  }
  return key;
}

/// Same label set, in any order (names within a set are unique, checked by add_series).
inline bool same_label_set(const snapshot& out, std::span<const snapshot::label> a, std::span<const snapshot::label> b,
                           collect_scratch& scratch) {
  if (a.size() != b.size()) return false;
  auto eq = [&out](const snapshot::label& x, const snapshot::label& y) {
    return out.view(x.name) == out.view(y.name) && out.view(x.value) == out.view(y.value);
  };
  if (std::equal(a.begin(), a.end(), b.begin(), eq)) return true;  // the usual case: the same order
  auto by_name = [&out](const snapshot::label& x, const snapshot::label& y) { return out.view(x.name) < out.view(y.name); };
  scratch.sorted_a.assign(a.begin(), a.end());
  scratch.sorted_b.assign(b.begin(), b.end());
  std::sort(scratch.sorted_a.begin(), scratch.sorted_a.end(), by_name);
  std::sort(scratch.sorted_b.begin(), scratch.sorted_b.end(), by_name);
  return std::equal(scratch.sorted_a.begin(), scratch.sorted_a.end(), scratch.sorted_b.begin(), eq);
}

} // namespace detail


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
  /// A summary family with quantiles (each in [0, 1], ascending), as
  /// quantile_summary.hpp exposes; its series come from the summary_sample
  /// overload that takes one value per quantile.
  bool summary_family(std::string_view name, std::string_view help, std::span<const double> quantiles,
                      std::string_view unit = {}) {
    for (const double q : quantiles) {
      if (!(q >= 0 && q <= 1)) {
        end_family();
        reject();
        return false;
      }
    }
    return begin(name, help, metric_type::summary, unit, quantiles, {});
  }
  /// An OpenMetrics gauge histogram (`_bucket`, `_gcount`, `_gsum`), as gauge_histogram.hpp exposes.
  bool gaugehistogram_family(std::string_view name, std::string_view help, std::span<const double> bounds,
                             std::string_view unit = {}) {
    return begin(name, help, metric_type::gaugehistogram, unit, bounds, {});
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
    if (out_.families.back().bound_count != 0) return reject();  // a summary_family with quantiles needs them
    if (!add_series(labels, created)) return;
    out_.values.push_back(sum);
    out_.values.push_back(static_cast<double>(count));
  }
  /// A series of a summary_family with quantiles: one value per quantile (NaN allowed).
  void summary_sample(std::span<const label_pair> labels, std::uint64_t count, double sum,
                      std::span<const double> quantile_values, double created = 0) {
    if (!accepts({metric_type::summary})) return;
    if (quantile_values.size() != out_.families.back().bound_count) return reject();
    if (!add_series(labels, created)) return;
    out_.values.push_back(sum);
    out_.values.push_back(static_cast<double>(count));
    out_.values.insert(out_.values.end(), quantile_values.begin(), quantile_values.end());
  }
  /// A gauge histogram series: one cumulative count per bound then +Inf (the gcount), and the gsum.
  void gaugehistogram_sample(std::span<const label_pair> labels, std::span<const std::uint64_t> cumulative,
                             double sum) {
    if (!accepts({metric_type::gaugehistogram})) return;
    const auto& f = out_.families.back();
    if (cumulative.size() != f.bound_count + 1 || !std::is_sorted(cumulative.begin(), cumulative.end()))
      return reject();
    if (!add_series(labels, 0)) return;
    for (const auto c : cumulative) out_.values.push_back(static_cast<double>(c));
    out_.values.push_back(sum);
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
    validated_ = false;
    snapshot::family f;
    f.name = out_.store(name);
    f.help = out_.store(help);
    f.unit = out_.store(unit);
    f.type = type;
    f.first_series = static_cast<std::uint32_t>(out_.all_series.size());
    f.first_bound = static_cast<std::uint32_t>(type == metric_type::stateset ? out_.states.size() : out_.bounds.size());
    f.bound_count = static_cast<std::uint32_t>(type == metric_type::stateset ? states.size() : bounds.size());
    // -0 is stored as 0: Prometheus keys series by label text, and le="-0" would be another series.
    for (const double b : bounds) out_.bounds.push_back(b == 0 ? 0.0 : b);
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
    if (validated_ && f.series_count > 1) drop_repeated_series(f);
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
    validated_ = true;
    return true;
  }

  // A collector that emits one label set twice would expose the series twice
  // (client_golang refuses the whole scrape): the first one stays, repeats are
  // dropped and counted. Keys are sorted, so this stays O(n log n) in series.
  void drop_repeated_series(snapshot::family& f) {
    auto& scratch = detail::collect_scratch::get();
    const std::span<snapshot::series> series{out_.all_series.data() + f.first_series, f.series_count};
    const std::size_t skip = out_.scratch_const_labels.size();  // the same constant labels lead every series
    auto labels_of = [this, skip](const snapshot::series& s) {
      return std::span<const snapshot::label>{out_.labels.data() + s.first_label + skip, s.label_count - skip};
    };
    scratch.keyed.clear();
    for (std::uint32_t i = 0; i < series.size(); ++i)
      scratch.keyed.emplace_back(detail::label_set_key(out_, labels_of(series[i])), i);
    std::sort(scratch.keyed.begin(), scratch.keyed.end());  // by key, then emission order
    scratch.flags.assign(series.size(), 0);
    bool any = false;
    for (std::size_t run = 0; run < scratch.keyed.size();) {
      std::size_t end = run + 1;
      while (end < scratch.keyed.size() && scratch.keyed[end].first == scratch.keyed[run].first) ++end;
      // Within a run of equal keys each series is compared with the kept ones
      // before it; when they are all repeats, that is the run's first only.
      for (std::size_t j = run + 1; j < end; ++j)
        for (std::size_t k = run; k < j; ++k) {
          const auto kept = scratch.keyed[k].second;
          if (scratch.flags[kept] == 0 &&
              detail::same_label_set(out_, labels_of(series[kept]), labels_of(series[scratch.keyed[j].second]),
                                     scratch)) {
            scratch.flags[scratch.keyed[j].second] = 1;
            any = true;
            break;
          }
        }
      run = end;
    }
    if (!any) return;
    std::uint32_t kept = 0;
    for (std::uint32_t i = 0; i < series.size(); ++i) {
      if (scratch.flags[i] == 0) series[kept++] = series[i];
      else reject();
    }
    out_.all_series.resize(f.first_series + kept);  // the open family's series are the last ones
    f.series_count = kept;
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
      if (!ok) {
        reject();
        return false;
      }
    }
    if (!label_names_unique(labels)) {
      reject();
      return false;
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

  /// No label name twice, constant labels included: pairwise for the usual
  /// handful, sorted beyond (a collector with 100k labels must not cost O(n^2)
  /// under the registry lock).
  bool label_names_unique(std::span<const label_pair> labels) {
    if (labels.size() + const_labels_.size() <= 16) {
      for (std::size_t i = 0; i < labels.size(); ++i) {
        for (std::size_t k = 0; k < i; ++k)
          if (labels[k].name == labels[i].name) return false;
        for (const auto& c : const_labels_)
          if (c.first == labels[i].name) return false;
      }
      return true;
    }
    names_.clear();
    for (const auto& l : labels) names_.push_back(l.name);
    for (const auto& c : const_labels_) names_.push_back(c.first);
    std::sort(names_.begin(), names_.end());
    return std::adjacent_find(names_.begin(), names_.end()) == names_.end();
  }

  snapshot& out_;
  std::vector<std::string_view> names_;  // scratch of label_names_unique
  std::span<const std::pair<std::string, std::string>> const_labels_;
  std::uint64_t errors_ = 0;
  bool open_ = false;
  bool validated_ = false;  // the open family came from a collector: its series may repeat
};

namespace detail {

/// The registries this thread is collecting, innermost first: a collector that
/// scrapes the registry it runs in would otherwise wait for its own lock forever.
struct collecting {
  const registry* r;
  const collecting* outer;
  static inline thread_local const collecting* innermost = nullptr;

  [[nodiscard]] static bool active(const registry* r) noexcept {
    for (const collecting* c = innermost; c != nullptr; c = c->outer)
      if (c->r == r) return true;
    return false;
  }
};

/// The library's own families; a collector family whose exposed names clash with them is dropped.
inline constexpr std::string_view self_metric_names[] = {"promcxx_series_overflow_total", "promcxx_exemplars_dropped_total",
                                                         "promcxx_bad_data_total", "promcxx_collect_errors_total"};

/// Drops the collector families (out.families from `first` on) whose exposed
/// sample names (detail::exposed_sample_suffixes: _total, _created, _info,
/// _bucket, _count, _sum, _gcount, _gsum) clash with a name that
/// `for_each_reserved(reserve)` reserves (registered and self-metric families)
/// or with a family of a collector registered before (or emitted before by the
/// same collector): promtool and the OpenMetrics parsers reject an exposition
/// with such a pair as a whole. `starts` holds the first family of each
/// collector in collection order (the newest collector first). Returns how many
/// were dropped. Sorted names, so O(n log n) in collector families; reserved
/// names pass Bloom filters before any search.
template <class ForEachReserved>
std::uint64_t drop_clashing_families(snapshot& out, std::size_t first, std::span<const std::uint32_t> starts,
                                     ForEachReserved&& for_each_reserved) {
  auto& scratch = collect_scratch::get();
  scratch.joined.clear();
  scratch.names.clear();
  // Names in priority order, grouped by family: the oldest collector first, so a
  // collector added later never takes names from one that was exposed before.
  for (std::size_t g = starts.size(); g-- > 0;) {
    const std::size_t end = g + 1 < starts.size() ? starts[g + 1] : out.families.size();
    for (std::size_t i = std::max<std::size_t>(starts[g], first); i < end; ++i) {
      const auto& f = out.families[i];
      const auto ex = exposed_sample_suffixes(f.type, out.view(f.name));
      auto add = [&](std::string_view suffix) {
        scratch.names.push_back({static_cast<std::uint32_t>(scratch.joined.size()),
                                 static_cast<std::uint32_t>(ex.base.size() + suffix.size()),
                                 static_cast<std::uint32_t>(i)});
        scratch.joined.append(ex.base).append(suffix);
      };
      add({});  // the family name (OpenMetrics) or metadata name
      for (std::size_t k = 0; k < ex.count; ++k)
        if (!ex.suffixes[k].empty()) add(ex.suffixes[k]);
    }
  }
  auto text = [&scratch](std::uint32_t e) {
    return std::string_view{scratch.joined}.substr(scratch.names[e].offset, scratch.names[e].size);
  };
  scratch.order.resize(scratch.names.size());
  for (std::uint32_t e = 0; e < scratch.order.size(); ++e) scratch.order[e] = e;
  std::sort(scratch.order.begin(), scratch.order.end(), [&](std::uint32_t a, std::uint32_t b) { return text(a) < text(b); });
  scratch.run.resize(scratch.names.size());
  std::uint32_t runs = 0;
  for (std::size_t k = 0; k < scratch.order.size(); ++k) {
    if (k > 0 && text(scratch.order[k]) != text(scratch.order[k - 1])) ++runs;
    scratch.run[scratch.order[k]] = runs;
  }
  scratch.taken.assign(scratch.names.empty() ? 0 : runs + 1, 0);
  // Most reserved names match no collector name: a Bloom filter answers for them without a search.
  std::fill(std::begin(scratch.filter), std::end(scratch.filter), 0);
  std::fill(std::begin(scratch.prefix_filter), std::end(scratch.prefix_filter), 0);
  auto set = [](std::uint64_t(&filter)[16], std::uint32_t bit) { filter[bit >> 6] |= std::uint64_t{1} << (bit & 63); };
  auto has = [](const std::uint64_t(&filter)[16], std::uint32_t bit) { return (filter[bit >> 6] >> (bit & 63) & 1) != 0; };
  for (const auto& n : scratch.names) {
    const auto joined = std::string_view{scratch.joined}.substr(n.offset, n.size);
    set(scratch.filter, name_filter_bit(joined, {}));
    if (joined.size() >= 8) set(scratch.prefix_filter, prefix_filter_bit(joined.data()));
  }
  for_each_reserved([&](metric_type type, std::string_view name) {
    // A name of 14 bytes or more keeps at least 8 in its base (a counter loses _total): every name the family
    // exposes starts with its first 8 bytes, so one probe clears most families.
    if (name.size() >= 14 && !has(scratch.prefix_filter, prefix_filter_bit(name.data()))) return;
    const auto ex = exposed_sample_suffixes(type, name);
    auto reserve = [&](std::string_view suffix) {
      if (!has(scratch.filter, name_filter_bit(ex.base, suffix))) return;
      const auto at = std::lower_bound(scratch.order.begin(), scratch.order.end(), 0, [&](std::uint32_t e, int) {
        return compare_joined(ex.base, suffix, text(e)) > 0;
      });
      if (at != scratch.order.end() && compare_joined(ex.base, suffix, text(*at)) == 0) scratch.taken[scratch.run[*at]] = 1;
    };
    reserve({});
    for (std::size_t k = 0; k < ex.count; ++k)
      if (!ex.suffixes[k].empty()) reserve(ex.suffixes[k]);
  });
  // In priority order: a family keeps its names unless one before it holds any of them.
  scratch.flags.assign(out.families.size(), 0);
  for (std::size_t e = 0; e < scratch.names.size();) {
    std::size_t end = e;
    bool clash = false;
    for (; end < scratch.names.size() && scratch.names[end].family == scratch.names[e].family; ++end)
      clash = clash || scratch.taken[scratch.run[end]] != 0;
    if (clash) scratch.flags[scratch.names[e].family] = 1;
    else
      for (std::size_t k = e; k < end; ++k) scratch.taken[scratch.run[k]] = 1;
    e = end;
  }
  std::size_t kept = first;
  for (std::size_t i = first; i < out.families.size(); ++i)
    if (scratch.flags[i] == 0) out.families[kept++] = out.families[i];
  const auto dropped = static_cast<std::uint64_t>(out.families.size() - kept);
  out.families.resize(kept);
  return dropped;
}

} // namespace detail

inline void registry::collect(snapshot& out) const {
  out.clear();
  if (detail::collecting::active(this)) [[unlikely]] {
    // Re-entered from one of this registry's collectors: an empty result and a
    // counted error instead of a deadlock; the outer scrape goes on.
    collect_errors_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  const detail::collecting frame{this, detail::collecting::innermost};
  detail::collecting::innermost = &frame;
  struct pop_frame {
    const detail::collecting& f;
    ~pop_frame() { detail::collecting::innermost = f.outer; }
  } pop{frame};
  detail::lock held{mutex_};
  collect_sink sink{out, const_labels_};
  std::uint64_t rejected_total = 0;
  for (const auto* f = head_; f != nullptr; f = f->next_) {
    f->collect_into(sink);
    sink.end_family();
    rejected_total += f->rejected();
  }
  const std::size_t registered_families = out.families.size();
  auto& starts = detail::collect_scratch::get().collector_starts;
  const std::size_t starts_base = starts.size();
  struct trim_starts {
    std::vector<std::uint32_t>& starts;
    std::size_t base;
    ~trim_starts() { starts.resize(base); }
  } trim{starts, starts_base};
  for (const auto* c = collectors_; c != nullptr; c = c->next_) {
    starts.push_back(static_cast<std::uint32_t>(out.families.size()));
    c->collect(sink);
    sink.end_family();
    rejected_total += c->refused_series().count;
  }
  if (out.families.size() != registered_families) {
    // Registered families were checked against each other at registration (empty ones too); collector families
    // are known only now.
    const std::span<const std::uint32_t> mine{starts.data() + starts_base, starts.size() - starts_base};
    const auto clashing = detail::drop_clashing_families(out, registered_families, mine, [this](auto&& reserve) {
      for (const auto* f = head_; f != nullptr; f = f->next_) reserve(f->spec().type, f->spec().name);
      for (const auto name : detail::self_metric_names) reserve(metric_type::counter, name);
    });
    collect_errors_.fetch_add(clashing, std::memory_order_relaxed);
  }
  if (rejected_total > 0) {
    sink.begin_trusted_family("promcxx_series_overflow_total",
                              "Label sets refused because a metric reached its series cap, by metric.",
                              metric_type::counter, {}, {}, {}, overflow_label_names);
    const auto add_series = [&](std::string_view metric, std::uint64_t n) {
      if (n == 0) return;
      const std::string_view value[] = {metric};
      sink.begin_trusted_series(value, 0);
      out.values.push_back(static_cast<double>(n));
    };
    for (const auto* f = head_; f != nullptr; f = f->next_) add_series(f->spec().name, f->rejected());
    for (const auto* c = collectors_; c != nullptr; c = c->next_) {
      const auto refused = c->refused_series();
      add_series(refused.metric, refused.count);
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
  // Bad data is dropped process-wide too (config.hpp): shown by the default registry, by kind.
  if (this == &default_registry()) {
    bool any = false;
    for (const auto& c : detail::bad_data_counts) any = any || c.load(std::memory_order_relaxed) > 0;
    if (any) {
      sink.begin_trusted_family("promcxx_bad_data_total",
                                "Values dropped because they were invalid data (invalid label values, NaN observations, "
                                "negative counter increments, over-long exemplars, undeclared states), by kind.",
                                metric_type::counter, {}, {}, {}, bad_data_label_names);
      for (std::size_t k = 0; k < detail::bad_data_kinds; ++k) {
        if (const auto n = detail::bad_data_counts[k].load(std::memory_order_relaxed); n > 0) {
          const std::string_view value[] = {detail::bad_data_names[k]};
          sink.begin_trusted_series(value, 0);
          out.values.push_back(static_cast<double>(n));
        }
      }
      sink.end_family();
    }
  }
  if (out.families.size() != registered_families) sort_and_dedupe(out);
  collect_errors_.fetch_add(sink.errors(), std::memory_order_relaxed);
  if (const auto errors = collect_errors_.load(std::memory_order_relaxed); errors > 0) {
    sink.begin_trusted_family("promcxx_collect_errors_total",
                              "Families and samples that collectors produced and the registry dropped as invalid.",
                              metric_type::counter, {}, {}, {});
    sink.begin_trusted_series({}, 0);
    out.values.push_back(static_cast<double>(errors));
    sink.end_family();
    sort_and_dedupe(out);
  }
}

inline void registry::sort_and_dedupe(snapshot& out) const {
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

namespace detail {

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
  detail::lock held{mutex_};  // creations and removals wait for this family's scrape
  if (expire_after_ > 0) const_cast<family_core*>(this)->expire_idle_locked(now_seconds());
  sink.begin_trusted_family(spec_.name, spec_.help, spec_.type, spec_.unit, spec_.bounds, spec_.states,
                            spec_.label_names);
  snapshot& out = sink.out();
  auto emit = [&](const series_record& r) {
    unpack_locked(r, scratch_views_);
    sink.begin_trusted_series(scratch_views_, r.created);
    switch (spec_.type) {
      case metric_type::counter: out.values.push_back(counter_value(r.first_cell)); break;
      case metric_type::gauge: out.values.push_back(gauge_value(r)); break;  // base + per-thread deltas (handles.hpp)
      case metric_type::histogram: {
        const auto buckets = static_cast<std::uint32_t>(spec_.bounds.size()) + 1;
        // Bucket cells and the sum cell in one page: one walk over the threads' pages for all of them.
        const bool one_page = histogram_cell_count(buckets) <= cells_per_page;
        std::uint64_t counts[cells_per_page];
        double sum = 0;
        if (one_page) sum_histogram_cells(r.first_cell, buckets, counts, sum);
        else sum = histogram_sum(r.first_cell, buckets);
        std::uint64_t cumulative = 0;
        for (std::uint32_t i = 0; i < buckets; ++i) {
          cumulative += one_page ? counts[i] : sum_cells_u64(r.first_cell + i);
          out.values.push_back(static_cast<double>(cumulative));
        }
        out.values.push_back(sum);
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
    if (r.exemplars) emit_exemplar_slots({r.exemplars, exemplar_slots_}, out);
  };
  for (std::uint32_t id = 0; id < next_unused_; ++id) {
    const series_record& r = record(id);
    if (r.live) emit(r);
  }
  if (overflow_used_) emit(record(cap_));
}

} // namespace detail
} // namespace promcxx

#endif // PROMCXX_COLLECT_HPP
