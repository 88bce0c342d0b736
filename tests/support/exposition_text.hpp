// Reading a registry's exposition in tests: render it, and find lines and names
// in the text. One copy for every suite (they had grown their own).
#ifndef PROMCXX_TEST_EXPOSITION_TEXT_HPP
#define PROMCXX_TEST_EXPOSITION_TEXT_HPP

#include <promcxx/exposition.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace test_support {

inline std::string rendered(promcxx::registry& reg, promcxx::exposition_format format) {
  std::string out;
  promcxx::render(reg, format, out);
  return out;
}

/// The registry in text format 0.0.4.
inline std::string text_of(promcxx::registry& reg) { return rendered(reg, promcxx::exposition_format::text_0_0_4); }

inline bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

/// True when `line` is one whole line of `text`.
inline bool has_line(const std::string& text, std::string_view line) {
  return ("\n" + text).find("\n" + std::string(line) + "\n") != std::string::npos;
}

/// True when a sample of `name` (with or without labels) is in `text`.
inline bool mentions(const std::string& text, std::string_view name) {
  return contains(text, std::string(name) + " ") || contains(text, std::string(name) + "{");
}

inline std::size_t lines_starting(const std::string& text, std::string_view prefix) {
  std::size_t n = 0;
  for (std::size_t at = 0; at < text.size();) {
    const auto end = text.find('\n', at);
    if (std::string_view{text}.substr(at, end - at).starts_with(prefix)) ++n;
    at = end == std::string::npos ? text.size() : end + 1;
  }
  return n;
}

} // namespace test_support

#endif // PROMCXX_TEST_EXPOSITION_TEXT_HPP
