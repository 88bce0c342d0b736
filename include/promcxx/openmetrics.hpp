// promcxx: the OpenMetrics 1.0.0 text format.
#ifndef PROMCXX_OPENMETRICS_HPP
#define PROMCXX_OPENMETRICS_HPP

#include <bit>  // std::bit_cast: a cached _created value is matched by its bits
#include <cstdint>
#include <cstring>
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
  // Only integers below 1e6 come out of %g without '.', 'e' or a letter.
  if (char* end = format_small_integer(out, v)) {
    *end++ = '.';
    *end++ = '0';
    return end;
  }
  return format_go_float_general(out, v);
}

inline void append_openmetrics_float(std::string& out, double v) {
  char buffer[40];
  out.append(buffer, format_openmetrics_float(buffer, v));
}

inline char* write_om_value(char* p, double v) noexcept { return format_openmetrics_float(p, without_negative_zero(v)); }

/// Exemplar timestamp as plain decimal seconds with milliseconds (`1700000000.250`):
/// exponent forms such as Go's `1.7e+09` are valid OpenMetrics but misread by
/// prometheus_client's parser, and Prometheus keeps exemplar times in ms anyway.
/// `out` needs 40 bytes.
inline char* format_timestamp(char* out, double seconds) noexcept {
  if (!(seconds >= 0 && seconds < 1e15)) return format_openmetrics_float(out, seconds);
  const auto ms = static_cast<std::uint64_t>(seconds * 1000.0 + 0.5);
  out = format_uint(out, ms / 1000);
  const auto frac = static_cast<unsigned>(ms % 1000);
  *out++ = '.';
  *out++ = static_cast<char>('0' + frac / 100);
  *out++ = static_cast<char>('0' + frac / 10 % 10);
  *out++ = static_cast<char>('0' + frac % 10);
  return out;
}

inline void append_timestamp(std::string& out, double seconds) {
  char buffer[40];
  out.append(buffer, format_timestamp(buffer, seconds));
}

/// Writes ` # {labels} value [timestamp]` when value slot `slot` of `s` has an exemplar.
inline char* write_exemplar(text_cursor& c, char* p, const snapshot& snap, const snapshot::series& s,
                            std::uint32_t slot) {
  if (s.first_exemplar == snapshot::none) return p;
  const auto ref = snap.exemplar_refs[s.first_exemplar + slot];
  if (ref == snapshot::none) return p;
  const auto& e = snap.exemplars[ref];
  std::size_t room = 4 + 2 * value_room;
  for (std::uint32_t i = 0; i < e.label_count; ++i) {
    const auto& l = snap.labels[e.first_label + i];
    room += l.name.size + 2 * l.value.size + 4;
  }
  c.commit(p);
  p = c.reserve(room);
  p = copy(p, " # {");
  for (std::uint32_t i = 0; i < e.label_count; ++i) {
    const auto& l = snap.labels[e.first_label + i];
    if (i > 0) *p++ = ',';
    p = copy(p, snap.view(l.name));
    *p++ = '=';
    *p++ = '"';
    p = copy_escaped_value(p, snap.view(l.value));
    *p++ = '"';
  }
  p = copy(p, "} ");
  p = write_om_value(p, e.value);
  if (e.has_timestamp) {
    *p++ = ' ';
    p = format_timestamp(p, e.timestamp);
  }
  return p;
}

