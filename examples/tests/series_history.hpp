// A tiny in-memory TSDB for the workload tests: scrapes the default registry
// into "name{label="value",...}" -> value maps (node_id left out) at virtual
// times, and evaluates the PromQL shapes the alert rules use (rate, increase,
// max/min_over_time, histogram_quantile) with Prometheus' interpolation.
#ifndef MPC_TESTS_SERIES_HISTORY_HPP
#define MPC_TESTS_SERIES_HISTORY_HPP

#include <algorithm>
#include <cmath>
#include <cstdio>  // std::snprintf for le values
#include <iterator>
#include <limits>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <promcxx/collect.hpp>  // registry::collect, snapshot
#include <promcxx/core.hpp>

namespace mpc_test {

using sample_map = std::map<std::string, double>;

inline sample_map scrape(promcxx::registry& reg = promcxx::default_registry()) {
  promcxx::snapshot snap;
  reg.collect(snap);
  sample_map out;
  for (const auto& f : snap.families) {
    const std::string name{snap.view(f.name)};
    for (std::uint32_t s = 0; s < f.series_count; ++s) {
      const auto& series = snap.all_series[f.first_series + s];
      std::string labels;
      for (std::uint32_t l = 0; l < series.label_count; ++l) {
        const auto& label = snap.labels[series.first_label + l];
        if (snap.view(label.name) == "node_id") continue;
        if (!labels.empty()) labels += ',';
        labels += std::string(snap.view(label.name)) + "=\"" + std::string(snap.view(label.value)) + '"';
      }
      const double* v = &snap.values[series.first_value];
      if (f.type == promcxx::metric_type::histogram) {
        const std::string sep = labels.empty() ? "" : ",";
        for (std::uint32_t b = 0; b <= f.bound_count; ++b) {
          char le[32];
          if (b == f.bound_count) std::snprintf(le, sizeof le, "+Inf");
          else std::snprintf(le, sizeof le, "%g", snap.bounds[f.first_bound + b]);
          out[name + "_bucket{" + labels + sep + "le=\"" + le + "\"}"] = v[b];
        }
        out[name + "_count{" + labels + "}"] = v[f.bound_count];
        out[name + "_sum{" + labels + "}"] = v[f.bound_count + 1];
      } else {
        out[name + "{" + labels + "}"] = v[0];
      }
    }
  }
  return out;
}

/// Scrapes taken every `step` seconds of virtual time.
class series_history {
 public:
  explicit series_history(double step) : step_(step) {}

  void record(double t) { samples_.emplace_back(t, scrape()); }
  [[nodiscard]] double step() const noexcept { return step_; }
  [[nodiscard]] double end() const noexcept { return samples_.back().first; }

  [[nodiscard]] double at(const std::string& key, double t) const {
    const auto& m = sample_at(t);
    const auto it = m.find(key);
    return it == m.end() ? std::numeric_limits<double>::quiet_NaN() : it->second;
  }
  /// Counter increase over (t - window, t] (no extrapolation: a lower bound of PromQL's).
  [[nodiscard]] double increase(const std::string& key, double t, double window) const {
    return at(key, t) - at(key, t - window);
  }
  [[nodiscard]] double rate(const std::string& key, double t, double window) const {
    return increase(key, t, window) / window;
  }
  /// Sum of rates over every series whose key starts with `prefix`.
  [[nodiscard]] double rate_sum(const std::string& prefix, double t, double window) const {
    double total = 0;
    for (const auto& [key, value] : sample_at(t))
      if (key.starts_with(prefix)) total += (value - at(key, t - window)) / window;
    return total;
  }
  [[nodiscard]] double max_over_time(const std::string& key, double t, double window) const {
    double m = -std::numeric_limits<double>::infinity();
    for (const auto& [time, map] : samples_)
      if (time > t - window && time <= t) m = std::max(m, map.at(key));
    return m;
  }
  [[nodiscard]] double min_over_time(const std::string& key, double t, double window) const {
    double m = std::numeric_limits<double>::infinity();
    for (const auto& [time, map] : samples_)
      if (time > t - window && time <= t) m = std::min(m, map.at(key));
    return m;
  }
  /// histogram_quantile(q, rate(name_bucket{labels}[window])) as Prometheus computes it.
  [[nodiscard]] double quantile(double q, const std::string& name, const std::string& labels, double t,
                                double window) const {
    std::vector<std::pair<double, double>> buckets;  // (le, increase)
    const std::string prefix = name + "_bucket{" + labels + (labels.empty() ? "" : ",") + "le=\"";
    for (const auto& [key, value] : sample_at(t)) {
      if (!key.starts_with(prefix)) continue;
      const std::string le = key.substr(prefix.size(), key.size() - prefix.size() - 2);
      const double bound = le == "+Inf" ? std::numeric_limits<double>::infinity() : std::stod(le);
      buckets.emplace_back(bound, value - at(key, t - window));
    }
    std::sort(buckets.begin(), buckets.end());
    if (buckets.empty() || buckets.back().second <= 0) return std::numeric_limits<double>::quiet_NaN();
    const double rank = q * buckets.back().second;
    for (std::size_t i = 0; i < buckets.size(); ++i) {
      if (buckets[i].second < rank) continue;
      if (std::isinf(buckets[i].first)) return buckets[i - 1].first;
      const double lo = i == 0 ? 0 : buckets[i - 1].first;
      const double below = i == 0 ? 0 : buckets[i - 1].second;
      return lo + (buckets[i].first - lo) * (rank - below) / (buckets[i].second - below);
    }
    return buckets.back().first;
  }

 private:
  [[nodiscard]] const sample_map& sample_at(double t) const {
    // Latest scrape at or before t.
    const auto it = std::upper_bound(samples_.begin(), samples_.end(), t + 1e-9,
                                     [](double v, const auto& s) { return v < s.first; });
    return it == samples_.begin() ? samples_.front().second : std::prev(it)->second;
  }

  double step_;
  std::vector<std::pair<double, sample_map>> samples_;
};

} // namespace mpc_test

#endif // MPC_TESTS_SERIES_HISTORY_HPP
