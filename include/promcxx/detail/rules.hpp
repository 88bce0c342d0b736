// promcxx: the rules a metric family must follow, written once.
//
// The compile-time descriptors (`static_assert`s), runtime-defined families
// (exceptions or error codes) and `collect_sink` (drop and count) all ask
// `first_broken_rule`, and all report a broken rule with the message of
// PROMCXX_FAMILY_RULES below, so the three paths cannot drift apart.
#ifndef PROMCXX_DETAIL_RULES_HPP
#define PROMCXX_DETAIL_RULES_HPP

#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string_view>

#include "../names.hpp"

namespace promcxx {

enum class metric_type : std::uint8_t { counter, gauge, histogram, summary, info, stateset, unknown, gaugehistogram };

constexpr std::string_view type_name(metric_type type) noexcept {
  switch (type) {
    case metric_type::counter: return "counter";
    case metric_type::gauge: return "gauge";
    case metric_type::histogram: return "histogram";
    case metric_type::summary: return "summary";
    case metric_type::info: return "info";
    case metric_type::stateset: return "stateset";
    case metric_type::gaugehistogram: return "gaugehistogram";
    case metric_type::unknown: break;
  }
  return "unknown";
}

/// One label of a series or an exemplar, as views.
struct label_pair {
  std::string_view name;
  std::string_view value;
};

/// Default cap on runtime label sets per metric.
inline constexpr std::size_t default_max_series = 1024;

namespace detail {

/// Everything a family states about itself, as views (constexpr for descriptors).
struct family_spec {
  metric_type type = metric_type::unknown;
  std::string_view name;
  std::string_view help;
  std::string_view unit;
  std::span<const std::string_view> label_names;
  std::span<const double> bounds;             // histogram bucket bounds, +Inf implicit
  std::span<const std::string_view> states;   // stateset state names
  std::size_t max_series = default_max_series;
};

// id, message. The message starts with the API that states the rule.
#define PROMCXX_FAMILY_RULES(X)                                                                                      \
  X(metric_name, "promcxx: metric name must match [a-zA-Z_:][a-zA-Z0-9_:]*")                                         \
  X(help_empty, "promcxx: help text must not be empty")                                                              \
  X(help_utf8, "promcxx: help text must be valid UTF-8")                                                             \
  X(counter_suffix, "promcxx::counter: name must end in _total")                                                     \
  X(total_suffix, "promcxx: only counter names may end in _total")                                                   \
  X(reserved_suffix, "promcxx: names ending in _bucket, _count or _sum are reserved for histogram and summary series") \
  X(info_suffix, "promcxx::info: give the name without the _info suffix; the encoders append it")                   \
  X(label_name, "promcxx::labels: label name must match [a-zA-Z_][a-zA-Z0-9_]*")                                     \
  X(label_reserved, "promcxx::labels: label names starting with __ are reserved")                                    \
  X(label_duplicate, "promcxx::labels: label names must be unique")                                                  \
  X(histogram_le, "promcxx::histogram: label name \"le\" is reserved for bucket bounds")                             \
  X(summary_quantile, "promcxx::summary: label name \"quantile\" is reserved")                                       \
  X(unit_suffix, "promcxx::unit: the metric name must end in _<unit> (before _total for counters)")                  \
  X(unit_kind, "promcxx::unit: info and stateset metrics take no unit")                                              \
  X(buckets_empty, "promcxx::buckets: at least one bound is required (the +Inf bucket is implicit)")                 \
  X(buckets_finite, "promcxx::buckets: bounds must be finite (the +Inf bucket is implicit)")                         \
  X(buckets_increasing, "promcxx::buckets: bounds must be strictly increasing")                                      \
  X(bounds_kind, "promcxx: only histograms take a bucket layout")                                                    \
  X(stateset_name,                                                                                                   \
    "promcxx::stateset: the name is also the label that carries the state, so it must match [a-zA-Z_][a-zA-Z0-9_]* " \
    "(no ':')")                                                                                                      \
  X(stateset_label, "promcxx::stateset: a label may not be named like the stateset (that label carries the state)")  \
  X(stateset_count, "promcxx::stateset: between 1 and 64 states")                                                    \
  X(stateset_state, "promcxx::stateset: state names must be non-empty UTF-8")                                       \
  X(stateset_unique, "promcxx::stateset: state names must be unique")                                                \
  X(states_kind, "promcxx: only statesets take states")                                                              \
  X(max_series_zero, "promcxx::max_series: the cap must be at least 1")                                              \
  X(already_registered, "promcxx::registry: the family is already registered")                                       \
  X(duplicate_name, "promcxx::registry: a family with this name is already registered")                              \
  X(exposed_name_clash,                                                                                              \
    "promcxx::registry: a sample name the family exposes (with _total, _created, _info, _bucket, _count or _sum) "   \
    "clashes with a registered family")                                                                              \
  X(const_label_clash, "promcxx::registry: the family declares a label that is a constant label of the registry")   \
  X(out_of_memory, "promcxx::registry: out of memory")

enum class rule : std::uint8_t {
  none,
#define PROMCXX_RULE_ID(id, message) id,
  PROMCXX_FAMILY_RULES(PROMCXX_RULE_ID)
#undef PROMCXX_RULE_ID
};

constexpr const char* rule_message(rule r) noexcept {
  switch (r) {
    case rule::none: return "promcxx: no rule broken";
#define PROMCXX_RULE_MESSAGE(id, message) \
  case rule::id: return message;
    PROMCXX_FAMILY_RULES(PROMCXX_RULE_MESSAGE)
#undef PROMCXX_RULE_MESSAGE
  }
  return "promcxx: unknown rule";
}

/// Finite test usable in constant expressions (std::isfinite is not constexpr in C++20).
constexpr bool is_finite(double v) noexcept {
  return v == v && v != std::numeric_limits<double>::infinity() && v != -std::numeric_limits<double>::infinity();
}

constexpr bool all_distinct(std::span<const std::string_view> names) noexcept {
  for (std::size_t i = 0; i < names.size(); ++i)
    for (std::size_t k = 0; k < i; ++k)
      if (names[i] == names[k]) return false;
  return true;
}

constexpr bool contains(std::span<const std::string_view> names, std::string_view name) noexcept {
  for (const auto n : names)
    if (n == name) return true;
  return false;
}

constexpr bool strictly_increasing(std::span<const double> bounds) noexcept {
  for (std::size_t i = 1; i < bounds.size(); ++i)
    if (!(bounds[i - 1] < bounds[i])) return false;
  return true;
}

constexpr bool all_finite(std::span<const double> bounds) noexcept {
  for (const double b : bounds)
    if (!is_finite(b)) return false;
  return true;
}

/// OpenMetrics: the unit ends the family name after a '_' (counters: before _total).
constexpr bool unit_is_suffix(std::string_view name, std::string_view unit, bool counter) noexcept {
  if (counter && name.ends_with("_total")) name.remove_suffix(6);
  return name.size() > unit.size() + 1 && name.ends_with(unit) && name[name.size() - unit.size() - 1] == '_';
}

/// Label-name rules for one label of a family of `type` called `family_name`.
constexpr rule check_label_name(metric_type type, std::string_view family_name, std::string_view label) noexcept {
  if (!is_label_name(label)) return rule::label_name;
  if (is_reserved_label_name(label)) return rule::label_reserved;
  if ((type == metric_type::histogram || type == metric_type::gaugehistogram) && label == "le") return rule::histogram_le;
  if (type == metric_type::summary && label == "quantile") return rule::summary_quantile;
  if (type == metric_type::stateset && label == family_name) return rule::stateset_label;
  return rule::none;
}

/// The first rule `spec` breaks, or rule::none.
constexpr rule first_broken_rule(const family_spec& spec) noexcept {
  const auto name = spec.name;
  if (!is_metric_name(name)) return rule::metric_name;
  if (spec.help.empty()) return rule::help_empty;
  if (!is_valid_utf8(spec.help)) return rule::help_utf8;
  if (spec.type == metric_type::counter && !has_suffix(name, "_total")) return rule::counter_suffix;
  if (spec.type != metric_type::counter && has_suffix(name, "_total")) return rule::total_suffix;
  if (has_reserved_suffix(name)) return rule::reserved_suffix;
  if (spec.type == metric_type::info && has_suffix(name, "_info")) return rule::info_suffix;
  for (const auto label : spec.label_names)
    if (const auto r = check_label_name(spec.type, name, label); r != rule::none) return r;
  if (!all_distinct(spec.label_names)) return rule::label_duplicate;
  if (!spec.unit.empty()) {
    if (spec.type == metric_type::info || spec.type == metric_type::stateset) return rule::unit_kind;
    if (!unit_is_suffix(name, spec.unit, spec.type == metric_type::counter)) return rule::unit_suffix;
  }
  if (spec.type == metric_type::histogram || spec.type == metric_type::gaugehistogram) {
    if (spec.bounds.empty()) return rule::buckets_empty;
    if (!all_finite(spec.bounds)) return rule::buckets_finite;
    if (!strictly_increasing(spec.bounds)) return rule::buckets_increasing;
  } else if (spec.type == metric_type::summary) {
    // A summary's bounds are its quantiles (collect_sink::summary_family checks they lie in [0, 1]).
    if (!strictly_increasing(spec.bounds)) return rule::buckets_increasing;
  } else if (!spec.bounds.empty()) {
    return rule::bounds_kind;
  }
  if (spec.type == metric_type::stateset) {
    if (!is_label_name(name)) return rule::stateset_name;
    if (spec.states.empty() || spec.states.size() > 64) return rule::stateset_count;
    for (const auto s : spec.states)
      if (s.empty() || !is_valid_utf8(s)) return rule::stateset_state;
    if (!all_distinct(spec.states)) return rule::stateset_unique;
  } else if (!spec.states.empty()) {
    return rule::states_kind;
  }
  if (spec.max_series == 0) return rule::max_series_zero;
  return rule::none;
}

/// The sample names a family exposes besides its own name, in both formats,
/// for clash detection between families (issue: `info<"build">` next to
/// `gauge<"build_info">` makes the exposition invalid).
struct exposed_names {
  std::string_view base;
  std::string_view suffixes[4] = {};
  std::size_t count = 0;
};

constexpr exposed_names exposed_sample_suffixes(metric_type type, std::string_view name) noexcept {
  exposed_names out{name};
  switch (type) {
    case metric_type::counter:
      out.base = name.substr(0, name.size() - (has_suffix(name, "_total") ? 6 : 0));
      out.suffixes[0] = "_total";
      out.suffixes[1] = "_created";
      out.count = 2;
      break;
    case metric_type::histogram:
      out.suffixes[0] = "_bucket";
      out.suffixes[1] = "_count";
      out.suffixes[2] = "_sum";
      out.suffixes[3] = "_created";
      out.count = 4;
      break;
    case metric_type::summary:
      out.suffixes[0] = "";
      out.suffixes[1] = "_count";
      out.suffixes[2] = "_sum";
      out.suffixes[3] = "_created";
      out.count = 4;
      break;
    case metric_type::gaugehistogram:
      out.suffixes[0] = "_bucket";
      out.suffixes[1] = "_gcount";
      out.suffixes[2] = "_gsum";
      out.count = 3;
      break;
    case metric_type::info:
      out.suffixes[0] = "_info";
      out.count = 1;
      break;
    default:
      out.suffixes[0] = "";
      out.count = 1;
      break;
  }
  return out;
}

/// True when two families would expose a sample (or family) name in common.
constexpr bool families_clash(metric_type type_a, std::string_view name_a, metric_type type_b,
                              std::string_view name_b) noexcept {
  const auto a = exposed_sample_suffixes(type_a, name_a);
  const auto b = exposed_sample_suffixes(type_b, name_b);
  if (a.base == b.base) return true;  // one family name (OpenMetrics), or one metadata line (text)
  for (std::size_t i = 0; i < a.count; ++i)
    for (std::size_t k = 0; k < b.count; ++k) {
      const auto sa = a.suffixes[i];
      const auto sb = b.suffixes[k];
      if (a.base.size() + sa.size() == b.base.size() + sb.size() && a.base.size() >= b.base.size()) {
        // a.base + sa == b.base + sb  <=>  a.base starts with b.base and the rest lines up
        const auto rest = a.base.substr(b.base.size());
        if (a.base.starts_with(b.base) && sb.starts_with(rest) && sb.substr(rest.size()) == sa) return true;
      } else if (a.base.size() + sa.size() == b.base.size() + sb.size()) {
        const auto rest = b.base.substr(a.base.size());
        if (b.base.starts_with(a.base) && sa.starts_with(rest) && sa.substr(rest.size()) == sb) return true;
      }
    }
  return false;
}

} // namespace detail
} // namespace promcxx

#endif // PROMCXX_DETAIL_RULES_HPP