/// Writes a `_created` value, reusing the spelling the previous encode made
/// for the `ordinal`-th created line when the value is the same.
inline char* write_created(char* p, double created, std::size_t ordinal, encoder_scratch& scratch) {
  const auto bits = std::bit_cast<std::uint64_t>(created);
  if (ordinal < scratch.created.size() && scratch.created[ordinal].bits == bits) {
    const auto& cached = scratch.created[ordinal];
    std::memcpy(p, cached.text, sizeof cached.text);  // fixed size: two plain moves; room is reserved
    return p + cached.size;
  }
  char* end = format_openmetrics_float(p, created);
  encoder_scratch::created_text entry;
  entry.bits = bits;
  entry.size = static_cast<std::uint8_t>(end - p);
  std::memcpy(entry.text, p, entry.size);  // <= 23 bytes: "1.2345678901234567e-300"
  if (ordinal < scratch.created.size()) scratch.created[ordinal] = entry;
  else scratch.created.push_back(entry);
  return end;
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
/// `-0` is written as `0.0`, in values and bounds (see without_negative_zero).
inline void encode_openmetrics(const snapshot& snap, std::string& out) {
  auto& scratch = detail::scratch();
  std::size_t created_ordinal = 0;
  detail::text_cursor c{out};
  const auto created_line = [&](std::string_view family, std::string_view labels, double created) {
    char* p = detail::begin_line(c, family, "_created", labels);
    detail::end_line(c, detail::write_created(p, created, created_ordinal++, scratch));
  };
  for (const auto& f : snap.families) {
    std::string_view family = snap.view(f.name);
    if (f.type == metric_type::counter && family.ends_with("_total")) family.remove_suffix(6);
    c.write("# TYPE ");
    c.write(family);
    c.write(" ");
    const bool gauge_histogram = detail::is_gaugehistogram(f.type);
    c.write(gauge_histogram ? std::string_view{"gaugehistogram"} : type_name(f.type));
    c.write("\n");
    if (f.unit.size > 0) {
      c.write("# UNIT ");
      c.write(family);
      c.write(" ");
      c.write(snap.view(f.unit));
      c.write("\n");
    }
    c.write("# HELP ");
    c.write(family);
    c.write(" ");
    {
      const auto help = snap.view(f.help);
      c.commit(detail::copy_escaped_value(c.reserve(2 * help.size()), help));
    }
    c.write("\n");

    scratch.clear_extras();
    if (f.type == metric_type::histogram || gauge_histogram) {
      for (std::uint32_t b = 0; b < f.bound_count; ++b) {
        char bound[40];
        scratch.add_extra_label(
            "le", {bound, detail::write_om_value(bound, snap.bounds[f.first_bound + b])});
        scratch.end_extra();
      }
      scratch.add_extra_label("le", "+Inf");
      scratch.end_extra();
    } else if (f.type == metric_type::stateset) {
      for (std::uint32_t st = 0; st < f.bound_count; ++st) {
        scratch.add_extra_label(family, snap.view(snap.states[f.first_bound + st]));
        scratch.end_extra();
      }
    } else if (f.type == metric_type::summary) {
      // Quantiles of a summary with objectives (quantile_summary.hpp); plain summaries have none.
      for (std::uint32_t b = 0; b < f.bound_count; ++b) {
        char quantile[40];
        scratch.add_extra_label("quantile", {quantile, detail::write_om_value(quantile, snap.bounds[f.first_bound + b])});
        scratch.end_extra();
      }
    }

    const bool negative_bounds = f.type == metric_type::histogram && f.bound_count > 0 && snap.bounds[f.first_bound] < 0;
    for (std::uint32_t k = 0; k < f.series_count; ++k) {
      const auto& s = snap.all_series[f.first_series + k];
      const double* v = snap.values.data() + s.first_value;
      const std::string_view labels = detail::build_label_block(snap, s, scratch.labels);
      if (gauge_histogram) {  // buckets, _gcount, _gsum; no _created (a gauge has none)
        for (std::uint32_t b = 0; b <= f.bound_count; ++b) {
          char* p = detail::begin_line(c, family, "_bucket", labels, scratch.extra(b));
          p = detail::format_uint(p, static_cast<std::uint64_t>(v[b]));
          detail::end_line(c, detail::write_exemplar(c, p, snap, s, b));
        }
        // _gcount and _gsum come together or not at all, and a negative (or NaN)
        // gsum needs a negative bucket: the strict parser refuses it otherwise.
        const double gsum = v[f.bound_count + 1];
        if (f.bound_count > 0 && snap.bounds[f.first_bound] < 0 ? gsum == gsum : gsum >= 0) {
          char* p = detail::begin_line(c, family, "_gcount", labels);
          detail::end_line(c, detail::format_uint(p, static_cast<std::uint64_t>(v[f.bound_count])));
          p = detail::begin_line(c, family, "_gsum", labels);
          detail::end_line(c, detail::write_om_value(p, gsum));
        }
        continue;
      }
      switch (f.type) {
        case metric_type::counter: {
          if (s.first_exemplar == snapshot::none && s.created > 0) {
            // The common case, both lines under one capacity check.
            char* p = detail::begin_line(c, family, "_total", labels, family.size() + labels.size() + 2 * detail::value_room);
            p = detail::write_om_value(p, v[0]);
            *p++ = '\n';
            p = detail::copy(p, family);
            p = detail::copy(p, "_created");
            p = detail::copy(p, labels);
            *p++ = ' ';
            detail::end_line(c, detail::write_created(p, s.created, created_ordinal++, scratch));
            break;
          }
          char* p = detail::begin_line(c, family, "_total", labels);
          p = detail::write_om_value(p, v[0]);
          detail::end_line(c, detail::write_exemplar(c, p, snap, s, 0));
          if (s.created > 0) created_line(family, labels, s.created);
          break;
        }
        case metric_type::histogram: {
          // OpenMetrics: _count and _sum come together or not at all, and a sum
          // that is negative or NaN (or any negative bucket) rules both out.
          const bool with_sum = !negative_bounds && v[f.bound_count + 1] >= 0;
          for (std::uint32_t b = 0; b <= f.bound_count; ++b) {
            char* p = detail::begin_line(c, family, "_bucket", labels, scratch.extra(b));
            p = detail::format_uint(p, static_cast<std::uint64_t>(v[b]));
            detail::end_line(c, detail::write_exemplar(c, p, snap, s, b));
          }
          if (with_sum) {
            char* p = detail::begin_line(c, family, "_count", labels);
            detail::end_line(c, detail::format_uint(p, static_cast<std::uint64_t>(v[f.bound_count])));
            p = detail::begin_line(c, family, "_sum", labels);
            detail::end_line(c, detail::write_om_value(p, v[f.bound_count + 1]));
          }
          if (s.created > 0) created_line(family, labels, s.created);
          break;
        }
        case metric_type::summary: {
          for (std::uint32_t b = 0; b < f.bound_count; ++b) {
            char* q = detail::begin_line(c, family, "", labels, scratch.extra(b));
            detail::end_line(c, detail::write_om_value(q, v[2 + b]));
          }
          char* p = detail::begin_line(c, family, "_count", labels);
          detail::end_line(c, detail::format_uint(p, static_cast<std::uint64_t>(v[1])));
          if (v[0] >= 0) {  // OpenMetrics: the sum is a counter, never negative or NaN
            p = detail::begin_line(c, family, "_sum", labels);
            detail::end_line(c, detail::write_om_value(p, v[0]));
          }
          if (s.created > 0) created_line(family, labels, s.created);
          break;
        }
        case metric_type::info: {
          char* p = detail::begin_line(c, family, "_info", labels);
          *p++ = '1';
          detail::end_line(c, p);
          break;
        }
        case metric_type::stateset:
          for (std::uint32_t st = 0; st < f.bound_count; ++st) {
            char* p = detail::begin_line(c, family, "", labels, scratch.extra(st));
            detail::end_line(c, detail::format_uint(p, static_cast<std::uint64_t>(v[st])));
          }
          break;
        default: {
          char* p = detail::begin_line(c, family, "", labels);
          detail::end_line(c, detail::write_om_value(p, v[0]));
          break;
        }
      }
    }
  }
  c.write("# EOF\n");
}

} // namespace promcxx

#endif // PROMCXX_OPENMETRICS_HPP
