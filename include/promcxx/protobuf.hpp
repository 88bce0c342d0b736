// promcxx: the Prometheus protobuf exposition format (client_model 0.3.0
// io.prometheus.client.MetricFamily, length-delimited), written by hand so
// users need no libprotobuf. It is the only format that carries native
// histograms to Prometheus 2.42 (--enable-feature=native-histograms).
//
// Mapping from the snapshot (what the 0.3.0 schema can say):
// - counter, gauge, summary (count and sum), histogram: their own messages;
//   unknown: UNTYPED; counter and classic bucket exemplars: Exemplar.
// - info `foo`: GAUGE family `foo_info`, value 1 (as OpenMetrics maps it).
// - stateset `foo`: GAUGE family `foo`, one metric per state labelled
//   foo="<state>" with 1 or 0.
// - created timestamps and units: the 0.3.0 schema has no field; left out.
// - classic buckets are written including an explicit +Inf bucket (so a +Inf
//   exemplar survives); a native-only histogram has no classic buckets.
// - native histograms: schema, zero threshold and count, spans and deltas
//   (integer counts); an empty one with zero threshold 0 gets the no-op span
//   {0, 0} so Prometheus still sees a native histogram. The 0.3.0 schema has
//   no exemplars on native buckets.
// Fields are written in field-number order, proto2 repeated scalars unpacked,
// so the bytes equal what protoc-generated code serializes (tests check that).
#ifndef PROMCXX_PROTOBUF_HPP
#define PROMCXX_PROTOBUF_HPP

#include <bit>      // std::bit_cast
#include <cmath>    // std::floor
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "snapshot.hpp"

