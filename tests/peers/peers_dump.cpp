// Writes one exposition holding every peers feature (callbacks, quantile
// summaries, gauge histograms) for the real parsers in judge_exposition.py.
// usage: peers_dump text|openmetrics
#include <cstdio>
#include <string>
#include <string_view>

#include <promcxx.hpp>
#include <promcxx/callback.hpp>
#include <promcxx/gauge_histogram.hpp>
#include <promcxx/quantile_summary.hpp>

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  const std::string_view which = argv[1];
  promcxx::registry reg;
  promcxx::gauge_func<"peers_queue_depth", "Items waiting."> depth{reg, [] { return 17; }};
  promcxx::counter_func<"peers_pool_acquired_total", "Connections handed out.", promcxx::labels<"pool">> acquired{
      reg, [](auto& out) {
        out(10, "a");
        out(2.5, "b \"quoted\"");
      }};
  promcxx::callback_family runtime{reg, promcxx::metric_type::gauge, "peers_runtime_temperature_celsius",
                                   "Temperature by sensor.", {"sensor"}, [](promcxx::callback_sink& out) {
                                     out(21.5, "inlet");
                                     out(-3, "outlet");
                                   }};
  promcxx::quantile_summary<"peers_rpc_duration_seconds", "RPC latency.",
                            promcxx::objectives<0.5, 0.05, 0.9, 0.01, 0.99, 0.001>, promcxx::labels<"method">>
      rpc{reg};
  for (int i = 1; i <= 1000; ++i) rpc.labels("get").observe(i / 1000.0);
  (void)rpc.labels("idle");  // a series without observations: quantiles read NaN
  promcxx::quantile_summary<"peers_batch_seconds", "Batch time.", promcxx::objectives<0.5, 0.05>> batch{reg};
  batch.observe(2);
  batch.observe(4);
  batch.observe(3);
  promcxx::gauge_histogram<"peers_queue_item_age_seconds", "Age of queued items.", promcxx::buckets<1, 10, 60>,
                           promcxx::labels<"queue">>
      ages{reg};
  auto high = ages.labels("high");
  high.add(0.5);
  high.add(5, 3);
  high.add(100);
  high.sub(5);
  ages.labels("low").add(30);
  promcxx::gauge_histogram<"peers_inflight_size_bytes", "Sizes of requests in flight.",
                           promcxx::buckets<1024, 65536>> sizes{reg};
  sizes.add(2000);
  std::string out;
  promcxx::render(reg,
                  which == "openmetrics" ? promcxx::exposition_format::openmetrics_1_0_0
                                         : promcxx::exposition_format::text_0_0_4,
                  out);
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}
