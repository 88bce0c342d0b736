// Scrape time and resident memory against writer threads and against series,
// promcxx next to prometheus-cpp's storage design, in separate processes so each
// resident-memory figure is the kernel's for that configuration alone.
//
//   promcxx_bench_scaling --impl promcxx|baseline --threads T [--series N] [--renders R]
//
// Without --series: the 11k-series registry of the performance issue (100 counter
// families x 100 series, 10 histogram families x 100 series, 11 bounds). T writer
// threads each write ten series in each of three families (two counter families
// and a histogram family), then stay alive while the main thread renders the
// registry (text 0.0.4) R times; the median render's CPU time is reported. With --series N: N counter series, one writer.
// Prints one JSON object; bench/run collects them and bench/report.py charts them.
//
// Baseline (prometheus-cpp's design): per series a label map and a heap-allocated
// std::atomic<double> updated with a CAS loop (a mutex per histogram series), a
// hash index over the label maps as Family::Add keeps; rendered through the same
// encoder by a collector, so the difference is the storage and its reads.
#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>  // clock_gettime(CLOCK_THREAD_CPUTIME_ID)
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <promcxx.hpp>

namespace {

struct options {
  std::string impl = "promcxx";
  int threads = 1;
  std::size_t series = 0;  // 0: the 11k-series registry
  int renders = 21;
};

options parse(int argc, char** argv) {
  options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const char* value = argv[i + 1];
    if (flag == "--impl") o.impl = value;
    else if (flag == "--threads") o.threads = std::atoi(value);
    else if (flag == "--series") o.series = std::strtoull(value, nullptr, 10);
    else if (flag == "--renders") o.renders = std::atoi(value);
    else {
      std::fprintf(stderr, "promcxx_bench_scaling: unknown flag %s\n", flag.c_str());
      std::exit(2);
    }
  }
  if ((o.impl != "promcxx" && o.impl != "baseline") || o.threads < 1 || o.renders < 1) {
    std::fprintf(stderr, "usage: promcxx_bench_scaling --impl promcxx|baseline --threads T [--series N] [--renders R]\n");
    std::exit(2);
  }
  return o;
}

/// Resident and virtual size in MiB, from the kernel.
struct process_memory {
  double rss_mib = 0;
  double vm_mib = 0;
};

process_memory read_memory() {
  process_memory m;
  std::ifstream status{"/proc/self/status"};
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) m.rss_mib = std::strtod(line.c_str() + 6, nullptr) / 1024;
    if (line.rfind("VmSize:", 0) == 0) m.vm_mib = std::strtod(line.c_str() + 7, nullptr) / 1024;
  }
  return m;
}

/// CPU time of the calling thread: a render's cost, whatever else the shared machine runs.
double thread_cpu_ms() {
  timespec t{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) / 1e6;
}

