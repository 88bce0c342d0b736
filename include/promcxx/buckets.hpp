// promcxx: histogram bucket layouts fixed at compile time.
//
// Bounds are template arguments of type `bound`, which converts from a number
// (`buckets<0.1, 1, 10>`, where the compiler takes floating-point template
// arguments) or from a decimal string (`buckets<"0.1", "1", "10">`, accepted by
// every C++20 compiler, clang 14 included).
#ifndef PROMCXX_BUCKETS_HPP
#define PROMCXX_BUCKETS_HPP

#include <array>
#include <bit>      // std::bit_cast: bounds travel as bit patterns (structural on every compiler)
#include <cstddef>
#include <cstdint>
#include <limits>

#include "detail/rules.hpp"  // detail::is_finite

namespace promcxx {

enum class bound_error : std::uint8_t { none, syntax, not_finite, inexact };

/// One histogram bound as a template argument.
struct bound {
  std::uint64_t bits = 0;
  bound_error error = bound_error::none;

  consteval bound(double value) noexcept : bits(std::bit_cast<std::uint64_t>(value)) {
    if (!detail::is_finite(value)) error = bound_error::not_finite;
  }
  consteval bound(int value) noexcept : bits(std::bit_cast<std::uint64_t>(static_cast<double>(value))) {}
  consteval bound(long value) noexcept : bits(std::bit_cast<std::uint64_t>(static_cast<double>(value))) {}
  consteval bound(long long value) noexcept : bits(std::bit_cast<std::uint64_t>(static_cast<double>(value))) {}

  /// Decimal text: [+-]digits[.digits][e[+-]digits]. Converted exactly (one
  /// rounding) when it has at most 2^53 as significand and |exponent| <= 22.
  template <std::size_t N>
  consteval bound(const char (&text)[N]) noexcept {
    parse(text, N - 1);
  }

  [[nodiscard]] constexpr double value() const noexcept { return std::bit_cast<double>(bits); }

 private:
  consteval void parse(const char* text, std::size_t size) noexcept {
    std::size_t i = 0;
    bool negative = false;
    if (i < size && (text[i] == '+' || text[i] == '-')) negative = text[i++] == '-';
    std::uint64_t significand = 0;
    int exponent10 = 0;
    int digits = 0;
    bool overflow = false;
    auto take_digit = [&](char c, bool fraction) {
      const auto digit = static_cast<std::uint64_t>(c - '0');
      ++digits;
      if (significand > (std::uint64_t{1} << 53) / 10) {  // keep exactness: remember we lost digits
        if (digit != 0) overflow = true;
        if (!fraction) ++exponent10;
        return;
      }
      significand = significand * 10 + digit;
      if (fraction) --exponent10;
    };
    while (i < size && text[i] >= '0' && text[i] <= '9') take_digit(text[i++], false);
    if (i < size && text[i] == '.') {
      ++i;
      while (i < size && text[i] >= '0' && text[i] <= '9') take_digit(text[i++], true);
    }
    if (digits == 0) { error = bound_error::syntax; return; }
    if (i < size && (text[i] == 'e' || text[i] == 'E')) {
      ++i;
      bool exponent_negative = false;
      if (i < size && (text[i] == '+' || text[i] == '-')) exponent_negative = text[i++] == '-';
      if (i == size) { error = bound_error::syntax; return; }
      int explicit_exponent = 0;
      while (i < size && text[i] >= '0' && text[i] <= '9') {
        if (explicit_exponent < 10000) explicit_exponent = explicit_exponent * 10 + (text[i] - '0');
        ++i;
      }
      exponent10 += exponent_negative ? -explicit_exponent : explicit_exponent;
    }
    if (i != size) { error = bound_error::syntax; return; }
    // Trailing zeros of the significand do not need exactness budget.
    while (significand != 0 && significand % 10 == 0 && exponent10 < 0) { significand /= 10; ++exponent10; }
    if (overflow || significand > (std::uint64_t{1} << 53) || exponent10 > 22 || exponent10 < -22) {
      if (significand != 0) { error = bound_error::inexact; return; }
    }
    double result = static_cast<double>(significand);  // exact: significand <= 2^53
    double power = 1.0;
    for (int k = 0; k < (exponent10 < 0 ? -exponent10 : exponent10); ++k) power *= 10.0;  // exact up to 1e22
    result = exponent10 < 0 ? result / power : result * power;
    bits = std::bit_cast<std::uint64_t>(negative ? -result : result);
  }
};

namespace detail {

/// Marks a type as a bucket layout: it provides `static constexpr std::array<double, N> bounds`.
struct bucket_layout_tag {};

} // namespace detail

/// Explicit bounds: `promcxx::buckets<0.01, 0.05, 0.1>` or `promcxx::buckets<"0.01", "0.05", "0.1">`.
template <bound... Bounds>
struct buckets : detail::bucket_layout_tag {
  static_assert(((Bounds.error != bound_error::syntax) && ...),
                "promcxx::buckets: a bound must be a decimal number such as \"0.25\", \"1e-3\" or 10");
  static_assert(((Bounds.error != bound_error::not_finite) && ...),
                "promcxx::buckets: bounds must be finite (the +Inf bucket is implicit)");
  static_assert(((Bounds.error != bound_error::inexact) && ...),
                "promcxx::buckets: a decimal bound may have at most 15 significant digits and an exponent within -22..22");
  static constexpr std::array<double, sizeof...(Bounds)> bounds{Bounds.value()...};
};

/// `Count` bounds `Start, Start + Width, ...` (the Go client's LinearBuckets).
template <bound Start, bound Width, std::size_t Count>
struct linear_buckets : detail::bucket_layout_tag {
  static_assert(Count >= 1, "promcxx::linear_buckets: count must be at least 1");
  static_assert(Start.error == bound_error::none && Width.error == bound_error::none,
                "promcxx::linear_buckets: start and width must be finite decimal numbers");
  static_assert(Width.value() > 0, "promcxx::linear_buckets: width must be positive");
  static constexpr std::array<double, Count> make_bounds() noexcept {
    std::array<double, Count> result{};
    double next = Start.value();
    for (auto& b : result) { b = next; next += Width.value(); }
    return result;
  }
  static constexpr std::array<double, Count> bounds = make_bounds();
};

/// `Count` bounds `Start, Start * Factor, ...` (the Go client's ExponentialBuckets).
template <bound Start, bound Factor, std::size_t Count>
struct exponential_buckets : detail::bucket_layout_tag {
  static_assert(Count >= 1, "promcxx::exponential_buckets: count must be at least 1");
  static_assert(Start.error == bound_error::none && Factor.error == bound_error::none,
                "promcxx::exponential_buckets: start and factor must be finite decimal numbers");
  static_assert(Start.value() > 0, "promcxx::exponential_buckets: start must be positive");
  static_assert(Factor.value() > 1, "promcxx::exponential_buckets: factor must be greater than 1");
  static constexpr std::array<double, Count> make_bounds() noexcept {
    std::array<double, Count> result{};
    double next = Start.value();
    for (auto& b : result) { b = next; next *= Factor.value(); }
    return result;
  }
  static constexpr std::array<double, Count> bounds = make_bounds();
};

/// The Go client's DefBuckets, tuned for request latencies in seconds.
using default_buckets = buckets<0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10>;

} // namespace promcxx

#endif // PROMCXX_BUCKETS_HPP
