// Compile-time facts about descriptors and bucket layouts: compiling is passing.
#include "test_config.hpp"

#include <promcxx/core.hpp>

#include <doctest/doctest.h>

namespace {

using promcxx::bound;
using promcxx::bound_error;

// Decimal strings convert exactly, to the same double as the literal.
static_assert(bound("0.005").value() == 0.005);
static_assert(bound("2.5").value() == 2.5);
static_assert(bound("1e-3").value() == 1e-3);
static_assert(bound("-7.25E+2").value() == -725.0);
static_assert(bound("10").value() == 10.0);
static_assert(bound("0.1000000000000000000000").value() == 0.1);  // trailing zeros cost no precision
static_assert(bound(3).value() == 3.0);
static_assert(bound("abc").error == bound_error::syntax);
static_assert(bound("1e").error == bound_error::syntax);
static_assert(bound("").error == bound_error::syntax);
static_assert(bound("1.2.3").error == bound_error::syntax);
static_assert(bound("1e40").error == bound_error::inexact);
static_assert(bound("0.12345678901234567890123").error == bound_error::inexact);

// Generators follow the Go client's LinearBuckets / ExponentialBuckets.
static_assert(promcxx::linear_buckets<1, 2, 4>::bounds == std::array<double, 4>{1, 3, 5, 7});
static_assert(promcxx::exponential_buckets<"0.001", 10, 4>::bounds ==
              std::array<double, 4>{0.001, 0.001 * 10, 0.001 * 10 * 10, 0.001 * 10 * 10 * 10});  // iterated, as Go
static_assert(promcxx::exponential_buckets<1, 2, 5>::bounds == std::array<double, 5>{1, 2, 4, 8, 16});
static_assert(promcxx::default_buckets::bounds ==
              std::array<double, 11>{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10});
static_assert(promcxx::buckets<"0.5", 1, 2.5>::bounds == std::array<double, 3>{0.5, 1.0, 2.5});

// Naming rules.
static_assert(promcxx::detail::is_metric_name("a:b_c9"));
static_assert(!promcxx::detail::is_metric_name("9abc"));
static_assert(!promcxx::detail::is_metric_name("a-b"));
static_assert(promcxx::detail::is_label_name("_x1"));
static_assert(!promcxx::detail::is_label_name("a:b"));
static_assert(promcxx::detail::is_reserved_label_name("__name__"));
static_assert(promcxx::detail::is_valid_utf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
static_assert(!promcxx::detail::is_valid_utf8("\xc0\xaf"));          // overlong '/'
static_assert(!promcxx::detail::is_valid_utf8("\xed\xa0\x80"));      // surrogate
static_assert(!promcxx::detail::is_valid_utf8("\xe2\x82"));          // truncated
static_assert(promcxx::detail::utf8_code_points("\xe2\x82\xac" "ab") == 3);

// Histogram bucket search: the first bound >= v, +Inf past the last.
using small = promcxx::histogram_handle<promcxx::buckets<1, 2, 4>>;
static_assert(small::bucket_index(0.5) == 0);
static_assert(small::bucket_index(1.0) == 0);  // le is inclusive
static_assert(small::bucket_index(1.5) == 1);
static_assert(small::bucket_index(4.0) == 2);
static_assert(small::bucket_index(4.5) == 3);
using wide = promcxx::histogram_handle<promcxx::linear_buckets<0, 1, 40>>;  // binary-search path
static_assert(wide::bucket_index(-1) == 0);
static_assert(wide::bucket_index(0) == 0);
static_assert(wide::bucket_index(0.5) == 1);
static_assert(wide::bucket_index(39) == 39);
static_assert(wide::bucket_index(39.5) == 40);

// Compile-time label resolution: mixed radix over the declared values.
using signatures = promcxx::detail::descriptor<promcxx::metric_type::counter, "sig_total", "Signatures.",
                                               promcxx::labels<"protocol", "result">,
                                               promcxx::label_values<"result", "ok", "fail">,
                                               promcxx::label_values<"protocol", "a", "b", "c">>;
static_assert(signatures::all_known);
static_assert(signatures::known_combinations == 6);
static_assert(signatures::known_slot<"a", "ok">() == 0);
static_assert(signatures::known_slot<"b", "fail">() == 3);
static_assert(signatures::known_slot<"c", "fail">() == 5);
static_assert(signatures::known_slot<"c", "nope">() < 0);

} // namespace

TEST_CASE("descriptor facts: compile-time checks above hold") {
  CHECK(promcxx::default_buckets::bounds.size() == 11);
}
