// promcxx: the Prometheus text exposition format 0.0.4.
#ifndef PROMCXX_TEXT_FORMAT_HPP
#define PROMCXX_TEXT_FORMAT_HPP

#include <string>
#include <string_view>

#include "detail/text_writer.hpp"
#include "snapshot.hpp"

namespace promcxx {

inline constexpr std::string_view text_content_type = "text/plain; version=0.0.4; charset=utf-8";

namespace detail {

inline void append_labels(std::string& out, const snapshot& snap, const snapshot::series& s,
                          std::string_view extra_name = {}, std::string_view extra_value = {}) {
  if (s.label_count == 0 && extra_name.empty()) return;
  out.push_back('{');
  for (std::uint32_t i = 0; i < s.label_count; ++i) {
    const auto& l = snap.labels[s.first_label + i];
    if (i > 0) out.push_back(',');
    out.append(snap.view(l.name));
    out.append("=\"");
    append_escaped_value(out, snap.view(l.value));
    out.push_back('"');
  }
  if (!extra_name.empty()) {
    if (s.label_count > 0) out.push_back(',');
    out.append(extra_name);
    out.append("=\"");
    append_escaped_value(out, extra_value);
    out.push_back('"');
  }
  out.push_back('}');
}

inline void append_sample(std::string& out, std::string_view name, std::string_view suffix, const snapshot& snap,
                          const snapshot::series& s, double value, std::string_view extra_name = {},
                          std::string_view extra_value = {}) {
  out.append(name);
  out.append(suffix);
  append_labels(out, snap, s, extra_name, extra_value);
  out.push_back(' ');
  append_go_float(out, value);
  out.push_back('\n');
}

inline void append_count_sample(std::string& out, std::string_view name, std::string_view suffix,
                                const snapshot& snap, const snapshot::series& s, double count,
                                std::string_view extra_name = {}, std::string_view extra_value = {}) {
  out.append(name);
  out.append(suffix);
  append_labels(out, snap, s, extra_name, extra_value);
  out.push_back(' ');
  append_uint(out, static_cast<std::uint64_t>(count));  // counts are exact integers in both formats
  out.push_back('\n');
}

} // namespace detail

/// Appends `snap` in text format 0.0.4 to `out`. Info and stateset families,
/// which 0.0.4 lacks, are written as gauges the way OpenMetrics maps them.
inline void encode_text(const snapshot& snap, std::string& out) {
  for (const auto& f : snap.families) {
    const std::string_view name = snap.view(f.name);
    const std::string_view info_suffix = f.type == metric_type::info ? "_info" : "";  // no allocation per family
    out.append("# HELP ");
    out.append(name);
    out.append(info_suffix);
    out.push_back(' ');
    detail::append_escaped_help(out, snap.view(f.help));
    out.append("\n# TYPE ");
    out.append(name);
    out.append(info_suffix);
    switch (f.type) {
      case metric_type::counter: out.append(" counter\n"); break;
      case metric_type::histogram: out.append(" histogram\n"); break;
      case metric_type::summary: out.append(" summary\n"); break;
      case metric_type::unknown: out.append(" untyped\n"); break;
      default: out.append(" gauge\n"); break;
    }
    for (std::uint32_t k = 0; k < f.series_count; ++k) {
      const auto& s = snap.all_series[f.first_series + k];
      const double* v = snap.values.data() + s.first_value;
      switch (f.type) {
        case metric_type::histogram: {
          char bound_text[32];
          for (std::uint32_t b = 0; b < f.bound_count; ++b) {
            const std::string_view le{bound_text,
                                      static_cast<std::size_t>(detail::format_go_float(bound_text, snap.bounds[f.first_bound + b]) - bound_text)};
            detail::append_count_sample(out, name, "_bucket", snap, s, v[b], "le", le);
          }
          detail::append_count_sample(out, name, "_bucket", snap, s, v[f.bound_count], "le", "+Inf");
          detail::append_sample(out, name, "_sum", snap, s, v[f.bound_count + 1]);
          detail::append_count_sample(out, name, "_count", snap, s, v[f.bound_count]);
          break;
        }
        case metric_type::summary:
          detail::append_sample(out, name, "_sum", snap, s, v[0]);
          detail::append_count_sample(out, name, "_count", snap, s, v[1]);
          break;
        case metric_type::info: detail::append_sample(out, name, info_suffix, snap, s, 1.0); break;
        case metric_type::stateset:
          for (std::uint32_t st = 0; st < f.bound_count; ++st)
            detail::append_sample(out, name, "", snap, s, v[st], name, snap.view(snap.states[f.first_bound + st]));
          break;
        default: detail::append_sample(out, name, "", snap, s, v[0]); break;
      }
    }
  }
}

} // namespace promcxx

#endif // PROMCXX_TEXT_FORMAT_HPP
