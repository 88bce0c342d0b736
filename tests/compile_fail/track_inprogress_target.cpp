// expect: promcxx::track_inprogress: the target needs inc() and dec() (a gauge)
#include <promcxx/core.hpp>
#include <promcxx/timer.hpp>

#ifdef PROMCXX_EXPECT_ERROR
promcxx::counter<"jobs_total", "Jobs."> jobs{promcxx::unregistered};
void use() { auto t = promcxx::track_inprogress(jobs); }
#else
promcxx::gauge<"jobs_running", "Jobs."> jobs{promcxx::unregistered};
void use() { auto t = promcxx::track_inprogress(jobs); }
#endif
