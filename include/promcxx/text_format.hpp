// promcxx: the Prometheus text exposition format 0.0.4.
#ifndef PROMCXX_TEXT_FORMAT_HPP
#define PROMCXX_TEXT_FORMAT_HPP

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "detail/text_writer.hpp"
#include "snapshot.hpp"

namespace promcxx {

inline constexpr std::string_view text_content_type = "text/plain; version=0.0.4; charset=utf-8";

namespace detail {

/// Scratch space of the encoders, one per thread, reused so that a steady
/// scrape allocates nothing.
struct encoder_scratch {
  std::string labels;  // holds the current series' label block
  // The current family's extra label of each bucket or state, `le="0.005"}`,
  // formatted once per family instead of once per series.
  std::string extras;
  std::vector<std::uint32_t> extra_ends;
  // OpenMetrics `_created` values in the order the last encode wrote them,
  // with their spelling: a series' creation time does not change, and
  // formatting it is the costliest part of an OpenMetrics counter line.
  struct created_text {
    std::uint64_t bits = 0;
    std::uint8_t size = 0;
    char text[23] = {};
  };
  std::vector<created_text> created;

  [[nodiscard]] std::string_view extra(std::uint32_t i) const noexcept {
    const std::uint32_t begin = i == 0 ? 0 : extra_ends[i - 1];
    return std::string_view{extras}.substr(begin, extra_ends[i] - begin);
  }
  void add_extra_label(std::string_view name, std::string_view value) {
    text_cursor c{extras, 0};
    char* p = c.reserve(name.size() + 2 * value.size() + 3);
    p = copy(p, name);
    *p++ = '=';
    *p++ = '"';
    p = copy_escaped_value(p, value);
    *p++ = '"';
    *p++ = '}';
    c.commit(p);
  }
  void end_extra() { extra_ends.push_back(static_cast<std::uint32_t>(extras.size())); }
  void clear_extras() noexcept {
    extras.clear();
    extra_ends.clear();
  }
};

inline encoder_scratch& scratch() {
  thread_local encoder_scratch s;
  return s;
}

/// True for OpenMetrics gauge histograms. Written against the enumerator
/// `metric_type::gaugehistogram` only once the core declares it (the peers'
/// gauge_histogram.hpp emits it through collect_sink then), so the encoders
/// need no change when it lands; until then no family is one. Values are laid
/// out as a histogram's: cumulative bucket counts, +Inf (the gcount), gsum.
template <class T = metric_type>
constexpr bool is_gaugehistogram(T type) noexcept {
  if constexpr (requires { T::gaugehistogram; }) return type == T::gaugehistogram;
  else return false;
}

/// Formats the label block of `s` (`{a="x",b="y"}`, or nothing) once into
/// `buffer`; every line of the series reuses it. The buffer only grows, so
/// after the first scrape this neither allocates nor zero-fills.
inline std::string_view build_label_block(const snapshot& snap, const snapshot::series& s, std::string& buffer) {
  if (s.label_count == 0) return {};
  std::size_t room = 1;
  for (std::uint32_t i = 0; i < s.label_count; ++i) {
    const auto& l = snap.labels[s.first_label + i];
    room += l.name.size + 2 * l.value.size + 4;
  }
  if (buffer.size() < room) buffer.resize(room);
  char* p = buffer.data();
  *p++ = '{';
  for (std::uint32_t i = 0; i < s.label_count; ++i) {
    const auto& l = snap.labels[s.first_label + i];
    p = copy(p, snap.view(l.name));
    *p++ = '=';
    *p++ = '"';
    p = copy_escaped_value(p, snap.view(l.value));
    *p++ = '"';
    *p++ = ',';
  }
  p[-1] = '}';
  return {buffer.data(), static_cast<std::size_t>(p - buffer.data())};
}

/// Room a line needs beyond its name, suffix and labels: separator, the
/// longest number (24 bytes, or 31 bytes of a cached `_created`) and newline.
inline constexpr std::size_t value_room = 40;

/// Writes `name``suffix``labels` and a space; returns where the value goes.
inline char* begin_line(text_cursor& c, std::string_view name, std::string_view suffix, std::string_view labels,
                        std::size_t room = value_room) {
  char* p = c.reserve(name.size() + suffix.size() + labels.size() + room);
  p = copy(p, name);
  p = copy(p, suffix);
  p = copy(p, labels);
  *p++ = ' ';
  return p;
}

/// As begin_line, with one more label after the series' own (`extra` is
/// `le="0.005"}`, complete with the closing brace).
inline char* begin_line(text_cursor& c, std::string_view name, std::string_view suffix, std::string_view labels,
                        std::string_view extra, std::size_t room = value_room) {
  char* p = c.reserve(name.size() + suffix.size() + labels.size() + extra.size() + 1 + room);
  p = copy(p, name);
  p = copy(p, suffix);
  if (labels.empty()) {
    *p++ = '{';
  } else {
    p = copy(p, labels.substr(0, labels.size() - 1));
    *p++ = ',';
  }
  p = copy(p, extra);
  *p++ = ' ';
  return p;
}

inline void end_line(text_cursor& c, char* p) {
  *p++ = '\n';
  c.commit(p);
}

inline char* write_go_value(char* p, double v) noexcept { return format_go_float(p, without_negative_zero(v)); }

/// Writes `text` (HELP) escaped as 0.0.4 wants: backslash and newline only.
inline void write_escaped_help(text_cursor& c, std::string_view text) {
  char* p = c.reserve(2 * text.size());
  for (const char ch : text) {
    if (ch == '\\') {
      *p++ = '\\';
      *p++ = '\\';
    } else if (ch == '\n') {
      *p++ = '\\';
      *p++ = 'n';
    } else {
      *p++ = ch;
    }
  }
  c.commit(p);
}

} // namespace detail

/// Appends `snap` in text format 0.0.4 to `out`. Info and stateset families,
/// which 0.0.4 lacks, are written as gauges the way OpenMetrics maps them. A
/// gauge histogram `x` becomes the three families gauge_histogram.hpp
/// documents: `x` of type histogram with its buckets only, then the gauges
/// `x_gcount` and `x_gsum` (same HELP), so every sample keeps its
/// OpenMetrics name and promtool has nothing to lint.
/// `-0` is written as `0`, in values and bounds (see without_negative_zero).
inline void encode_text(const snapshot& snap, std::string& out) {
  auto& scratch = detail::scratch();
  detail::text_cursor c{out};
  for (const auto& f : snap.families) {
    const std::string_view name = snap.view(f.name);
    const std::string_view suffix = f.type == metric_type::info ? "_info" : "";
    const bool gauge_histogram = detail::is_gaugehistogram(f.type);
    std::string_view type;
    switch (f.type) {
      case metric_type::counter: type = " counter\n"; break;
      case metric_type::histogram: type = " histogram\n"; break;
      case metric_type::summary: type = " summary\n"; break;
      case metric_type::unknown: type = " untyped\n"; break;
      default: type = gauge_histogram ? " histogram\n" : " gauge\n"; break;
    }
    c.write("# HELP ");
    c.write(name);
    c.write(suffix);
    c.write(" ");
    detail::write_escaped_help(c, snap.view(f.help));
    c.write("\n# TYPE ");
    c.write(name);
    c.write(suffix);
    c.write(type);

    scratch.clear_extras();
    if (f.type == metric_type::histogram || gauge_histogram) {
      for (std::uint32_t b = 0; b < f.bound_count; ++b) {
        char bound[32];
        scratch.add_extra_label(
            "le", {bound, detail::format_go_float(bound, detail::without_negative_zero(snap.bounds[f.first_bound + b]))});
        scratch.end_extra();
      }
      scratch.add_extra_label("le", "+Inf");
      scratch.end_extra();
    } else if (f.type == metric_type::stateset) {
      for (std::uint32_t st = 0; st < f.bound_count; ++st) {
        scratch.add_extra_label(name, snap.view(snap.states[f.first_bound + st]));
        scratch.end_extra();
      }
    } else if (f.type == metric_type::summary) {
      // Quantiles of a summary with objectives (quantile_summary.hpp); plain summaries have none.
      for (std::uint32_t b = 0; b < f.bound_count; ++b) {
        char quantile[32];
        scratch.add_extra_label("quantile", {quantile, detail::write_go_value(quantile, snap.bounds[f.first_bound + b])});
        scratch.end_extra();
      }
    }

    for (std::uint32_t k = 0; k < f.series_count; ++k) {
      const auto& s = snap.all_series[f.first_series + k];
      const double* v = snap.values.data() + s.first_value;
      const std::string_view labels = detail::build_label_block(snap, s, scratch.labels);
      if (gauge_histogram) {  // buckets here; _gcount and _gsum as gauge families below
        for (std::uint32_t b = 0; b <= f.bound_count; ++b) {
          char* p = detail::begin_line(c, name, "_bucket", labels, scratch.extra(b));
          detail::end_line(c, detail::format_uint(p, static_cast<std::uint64_t>(v[b])));
        }
        continue;
      }
      switch (f.type) {
        case metric_type::histogram: {
          for (std::uint32_t b = 0; b <= f.bound_count; ++b) {
            char* p = detail::begin_line(c, name, "_bucket", labels, scratch.extra(b));
            detail::end_line(c, detail::format_uint(p, static_cast<std::uint64_t>(v[b])));
          }
          char* p = detail::begin_line(c, name, "_sum", labels);
          detail::end_line(c, detail::write_go_value(p, v[f.bound_count + 1]));
          p = detail::begin_line(c, name, "_count", labels);
          detail::end_line(c, detail::format_uint(p, static_cast<std::uint64_t>(v[f.bound_count])));
          break;
        }
        case metric_type::summary: {
          for (std::uint32_t b = 0; b < f.bound_count; ++b) {
            char* q = detail::begin_line(c, name, "", labels, scratch.extra(b));
            detail::end_line(c, detail::write_go_value(q, v[2 + b]));
          }
          char* p = detail::begin_line(c, name, "_sum", labels);
          detail::end_line(c, detail::write_go_value(p, v[0]));
          p = detail::begin_line(c, name, "_count", labels);
          detail::end_line(c, detail::format_uint(p, static_cast<std::uint64_t>(v[1])));
          break;
        }
        case metric_type::info: {
          char* p = detail::begin_line(c, name, suffix, labels);
          *p++ = '1';
          detail::end_line(c, p);
          break;
        }
        case metric_type::stateset:
          for (std::uint32_t st = 0; st < f.bound_count; ++st) {
            char* p = detail::begin_line(c, name, "", labels, scratch.extra(st));
            detail::end_line(c, detail::write_go_value(p, v[st]));
          }
          break;
        default: {
          char* p = detail::begin_line(c, name, "", labels);
          detail::end_line(c, detail::write_go_value(p, v[0]));
          break;
        }
      }
    }
    if (gauge_histogram) {
      for (const bool gcount : {true, false}) {
        const std::string_view gauge_suffix = gcount ? "_gcount" : "_gsum";
        c.write("# HELP ");
        c.write(name);
        c.write(gauge_suffix);
        c.write(" ");
        detail::write_escaped_help(c, snap.view(f.help));
        c.write("\n# TYPE ");
        c.write(name);
        c.write(gauge_suffix);
        c.write(" gauge\n");
        for (std::uint32_t k = 0; k < f.series_count; ++k) {
          const auto& s = snap.all_series[f.first_series + k];
          const double* v = snap.values.data() + s.first_value;
          char* p = detail::begin_line(c, name, gauge_suffix, detail::build_label_block(snap, s, scratch.labels));
          p = gcount ? detail::format_uint(p, static_cast<std::uint64_t>(v[f.bound_count]))
                     : detail::write_go_value(p, v[f.bound_count + 1]);
          detail::end_line(c, p);
        }
      }
    }
  }
}

} // namespace promcxx

#endif // PROMCXX_TEXT_FORMAT_HPP
