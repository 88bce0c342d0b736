// promcxx: the naming rules of the Prometheus data model, usable at compile
// time (descriptors) and at run time (constant labels, collectors).
#ifndef PROMCXX_NAMES_HPP
#define PROMCXX_NAMES_HPP

#include <string_view>

namespace promcxx::detail {

constexpr bool is_ascii_letter(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
constexpr bool is_ascii_digit(char c) noexcept { return c >= '0' && c <= '9'; }

/// [a-zA-Z_:][a-zA-Z0-9_:]*
constexpr bool is_metric_name(std::string_view name) noexcept {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool ok = is_ascii_letter(c) || c == '_' || c == ':' || (i > 0 && is_ascii_digit(c));
    if (!ok) return false;
  }
  return true;
}

/// [a-zA-Z_][a-zA-Z0-9_]*
constexpr bool is_label_name(std::string_view name) noexcept {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool ok = is_ascii_letter(c) || c == '_' || (i > 0 && is_ascii_digit(c));
    if (!ok) return false;
  }
  return true;
}

constexpr bool is_reserved_label_name(std::string_view name) noexcept { return name.starts_with("__"); }

constexpr bool has_suffix(std::string_view name, std::string_view suffix) noexcept {
  return name.size() > suffix.size() && name.ends_with(suffix);
}

/// Suffixes the histogram and summary series use; another family ending in one
/// of them would collide with, or be mistaken for, those series.
constexpr bool has_reserved_suffix(std::string_view name) noexcept {
  return has_suffix(name, "_bucket") || has_suffix(name, "_count") || has_suffix(name, "_sum");
}

/// Valid UTF-8 (no overlongs, no surrogates, nothing past U+10FFFF).
constexpr bool is_valid_utf8(std::string_view text) noexcept {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto byte = static_cast<unsigned char>(text[i]);
    std::size_t length = 0;
    char32_t min = 0;
    char32_t code = 0;
    if (byte < 0x80) { ++i; continue; }
    if ((byte & 0xE0) == 0xC0) { length = 2; min = 0x80; code = byte & 0x1F; }
    else if ((byte & 0xF0) == 0xE0) { length = 3; min = 0x800; code = byte & 0x0F; }
    else if ((byte & 0xF8) == 0xF0) { length = 4; min = 0x10000; code = byte & 0x07; }
    else return false;
    if (i + length > text.size()) return false;
    for (std::size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      code = (code << 6) | (next & 0x3F);
    }
    if (code < min || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return false;
    i += length;
  }
  return true;
}

/// Number of code points in valid UTF-8 (OpenMetrics limits exemplar labels by it).
constexpr std::size_t utf8_code_points(std::string_view text) noexcept {
  std::size_t count = 0;
  for (const char c : text) count += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return count;
}

} // namespace promcxx::detail

#endif // PROMCXX_NAMES_HPP
