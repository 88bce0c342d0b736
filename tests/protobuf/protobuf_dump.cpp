// Writes one registry that exercises every type in the protobuf format (argv[1])
// and, independently of the encoder, what the registry holds as JSON (argv[2]),
// for check_protobuf.py to compare field by field through the official schema.
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <string_view>

#include <promcxx.hpp>
#include <promcxx/exemplar.hpp>
#include <promcxx/info.hpp>
#include <promcxx/protobuf.hpp>
#include <promcxx/stateset.hpp>
#include <promcxx/summary.hpp>

namespace {

using namespace promcxx;

registry reg;

counter<"pb_requests_total", "Requests by \"code\"; back\\slash, new\nline, caf\xc3\xa9 \xf0\x9f\x98\x80.",
        labels<"code", "path">>
    requests{reg};
counter<"pb_jobs_total", "Jobs run, with exemplars.", labels<"queue">, exemplars> jobs{reg};
gauge<"pb_special_value", "Gauges with special float values.", labels<"case">> special{reg};
histogram<"pb_request_duration_seconds", "Request latency.", unit<"seconds">, labels<"method">, exemplars> latency{reg};
histogram<"pb_clock_offset_seconds", "Clock offset (negative buckets).", buckets<"-1", "0", "1">> offset{reg};
summary<"pb_rpc_duration_seconds", "RPC latency.", labels<"service">> rpc{reg};
info<"pb_build", "Build information.", labels<"version", "revision">> build{reg};
stateset<"pb_feature", "Enabled features.", states<"tls", "gzip">, labels<"node">> feature{reg};

/// An untyped value and native histograms with gaps, negative buckets and a
/// large body, given to the sink as a collector would.
class native_collector final : public collector {
 public:
  void collect(collect_sink& sink) const override {
    if (sink.family("pb_legacy_value", "An untyped value.", metric_type::unknown)) sink.sample({{"source", "c"}}, -3.25);
    if (sink.native_histogram_family("pb_native_seconds", "Native only.")) {
      static constexpr std::uint64_t positive[] = {1, 0, 0, 2, 0, 0, 0, 5, 4};  // one span, then a new one
      static constexpr std::uint64_t negative[] = {3};
      static constexpr std::uint64_t count[] = {1 + 2 + 5 + 4 + 3 + 7};
      native_buckets n;
      n.schema = 3;
      n.zero_threshold = std::ldexp(1.0, -128);
      n.zero_count = 7;
      n.positive_first = -5;
      n.positive = positive;
      n.negative_first = 2;
      n.negative = negative;
      const label_pair labels[] = {{"op", "sign"}};
      sink.native_histogram_sample(labels, count, 12.5, n);
      // Empty: no buckets, schema -4, zero threshold 0.
      static constexpr std::uint64_t none[] = {0};
      native_buckets empty;
      empty.schema = -4;
      const label_pair labels2[] = {{"op", "idle"}};
      sink.native_histogram_sample(labels2, none, 0, empty);
      // Many buckets: lengths above 127 force multi-byte length prefixes.
      static std::uint64_t wide[400];
      std::uint64_t total = 0;
      for (std::size_t i = 0; i < 400; ++i) total += wide[i] = 1000 + i * 7919 % 13;
      std::uint64_t wide_count[] = {total};
      native_buckets w;
      w.schema = 8;
      w.positive_first = -200;
      w.positive = wide;
      const label_pair labels3[] = {{"op", "wide"}};
      sink.native_histogram_sample(labels3, wide_count, 1e9, w);
    }
    if (sink.native_histogram_family("pb_both_seconds", "Native and classic at once.", both_bounds)) {
      static constexpr std::uint64_t cumulative[] = {1, 3, 4};
      static constexpr std::uint64_t positive[] = {1, 2};
      static constexpr std::uint64_t negative[] = {1};
      native_buckets n;
      n.schema = 0;
      n.zero_threshold = 0.001;
      n.positive_first = 0;
      n.positive = positive;
      n.negative_first = -1;
      n.negative = negative;
      sink.native_histogram_sample({}, cumulative, 2.75, n);
    }
  }
  static constexpr double both_bounds[] = {0.5, 1};
};
native_collector natives;

void fill() {
  reg.set_const_labels({{"node_id", "n\xc3\xb6" "de-1 \"q\""}});
  reg.add(natives);
  requests.labels("200", "/").inc(3);
  requests.labels("200", "/a\"b\\c\nd").inc();
  requests.labels("500", "").inc(0);
  jobs.labels("default").inc(3, {{"trace_id", "4bf92f3577b34da6a3ce929d0e0e4736"}, {"span_id", "00f067aa0ba902b7"}});
  jobs.labels("plain").inc(5);
  const double inf = std::numeric_limits<double>::infinity();
  special.labels("nan").set(std::numeric_limits<double>::quiet_NaN());
  special.labels("pos_inf").set(inf);
  special.labels("neg_inf").set(-inf);
  special.labels("neg_zero").set(-0.0);
  special.labels("denormal").set(5e-324);
  special.labels("max").set(1.7976931348623157e+308);
  latency.labels("GET").observe(0.042, {{"trace_id", "aaa"}});
  latency.labels("GET").observe(0.3);
  latency.labels("GET").observe(100, {{"trace_id", "ccc"}});  // +Inf bucket exemplar
  latency.labels("POST").observe(0.005);
  offset.observe(-1.5);
  offset.observe(0.25);
  rpc.labels("auth").observe(0.25);
  rpc.labels("auth").observe(0.5);
  build.set("1.2.0", "abc123");
  feature.labels("node-1").set<"tls">(true);
  feature.labels("node-2").set_state<"gzip">();
}

void json_string(std::string& out, std::string_view s) {
  out.push_back('"');
  for (const char c : s) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
      out.append(buf);
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
}

void json_double(std::string& out, double v) {
  if (std::isnan(v)) return out.append("NaN"), void();
  if (std::isinf(v)) return out.append(v > 0 ? "Infinity" : "-Infinity"), void();
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  out.append(buf);
}

void json_labels(std::string& out, const snapshot& snap, std::uint32_t first, std::uint32_t count) {
  out.push_back('[');
  for (std::uint32_t i = 0; i < count; ++i) {
    if (i > 0) out.push_back(',');
    out.push_back('[');
    json_string(out, snap.view(snap.labels[first + i].name));
    out.push_back(',');
    json_string(out, snap.view(snap.labels[first + i].value));
    out.push_back(']');
  }
  out.push_back(']');
}

/// The snapshot as plain JSON, written without the encoder.
std::string to_json(const snapshot& snap) {
  std::string out = "[";
  for (std::size_t fi = 0; fi < snap.families.size(); ++fi) {
    const auto& f = snap.families[fi];
    if (fi > 0) out.append(",\n");
    out.append("{\"name\":");
    json_string(out, snap.view(f.name));
    out.append(",\"help\":");
    json_string(out, snap.view(f.help));
    out.append(",\"type\":");
    json_string(out, type_name(f.type));
    out.append(",\"bounds\":[");
    for (std::uint32_t b = 0; f.type == metric_type::histogram && b < f.bound_count; ++b) {
      if (b > 0) out.push_back(',');
      json_double(out, snap.bounds[f.first_bound + b]);
    }
    out.append("],\"states\":[");
    for (std::uint32_t b = 0; f.type == metric_type::stateset && b < f.bound_count; ++b) {
      if (b > 0) out.push_back(',');
      json_string(out, snap.view(snap.states[f.first_bound + b]));
    }
    out.append("],\"series\":[");
    for (std::uint32_t k = 0; k < f.series_count; ++k) {
      const auto& s = snap.all_series[f.first_series + k];
      const auto slots = snap.value_count(f);
      if (k > 0) out.push_back(',');
      out.append("{\"labels\":");
      json_labels(out, snap, s.first_label, s.label_count);
      out.append(",\"values\":[");
      for (std::uint32_t i = 0; i < slots; ++i) {
        if (i > 0) out.push_back(',');
        json_double(out, snap.values[s.first_value + i]);
      }
      out.append("],\"exemplars\":[");
      for (std::uint32_t i = 0; i < slots; ++i) {
        if (i > 0) out.push_back(',');
        const auto ref = s.first_exemplar == snapshot::none ? snapshot::none : snap.exemplar_refs[s.first_exemplar + i];
        if (ref == snapshot::none) {
          out.append("null");
          continue;
        }
        const auto& e = snap.exemplars[ref];
        out.append("{\"labels\":");
        json_labels(out, snap, e.first_label, e.label_count);
        out.append(",\"value\":");
        json_double(out, e.value);
        out.append(",\"timestamp\":");
        if (e.has_timestamp) json_double(out, e.timestamp);
        else out.append("null");
        out.push_back('}');
      }
      out.append("],\"native\":");
      if (s.native == snapshot::none) {
        out.append("null}");
        continue;
      }
      const auto& n = snap.natives[s.native];
      out.append("{\"schema\":" + std::to_string(n.schema) + ",\"zero_threshold\":");
      json_double(out, n.zero_threshold);
      out.append(",\"zero_count\":" + std::to_string(n.zero_count));
      const auto side = [&](const char* key, std::uint32_t first_span, std::uint32_t spans, std::uint32_t first_count,
                            std::uint32_t counts) {
        out.append(",\"").append(key).append("_spans\":[");
        for (std::uint32_t i = 0; i < spans; ++i) {
          if (i > 0) out.push_back(',');
          out.append("[" + std::to_string(snap.native_spans[first_span + i].offset) + "," +
                     std::to_string(snap.native_spans[first_span + i].length) + "]");
        }
        out.append("],\"").append(key).append("_counts\":[");
        for (std::uint32_t i = 0; i < counts; ++i) {
          if (i > 0) out.push_back(',');
          out.append(std::to_string(snap.native_counts[first_count + i]));
        }
        out.push_back(']');
      };
      side("positive", n.first_span, n.positive_span_count, n.first_count, n.positive_count);
      side("negative", n.first_span + n.positive_span_count, n.negative_span_count, n.first_count + n.positive_count,
           n.negative_count);
      out.append("}}");
    }
    out.append("]}");
  }
  out.append("]\n");
  return out;
}

bool write_file(const char* path, const std::string& data) {
  std::FILE* f = std::fopen(path, "wb");
  if (f == nullptr) return false;
  const bool ok = std::fwrite(data.data(), 1, data.size(), f) == data.size();
  return std::fclose(f) == 0 && ok;
}

} // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s OUT.pb OUT.json\n", argv[0]);
    return 2;
  }
  fill();
  snapshot snap;
  reg.collect(snap);
  std::string pb;
  encode_protobuf(snap, pb);
  return write_file(argv[1], pb) && write_file(argv[2], to_json(snap)) ? 0 : 1;
}
