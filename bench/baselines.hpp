// Baselines: the simplest honest version of each competing design, measured in
// the same run as promcxx so the report can state ratios instead of absolute
// times (the machine is shared and drifts). None of this is promcxx code.
#ifndef PROMCXX_BENCH_BASELINES_HPP
#define PROMCXX_BENCH_BASELINES_HPP

#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>  // std::hash
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace bench {

/// prometheus-cpp's counter and gauge: one std::atomic<double>, added to with a CAS loop.
class cas_double {
 public:
  void add(double v) noexcept {
    double old = value_.load(std::memory_order_relaxed);
    while (!value_.compare_exchange_weak(old, old + v, std::memory_order_relaxed)) {
    }
  }
  [[nodiscard]] double value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

/// prometheus-cpp's histogram: a mutex around lower_bound over the bounds,
/// double bucket counters and a CAS-updated sum.
class mutex_histogram {
 public:
  explicit mutex_histogram(std::vector<double> bounds) : bounds_(std::move(bounds)), counts_(bounds_.size() + 1) {}

  void observe(double v) {
    const auto bucket =
        static_cast<std::size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin());
    std::lock_guard lock{mutex_};
    counts_[bucket] += 1.0;
    sum_.add(v);
  }
  [[nodiscard]] double count() {
    std::lock_guard lock{mutex_};
    double total = 0;
    for (const double c : counts_) total += c;
    return total;
  }

 private:
  std::mutex mutex_;
  std::vector<double> bounds_;
  std::vector<double> counts_;
  cas_double sum_;
};

using label_map = std::map<std::string, std::string>;

/// Hash of a whole label set, as prometheus-cpp's LabelHasher combines name and value hashes.
struct label_map_hash {
  std::size_t operator()(const label_map& labels) const noexcept {
    std::size_t seed = 0;
    for (const auto& [name, value] : labels) {
      seed ^= std::hash<std::string>{}(name) + 0x9e3779b97f4a7c15ULL + (seed << 6) + (seed >> 2);
      seed ^= std::hash<std::string>{}(value) + 0x9e3779b97f4a7c15ULL + (seed << 6) + (seed >> 2);
    }
    return seed;
  }
};

/// prometheus-cpp's Family::Add: an unordered_map keyed by the label map, under a mutex.
class map_family {
 public:
  cas_double& add(const label_map& labels) {
    std::lock_guard lock{mutex_};
    auto it = series_.find(labels);
    if (it == series_.end()) it = series_.emplace(labels, std::make_unique<cas_double>()).first;
    return *it->second;
  }

 private:
  std::mutex mutex_;
  std::unordered_map<label_map, std::unique_ptr<cas_double>, label_map_hash> series_;
};

} // namespace bench

#endif // PROMCXX_BENCH_BASELINES_HPP
