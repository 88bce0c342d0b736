// promcxx: number formatting, escaping and the output cursor shared by the text encoders.
#ifndef PROMCXX_DETAIL_TEXT_WRITER_HPP
#define PROMCXX_DETAIL_TEXT_WRITER_HPP

#include <algorithm>
#include <charconv>  // std::to_chars: shortest round-trip digits, and integers faster than fmt::format_int here
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace promcxx::detail {

/// format_go_float for every value but the integers below 1e6.
inline char* format_go_float_general(char* out, double v) noexcept {
  if (std::isnan(v)) return static_cast<char*>(std::memcpy(out, "NaN", 3)) + 3;
  if (std::isinf(v)) return static_cast<char*>(std::memcpy(out, v > 0 ? "+Inf" : "-Inf", 4)) + 4;
  // The shortest digits of a double in [1e-4, 1e6) have a decimal exponent in
  // [-4, 5] (comparing with the doubles 1e-4 and 1e6 is exact for this), where
  // Go writes them in fixed notation: that is to_chars' shortest fixed form.
  // Elsewhere Go's 'e' form equals to_chars' shortest scientific form,
  // exponent of at least two digits included.
  const double magnitude = std::fabs(v);
  const auto format = magnitude >= 1e-4 && magnitude < 1e6 ? std::chars_format::fixed : std::chars_format::scientific;
  return std::to_chars(out, out + 32, v, format).ptr;
}

/// Writes the integers below 1e6 (the common counter values) and returns the
/// end, or returns nullptr for any other value. -0 is written as `-0`.
inline char* format_small_integer(char* out, double v) noexcept {
  if (!(std::fabs(v) < 1e6)) return nullptr;
  const auto integer = static_cast<std::int32_t>(v);
  if (static_cast<double>(integer) != v) return nullptr;
  if (integer == 0 && std::signbit(v)) {
    *out++ = '-';
    *out++ = '0';
    return out;
  }
  return std::to_chars(out, out + 8, integer).ptr;
}

/// Writes `v` as Go's strconv.FormatFloat(v, 'g', -1, 64) does (the reference
/// clients' spelling): shortest round-trip digits, exponent form when the
/// decimal exponent is < -4 or >= 6 (`1e+06`, `1e-05`, but `100000`, `0.0001`).
/// Returns the end pointer; `out` needs 32 bytes.
inline char* format_go_float(char* out, double v) noexcept {
  if (char* end = format_small_integer(out, v)) return end;
  return format_go_float_general(out, v);
}

inline char* format_uint(char* out, std::uint64_t v) noexcept { return std::to_chars(out, out + 20, v).ptr; }

inline void append_go_float(std::string& out, double v) {
  char buffer[32];
  out.append(buffer, format_go_float(buffer, v));
}

inline void append_uint(std::string& out, std::uint64_t v) {
  char buffer[20];
  out.append(buffer, format_uint(buffer, v));
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

/// -0 is written as 0 by both encoders, in values and in `le` bounds alike:
/// Prometheus keys a series by its label text, so `le="-0"` would be another
/// series than `le="0"`, and the sign of a zero carries nothing in a metric.
/// (Go's clients write `-0`; promtool and Prometheus read both spellings.)
constexpr double without_negative_zero(double v) noexcept { return v == 0 ? 0.0 : v; }

/// Copies `s` to `p`. Names and label blocks are mostly under 32 bytes, where
/// two overlapping fixed-size moves beat a call into libc's memcpy.
inline char* copy(char* p, std::string_view s) noexcept {
  const std::size_t n = s.size();
  const char* src = s.data();
  if (n > 32) {
    std::memcpy(p, src, n);
  } else if (n >= 16) {
    char head[16], tail[16];
    std::memcpy(head, src, 16);
    std::memcpy(tail, src + n - 16, 16);
    std::memcpy(p, head, 16);
    std::memcpy(p + n - 16, tail, 16);
  } else if (n >= 8) {
    std::uint64_t head, tail;
    std::memcpy(&head, src, 8);
    std::memcpy(&tail, src + n - 8, 8);
    std::memcpy(p, &head, 8);
    std::memcpy(p + n - 8, &tail, 8);
  } else if (n >= 4) {
    std::uint32_t head, tail;
    std::memcpy(&head, src, 4);
    std::memcpy(&tail, src + n - 4, 4);
    std::memcpy(p, &head, 4);
    std::memcpy(p + n - 4, &tail, 4);
  } else {
    for (std::size_t i = 0; i < n; ++i) p[i] = src[i];
  }
  return p + n;
}

/// Escapes a label value (backslash, quote, newline) into `p`, which has room
/// for 2 * text.size() bytes. Eight bytes at a time while none needs escaping.
inline char* copy_escaped_value(char* p, std::string_view text) noexcept {
  const auto escape_byte = [&p](char c) {
    switch (c) {
      case '\\': *p++ = '\\'; *p++ = '\\'; break;
      case '"': *p++ = '\\'; *p++ = '"'; break;
      case '\n': *p++ = '\\'; *p++ = 'n'; break;
      default: *p++ = c;
    }
  };
  constexpr std::uint64_t ones = 0x0101010101010101u;
  constexpr std::uint64_t highs = 0x8080808080808080u;
  // Nonzero when some byte of x equals the byte repeated in `repeated` (exact
  // as a yes/no answer, which is all that is asked here).
  const auto has_byte = [](std::uint64_t x, std::uint64_t repeated) {
    const std::uint64_t y = x ^ repeated;
    return (y - ones) & ~y & highs;
  };
  const char* s = text.data();
  std::size_t n = text.size();
  for (; n >= 8; s += 8, n -= 8) {
    std::uint64_t word;
    std::memcpy(&word, s, 8);
    if ((has_byte(word, ones * '\\') | has_byte(word, ones * '"') | has_byte(word, ones * '\n')) == 0) {
      std::memcpy(p, &word, 8);
      p += 8;
    } else {
      for (int i = 0; i < 8; ++i) escape_byte(s[i]);
    }
  }
  for (std::size_t i = 0; i < n; ++i) escape_byte(s[i]);
  return p;
}

/// Appends to a std::string through a raw pointer. The string grows a chunk at
/// a time, so a whole sample line costs one capacity check and plain stores
/// instead of one out-of-line std::string::append per piece (the encoders'
/// main cost before). The destructor trims the unwritten rest of the chunk.
class text_cursor {
 public:
  /// `chunk`: bytes to grow by at least; small for scratch strings, which
  /// would otherwise zero-fill a whole chunk for every short piece.
  explicit text_cursor(std::string& out, std::size_t chunk = 16 * 1024) noexcept
      : out_(out), end_(out.size()), chunk_(chunk) {}
  text_cursor(const text_cursor&) = delete;
  text_cursor& operator=(const text_cursor&) = delete;
  ~text_cursor() { out_.resize(end_); }

  /// Where to write the next `n` bytes at most; finish with commit().
  [[nodiscard]] char* reserve(std::size_t n) {
    if (out_.size() - end_ < n) grow(n);
    return out_.data() + end_;
  }
  void commit(const char* p) noexcept { end_ = static_cast<std::size_t>(p - out_.data()); }

  void write(std::string_view s) { commit(copy(reserve(s.size()), s)); }

 private:
  // The zero-fill of a chunk happens in cache, just before the chunk is written.
  void grow(std::size_t n) { out_.resize(end_ + std::max(n, chunk_)); }

  std::string& out_;
  std::size_t end_;  // bytes written so far; out_.size() - end_ is reserved
  std::size_t chunk_;
};

} // namespace promcxx::detail

#endif // PROMCXX_DETAIL_TEXT_WRITER_HPP
