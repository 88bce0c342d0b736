// promcxx: the one parser of HTTP Accept and Accept-Encoding lists (RFC 9110
// 12.5.1 and 12.5.3), used by format negotiation (exposition.hpp) and by the
// HTTP responder's content coding (http_encoding.hpp), so both read a header
// the same way.
//
// The rule for weights, shared by both:
// - `q` is the weight (parameter name case-insensitive, value trimmed); a
//   missing q is 1.
// - A well-formed q is "0" or "1", optionally followed by "." and digits, and
//   at most 1: RFC 9110's qvalue, with any number of decimals accepted as
//   Go's github.com/golang/gddo/httputil does (a fourth or later nonzero
//   decimal rounds up to the next thousandth, so "0.0001" stays above 0).
// - An element whose q is malformed ("abc", "2", "1.5", "-1", ".5", quoted)
//   is ignored, as if absent: gddo/httputil (what client_golang's promhttp
//   negotiates Accept-Encoding with) drops such an element too. Go's expfmt
//   (goautoneg) would read it as q=0 and still pick it when nothing else
//   matches; we do not guess what a client that sends garbage wants.
// - q=0 means "not acceptable" (RFC 9110 12.4.2); such elements are still
//   reported, with quality 0, because a caller may need the refusal
//   (`gzip;q=0, *` refuses gzip).
#ifndef PROMCXX_DETAIL_ACCEPT_HPP
#define PROMCXX_DETAIL_ACCEPT_HPP

#include <cstddef>
#include <string_view>

namespace promcxx::detail {

constexpr std::string_view accept_trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

/// ASCII case-insensitive equality (media types, codings, parameter names).
constexpr bool accept_iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

/// Parses a q-value into thousandths (0..1000); -1 when malformed (see the rule above).
constexpr int parse_qvalue(std::string_view s) noexcept {
  if (s.empty() || (s[0] != '0' && s[0] != '1')) return -1;
  int value = (s[0] - '0') * 1000;
  if (s.size() == 1) return value;
  if (s[1] != '.') return -1;
  int scale = 100;
  bool below_a_thousandth = false;
  for (std::size_t i = 2; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return -1;
    if (scale > 0) {
      value += (s[i] - '0') * scale;
      scale /= 10;
    } else if (s[i] != '0') {
      below_a_thousandth = true;
    }
  }
  if (below_a_thousandth) ++value;
  return value > 1000 ? -1 : value;
}

/// Position of the first `sep` in `s` outside a quoted string, or npos.
constexpr std::size_t accept_find_unquoted(std::string_view s, char sep) noexcept {
  bool quoted = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (quoted) {
      if (c == '\\') ++i;  // quoted-pair
      else if (c == '"') quoted = false;
    } else if (c == '"') {
      quoted = true;
    } else if (c == sep) {
      return i;
    }
  }
  return std::string_view::npos;
}

/// One element of an Accept or Accept-Encoding list.
struct accept_element {
  std::string_view value;   // media range ("text/plain") or coding ("gzip"), trimmed
  std::string_view params;  // the text after the first ';', unparsed
  int quality = 1000;       // thousandths

  /// The first parameter called `name` (case-insensitive), trimmed and
  /// unquoted (escapes are kept), or empty when there is none.
  [[nodiscard]] constexpr std::string_view param(std::string_view name) const noexcept {
    std::string_view rest = params;
    while (!rest.empty()) {
      const auto semicolon = accept_find_unquoted(rest, ';');
      const auto p = rest.substr(0, semicolon);
      rest = semicolon == std::string_view::npos ? std::string_view{} : rest.substr(semicolon + 1);
      const auto eq = p.find('=');
      if (eq == std::string_view::npos || !accept_iequals(accept_trim(p.substr(0, eq)), name)) continue;
      auto v = accept_trim(p.substr(eq + 1));
      if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
      return v;
    }
    return {};
  }
};

/// Calls f(const accept_element&) for each element of `list` in order. Empty
/// elements and elements with a malformed q are skipped; q=0 is reported.
template <class F>
constexpr void for_each_accept_element(std::string_view list, F&& f) {
  while (!list.empty()) {
    const auto comma = accept_find_unquoted(list, ',');
    const auto element = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    accept_element e;
    const auto semicolon = accept_find_unquoted(element, ';');
    e.value = accept_trim(element.substr(0, semicolon));
    if (e.value.empty()) continue;
    if (semicolon != std::string_view::npos) {
      e.params = element.substr(semicolon + 1);
      // Only the q parameter's raw text decides: a quoted q is malformed.
      std::string_view rest = e.params;
      while (!rest.empty()) {
        const auto next = accept_find_unquoted(rest, ';');
        const auto p = rest.substr(0, next);
        rest = next == std::string_view::npos ? std::string_view{} : rest.substr(next + 1);
        const auto eq = p.find('=');
        if (eq != std::string_view::npos && accept_iequals(accept_trim(p.substr(0, eq)), "q")) {
          e.quality = parse_qvalue(accept_trim(p.substr(eq + 1)));
          break;  // the first q is the weight
        }
      }
      if (e.quality < 0) continue;
    }
    f(static_cast<const accept_element&>(e));
  }
}

} // namespace promcxx::detail

#endif // PROMCXX_DETAIL_ACCEPT_HPP
