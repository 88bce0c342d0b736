// expect: promcxx::start_timer: the target needs observe(double) (histogram, summary) or set(double) (gauge)
#include <promcxx/core.hpp>
#include <promcxx/timer.hpp>

#ifdef PROMCXX_EXPECT_ERROR
promcxx::counter<"jobs_total", "Jobs."> jobs{promcxx::unregistered};
void use() { auto t = promcxx::start_timer(jobs); }
#else
promcxx::histogram<"job_seconds", "Jobs."> jobs{promcxx::unregistered};
void use() { auto t = promcxx::start_timer(jobs); }
#endif
