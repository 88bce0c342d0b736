// Control for core_only.cpp: after the real headers every guard it checks must
// be defined, or a misspelt name would let the core check pass vacuously.
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#if __has_include(<zlib.h>)
#  include <zlib.h>
#endif
#include <promcxx/exposition.hpp>
#include <promcxx/http_server.hpp>
#include <promcxx/openmetrics.hpp>
#include <promcxx/text_format.hpp>

#define PROMCXX_GUARDS_PRESENT 1
#include "core_guards.inc"

int main() { return 0; }
