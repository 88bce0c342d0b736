// Client-side quantiles over a sliding window (10 minutes, 5 age buckets by default).
#include <cstdio>
#include <random>
#include <string>

#include <promcxx.hpp>
#include <promcxx/quantile_summary.hpp>

promcxx::quantile_summary<"rpc_duration_seconds", "RPC latency.",
                          promcxx::objectives<0.5, 0.05, 0.9, 0.01, 0.99, 0.001>, promcxx::labels<"method">>
    rpc;

int main() {
  std::mt19937 rng(1);
  std::exponential_distribution<double> latency(20);
  auto get = rpc.labels("get");  // cache the handle
  for (int i = 0; i < 100000; ++i) get.observe(latency(rng));
  std::string out;
  promcxx::render(promcxx::default_registry(), promcxx::exposition_format::text_0_0_4, out);
  std::fputs(out.c_str(), stdout);
}
