// promcxx: one scrape's worth of values, collected once and fed to every encoder.
//
// Everything lives in flat vectors that a caller reuses between scrapes, so a
// steady-state scrape allocates nothing once the vectors have grown. Strings are
// copied into one arena and referred to by offset, so the snapshot owns its
// data and stays valid after the registry lock is released.
#ifndef PROMCXX_SNAPSHOT_HPP
#define PROMCXX_SNAPSHOT_HPP

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "detail/rules.hpp"  // metric_type

namespace promcxx {

class snapshot {
 public:
  static constexpr std::uint32_t none = std::numeric_limits<std::uint32_t>::max();

  struct text {
    std::uint32_t offset = 0;
    std::uint32_t size = 0;
  };
  struct label {
    text name;
    text value;
  };
  /// Exemplar attached to one value slot (a counter, or one histogram bucket).
  struct exemplar {
    std::uint32_t first_label = 0;
    std::uint32_t label_count = 0;
    double value = 0;
    double timestamp = 0;  // seconds since the epoch
    bool has_timestamp = false;
  };
  /// Values by type (all in `values`, starting at first_value):
  /// counter: [value]; gauge, unknown: [value]; histogram: cumulative bucket
  /// counts for each bound then +Inf (which is the count), then sum;
  /// summary: [sum, count, then one value per quantile in `bounds`]; stateset: one 0/1 per state; info: none.
  struct series {
    std::uint32_t first_label = 0;
    std::uint32_t label_count = 0;
    std::uint32_t first_value = 0;
    std::uint32_t first_exemplar = none;  // per value slot indices into exemplar_refs, or none
    double created = 0;                   // seconds since the epoch; 0 = unknown
    std::uint32_t native = none;          // histogram: index into natives, or none (classic only)
  };
  /// A run of consecutive native buckets: `offset` is the first bucket index
  /// for a histogram's first span of one sign, else the gap after the previous span.
  struct bucket_span {
    std::int32_t offset = 0;
    std::uint32_t length = 0;
  };
  /// Native (sparse exponential) part of a histogram series. Bucket i covers
  /// (2^((i-1)*2^-schema), 2^(i*2^-schema)] in magnitude; counts are absolute,
  /// one per bucket the spans cover (encoders derive deltas).
  struct native_histogram {
    std::int32_t schema = 0;
    double zero_threshold = 0;
    std::uint64_t zero_count = 0;
    std::uint32_t first_span = 0;  // positive spans, then negative spans, in native_spans
    std::uint32_t positive_span_count = 0;
    std::uint32_t negative_span_count = 0;
    std::uint32_t first_count = 0;  // positive counts, then negative counts, in native_counts
    std::uint32_t positive_count = 0;
    std::uint32_t negative_count = 0;
  };
  struct family {
    text name;
    text help;
    text unit;
    metric_type type = metric_type::unknown;
    std::uint32_t first_series = 0;
    std::uint32_t series_count = 0;
    std::uint32_t first_bound = 0;  // histogram: bounds; stateset: state names in `states`
    std::uint32_t bound_count = 0;
  };

  std::vector<family> families;
  std::vector<series> all_series;
  std::vector<label> labels;
  std::vector<double> values;
  std::vector<double> bounds;
  std::vector<text> states;
  std::vector<std::uint32_t> exemplar_refs;  // index into exemplars, or none
  std::vector<exemplar> exemplars;
  std::vector<native_histogram> natives;
  std::vector<bucket_span> native_spans;
  std::vector<std::uint64_t> native_counts;
  std::string arena;
  // Per-family scratch of collect_sink, kept here so its capacity is reused between scrapes.
  std::vector<label> scratch_const_labels;
  std::vector<text> scratch_label_names;

  void clear() noexcept {
    families.clear();
    all_series.clear();
    labels.clear();
    values.clear();
    bounds.clear();
    states.clear();
    exemplar_refs.clear();
    exemplars.clear();
    natives.clear();
    native_spans.clear();
    native_counts.clear();
    arena.clear();
  }

  text store(std::string_view s) {
    const auto offset = static_cast<std::uint32_t>(arena.size());
    arena.append(s);
    return {offset, static_cast<std::uint32_t>(s.size())};
  }

  [[nodiscard]] std::string_view view(text t) const noexcept { return {arena.data() + t.offset, t.size}; }

  /// Number of value slots a series of `f` occupies.
  [[nodiscard]] std::uint32_t value_count(const family& f) const noexcept {
    switch (f.type) {
      case metric_type::histogram:
      case metric_type::gaugehistogram: return f.bound_count + 2;
      case metric_type::summary: return 2 + f.bound_count;  // sum, count, then each quantile
      case metric_type::stateset: return f.bound_count;
      case metric_type::info: return 0;
      default: return 1;
    }
  }
};

} // namespace promcxx

#endif // PROMCXX_SNAPSHOT_HPP
