// promcxx: targeted quantiles over a stream, after Cormode, Korn,
// Muthukrishnan and Srivastava, "Effective Computation of Biased Quantiles
// over Data Streams" (ICDE 2005), the algorithm client_golang's summaries use.
//
// The stream keeps a sorted list of tuples (value, g, delta): g is the rank
// gap to the previous tuple, delta the uncertainty of the tuple's rank. The
// invariant g + delta <= f(r, n) (r: the rank before the tuple) keeps every
// query for a target quantile q within its allowed rank error e * n.
//
// Batches arrive sorted, as order keys, and merge per gap of the stream, not
// per value: the k new values below tuple t (and above its predecessor) are
// counted into t (g += k, exact: they all rank below t) when t then still
// keeps the invariant; otherwise they become new tuples, each as many values
// as the invariant allows, valued at the largest, with the gap's rank
// uncertainty g_t + delta_t - 1 as delta (a single value where there is no
// room gets CKMS's own delta). As f grows with n, a stream much larger than a
// batch takes most gaps whole: a merge costs O(tuples * log(batch)) rather
// than O(batch), which matters because a summary feeds every value to
// age_buckets streams. Both tuple lists keep their capacity, so a stream that
// has reached its size allocates nothing.
#ifndef PROMCXX_DETAIL_CKMS_HPP
#define PROMCXX_DETAIL_CKMS_HPP

#include <algorithm>
#include <array>
#include <bit>  // bit_cast
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

/// An unsigned key with the order of the (non-NaN) doubles; -0 is keyed as +0.
[[nodiscard]] inline std::uint64_t order_key(double v) noexcept {
  const auto u = std::bit_cast<std::uint64_t>(v + 0.0);  // -0 + 0 is +0: equal values, equal keys
  constexpr std::uint64_t sign = std::uint64_t{1} << 63;
  return (u & sign) != 0 ? ~u : (u | sign);
}
[[nodiscard]] inline double from_order_key(std::uint64_t k) noexcept {
  constexpr std::uint64_t sign = std::uint64_t{1} << 63;
  return std::bit_cast<double>((k & sign) != 0 ? (k & ~sign) : ~k);
}

/// Sorts order keys ascending; `scratch` is at least as long as `keys`.
/// Radix passes over the upper 24 bits (sign, exponent and 12 bits of
/// mantissa; a byte equal in every key is skipped), then each run equal in
/// those bits is sorted by the whole key: linear for the batches a summary
/// sorts, where std::sort was most of an observation's cost.
inline void sort_keys(std::span<std::uint64_t> keys, std::span<std::uint64_t> scratch) {
  constexpr unsigned low = 40;  // the bits below are left to the runs
  const std::size_t n = keys.size();
  if (n < 2) return;
  std::array<std::array<std::uint32_t, 256>, 3> counts{};
  std::uint64_t differ = 0;
  const std::uint64_t first = keys[0];
  for (const auto k : keys) {
    differ |= k ^ first;
    for (unsigned p = 0; p < 3; ++p) ++counts[p][(k >> (low + 8 * p)) & 255];
  }
  std::uint64_t* src = keys.data();
  std::uint64_t* dst = scratch.data();
  for (unsigned p = 0; p < 3; ++p) {
    const unsigned shift = low + 8 * p;
    if (((differ >> shift) & 255) == 0) continue;
    std::uint32_t offset = 0;
    for (auto& c : counts[p]) {
      const auto here = c;
      c = offset;
      offset += here;
    }
    for (std::size_t i = 0; i < n; ++i) dst[counts[p][(src[i] >> shift) & 255]++] = src[i];
    std::swap(src, dst);
  }
  if (src != keys.data()) std::copy(src, src + n, keys.data());
  if ((differ & ((std::uint64_t{1} << low) - 1)) == 0) return;
  for (std::size_t i = 0; i + 1 < n;) {
    std::size_t j = i + 1;
    while (j < n && (keys[j] >> low) == (keys[i] >> low)) ++j;
    if (j - i > 16) {
      std::sort(keys.begin() + static_cast<std::ptrdiff_t>(i), keys.begin() + static_cast<std::ptrdiff_t>(j));
    } else {
      for (std::size_t a = i + 1; a < j; ++a) {  // insertion sort: runs are short
        const auto k = keys[a];
        std::size_t b = a;
        for (; b > i && keys[b - 1] > k; --b) keys[b] = keys[b - 1];
        keys[b] = k;
      }
    }
    i = j;
  }
}

