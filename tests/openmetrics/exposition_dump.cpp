// Prints a registry that exercises every type, escaping, exemplars and special
// floats, in one format, for check_exposition.py to judge with real parsers.
//
//   om_exposition_dump golden openmetrics|text   deterministic: golden files
//   om_exposition_dump default openmetrics|text  the default registry with the process collector
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>

#include <promcxx.hpp>
#include <promcxx/exemplar.hpp>
#include <promcxx/info.hpp>
#include <promcxx/process_collector.hpp>
#include <promcxx/stateset.hpp>
#include <promcxx/summary.hpp>

namespace {

using namespace promcxx;

registry reg;

counter<"om_requests_total", "Requests by \"code\" and path; back\\slash, new\nline, caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80.",
        labels<"code", "path">>
    requests{reg};
counter<"om_processed_bytes_total", "Bytes processed.", unit<"bytes">> processed{reg};
counter<"om_jobs_total", "Jobs run, with exemplars.", labels<"queue">, exemplars> jobs{reg};
gauge<"om_special_value", "Gauges with special float values.", labels<"case">> special{reg};
gauge<"om_temperature_celsius", "Temperature.", unit<"celsius">> temperature{reg};
histogram<"om_request_duration_seconds", "Request latency.", unit<"seconds">, labels<"method">, exemplars,
          max_series<8>>
    latency{reg};
histogram<"om_payload_bytes", "Payload sizes.", buckets<"0.00001", "1", "100000", "1000000">> payload{reg};
histogram<"om_clock_offset_seconds", "Clock offset (negative buckets).", buckets<"-1", "0", "1">> offset{reg};
summary<"om_rpc_duration_seconds", "RPC latency without quantiles.", labels<"service">> rpc{reg};
summary<"om_balance_change", "Signed amounts (negative sum)."> balance{reg};
info<"om_build", "Build information.", labels<"version", "revision", "comment">> build{reg};
stateset<"om_node_role", "Raft role.", states<"leader", "follower", "candidate">> role{reg};
stateset<"om_feature", "Enabled features.", states<"tls", "gzip", "exemplars">, labels<"node">> feature{reg};
counter<"om_limited_total", "A capped metric.", labels<"user">, max_series<2>> limited{reg};

/// Legacy values computed at scrape time, plus one family the registry must refuse.
class legacy_collector final : public collector {
 public:
  void collect(collect_sink& sink) const override {
    if (sink.family("om_legacy_value", "An untyped value from a collector.", metric_type::unknown))
      sink.sample({{"source", "collector"}}, 42);
    sink.family("om-bad-name", "Refused: dashes.", metric_type::gauge);
  }
};
legacy_collector legacy;

void fill() {
  reg.set_const_labels({{"node_id", "n\xc3\xb6" "de-1 \"q\""}});
  reg.add(legacy);

  requests.labels("200", "/").inc(3);
  requests.labels("200", "/a\"b\\c\nd").inc();
  requests.labels("404", "caf\xc3\xa9/\xe2\x82\xac/\xf0\x9f\x98\x80").inc(2);
  requests.labels("500", "").inc(0);
  processed.inc(1e6);

  jobs.labels("default").inc(3, {{"trace_id", "4bf92f3577b34da6a3ce929d0e0e4736"}, {"span_id", "00f067aa0ba902b7"}});
  jobs.labels("hostile").inc(1, {{"trace_id", "q\"uote\\back\nnl caf\xc3\xa9"}});
  jobs.labels("plain").inc(5);

  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  const struct {
    const char* name;
    double value;
  } specials[] = {{"nan", nan},       {"pos_inf", inf},    {"neg_inf", -inf},      {"neg_zero", -0.0},
                  {"tiny", 1e-05},    {"small", 0.0001},   {"million", 1e+06},     {"large_int", 100000},
                  {"big", 1.7560473e+07}, {"negative", -2.5}, {"tenth", 0.1},      {"denormal", 5e-324},
                  {"max", 1.7976931348623157e+308}};
  for (const auto& s : specials) special.labels(s.name).set(s.value);
  temperature.set(21.5);

  latency.labels("GET").observe(0.042, {{"trace_id", "aaa"}});
  latency.labels("GET").observe(0.3);
  latency.labels("GET").observe(7, {{"trace_id", "bbb"}});
  latency.labels("GET").observe(100, {{"trace_id", "ccc"}});  // +Inf bucket
  latency.labels("POST").observe(0.005);                      // on a bound: le="0.005"

  payload.observe(1e-06);
  payload.observe(0.5);
  payload.observe(5e5);
  payload.observe(2e6);

  offset.observe(-1.5);
  offset.observe(0.25);

  rpc.labels("auth").observe(0.25);
  rpc.labels("auth").observe(0.5);
  rpc.labels("sign\xc3\xa9").observe(1e-05);
  balance.observe(-7.5);
  balance.observe(2);

  build.set("1.2.0", "abc123", "line1\nline2 \"quoted\" back\\slash \xe2\x9c\x93");
  role.set_state<"follower">();
  feature.labels("node-1").set<"tls">(true);
  feature.labels("node-1").set<"exemplars">(true);
  feature.labels("node-2").set_state<"gzip">();

  limited.labels("a").inc();
  limited.labels("b").inc();
  limited.labels("c").inc();  // over the cap: overflow series + promcxx_series_overflow_total
}

/// Fixed creation and exemplar times make the output byte-exact across runs.
void make_deterministic(snapshot& snap) {
  for (auto& s : snap.all_series)
    if (s.created != 0) s.created = 1700000000.5;
  for (auto& e : snap.exemplars) e.timestamp = 1700000001.25;
}

} // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s golden|default openmetrics|text\n", argv[0]);
    return 2;
  }
  const std::string_view which = argv[1];
  const auto format = std::strcmp(argv[2], "openmetrics") == 0 ? exposition_format::openmetrics_1_0_0
                                                                : exposition_format::text_0_0_4;
  fill();
  std::string out;
  if (which == "golden") {
    snapshot snap;
    reg.collect(snap);
    make_deterministic(snap);
    encode(snap, format, out);
  } else {
    // The default registry: process metrics plus this program's own default-registry metrics.
    static counter<"om_default_total", "Declared in the default registry."> in_default;
    in_default.inc();
    render(default_registry(), format, out);
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}
