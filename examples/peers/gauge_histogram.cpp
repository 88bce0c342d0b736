// A distribution that goes up and down: the ages of the jobs now queued.
#include <cstdio>
#include <string>

#include <promcxx.hpp>
#include <promcxx/gauge_histogram.hpp>

promcxx::gauge_histogram<"queued_job_age_seconds", "Age of the jobs now queued.", promcxx::buckets<1, 10, 60, 600>>
    ages;

int main() {
  ages.add(0.5);  // jobs enter the queue ...
  ages.add(30);
  ages.add(30);
  ages.sub(30);   // ... and leave it
  std::string out;
  promcxx::render(promcxx::default_registry(), promcxx::exposition_format::openmetrics_1_0_0, out);
  std::fputs(out.c_str(), stdout);
}
