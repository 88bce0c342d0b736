// promcxx: strings usable as template arguments (metric names, help, labels).
#ifndef PROMCXX_FIXED_STRING_HPP
#define PROMCXX_FIXED_STRING_HPP

#include <cstddef>
#include <string_view>

namespace promcxx {

/// A string literal carried as a template argument:
/// `promcxx::counter<"requests_total", "Requests served.">`.
template <std::size_t N>
struct fixed_string {
  char chars[N + 1]{};  // public and NUL-terminated: structural, and usable as a C string

  constexpr fixed_string(const char (&text)[N + 1]) noexcept {
    for (std::size_t i = 0; i <= N; ++i) chars[i] = text[i];
  }

  [[nodiscard]] static constexpr std::size_t size() noexcept { return N; }
  [[nodiscard]] constexpr std::string_view view() const noexcept { return {chars, N}; }
  [[nodiscard]] constexpr const char* c_str() const noexcept { return chars; }
  constexpr operator std::string_view() const noexcept { return view(); }
};

template <std::size_t M>
fixed_string(const char (&)[M]) -> fixed_string<M - 1>;

} // namespace promcxx

#endif // PROMCXX_FIXED_STRING_HPP
