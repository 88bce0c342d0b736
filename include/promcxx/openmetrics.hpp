// promcxx: the OpenMetrics 1.0.0 text format.
#ifndef PROMCXX_OPENMETRICS_HPP
#define PROMCXX_OPENMETRICS_HPP

#include <cstdint>
#include <string>
#include <string_view>

#include "detail/text_writer.hpp"
#include "snapshot.hpp"
#include "text_format.hpp"

namespace promcxx {

inline constexpr std::string_view openmetrics_content_type = "application/openmetrics-text; version=1.0.0; charset=utf-8";

namespace detail {

/// OpenMetrics float spelling, as the Go client writes it: Go's %g, plus ".0"
/// when that has neither '.' nor 'e' (so `1.0`, `0.005`, `1e+06`, `+Inf`).
inline char* format_openmetrics_float(char* out, double v) noexcept {
  char* end = format_go_float(out, v);
  for (char* p = out; p != end; ++p)
    if (*p == '.' || *p == 'e' || *p == 'N' || *p == 'I') return end;
  *end++ = '.';
  *end++ = '0';
  return end;
}

inline void append_openmetrics_float(std::string& out, double v) {
  char buffer[40];
  out.append(buffer, format_openmetrics_float(buffer, v));
}

/// Exemplar timestamp as plain decimal seconds with milliseconds (`1700000000.250`):
/// exponent forms such as Go's `1.7e+09` are valid OpenMetrics but misread by
/// prometheus_client's parser, and Prometheus keeps exemplar times in ms anyway.
inline void append_timestamp(std::string& out, double seconds) {
  if (!(seconds >= 0 && seconds < 1e15)) return append_openmetrics_float(out, seconds);
  const auto ms = static_cast<std::uint64_t>(seconds * 1000.0 + 0.5);
  append_uint(out, ms / 1000);
  const auto frac = static_cast<unsigned>(ms % 1000);
  const char digits[4] = {'.', static_cast<char>('0' + frac / 100), static_cast<char>('0' + frac / 10 % 10),
                          static_cast<char>('0' + frac % 10)};
  out.append(digits, 4);
}

inline void append_exemplar(std::string& out, const snapshot& snap, const snapshot::series& s, std::uint32_t slot) {
  if (s.first_exemplar == snapshot::none) return;
  const auto ref = snap.exemplar_refs[s.first_exemplar + slot];
  if (ref == snapshot::none) return;
  const auto& e = snap.exemplars[ref];
  out.append(" # {");
  for (std::uint32_t i = 0; i < e.label_count; ++i) {
    const auto& l = snap.labels[e.first_label + i];
    if (i > 0) out.push_back(',');
    out.append(snap.view(l.name));
    out.append("=\"");
    append_escaped_value(out, snap.view(l.value));
    out.push_back('"');
  }
  out.append("} ");
  append_openmetrics_float(out, e.value);
  if (e.has_timestamp) {
    out.push_back(' ');
    append_timestamp(out, e.timestamp);
  }
}

inline void append_om_sample(std::string& out, std::string_view name, std::string_view suffix, const snapshot& snap,
                             const snapshot::series& s, double value, bool integer, std::string_view extra_name = {},
                             std::string_view extra_value = {}) {
  out.append(name);
  out.append(suffix);
  append_labels(out, snap, s, extra_name, extra_value);
  out.push_back(' ');
  if (integer) append_uint(out, static_cast<std::uint64_t>(value));
  else append_openmetrics_float(out, value);
}

} // namespace detail

/// Appends `snap` in OpenMetrics 1.0.0 to `out`, ending with `# EOF`.
///
/// As the Go client: TYPE, UNIT, HELP; counters as family `foo` with samples
/// `foo_total` and `foo_created`; integer bucket and count values; `le` in
/// canonical form (`1.0`, `1e-05`, `+Inf`). Where the specification forbids
/// what a snapshot may hold, the sample is left out rather than made invalid:
/// a histogram with a negative bucket bound, or whose sum is negative or NaN,
/// gets neither `_sum` nor `_count` (they come together or not at all), and a
/// summary's `_sum` is left out when negative or NaN. Text 0.0.4 keeps them.
inline void encode_openmetrics(const snapshot& snap, std::string& out) {
  std::string_view family;
  for (const auto& f : snap.families) {
    family = snap.view(f.name);
    if (f.type == metric_type::counter && family.ends_with("_total")) family.remove_suffix(6);
    out.append("# TYPE ");
    out.append(family);
    out.push_back(' ');
    out.append(type_name(f.type));
    out.push_back('\n');
    if (f.unit.size > 0) {
      out.append("# UNIT ");
      out.append(family);
      out.push_back(' ');
      out.append(snap.view(f.unit));
      out.push_back('\n');
    }
    out.append("# HELP ");
    out.append(family);
    out.push_back(' ');
    detail::append_escaped_value(out, snap.view(f.help));
    out.push_back('\n');
    const bool negative_bounds = f.type == metric_type::histogram && f.bound_count > 0 && snap.bounds[f.first_bound] < 0;
    for (std::uint32_t k = 0; k < f.series_count; ++k) {
      const auto& s = snap.all_series[f.first_series + k];
      const double* v = snap.values.data() + s.first_value;
      switch (f.type) {
        case metric_type::counter:
          detail::append_om_sample(out, family, "_total", snap, s, v[0], false);
          detail::append_exemplar(out, snap, s, 0);
          out.push_back('\n');
          if (s.created > 0) {
            detail::append_om_sample(out, family, "_created", snap, s, s.created, false);
            out.push_back('\n');
          }
          break;
        case metric_type::histogram: {
          // OpenMetrics: _count and _sum come together or not at all, and a sum
          // that is negative or NaN (or any negative bucket) rules both out.
          const bool with_sum = !negative_bounds && v[f.bound_count + 1] >= 0;
          char bound_text[40];
          for (std::uint32_t b = 0; b <= f.bound_count; ++b) {
            const std::string_view le =
                b == f.bound_count
                    ? std::string_view{"+Inf"}
                    : std::string_view{bound_text, static_cast<std::size_t>(detail::format_openmetrics_float(
                                                       bound_text, snap.bounds[f.first_bound + b]) -
                                                   bound_text)};
            detail::append_om_sample(out, family, "_bucket", snap, s, v[b], true, "le", le);
            detail::append_exemplar(out, snap, s, b);
            out.push_back('\n');
          }
          if (with_sum) {
            detail::append_om_sample(out, family, "_count", snap, s, v[f.bound_count], true);
            out.push_back('\n');
            detail::append_om_sample(out, family, "_sum", snap, s, v[f.bound_count + 1], false);
            out.push_back('\n');
          }
          if (s.created > 0) {
            detail::append_om_sample(out, family, "_created", snap, s, s.created, false);
            out.push_back('\n');
          }
          break;
        }
        case metric_type::summary:
          detail::append_om_sample(out, family, "_count", snap, s, v[1], true);
          out.push_back('\n');
          if (v[0] >= 0) {  // OpenMetrics: the sum is a counter, never negative or NaN
            detail::append_om_sample(out, family, "_sum", snap, s, v[0], false);
            out.push_back('\n');
          }
          if (s.created > 0) {
            detail::append_om_sample(out, family, "_created", snap, s, s.created, false);
            out.push_back('\n');
          }
          break;
        case metric_type::info:
          detail::append_om_sample(out, family, "_info", snap, s, 1, true);
          out.push_back('\n');
          break;
        case metric_type::stateset:
          for (std::uint32_t st = 0; st < f.bound_count; ++st) {
            detail::append_om_sample(out, family, "", snap, s, v[st], true, family,
                                     snap.view(snap.states[f.first_bound + st]));
            out.push_back('\n');
          }
          break;
        default:
          detail::append_om_sample(out, family, "", snap, s, v[0], false);
          out.push_back('\n');
          break;
      }
    }
  }
  out.append("# EOF\n");
}

} // namespace promcxx

#endif // PROMCXX_OPENMETRICS_HPP