namespace promcxx {

inline constexpr std::string_view protobuf_content_type =
    "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited";

namespace detail::pb {

enum wire_type : std::uint32_t { varint = 0, fixed64 = 1, length_delimited = 2 };

inline std::size_t encode_varint(char* buffer, std::uint64_t v) noexcept {
  std::size_t n = 0;
  while (v >= 0x80) {
    buffer[n++] = static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  buffer[n++] = static_cast<char>(v);
  return n;
}

inline void put_varint(std::string& out, std::uint64_t v) {
  char buffer[10];
  out.append(buffer, encode_varint(buffer, v));
}

inline void put_tag(std::string& out, std::uint32_t field, wire_type type) {
  put_varint(out, (static_cast<std::uint64_t>(field) << 3) | type);
}

inline void put_uint(std::string& out, std::uint32_t field, std::uint64_t v) {
  put_tag(out, field, varint);
  put_varint(out, v);
}

inline void put_sint(std::string& out, std::uint32_t field, std::int64_t v) {
  put_tag(out, field, varint);
  put_varint(out, (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63));  // zigzag
}

inline void put_double(std::string& out, std::uint32_t field, double v) {
  put_tag(out, field, fixed64);
  const auto bits = std::bit_cast<std::uint64_t>(v);
  char bytes[8];
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>((bits >> (8 * i)) & 0xff);  // little endian on any host
  out.append(bytes, 8);
}

inline void put_string(std::string& out, std::uint32_t field, std::string_view s) {
  put_tag(out, field, length_delimited);
  put_varint(out, s.size());
  out.append(s);
}

/// Starts a length-delimited body (field 0: no tag, as the stream's
/// MetricFamily prefix). One length byte is reserved; most bodies fit it.
inline std::size_t open(std::string& out, std::uint32_t field) {
  if (field != 0) put_tag(out, field, length_delimited);
  out.push_back('\0');
  return out.size();
}

inline void close(std::string& out, std::size_t body) {
  char buffer[10];
  const std::size_t n = encode_varint(buffer, out.size() - body);
  out[body - 1] = buffer[0];
  if (n > 1) out.insert(body, buffer + 1, n - 1);
}

inline void put_label(std::string& out, std::string_view name, std::string_view value) {
  const auto body = open(out, 1);
  put_string(out, 1, name);
  put_string(out, 2, value);
  close(out, body);
}

inline void put_labels(std::string& out, const snapshot& snap, std::uint32_t first, std::uint32_t count) {
  for (std::uint32_t i = 0; i < count; ++i) {
    const auto& l = snap.labels[first + i];
    put_label(out, snap.view(l.name), snap.view(l.value));
  }
}

inline void put_exemplar(std::string& out, std::uint32_t field, const snapshot& snap, const snapshot::series& s,
                         std::uint32_t slot) {
  if (s.first_exemplar == snapshot::none) return;
  const auto ref = snap.exemplar_refs[s.first_exemplar + slot];
  if (ref == snapshot::none) return;
  const auto& e = snap.exemplars[ref];
  const auto body = open(out, field);
  put_labels(out, snap, e.first_label, e.label_count);
  put_double(out, 2, e.value);
  if (e.has_timestamp) {
    // google.protobuf.Timestamp is proto3: zero fields are not written.
    const double seconds = std::floor(e.timestamp);
    auto nanos = static_cast<std::int64_t>((e.timestamp - seconds) * 1e9 + 0.5);
    auto whole = static_cast<std::int64_t>(seconds);
    if (nanos >= 1000000000) {
      nanos -= 1000000000;
      ++whole;
    }
    const auto ts = open(out, 3);
    if (whole != 0) put_uint(out, 1, static_cast<std::uint64_t>(whole));  // int64: two's complement varint
    if (nanos != 0) put_uint(out, 2, static_cast<std::uint64_t>(nanos));
    close(out, ts);
  }
  close(out, body);
}

/// Spans and deltas of one sign: fields (span, delta) = (9, 10) negative, (12, 13) positive.
inline void put_native_side(std::string& out, const snapshot& snap, std::uint32_t first_span, std::uint32_t span_count,
                            std::uint32_t first_count, std::uint32_t count, std::uint32_t span_field) {
  for (std::uint32_t i = 0; i < span_count; ++i) {
    const auto& sp = snap.native_spans[first_span + i];
    const auto body = open(out, span_field);
    put_sint(out, 1, sp.offset);
    put_uint(out, 2, sp.length);
    close(out, body);
  }
  // Deltas go through a local buffer: one append per delta would cost more than the encoding.
  char buffer[512];
  std::size_t used = 0;
  const char tag = static_cast<char>(((span_field + 1) << 3) | varint);  // fields 10 and 13: one byte
  std::int64_t previous = 0;
  for (std::uint32_t i = 0; i < count; ++i) {
    const auto c = static_cast<std::int64_t>(snap.native_counts[first_count + i]);
    const std::int64_t delta = c - previous;
    previous = c;
    if (used > sizeof buffer - 11) {
      out.append(buffer, used);
      used = 0;
    }
    buffer[used++] = tag;
    used += encode_varint(buffer + used,
                          (static_cast<std::uint64_t>(delta) << 1) ^ static_cast<std::uint64_t>(delta >> 63));
  }
  out.append(buffer, used);
}

inline void put_histogram(std::string& out, const snapshot& snap, const snapshot::family& f, const snapshot::series& s,
                          const double* v) {
  const auto body = open(out, 7);
  put_uint(out, 1, static_cast<std::uint64_t>(v[f.bound_count]));
  put_double(out, 2, v[f.bound_count + 1]);
  if (f.bound_count > 0) {
    for (std::uint32_t b = 0; b <= f.bound_count; ++b) {
      const auto bucket = open(out, 3);
      put_uint(out, 1, static_cast<std::uint64_t>(v[b]));
      put_double(out, 2, b == f.bound_count ? std::numeric_limits<double>::infinity() : snap.bounds[f.first_bound + b]);
      put_exemplar(out, 3, snap, s, b);
      close(out, bucket);
    }
  }
  if (s.native != snapshot::none) {
    const auto& n = snap.natives[s.native];
    put_sint(out, 5, n.schema);
    put_double(out, 6, n.zero_threshold);
    put_uint(out, 7, n.zero_count);
    put_native_side(out, snap, n.first_span + n.positive_span_count, n.negative_span_count,
                    n.first_count + n.positive_count, n.negative_count, 9);
    put_native_side(out, snap, n.first_span, n.positive_span_count, n.first_count, n.positive_count, 12);
    if (n.zero_threshold == 0 && n.positive_span_count + n.negative_span_count == 0) {
      // Without it an empty native histogram with no zero bucket width looks
      // classic to Prometheus (client_golang writes the same no-op span).
      const auto span = open(out, 12);
      put_sint(out, 1, 0);
      put_uint(out, 2, 0);
      close(out, span);
    }
  }
  close(out, body);
}

enum metric_type_value : std::uint64_t { counter = 0, gauge = 1, summary = 2, untyped = 3, histogram = 4 };

} // namespace detail::pb

/// Appends `snap` to `out` as length-delimited MetricFamily messages.
inline void encode_protobuf(const snapshot& snap, std::string& out) {
  namespace pb = detail::pb;
  for (const auto& f : snap.families) {
    const auto family = pb::open(out, 0);
    const std::string_view name = snap.view(f.name);
    pb::put_tag(out, 1, pb::length_delimited);
    const bool info = f.type == metric_type::info;
    pb::put_varint(out, name.size() + (info ? 5 : 0));
    out.append(name);
    if (info) out.append("_info");
    pb::put_string(out, 2, snap.view(f.help));
    pb::metric_type_value type = pb::gauge;
    switch (f.type) {
      case metric_type::counter: type = pb::counter; break;
      case metric_type::histogram: type = pb::histogram; break;
      case metric_type::summary: type = pb::summary; break;
      case metric_type::unknown: type = pb::untyped; break;
      default: break;  // gauge, info, stateset
    }
    pb::put_uint(out, 3, type);
    for (std::uint32_t k = 0; k < f.series_count; ++k) {
      const auto& s = snap.all_series[f.first_series + k];
      const double* v = snap.values.data() + s.first_value;
      if (f.type == metric_type::stateset) {
        for (std::uint32_t st = 0; st < f.bound_count; ++st) {
          const auto metric = pb::open(out, 4);
          pb::put_labels(out, snap, s.first_label, s.label_count);
          pb::put_label(out, name, snap.view(snap.states[f.first_bound + st]));
          const auto gauge = pb::open(out, 2);
          pb::put_double(out, 1, v[st]);
          pb::close(out, gauge);
          pb::close(out, metric);
        }
        continue;
      }
      const auto metric = pb::open(out, 4);
      pb::put_labels(out, snap, s.first_label, s.label_count);
      switch (f.type) {
        case metric_type::counter: {
          const auto body = pb::open(out, 3);
          pb::put_double(out, 1, v[0]);
          pb::put_exemplar(out, 2, snap, s, 0);
          pb::close(out, body);
          break;
        }
        case metric_type::summary: {
          const auto body = pb::open(out, 4);
          pb::put_uint(out, 1, static_cast<std::uint64_t>(v[1]));
          pb::put_double(out, 2, v[0]);
          pb::close(out, body);
          break;
        }
        case metric_type::histogram: pb::put_histogram(out, snap, f, s, v); break;
        case metric_type::unknown: {
          const auto body = pb::open(out, 5);
          pb::put_double(out, 1, v[0]);
          pb::close(out, body);
          break;
        }
        default: {  // gauge; info is a gauge of 1
          const auto body = pb::open(out, 2);
          pb::put_double(out, 1, f.type == metric_type::info ? 1.0 : v[0]);
          pb::close(out, body);
          break;
        }
      }
      pb::close(out, metric);
    }
    pb::close(out, family);
  }
}

} // namespace promcxx

#endif // PROMCXX_PROTOBUF_HPP