constexpr std::size_t series_per_family = 100;
constexpr std::size_t family_size_large = 50'000;  // --series mode: families under the 65,534-series family limit
const std::vector<double> histogram_bounds{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

std::string label_value(std::size_t i) { return "instance-" + std::to_string(i); }

/// What a writer thread writes: series of counter families and histogram families.
class workload {
 public:
  virtual ~workload() = default;
  virtual std::size_t counter_families() const = 0;
  virtual std::size_t counter_series(std::size_t family) const = 0;
  virtual std::size_t histogram_families() const = 0;
  virtual void inc(std::size_t family, std::size_t series) = 0;
  virtual void observe(std::size_t family, std::size_t series, double v) = 0;
  virtual promcxx::registry& registry() = 0;
};

class promcxx_workload final : public workload {
 public:
  promcxx_workload(std::size_t counter_families, std::size_t series_each, std::size_t histogram_families) {
    promcxx::family_options o;
    o.max_series = series_each;
    for (std::size_t f = 0; f < counter_families; ++f) {
      auto& family = reg_.counter_family("scale_counter_" + std::to_string(f) + "_total", "Scaling counter.",
                                         {"instance_id"}, o);
      auto& handles = counters_.emplace_back();
      for (std::size_t s = 0; s < series_each; ++s) handles.push_back(family.labels({label_value(s)}));
    }
    o.max_series = series_per_family;
    o.buckets = histogram_bounds;
    for (std::size_t f = 0; f < histogram_families; ++f) {
      auto& family = reg_.histogram_family("scale_histogram_" + std::to_string(f) + "_seconds", "Scaling histogram.",
                                           {"instance_id"}, o);
      auto& handles = histograms_.emplace_back();
      for (std::size_t s = 0; s < series_per_family; ++s) handles.push_back(family.labels({label_value(s)}));
    }
  }
  std::size_t counter_families() const override { return counters_.size(); }
  std::size_t counter_series(std::size_t family) const override { return counters_[family].size(); }
  std::size_t histogram_families() const override { return histograms_.size(); }
  void inc(std::size_t family, std::size_t series) override { counters_[family][series].inc(); }
  void observe(std::size_t family, std::size_t series, double v) override { histograms_[family][series].observe(v); }
  promcxx::registry& registry() override { return reg_; }

 private:
  promcxx::registry reg_;
  std::vector<std::vector<promcxx::counter_handle>> counters_;
  std::vector<std::vector<promcxx::runtime_histogram_handle>> histograms_;
};

/// prometheus-cpp's storage: atomic<double> counters (CAS add), a mutex per histogram.
class baseline_workload final : public workload, public promcxx::collector {
 public:
  baseline_workload(std::size_t counter_families, std::size_t series_each, std::size_t histogram_families)
      : series_each_{series_each} {
    for (std::size_t f = 0; f < counter_families; ++f) {
      names_.push_back("scale_counter_" + std::to_string(f) + "_total");
      auto& family = counters_.emplace_back();
      auto& index = indexes_.emplace_back();
      family.reserve(series_each);
      for (std::size_t s = 0; s < series_each; ++s) {  // Family::Add: a label map per series, a hash index over them
        family.push_back({{{"instance_id", label_value(s)}}, std::make_unique<std::atomic<double>>(0.0)});
        index.emplace(family.back().labels, s);
      }
    }
    for (std::size_t f = 0; f < histogram_families; ++f) {
      histogram_names_.push_back("scale_histogram_" + std::to_string(f) + "_seconds");
      auto& family = histograms_.emplace_back();
      for (std::size_t s = 0; s < series_per_family; ++s)
        family.push_back({{{"instance_id", label_value(s)}}, std::make_unique<histogram>()});
    }
    reg_.add(*this);
  }
  ~baseline_workload() override { reg_.remove(*this); }

  std::size_t counter_families() const override { return counters_.size(); }
  std::size_t counter_series(std::size_t) const override { return series_each_; }
  std::size_t histogram_families() const override { return histograms_.size(); }
  void inc(std::size_t family, std::size_t series) override {
    auto& value = *counters_[family][series].value;
    double old = value.load(std::memory_order_relaxed);
    while (!value.compare_exchange_weak(old, old + 1, std::memory_order_relaxed)) {
    }
  }
  void observe(std::size_t family, std::size_t series, double v) override {
    histogram& h = *histograms_[family][series].value;
    const auto bucket = static_cast<std::size_t>(
        std::lower_bound(histogram_bounds.begin(), histogram_bounds.end(), v) - histogram_bounds.begin());
    std::lock_guard held{h.mutex};
    h.counts[bucket] += 1;
    h.sum += v;
  }
  promcxx::registry& registry() override { return reg_; }

  void collect(promcxx::collect_sink& sink) const override {
    for (std::size_t f = 0; f < counters_.size(); ++f) {
      sink.family(names_[f], "Scaling counter.", promcxx::metric_type::counter);
      for (const auto& series : counters_[f]) {
        const auto& [name, value] = *series.labels.begin();
        sink.sample({{name, value}}, series.value->load(std::memory_order_relaxed));
      }
    }
    std::uint64_t cumulative[12];
    for (std::size_t f = 0; f < histograms_.size(); ++f) {
      sink.histogram_family(histogram_names_[f], "Scaling histogram.", histogram_bounds);
      for (const auto& series : histograms_[f]) {
        histogram& h = *series.value;
        double sum = 0;
        {
          std::lock_guard held{h.mutex};
          std::uint64_t running = 0;
          for (std::size_t b = 0; b < 12; ++b) cumulative[b] = running += h.counts[b];
          sum = h.sum;
        }
        const auto& [name, value] = *series.labels.begin();
        const promcxx::label_pair labels[] = {{name, value}};
        sink.histogram_sample(labels, cumulative, sum);
      }
    }
  }

 private:
  struct histogram {
    std::mutex mutex;
    std::uint64_t counts[12]{};
    double sum = 0;
  };
  template <class Value>
  struct series {
    std::map<std::string, std::string> labels;
    std::unique_ptr<Value> value;
  };
  struct label_hash {
    std::size_t operator()(const std::map<std::string, std::string>& labels) const noexcept {
      std::size_t seed = 0;
      for (const auto& [name, value] : labels)
        seed ^= std::hash<std::string>{}(name) * 31 + std::hash<std::string>{}(value) + (seed << 6) + (seed >> 2);
      return seed;
    }
  };
  promcxx::registry reg_;
  std::size_t series_each_;
  std::vector<std::string> names_;
  std::vector<std::string> histogram_names_;
  std::vector<std::vector<series<std::atomic<double>>>> counters_;
  std::vector<std::unordered_map<std::map<std::string, std::string>, std::size_t, label_hash>> indexes_;
  std::vector<std::vector<series<histogram>>> histograms_;
};

std::unique_ptr<workload> make_workload(const options& o) {
  std::size_t families = 100;
  std::size_t each = series_per_family;
  std::size_t histograms = 10;
  if (o.series > 0) {
    each = std::min(o.series, family_size_large);
    families = (o.series + each - 1) / each;
    histograms = 0;
  }
  if (o.impl == "promcxx") return std::make_unique<promcxx_workload>(families, each, histograms);
  return std::make_unique<baseline_workload>(families, each, histograms);
}

/// Thread t's share: ten series in each of three families.
void write_share(workload& w, int t) {
  const auto thread = static_cast<std::size_t>(t);
  const std::size_t families = w.counter_families();
  const std::size_t first = thread * 2 % families;
  const std::size_t second = (thread * 2 + 1) % families;
  for (std::size_t j = 0; j < 10; ++j) {
    const std::size_t series = (thread * 10 + j) % series_per_family;
    for (int i = 0; i < 10; ++i) {
      w.inc(first, series % w.counter_series(first));
      w.inc(second, series % w.counter_series(second));
      if (w.histogram_families() > 0) w.observe(thread % w.histogram_families(), series, 0.001 * (i + 1) * (j + 1));
    }
  }
}

/// The --series mode's single writer: every series once.
void write_all(workload& w) {
  for (std::size_t f = 0; f < w.counter_families(); ++f)
    for (std::size_t s = 0; s < w.counter_series(f); ++s) w.inc(f, s);
}

} // namespace

