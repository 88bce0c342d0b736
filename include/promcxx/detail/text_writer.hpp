// promcxx: number formatting and escaping shared by the text encoders.
#ifndef PROMCXX_DETAIL_TEXT_WRITER_HPP
#define PROMCXX_DETAIL_TEXT_WRITER_HPP

#include <charconv>  // std::to_chars: shortest round-trip digits
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include <fmt/format.h>  // fmt::format_int: the fastest integer spelling we have

namespace promcxx::detail {

/// Writes `v` as Go's strconv.FormatFloat(v, 'g', -1, 64) does (the reference
/// clients' spelling): shortest round-trip digits, exponent form when the
/// decimal exponent is < -4 or >= 6 (`1e+06`, `1e-05`, but `100000`, `0.0001`).
/// Returns the end pointer; `out` needs 32 bytes.
inline char* format_go_float(char* out, double v) noexcept {
  if (std::isnan(v)) return static_cast<char*>(std::memcpy(out, "NaN", 3)) + 3;
  if (std::isinf(v)) return static_cast<char*>(std::memcpy(out, v > 0 ? "+Inf" : "-Inf", 4)) + 4;
  // Integers below 1e6 print as themselves in Go's shortest %g: the common counter case.
  if (v == std::trunc(v) && std::fabs(v) < 1e6) {
    if (v == 0 && std::signbit(v)) return static_cast<char*>(std::memcpy(out, "-0", 2)) + 2;
    const fmt::format_int digits{static_cast<long long>(v)};
    return static_cast<char*>(std::memcpy(out, digits.data(), digits.size())) + digits.size();
  }
  char sci[32];
  const auto end = std::to_chars(sci, sci + sizeof sci, v, std::chars_format::scientific).ptr;
  // sci: [-]d[.ddd]e(+|-)XX
  const char* p = sci;
  char* o = out;
  if (*p == '-') *o++ = *p++;
  char digits[24];
  int nd = 0;
  while (*p != 'e') {
    if (*p != '.') digits[nd++] = *p;
    ++p;
  }
  ++p;  // 'e'
  const bool negative_exponent = *p == '-';
  ++p;
  int exponent = 0;
  while (p < end) exponent = exponent * 10 + (*p++ - '0');
  if (negative_exponent) exponent = -exponent;

  if (exponent < -4 || exponent >= 6) {
    *o++ = digits[0];
    if (nd > 1) {
      *o++ = '.';
      for (int i = 1; i < nd; ++i) *o++ = digits[i];
    }
    *o++ = 'e';
    *o++ = exponent < 0 ? '-' : '+';
    const int magnitude = exponent < 0 ? -exponent : exponent;
    if (magnitude < 10) *o++ = '0';
    o = std::to_chars(o, o + 4, magnitude).ptr;
    return o;
  }
  if (exponent < 0) {
    *o++ = '0';
    *o++ = '.';
    for (int i = -1; i > exponent; --i) *o++ = '0';
    for (int i = 0; i < nd; ++i) *o++ = digits[i];
    return o;
  }
  for (int i = 0; i <= exponent; ++i) *o++ = i < nd ? digits[i] : '0';
  if (nd > exponent + 1) {
    *o++ = '.';
    for (int i = exponent + 1; i < nd; ++i) *o++ = digits[i];
  }
  return o;
}

inline void append_go_float(std::string& out, double v) {
  char buffer[32];
  out.append(buffer, format_go_float(buffer, v));
}

inline void append_uint(std::string& out, std::uint64_t v) {
  const fmt::format_int digits{static_cast<unsigned long long>(v)};
  out.append(digits.data(), digits.size());
}

/// HELP text in format 0.0.4: backslash and newline only.
inline void append_escaped_help(std::string& out, std::string_view text) {
  std::size_t start = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c != '\\' && c != '\n') continue;
    out.append(text.substr(start, i - start));
    out.append(c == '\\' ? "\\\\" : "\\n");
    start = i + 1;
  }
  out.append(text.substr(start));
}

/// Label values (both formats) and OpenMetrics HELP: backslash, quote, newline.
inline void append_escaped_value(std::string& out, std::string_view text) {
  std::size_t start = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c != '\\' && c != '\n' && c != '"') continue;
    out.append(text.substr(start, i - start));
    out.append(c == '\\' ? "\\\\" : c == '\n' ? "\\n" : "\\\"");
    start = i + 1;
  }
  out.append(text.substr(start));
}

} // namespace promcxx::detail

#endif // PROMCXX_DETAIL_TEXT_WRITER_HPP
