// Reads "schema threshold value" lines (C99 hex floats) on stdin and prints,
// per line, the bucket index of the value (or "-" for zero and NaN); then,
// per schema, one histogram of all its values as "H schema count zero
// first:counts... | first:counts..." for native_index_check.py to compare with
// its own model of client_golang's rules.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

#define PROMCXX_ASSERT(condition, message) static_cast<void>(0)  // NaN is ignored, as in release builds
#include <promcxx/native_histogram.hpp>

int main() {
  std::map<int, std::vector<double>> by_schema;
  std::map<int, double> thresholds;
  char a[64], b[64], c[64];
  while (std::scanf("%63s %63s %63s", a, b, c) == 3) {
    const int schema = std::atoi(a);
    const double threshold = std::strtod(b, nullptr);
    const double v = std::strtod(c, nullptr);
    if (v == 0 || std::isnan(v)) std::puts("-");
    else std::printf("%d\n", promcxx::native_bucket_index(v, schema));
    by_schema[schema].push_back(v);
    thresholds[schema] = threshold;
  }
  for (const auto& [schema, values] : by_schema) {
    promcxx::native_histogram_options o;
    o.schema = schema;
    o.zero_threshold = thresholds[schema];
    o.max_buckets = 1u << 20;  // no reduction: every index of every double fits
    promcxx::native_histogram_series s{o};
    for (const double v : values) s.observe(v);
    promcxx::native_histogram_series::reading r;
    s.read(r);
    std::printf("H %d %d %llu %llu %d:", schema, r.schema, static_cast<unsigned long long>(r.count),
                static_cast<unsigned long long>(r.zero_count), r.positive_first);
    for (const auto n : r.positive) std::printf("%llu,", static_cast<unsigned long long>(n));
    std::printf(" %d:", r.negative_first);
    for (const auto n : r.negative) std::printf("%llu,", static_cast<unsigned long long>(n));
    std::puts("");
  }
  return 0;
}
