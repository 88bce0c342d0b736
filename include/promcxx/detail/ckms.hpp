// promcxx: targeted quantiles over a stream, after Cormode, Korn,
// Muthukrishnan and Srivastava, "Effective Computation of Biased Quantiles
// over Data Streams" (ICDE 2005), the algorithm client_golang's summaries use.
//
// The stream keeps a sorted list of tuples (value, g, delta): g is the gap in
// rank to the previous tuple, delta the uncertainty of the tuple's rank. The
// invariant g + delta <= f(r, n) lets tuples merge while a query for each
// target quantile q stays within its allowed rank error e * n. Batches are
// merged in one linear pass into a second list (no insertion shifting), then
// compressed in one pass from the right; both lists keep their capacity, so
// a stream that has reached its size allocates nothing.
#ifndef PROMCXX_DETAIL_CKMS_HPP
#define PROMCXX_DETAIL_CKMS_HPP

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

namespace promcxx::detail {

struct quantile_target {
  double quantile;  // in [0, 1]
  double error;     // allowed rank error, as a fraction of the count
};

class ckms_stream {
 public:
  explicit ckms_stream(std::span<const quantile_target> targets) {
    // f(r, n) is evaluated for every tuple of every merge: keep its divisions out of it.
    coefficients_.reserve(targets.size());
    for (const auto& t : targets) coefficients_.push_back({t.quantile, 2 * t.error / t.quantile, 2 * t.error / (1 - t.quantile)});
  }

  /// Adds `batch`, which must be sorted ascending.
  void insert_sorted(std::span<const double> batch) {
    if (batch.empty()) return;
    merged_.clear();
    merged_.reserve(tuples_.size() + batch.size());
    double rank = 0;  // sum of g of the tuples already placed
    std::size_t old = 0;
    for (const double v : batch) {
      while (old < tuples_.size() && tuples_[old].value <= v) {
        rank += tuples_[old].g;
        merged_.push_back(tuples_[old++]);
      }
      n_ += 1;
      rank += 1;
      if (!merged_.empty() && merged_.back().value == v) {
        // A tie: the order among equal values is ours to choose, so the new
        // value goes right after its twin and its rank is as certain as the
        // twin's. Without this, runs of equal values pile up tuples whose
        // uncertainty leaves no room to merge.
        tuple& twin = merged_.back();
        if (twin.g + 1 + twin.delta <= allowed(rank)) twin.g += 1;
        else merged_.push_back({v, 1, twin.delta});
        continue;
      }
      // A new minimum or maximum has an exact rank; anything else may be off
      // by as much as the invariant allows at its position.
      const double delta =
          (old == tuples_.size() || merged_.empty()) ? 0 : std::max(0.0, std::floor(allowed(rank - 1)) - 1);
      merged_.push_back({v, 1, delta});
    }
    merged_.insert(merged_.end(), tuples_.begin() + static_cast<std::ptrdiff_t>(old), tuples_.end());
    tuples_.swap(merged_);
    compress();
  }

  /// The value whose rank is within the allowed error of q * count; NaN when empty.
  [[nodiscard]] double query(double q) const noexcept {
    if (tuples_.empty()) return std::numeric_limits<double>::quiet_NaN();
    const double wanted = std::ceil(q * n_);
    const double bound = wanted + allowed(wanted) / 2;
    double rank = 0;
    for (std::size_t i = 1; i < tuples_.size(); ++i) {
      rank += tuples_[i - 1].g;
      if (rank + tuples_[i].g + tuples_[i].delta > bound) return tuples_[i - 1].value;
    }
    return tuples_.back().value;
  }

  void reset() noexcept {
    tuples_.clear();
    n_ = 0;
  }
  [[nodiscard]] double count() const noexcept { return n_; }
  [[nodiscard]] std::size_t tuples() const noexcept { return tuples_.size(); }

 private:
  struct tuple {
    double value;
    double g;
    double delta;
  };

  /// f(r, n): the most rank uncertainty any target tolerates at rank r.
  [[nodiscard]] double allowed(double rank) const noexcept {
    double f = std::numeric_limits<double>::max();
    for (const auto& c : coefficients_) {
      const double here = rank >= c.quantile * n_ ? c.above * rank : c.below * (n_ - rank);
      f = std::min(f, here);
    }
    return f;
  }

  void compress() {
    if (tuples_.size() < 3) return;
    // Right to left: fold tuple c into its right neighbour x while the merged
    // tuple still satisfies the invariant at c's rank. The last tuple (the
    // maximum) stays; the first (the minimum) is never folded away either.
    merged_.clear();
    tuple x = tuples_.back();
    double rank_before_x = n_ - x.g;
    for (std::size_t i = tuples_.size() - 1; i-- > 1;) {
      const tuple& c = tuples_[i];
      const double rank_before_c = rank_before_x - c.g;
      if (c.g + x.g + x.delta <= allowed(rank_before_c)) {
        x.g += c.g;
      } else {
        merged_.push_back(x);
        x = c;
      }
      rank_before_x = rank_before_c;
    }
    merged_.push_back(x);
    merged_.push_back(tuples_.front());
    std::reverse(merged_.begin(), merged_.end());
    tuples_.swap(merged_);
  }

  struct coefficient {
    double quantile;
    double above;  // 2e / q: the slope of f at or above rank q * n
    double below;  // 2e / (1 - q): the slope of f below it
  };
  std::vector<coefficient> coefficients_;
  std::vector<tuple> tuples_;
  std::vector<tuple> merged_;
  double n_ = 0;
};

} // namespace promcxx::detail

#endif // PROMCXX_DETAIL_CKMS_HPP
