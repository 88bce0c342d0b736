// Included first by every test that checks caller contracts: PROMCXX_ASSERT
// throws instead of aborting, so a test can see a violation (CHECK_THROWS_AS).
#ifndef PROMCXX_TEST_CONFIG_HPP
#define PROMCXX_TEST_CONFIG_HPP

#include <stdexcept>

namespace promcxx_test {
struct contract_violation : std::logic_error {
  using std::logic_error::logic_error;
};
} // namespace promcxx_test

#define PROMCXX_ASSERT(condition, message) \
  ((condition) ? static_cast<void>(0) : throw ::promcxx_test::contract_violation(message))

#endif // PROMCXX_TEST_CONFIG_HPP
