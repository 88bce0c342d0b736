// promcxx: choosing a format from an Accept header and rendering a registry.
#ifndef PROMCXX_EXPOSITION_HPP
#define PROMCXX_EXPOSITION_HPP

#include <algorithm>
#include <string>
#include <string_view>

#include "registry.hpp"
#include "openmetrics.hpp"
#include "protobuf.hpp"
#include "snapshot.hpp"
#include "text_format.hpp"

namespace promcxx {

enum class exposition_format { text_0_0_4, openmetrics_1_0_0, protobuf_delimited };

/// The Content-Type header value for `format`.
constexpr std::string_view content_type(exposition_format format) noexcept {
  if (format == exposition_format::protobuf_delimited) return protobuf_content_type;
  return format == exposition_format::openmetrics_1_0_0
             ? openmetrics_content_type
             : text_content_type;
}

namespace detail {

constexpr std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

/// Parses a q-value ("1", "0.5", "0.75"); malformed values count as 1 like Go's goautoneg.
constexpr int parse_quality_permille(std::string_view q) noexcept {
  int whole = 0, permille = 0, scale = 100;
  std::size_t i = 0;
  if (i < q.size() && q[i] >= '0' && q[i] <= '9') whole = q[i++] - '0';
  else return 1000;
  if (i < q.size() && q[i] == '.') {
    ++i;
    while (i < q.size() && q[i] >= '0' && q[i] <= '9' && scale > 0) {
      permille += (q[i++] - '0') * scale;
      scale /= 10;
    }
  }
  return std::min(1000, whole * 1000 + permille);
}

} // namespace detail

/// Picks the format for an HTTP Accept header with the rules of the Go
/// client's expfmt.Negotiate: the highest-quality acceptable media range wins;
/// `application/openmetrics-text` (version 1.0.0, 0.0.1 or none) selects
/// OpenMetrics; `application/vnd.google.protobuf` with
/// proto=io.prometheus.client.MetricFamily and encoding=delimited selects
/// protobuf (Prometheus asks for it first when native histograms are enabled);
/// anything else, or no header, falls back to text 0.0.4.
constexpr exposition_format negotiate(std::string_view accept) noexcept {
  int best_quality = -1;
  auto best = exposition_format::text_0_0_4;
  bool have_best = false;
  while (!accept.empty()) {
    const auto comma = accept.find(',');
    std::string_view range = detail::trim(accept.substr(0, comma));
    accept = comma == std::string_view::npos ? std::string_view{} : accept.substr(comma + 1);
    const auto semicolon = range.find(';');
    const std::string_view media = detail::trim(range.substr(0, semicolon));
    std::string_view params = semicolon == std::string_view::npos ? std::string_view{} : range.substr(semicolon + 1);
    int quality = 1000;
    std::string_view version;
    std::string_view proto, encoding;
    while (!params.empty()) {
      const auto next = params.find(';');
      const std::string_view param = detail::trim(params.substr(0, next));
      params = next == std::string_view::npos ? std::string_view{} : params.substr(next + 1);
      const auto eq = param.find('=');
      if (eq == std::string_view::npos) continue;
      const auto key = detail::trim(param.substr(0, eq));
      auto value = detail::trim(param.substr(eq + 1));
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
      if (detail::iequals(key, "q")) quality = detail::parse_quality_permille(value);
      else if (detail::iequals(key, "version")) version = value;
      else if (detail::iequals(key, "proto")) proto = value;
      else if (detail::iequals(key, "encoding")) encoding = value;
    }
    if (quality <= 0) continue;  // q=0: explicitly not acceptable
    exposition_format candidate;
    if (detail::iequals(media, "application/openmetrics-text") &&
        (version.empty() || version == "1.0.0" || version == "0.0.1")) {
      candidate = exposition_format::openmetrics_1_0_0;
    } else if (detail::iequals(media, "application/vnd.google.protobuf") &&
               proto == "io.prometheus.client.MetricFamily" && encoding == "delimited") {
      candidate = exposition_format::protobuf_delimited;
    } else if (detail::iequals(media, "text/plain") && (version.empty() || version == "0.0.4")) {
      candidate = exposition_format::text_0_0_4;
    } else {
      continue;
    }
    if (quality > best_quality) {
      best_quality = quality;
      best = candidate;
      have_best = true;
    }
  }
  return have_best ? best : exposition_format::text_0_0_4;
}

/// Appends an already collected snapshot to `out` in `format`.
inline void encode(const snapshot& snap, exposition_format format, std::string& out) {
  if (format == exposition_format::openmetrics_1_0_0) encode_openmetrics(snap, out);
  else if (format == exposition_format::protobuf_delimited) encode_protobuf(snap, out);
  else encode_text(snap, out);
}

/// Collects `reg` and encodes it into `out` (cleared first; its capacity is
/// reused, and so is a per-thread snapshot, so repeated scrapes stop allocating).
inline void render(registry& reg, exposition_format format, std::string& out) {
  thread_local snapshot snap;
  reg.collect(snap);
  out.clear();
  encode(snap, format, out);
}

} // namespace promcxx

#endif // PROMCXX_EXPOSITION_HPP