class ckms_stream {
 public:
  explicit ckms_stream(std::span<const quantile_target> targets) {
    // f(r, n) is evaluated per tuple and gap: keep its divisions out of it.
    coefficients_.reserve(targets.size());
    for (const auto& t : targets) coefficients_.push_back({t.quantile, 2 * t.error / t.quantile, 2 * t.error / (1 - t.quantile)});
  }

  /// Adds a batch of order keys (see order_key), sorted ascending.
  void insert_sorted(std::span<const std::uint64_t> batch) {
    if (batch.empty()) return;
    // The invariant is judged at the count after the batch: the state that is queried.
    n_ += static_cast<double>(batch.size());
    merged_.clear();
    merged_.reserve(tuples_.size() + batch.size());
    rank_ = 0;
    std::size_t pos = 0;
    if (tuples_.empty()) {
      place(batch, 0, 1, 0);  // the minimum is a tuple of its own, as compression keeps it
      place(batch, 1, batch.size(), 0);
    } else {
      // At or below the old minimum, and above the old maximum, ranks are exact.
      std::size_t end = upper(batch, pos, tuples_.front().value);
      if (end > 0) {
        place(batch, 0, 1, 0);
        place(batch, 1, end, 0);
      }
      pos = end;
      keep(tuples_.front());
      for (std::size_t j = 1; j < tuples_.size(); ++j) {
        const tuple& t = tuples_[j];
        end = upper(batch, pos, t.value);
        const auto k = static_cast<double>(end - pos);
        if (k == 0 || fits(rank_, k + t.g + t.delta)) {
          // The gap's values all rank at or below t: t counts them too, exactly.
          keep({t.value, t.g + k, t.delta});
        } else {
          // A smaller value ranks anywhere from just after the previous tuple
          // to just before this one's largest possible rank.
          const std::size_t equal = lower(batch, pos, end, t.value);
          place(batch, pos, equal, t.g + t.delta - 1);
          keep(t);
          // Equal values go right after t (the order among equals is ours),
          // so their ranks are as certain as t's: runs of ties stay few tuples.
          place(batch, equal, end, t.delta);
        }
        pos = end;
      }
      place(batch, pos, batch.size(), 0);
    }
    tuples_.swap(merged_);
    compress();
  }

