// The family core's label lookup (family.hpp): packed keys for short values,
// the streaming path for long ones, hashes recomputed from a record's words
// on removal, and the record size the memory model counts on.
#include "test_config.hpp"

#include <promcxx/core.hpp>

#include <doctest/doctest.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace {

// Every value length from 0 to 40 bytes: each tail shape of a word (0, 1-3, 4-7, 8 bytes),
// whole words, and tuples too long for a packed key (more than 16 words).
std::vector<std::string> values_of_every_length(char fill) {
  std::vector<std::string> out;
  for (std::size_t n = 0; n <= 40; ++n) {
    std::string v(n, fill);
    for (std::size_t k = 0; k < n; ++k) v[k] = static_cast<char>(fill + static_cast<char>(k % 7));
    out.push_back(v);
  }
  return out;
}

} // namespace

TEST_CASE("family lookup: values of every length find their own series and no other") {
  promcxx::registry reg;
  promcxx::counter<"lookup_total", "Lookups.", promcxx::labels<"a", "b">, promcxx::max_series<4096>> c{reg};
  const auto as = values_of_every_length('a');
  const auto bs = values_of_every_length('k');
  double expected = 0;
  for (std::size_t i = 0; i < as.size(); ++i)
    for (std::size_t j = 0; j < bs.size(); j += 3) c.labels(as[i], bs[j]).inc(static_cast<double>(i * 100 + j + 1));
  for (std::size_t i = 0; i < as.size(); ++i) {
    for (std::size_t j = 0; j < bs.size(); j += 3) {
      expected = static_cast<double>(i * 100 + j + 1);
      CHECK(c.labels(as[i], bs[j]).value() == expected);
    }
  }
  CHECK(c.series_count() == as.size() * ((bs.size() + 2) / 3));
  CHECK(c.core().rejected() == 0);
}

TEST_CASE("family lookup: the split between values matters, not only their bytes") {
  promcxx::registry reg;
  promcxx::counter<"split_total", "Splits.", promcxx::labels<"a", "b">> c{reg};
  c.labels("ab", "c").inc(1);
  c.labels("a", "bc").inc(2);
  c.labels("abc", "").inc(3);
  c.labels("", "abc").inc(4);
  c.labels("abcdefgh", "").inc(5);  // exactly one word
  c.labels("abcdefg", "h").inc(6);
  c.labels(std::string_view{"abcdefgh\0", 9}, "").inc(7);  // a trailing NUL byte is part of the value
  CHECK(c.labels("ab", "c").value() == 1);
  CHECK(c.labels("a", "bc").value() == 2);
  CHECK(c.labels("abc", "").value() == 3);
  CHECK(c.labels("", "abc").value() == 4);
  CHECK(c.labels("abcdefgh", "").value() == 5);
  CHECK(c.labels("abcdefg", "h").value() == 6);
  CHECK(c.labels(std::string_view{"abcdefgh\0", 9}, "").value() == 7);
  CHECK(c.series_count() == 7);
}

TEST_CASE("family lookup: families with more than two labels (several length words)") {
  promcxx::registry reg;
  promcxx::counter<"wide_total", "Wide.", promcxx::labels<"a", "b", "c", "d", "e">> c{reg};
  c.labels("1", "22", "333", "4444", "55555").inc(1);
  c.labels("1", "22", "333", "4444", "5555").inc(2);
  c.labels("1", "22", "333", "44445", "5555").inc(3);
  c.labels("a-rather-long-value-over-eight-bytes", "x", "", "y", "z").inc(4);
  CHECK(c.labels("1", "22", "333", "4444", "55555").value() == 1);
  CHECK(c.labels("1", "22", "333", "4444", "5555").value() == 2);
  CHECK(c.labels("1", "22", "333", "44445", "5555").value() == 3);
  CHECK(c.labels("a-rather-long-value-over-eight-bytes", "x", "", "y", "z").value() == 4);
  CHECK(c.series_count() == 4);

  auto& runtime = reg.counter_family("wide_runtime_total", "Wide, defined at run time.", {"a", "b", "c", "d", "e"});
  runtime.labels({"1", "22", "333", "4444", "55555"}).inc(5);
  CHECK(runtime.labels({"1", "22", "333", "4444", "55555"}).value() == 5);
  CHECK(runtime.labels({"1", "22", "333", "4444", "5555"}).value() == 0);
}

TEST_CASE("family lookup: removal finds every series' index entry from its stored words") {
  // Records keep no hash: remove() and index rebuilds hash the record's packed
  // words, and must land on the entry the lookup's hash of the values made.
  promcxx::registry reg;
  promcxx::counter<"churn_total", "Churn.", promcxx::labels<"a", "b">, promcxx::max_series<2048>> c{reg};
  const auto as = values_of_every_length('a');
  const auto bs = values_of_every_length('m');
  for (int round = 0; round < 3; ++round) {  // enough removals to rebuild the index more than once
    for (const auto& a : as)
      for (const auto& b : bs) c.labels(a, b).inc();
    CHECK(c.series_count() == as.size() * bs.size());
    for (const auto& a : as)
      for (const auto& b : bs) CHECK(c.remove(a, b));
    CHECK(c.series_count() == 0);
    for (const auto& a : as) CHECK_FALSE(c.remove(a, bs[3]));
  }
  CHECK(c.labels(as[17], bs[9]).value() == 0);  // created afresh, not the removed series
  CHECK(c.core().rejected() == 0);
}

TEST_CASE("family lookup: a series record stays within 56 bytes (bench/memory_model.hpp counts it)") {
  CHECK(sizeof(promcxx::detail::series_record) <= 56);
}
