// promcxx: choosing a format from an Accept header and rendering a registry.
#ifndef PROMCXX_EXPOSITION_HPP
#define PROMCXX_EXPOSITION_HPP

#include <optional>
#include <string>
#include <string_view>

#include "detail/accept.hpp"
#include "collect.hpp"  // collect_sink, registry::collect
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

/// The format one Accept element asks for, or nullopt when we serve no such
/// thing. One branch per media type we speak; a new format adds one here.
constexpr std::optional<exposition_format> format_for(const accept_element& e) noexcept {
  if (accept_iequals(e.value, "application/openmetrics-text")) {
    // Go's expfmt: no version means 0.0.1, which is the same text as 1.0.0.
    const auto version = e.param("version");
    if (version.empty() || version == "1.0.0" || version == "0.0.1") return exposition_format::openmetrics_1_0_0;
    return std::nullopt;
  }
  if (accept_iequals(e.value, "application/vnd.google.protobuf")) {
    if (e.param("proto") == "io.prometheus.client.MetricFamily" && e.param("encoding") == "delimited")
      return exposition_format::protobuf_delimited;
    return std::nullopt;
  }
  if (accept_iequals(e.value, "text/plain")) {
    const auto version = e.param("version");
    if (version.empty() || version == "0.0.4") return exposition_format::text_0_0_4;
    return std::nullopt;
  }
  return std::nullopt;
}

} // namespace detail

/// Picks the format for an HTTP Accept header with the rules of the Go
/// client's expfmt.Negotiate: the acceptable media range of highest quality
/// wins (the first one among equals); `application/openmetrics-text` (version
/// 1.0.0, 0.0.1 or none) selects OpenMetrics; `application/vnd.google.protobuf`
/// with proto=io.prometheus.client.MetricFamily and encoding=delimited selects
/// protobuf (Prometheus asks for it first when native histograms are enabled);
/// anything else, or no header, falls back to text 0.0.4. Weights follow the
/// rule in detail/accept.hpp (shared with Accept-Encoding): q=0 and malformed
/// q make an element unacceptable.
constexpr exposition_format negotiate(std::string_view accept) noexcept {
  int best_quality = 0;
  auto best = exposition_format::text_0_0_4;
  detail::for_each_accept_element(accept, [&](const detail::accept_element& e) {
    if (e.quality <= best_quality) return;  // q=0 is "not acceptable"; ties keep the earlier element
    if (const auto format = detail::format_for(e)) {
      best_quality = e.quality;
      best = *format;
    }
  });
  return best;
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
  thread_local snapshot snap;  // reused: steady scrapes allocate nothing
  thread_local bool snap_in_use = false;
  if (snap_in_use) [[unlikely]] {
    // A collector renders (another registry) inside a scrape on this thread: the
    // per-thread snapshot is still being filled, so this render gets its own.
    snapshot nested;
    reg.collect(nested);
    out.clear();
    encode(nested, format, out);
    return;
  }
  snap_in_use = true;
  struct release {
    ~release() { snap_in_use = false; }
  } done;
  reg.collect(snap);
  out.clear();
  encode(snap, format, out);
}

} // namespace promcxx

#endif // PROMCXX_EXPOSITION_HPP