  /// The value whose rank is within the allowed error of q * count; NaN when empty.
  /// Of all tuples, the one whose rank bounds [r, r + delta] stray least from
  /// q * n: never worse than CKMS's rule (first tuple past r + f(r) / 2),
  /// which can miss by up to a quarter more than e * n where f falls steeply
  /// below a high target (slope 2e / (1 - q)).
  [[nodiscard]] double query(double q) const noexcept {
    if (tuples_.empty()) return std::numeric_limits<double>::quiet_NaN();
    const double wanted = std::ceil(q * n_);  // the q-quantile is the value of rank ceil(q n)
    double best = std::numeric_limits<double>::infinity();
    double answer = tuples_.front().value;
    double rank = 0;
    for (const auto& t : tuples_) {
      rank += t.g;
      if (rank - wanted >= best) break;  // later tuples only rank higher
      const double miss = std::max(wanted - rank, rank + t.delta - wanted);
      if (miss < best) {
        best = miss;
        answer = t.value;
      }
    }
    return answer;
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
  struct coefficient {
    double quantile;
    double above;  // 2e / q: the slope of f at or above rank q * n
    double below;  // 2e / (1 - q): the slope of f below it
  };

  /// f(r, n): the most rank uncertainty any target tolerates at rank r.
  [[nodiscard]] double allowed(double rank) const noexcept {
    double f = std::numeric_limits<double>::max();
    for (const auto& c : coefficients_) f = std::min(f, at(c, rank));
    return f;
  }

  /// The least f over the ranks [from, to] a tuple spans. Checking g + delta
  /// against it, not against f at one end, is what bounds every query's
  /// miss by e * n: f falls towards a target's rank from both sides.
  [[nodiscard]] double allowed_over(double from, double to) const noexcept {
    double f = std::numeric_limits<double>::max();
    for (const auto& c : coefficients_) {
      const double target_rank = c.quantile * n_;
      f = std::min(f, from <= target_rank && target_rank <= to ? c.above * target_rank : std::min(at(c, from), at(c, to)));
    }
    return f;
  }

  /// f(r, n) = max of 2e r / q and 2e (n - r) / (1 - q), i.e. the branch for r's side of q n.
  [[nodiscard]] double at(const coefficient& c, double rank) const noexcept {
    return rank >= c.quantile * n_ ? c.above * rank : c.below * (n_ - rank);
  }

  /// Whether a tuple of g + delta = size starting after rank `from` keeps the invariant.
  [[nodiscard]] bool fits(double from, double size) const noexcept { return size <= allowed_over(from, from + size); }

  [[nodiscard]] static std::size_t upper(std::span<const std::uint64_t> batch, std::size_t from, double value) noexcept {
    return static_cast<std::size_t>(std::upper_bound(batch.begin() + static_cast<std::ptrdiff_t>(from), batch.end(), order_key(value)) -
                                    batch.begin());
  }

  [[nodiscard]] static std::size_t lower(std::span<const std::uint64_t> batch, std::size_t from, std::size_t to, double value) noexcept {
    return static_cast<std::size_t>(std::lower_bound(batch.begin() + static_cast<std::ptrdiff_t>(from),
                                                     batch.begin() + static_cast<std::ptrdiff_t>(to), order_key(value)) -
                                    batch.begin());
  }

  void keep(const tuple& t) {
    merged_.push_back(t);
    rank_ += t.g;
  }

  /// Places batch[first, last), whose ranks are uncertain by `uncertainty`,
  /// as the fewest tuples that keep the invariant.
  void place(std::span<const std::uint64_t> batch, std::size_t first, std::size_t last, double uncertainty) {
    while (first < last) {
      const auto left = static_cast<double>(last - first);
      // f at this rank bounds the room; the span's own f may be tighter.
      double take = std::min(left, std::floor(allowed(rank_) - uncertainty));
      if (take >= 2 && !fits(rank_, take + uncertainty)) take = std::floor(allowed_over(rank_, rank_ + take + uncertainty) - uncertainty);
      double delta = uncertainty;
      if (take < 2) {
        take = 1;
        // A single value where the gap has no room: CKMS's own allowance.
        if (!fits(rank_, 1 + uncertainty)) delta = std::min(uncertainty, std::max(0.0, std::floor(allowed_over(rank_, rank_ + 1 + uncertainty)) - 1));
      }
      first += static_cast<std::size_t>(take);
      merged_.push_back({from_order_key(batch[first - 1]), take, delta});
      rank_ += take;
    }
  }

  void compress() {
    if (tuples_.size() < 3) return;
    // Right to left: fold tuple c into its right neighbour x while the merged
    // tuple still satisfies the invariant at c's rank. The last tuple
    // (the maximum) stays; the first (the minimum) is never folded away either.
    merged_.clear();
    tuple x = tuples_.back();
    double rank_before_x = n_ - x.g;
    for (std::size_t i = tuples_.size() - 1; i-- > 1;) {
      const tuple& c = tuples_[i];
      const double rank_before_c = rank_before_x - c.g;
      if (fits(rank_before_c, c.g + x.g + x.delta)) {
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

  std::vector<coefficient> coefficients_;
  std::vector<tuple> tuples_;
  std::vector<tuple> merged_;
  double n_ = 0;
  double rank_ = 0;  // during a merge: the sum of g placed so far
};

} // namespace promcxx::detail

#endif // PROMCXX_DETAIL_CKMS_HPP
