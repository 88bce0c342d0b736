// Prints the memory per series (bench/memory_model.hpp) as JSON for bench/run.
#include <cstdio>

#include "memory_model.hpp"

namespace {

void print(const char* name, const bench::series_memory& m, bool last) {
  std::printf("  \"%s\": {\"in_metric_bytes\": %.2f, \"label_bytes\": %.2f, \"cells\": %zu, \"bytes_per_series\": {",
              name, m.in_metric_bytes, m.label_bytes, m.cells);
  for (std::size_t i = 0; i < bench::memory_thread_counts.size(); ++i) {
    const auto threads = bench::memory_thread_counts[i];
    std::printf("%s\"%zu\": %.1f", i == 0 ? "" : ", ", threads, m.bytes(threads));
  }
  std::printf("}, \"shared_bytes\": %zu, \"bytes_per_series_with_fractions\": {", m.shared_bytes);
  for (std::size_t i = 0; i < bench::memory_thread_counts.size(); ++i) {
    const auto threads = bench::memory_thread_counts[i];
    std::printf("%s\"%zu\": %.1f", i == 0 ? "" : ", ", threads, m.bytes_with_fractions(threads));
  }
  std::printf("}}%s\n", last ? "" : ",");
}

} // namespace

int main() {
  const auto counter = bench::measure_series_memory<bench::memory_counter>();
  const auto histogram = bench::measure_series_memory<bench::memory_histogram>();
  std::printf("{\n");
  print("counter", counter, false);
  print("histogram", histogram, true);
  std::printf("}\n");
}