int main(int argc, char** argv) {
  const options o = parse(argc, argv);
  const process_memory at_start = read_memory();
  auto w = make_workload(o);
  const process_memory registry_built = read_memory();

  std::barrier wrote{o.threads + 1};
  std::atomic<int> parked{0};
  std::barrier finish{o.threads + 1};
  std::vector<std::thread> writers;
  writers.reserve(static_cast<std::size_t>(o.threads));
  for (int t = 0; t < o.threads; ++t) {
    writers.emplace_back([&, t] {
      if (o.series > 0) write_all(*w);
      else write_share(*w, t);
      wrote.arrive_and_wait();
      parked.fetch_add(1);
      finish.arrive_and_wait();  // alive (and its cells with it) until the renders are done
    });
  }
  wrote.arrive_and_wait();
  // Renders start once every writer sleeps again (waking 1,024 threads at the barrier
  // would otherwise compete with the first renders for the CPUs).
  while (parked.load() < o.threads) std::this_thread::yield();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const process_memory written = read_memory();

  std::string out;
  std::vector<double> times_ms;
  for (int r = 0; r < o.renders; ++r) {
    const double start = thread_cpu_ms();
    promcxx::render(w->registry(), promcxx::exposition_format::text_0_0_4, out);
    times_ms.push_back(thread_cpu_ms() - start);
  }
  std::sort(times_ms.begin(), times_ms.end());
  finish.arrive_and_wait();
  for (auto& t : writers) t.join();

  std::printf(
      "{\"impl\": \"%s\", \"threads\": %d, \"series\": %zu, \"render_ms\": %.4f, \"bytes\": %zu, "
      "\"rss_start_mib\": %.2f, \"rss_registry_mib\": %.2f, \"rss_mib\": %.2f, \"vm_mib\": %.1f}\n",
      o.impl.c_str(), o.threads, o.series > 0 ? o.series : std::size_t{11'000}, times_ms[times_ms.size() / 2],
      out.size(), at_start.rss_mib, registry_built.rss_mib, written.rss_mib, written.vm_mib);
  return 0;
}
