// Included first by every openmetrics test: contract violations throw, so tests can see them.
#ifndef PROMCXX_OM_TEST_CONFIG_HPP
#define PROMCXX_OM_TEST_CONFIG_HPP

#include <stdexcept>

namespace om_test {
struct contract_violation : std::logic_error {
  using std::logic_error::logic_error;
};
} // namespace om_test

#define PROMCXX_ASSERT(condition, message) \
  ((condition) ? static_cast<void>(0) : throw ::om_test::contract_violation(message))

#endif // PROMCXX_OM_TEST_CONFIG_HPP
