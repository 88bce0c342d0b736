// Serves the same observations as a native histogram (schema 3) and as a
// classic histogram whose bounds are the schema-3 bucket boundaries, for
// native_live.py to compare through a real Prometheus 2.42. Prints
// "port N", starts observing on a line on stdin, prints "done count sum q50
// q90 q99" (exact sample quantiles) once every observation is recorded, and
// serves until stdin closes.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <thread>
#include <vector>

#include <promcxx/http_server.hpp>
#include <promcxx/metrics.hpp>
#include <promcxx/native_histogram.hpp>

namespace {

// 2^(k/8) for k = -80..32 (2^-10 .. 2^4) as the factor's powers: the native
// schema-3 boundaries, up to rounding.
using boundaries = promcxx::exponential_buckets<0.0009765625, 1.0905077326652577, 113>;

promcxx::registry reg;
promcxx::native_histogram<"live_native_seconds", "Native copy of the observations."> native{reg};
promcxx::histogram<"live_classic_seconds", "Classic copy of the observations.", boundaries> classic{reg};

double quantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  return v[static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size()))) - 1];
}

} // namespace

int main() {
  promcxx::http_server_options options;
  options.listen = "127.0.0.1:0";
  options.registry = &reg;
  promcxx::http_server server{options};
  std::printf("port %u\n", static_cast<unsigned>(server.port()));
  std::fflush(stdout);
  if (std::getchar() == EOF) return 1;
  // Log-normal latencies around 50 ms, as multiples of 2^-20 so every sum is exact in any order.
  std::mt19937_64 rng{42};
  std::lognormal_distribution<double> latency{std::log(0.05), 1.0};
  std::vector<double> all;
  for (int batch = 0; batch < 12; ++batch) {
    for (int i = 0; i < 2000; ++i) {
      const double v = std::clamp(std::round(latency(rng) * 1048576.0) / 1048576.0, 0.001, 15.0);
      native.observe(v);
      classic.observe(v);
      all.push_back(v);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds{500});
  }
  double sum = 0;
  for (const double v : all) sum += v;
  std::printf("done %zu %.17g %.17g %.17g %.17g\n", all.size(), sum, quantile(all, 0.5), quantile(all, 0.9),
              quantile(all, 0.99));
  std::fflush(stdout);
  while (std::getchar() != EOF) {
  }
  return 0;
}
